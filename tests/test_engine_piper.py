"""The Piper engine run for real (piper-tts, onnxruntime, its espeak-ng phonemizer) on a tiny voice the
tests build (tests/piper_tiny.py); the voice file is never fetched; `announcer engines` says what is
missing and where it goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from announcer.config import load_station
from announcer.engines.piper import DOWNLOAD_PAGE, PiperEngine
from announcer.errors import EngineUnavailable
from announcer.render import build_station
from tests.piper_tiny import build_voice
from tests.stations import make_station, run_cli

TEXTS = ["Kính thưa bà con nhân dân trong phường.",
         "Trạm y tế phường tổ chức tiêm vắc xin cho trẻ em vào sáng thứ bảy.",
         "Đề nghị các gia đình đưa con em đến đúng giờ."]
SCRIPT = "---\ntitle: Tiêm chủng\n---\n" + "\n\n".join(TEXTS) + "\n"


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_voice(tmp_path_factory.mktemp("piper") / "voices", TEXTS)


def test_piper_reads_for_real_and_the_length_follows_text_and_speed(voice: Path) -> None:
    engine = PiperEngine(voice)
    short, long = engine.synthesize(TEXTS[0]), engine.synthesize(TEXTS[1])
    assert short.frame_rate == 22050 and short.sample_width == 2 and short.channels == 1
    assert len(long) > 1.3 * len(short) and short.max_dBFS > -3
    fast = PiperEngine(voice, speed=2.0)
    assert fast.length_scale == 0.5
    assert abs(len(fast.synthesize(TEXTS[0])) - len(short) / 2) < 50
    assert engine.fingerprint() != fast.fingerprint()


def test_without_the_voice_file_engines_says_what_is_missing_and_where(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = make_station(tmp_path / "st")
    state = PiperEngine.from_station(load_station(root)).availability()
    assert not state.ok
    assert "vi_VN-vais1000-medium.onnx in" in state.reason and str(root / "voices") in state.reason
    assert "vi_VN-vais1000-medium.onnx.json" in state.reason and DOWNLOAD_PAGE in state.reason
    code, out, _ = run_cli(["--station", str(root), "engines"], capsys)
    assert code == 0
    piper_line = next(line for line in out.splitlines() if line.startswith("piper"))
    assert "unavailable" in piper_line and "vi_VN-vais1000-medium.onnx" in piper_line
    assert "never fetched" in piper_line


def test_a_half_installed_voice_names_the_missing_half(tmp_path: Path, voice: Path) -> None:
    folder = tmp_path / "voices"
    folder.mkdir()
    (folder / voice.name).write_bytes(voice.read_bytes())
    state = PiperEngine(folder / voice.name).availability()
    assert not state.ok and "vi_VN-vais1000-medium.onnx.json" in state.reason
    assert "medium.onnx in" not in state.reason


def test_a_build_reads_with_piper_and_a_rebuild_asks_nothing(tmp_path: Path, voice: Path) -> None:
    root = make_station(tmp_path / "st", engines='["piper", "espeak"]', script=SCRIPT)
    (root / "voices").mkdir()
    for path in voice.parent.iterdir():
        (root / "voices" / path.name).write_bytes(path.read_bytes())
    station = load_station(root)
    (result,) = build_station(station, [])
    assert result.engines == ["piper"] and result.engine_calls == 3
    manifest = json.loads((root / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    assert {(s["engine"], s["voice"]) for s in manifest["segments"] if s["kind"] == "speech"} == {
        ("piper", "vi_VN-vais1000-medium")}
    (again,) = build_station(station, [], force=True)
    assert again.engine_calls == 0


def test_no_voice_file_means_espeak_reads_and_nothing_is_downloaded(tmp_path: Path) -> None:
    root = make_station(tmp_path / "st", engines='["piper", "espeak"]', script=SCRIPT)
    (result,) = build_station(load_station(root), [])
    assert result.engines == ["espeak"]
    assert not (root / "voices").exists()
    assert any("piper" in w and "missing" in w for w in result.warnings)


def test_a_broken_voice_file_takes_piper_out(tmp_path: Path, voice: Path) -> None:
    folder = tmp_path / "voices"
    folder.mkdir()
    (folder / voice.name).write_bytes(b"not an onnx model")
    (folder / f"{voice.name}.json").write_bytes(Path(f"{voice}.json").read_bytes())
    engine = PiperEngine(folder / voice.name)
    with pytest.raises(EngineUnavailable, match="could not load"):
        engine.synthesize(TEXTS[0])
    assert not engine.availability().ok
