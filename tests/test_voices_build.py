"""A build with the cloud voices: per-sentence fallback across engines, the manifest naming each
segment's engine and voice, a rebuild asking nothing, and no key in any file the build writes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from announcer.config import load_station
from announcer.engines.base import Availability
from announcer.engines.fpt import FptEngine
from announcer.engines.viettel import ViettelEngine
from announcer.render import build_station
from tests.cloud_fakes import FPT_KEY, VIETTEL_KEY, FakeFpt, FakeViettel
from tests.stations import make_station

SCRIPT = """\
---
title: Thông báo lịch thu gom rác
voice: miền Trung, nữ
---
Kính thưa bà con nhân dân trong phường.

Từ ngày mai, xe thu gom rác sẽ đi qua các tổ dân phố vào buổi tối. Đề nghị bà con để rác đúng nơi quy định.
"""
FAILING = "Đề nghị bà con"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def cloud_station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_station(tmp_path / "st", engines='["fpt", "viettel", "espeak"]', script=SCRIPT)
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[fpt]\nretries = 0\n\n[viettel]\nretries = 0\n",
                      encoding="utf-8")
    monkeypatch.setenv("FPT_TTS_KEY", FPT_KEY)
    (root / "secrets.toml").write_text(f'[viettel]\nkey = "{VIETTEL_KEY}"\n', encoding="utf-8")
    for cls in (FptEngine, ViettelEngine):
        monkeypatch.setattr(cls, "availability", lambda self: Availability(True, "faked service"))
    return root


def test_fallback_per_sentence_names_engine_and_voice_and_no_key_is_written(
        cloud_station: Path, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fpt = FakeFpt(rsps, fail_when=FAILING)
    viettel = FakeViettel(rsps)
    station = load_station(cloud_station)
    (result,) = build_station(station, [])
    assert result.engines == ["fpt", "viettel"]
    manifest = json.loads((cloud_station / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    speech = [s for s in manifest["segments"] if s.get("text")]
    readers = {(s["text"], s["engine"], s["voice"]) for s in speech}
    assert {(engine, voice) for _, engine, voice in readers} == {("fpt", "myan"), ("viettel", "hue-maingoc")}
    assert all((e, v) == ("viettel", "hue-maingoc") for t, e, v in readers if FAILING in t)
    assert all((e, v) == ("fpt", "myan") for t, e, v in readers if FAILING not in t)
    assert [p["voice"] for p in viettel.posts] == ["hue-maingoc"]

    # FPT.AI is back: a rebuild asks it for that one sentence only (one POST, one look at the link)...
    fpt.fail_when = None
    requests_before = len(rsps.calls)
    build_station(load_station(cloud_station), [], force=True)
    assert len(rsps.calls) - requests_before == 2
    # ...and once all is cached, a rebuild asks nothing at all.
    requests_before = len(rsps.calls)
    build_station(load_station(cloud_station), [], force=True)
    assert len(rsps.calls) == requests_before

    written = [p for p in cloud_station.rglob("*") if p.is_file() and p.name != "secrets.toml"]
    assert any(p.suffix == ".mp3" for p in written) and any(".cache" in p.parts for p in written)
    for path in written:
        data = path.read_bytes()
        assert FPT_KEY.encode() not in data and VIETTEL_KEY.encode() not in data, path
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert FPT_KEY not in logged and VIETTEL_KEY not in logged
    assert fpt.posts and len(fpt.gets) >= 1
