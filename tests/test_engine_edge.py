"""The edge engine against a fake of the Edge read-aloud service on loopback, in its WebSocket
format (tests/edge_fake.py), through the real edge-tts library: a normal answer, a connection
dropped mid-stream, no audio, an answer far too short for the text (another language), silence,
a refused handshake. Every failure takes edge out for the build with one message; the next
engine reads; nothing bad is aired."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from announcer.config import load_station
from announcer.engines import ENGINES, chain_engines
from announcer.engines.edge import CATALOG, EdgeEngine, rate_for
from announcer.errors import EngineUnavailable
from announcer.render import build_station
from announcer.voices import parse_voice, pick
from tests.edge_fake import FakeEdge, mp3_of, voice_like
from tests.stations import make_station

SENTENCE = "Ủy ban nhân dân phường thông báo lịch tiêm phòng dại cho chó mèo vào sáng thứ bảy tuần này."


@pytest.fixture(scope="module")
def mp3s(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("edge-audio")
    return {"speech": mp3_of(voice_like(4.0), 24000, folder, "speech"),
            "short": mp3_of(voice_like(0.25), 24000, folder, "short"),
            "silent": mp3_of(np.zeros(24000 * 4), 24000, folder, "silent")}


def answers(mp3s: dict[str, bytes]):  # noqa: ANN201 - the fake's audio_for
    def audio_for(text: str, mode: str) -> bytes:
        return mp3s["short" if mode == "short" else "silent" if mode == "silent" else "speech"]
    return audio_for


@pytest.fixture
def fake(mp3s: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEdge]:
    server = FakeEdge(answers(mp3s)).start()
    server.install(monkeypatch)
    yield server
    server.stop()


def test_catalog_has_both_vietnamese_voices_in_the_station_terms() -> None:
    assert pick(parse_voice("bac-nu"), CATALOG).name == "vi-VN-HoaiMyNeural"  # type: ignore[union-attr]
    assert pick(parse_voice("giọng nam miền Bắc"), CATALOG).name == "vi-VN-NamMinhNeural"  # type: ignore[union-attr]
    assert pick(parse_voice("trung-nu"), CATALOG) is None  # no Central voice: edge sits out
    assert ENGINES["edge"] is EdgeEngine


@pytest.mark.parametrize(("speed", "rate"), [(1.0, "+0%"), (1.1, "+10%"), (0.85, "-15%"), (2.0, "+100%"),
                                             (0.4, "-50%")])
def test_speed_is_a_signed_percentage(speed: float, rate: str) -> None:
    assert rate_for(speed) == rate


def test_normal_answer_is_decoded_and_the_request_has_the_real_shape(fake: FakeEdge) -> None:
    engine = EdgeEngine("vi-vn-namminhneural", 1.2)
    clip = engine.synthesize(SENTENCE)
    assert 3.5 < len(clip) / 1000 < 4.5 and clip.max_dBFS > -20
    (request,) = fake.requests
    assert "(vi-VN, NamMinhNeural)" in request["voice"] and request["rate"] == "+20%"
    assert SENTENCE in request["text"]
    assert "audio-24khz-48kbitrate-mono-mp3" in request["config"]
    assert "Sec-MS-GEC=" in request["query"]
    assert engine.voice == "vi-VN-NamMinhNeural" and "rate=+20%" in engine.fingerprint()


@pytest.mark.parametrize(("mode", "said"), [("midstream", "too short"), ("empty", "(?i)no audio"),
                                             ("short", "too short"), ("silent", "silence"),
                                             ("refuse", "failed")])
def test_any_failure_takes_edge_out_for_the_build(fake: FakeEdge, mode: str, said: str) -> None:
    fake.mode = mode
    engine = EdgeEngine()
    with pytest.raises(EngineUnavailable, match=said) as info:
        engine.synthesize(SENTENCE)
    assert "left out for this build" in info.value.message
    asked = len(fake.requests)
    with pytest.raises(EngineUnavailable):
        engine.synthesize("Câu thứ hai của thông báo.")
    assert len(fake.requests) == asked, "a dead engine is not asked again"
    assert not engine.availability().ok


SCRIPT = """\
---
title: Thông báo tiêm phòng
voice: bac-nu
---
Ủy ban nhân dân phường thông báo lịch tiêm phòng dại cho chó mèo.

Thời gian từ bảy giờ đến mười giờ sáng thứ bảy. Địa điểm tại nhà văn hóa khu phố ba.

Đề nghị các hộ gia đình nuôi chó mèo đưa vật nuôi đến tiêm đầy đủ.
"""


@pytest.fixture
def edge_station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(EdgeEngine, "availability", lambda self: __import__(
        "announcer.engines.base", fromlist=["Availability"]).Availability(True, "faked"))
    return make_station(tmp_path / "st", engines='["edge", "espeak"]', script=SCRIPT)


def test_build_reads_with_edge_and_a_rebuild_asks_nothing(edge_station: Path, fake: FakeEdge) -> None:
    station = load_station(edge_station)
    (result,) = build_station(station, [])
    assert result.engines == ["edge"]
    manifest = json.loads((edge_station / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    assert {(s["engine"], s["voice"]) for s in manifest["segments"] if s["kind"] == "speech"} == {
        ("edge", "vi-VN-HoaiMyNeural")}
    asked = len(fake.requests)
    assert asked == 4
    (again,) = build_station(station, [], force=True)
    assert len(fake.requests) == asked and again.engine_calls == 0


def test_a_wrong_language_answer_is_never_aired_and_espeak_reads_with_one_warning(
        edge_station: Path, fake: FakeEdge, caplog: pytest.LogCaptureFixture) -> None:
    fake.mode = "short"
    caplog.set_level(logging.WARNING)
    (result,) = build_station(load_station(edge_station), [])
    assert result.engines == ["espeak"]
    assert len(fake.requests) == 1, "edge is out after its first bad answer"
    manifest = json.loads((edge_station / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    assert all(s["engine"] == "espeak" for s in manifest["segments"] if s["kind"] == "speech")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "edge" in r.getMessage()]
    assert len(warnings) == 1 and "espeak read them instead" in warnings[0]


def test_edge_sits_out_for_a_central_voice(tmp_path: Path) -> None:
    station = load_station(make_station(tmp_path / "st", engines='["edge", "espeak"]'))
    assert [e.name for e in chain_engines(station, ["edge", "espeak"], "trung-nu")] == ["espeak"]
    assert [e.voice for e in chain_engines(station, ["edge", "espeak"], "bac-nam")][0] == "vi-VN-NamMinhNeural"


def test_offline_availability_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = EdgeEngine(probe=lambda host, port, timeout: f"{host} cannot be looked up")
    state = engine.availability()
    assert not state.ok and "no internet" in state.reason
