"""The repository root is itself the example station: its scripts must stay valid and
render to broadcast spec offline (the README's main job)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from announcer.config import load_station
from announcer.render import build_station
from announcer.schedule.check import check_command
from tests.audio_checks import ebur128

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    for name in ("station.toml", "lexicon.tsv"):
        shutil.copy(REPO / name, root / name)
    for folder in ("scripts", "jingles"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_example_station_checks_clean(example: Path) -> None:
    report, ok = check_command(example)
    assert ok, report


def test_example_station_builds_offline_to_broadcast_spec(example: Path) -> None:
    station = load_station(example)
    assert station.engines == ["gtts", "espeak"]  # offline here: gtts falls back to espeak
    results = build_station(station, [])
    scripts = sorted(p.stem for p in (example / "scripts").glob("*.md"))
    assert sorted(r.script.stem for r in results) == scripts and len(scripts) >= 2
    for result in results:
        assert result.error is None
        mp3 = example / "audio_out" / f"{result.script.stem}.mp3"
        integrated, peak = ebur128(mp3)
        assert -17.0 <= integrated <= -15.0, mp3
        assert peak <= -1.5, mp3
        manifest = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
        assert {s["engine"] for s in manifest["segments"] if s["kind"] == "speech"} == {"espeak"}
        spoken = " ".join(s["text"] for s in manifest["segments"] if s["kind"] == "speech")
        assert not any(ch.isdigit() for ch in spoken), spoken
