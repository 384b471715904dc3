"""The station's own recordings: [clip: name] in the text and intro_voice: in the front matter put a
file of clips/ into the reading, at the speech's loudness, named in the manifest; `check` names a
missing or unsafe clip with its file and line."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from announcer.audio.jingles import write_wav
from announcer.clips import Clip, ClipStore, name_problem, script_clips
from announcer.config import load_station
from announcer.errors import AnnouncerError
from announcer.render import build_station, preview_script, render_status
from announcer.script import parse_script
from announcer.speech import Pause, Speech, plan_reading
from tests.audio_checks import ebur128_span
from tests.stations import make_station, run_cli

SCRIPT = """\
---
title: Thông báo cắt điện
intro_voice: kinh-thua
---
Điện lực thông báo tạm ngừng cấp điện để bảo dưỡng đường dây.

[clip: chao-buoi-sang] Thời gian từ bảy giờ đến mười một giờ sáng ngày mai. Mong bà con thông cảm.
"""


def voice_like(seconds: float = 2.0, amplitude: float = 0.5, rate: int = 44100) -> np.ndarray:
    """A buzz with syllable-rate swells: loud in places, quiet in others, like a voice."""
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 8))
    swell = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    signal = tone * swell
    return amplitude * signal / np.max(np.abs(signal))


@pytest.fixture
def clip_station(tmp_path: Path) -> Path:
    root = make_station(tmp_path / "st", script=SCRIPT)
    (root / "clips").mkdir()
    # One very quiet and one very loud recording: both must come out at the speech's level.
    write_wav(root / "clips" / "chao-buoi-sang.wav", voice_like(2.5, 0.03))
    write_wav(root / "clips" / "kinh-thua.wav", voice_like(2.5, 0.95))
    return root


def test_plan_puts_a_clip_where_the_marker_is_and_never_reads_the_marker() -> None:
    pieces = plan_reading("Kính thưa bà con. [clip: chao-buoi-sang] Sáng mai cắt điện.", 7, lambda s: s, 300, 800)
    assert [type(p).__name__ for p in pieces] == ["Speech", "Pause", "Clip", "Pause", "Speech"]
    assert pieces[2] == Clip("chao-buoi-sang", 7)
    assert all("clip" not in p.text for p in pieces if isinstance(p, Speech))
    assert isinstance(pieces[1], Pause)


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "a/b", "..", ".hidden", "x..y", "", "c:tệp"])
def test_a_clip_name_is_a_plain_file_name(name: str) -> None:
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", ["chao-buoi-sang", "kinh_thua.mp3", "Ident2026", "chào"])
def test_plain_names_are_clip_names(name: str) -> None:
    assert name_problem(name) is None


def test_build_inserts_clips_matched_to_the_speech_and_the_manifest_names_them(clip_station: Path) -> None:
    station = load_station(clip_station)
    (result,) = build_station(station, [])
    assert result.error is None
    manifest = json.loads((clip_station / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    clips = [s for s in manifest["segments"] if s["kind"] == "clip"]
    assert [(c["name"], c["file"], c["line"]) for c in clips] == [
        ("kinh-thua", "clips/kinh-thua.wav", 3), ("chao-buoi-sang", "clips/chao-buoi-sang.wav", 7)]
    kinds = [s["kind"] for s in manifest["segments"]]
    assert kinds.index("clip") < kinds.index("speech"), "intro_voice comes before the text"
    quiet, loud = clips[1], clips[0]
    assert quiet["gain_db"] > 15 and loud["gain_db"] < 0
    # Measured on the published MP3 by ffmpeg: each clip sits at the level of the speech.
    mp3 = clip_station / "audio_out" / "thu.mp3"
    speech = [s for s in manifest["segments"] if s["kind"] == "speech"]
    speech_lufs = ebur128_span(mp3, speech[0]["start"], speech[-1]["end"])
    for clip in clips:
        assert abs(ebur128_span(mp3, clip["start"] + 0.05, clip["end"] - 0.05) - speech_lufs) < 3.0, clip
    assert render_status(station, clip_station / "scripts" / "thu.md") == "fresh"
    # A new recording under the same name re-renders.
    write_wav(clip_station / "clips" / "kinh-thua.wav", voice_like(1.0, 0.5))
    assert render_status(station, clip_station / "scripts" / "thu.md") == "stale"


def test_clip_in_any_format_ffmpeg_reads(tmp_path: Path) -> None:
    root = make_station(tmp_path / "st", script="---\ntitle: t\n---\n[clip: ident] Kính thưa bà con nhân dân.\n")
    (root / "clips").mkdir()
    wav = tmp_path / "src.wav"
    write_wav(wav, voice_like(1.5, 0.3))
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "libmp3lame",
                    str(root / "clips" / "ident.mp3")], check=True)
    (result,) = build_station(load_station(root), [])
    manifest = json.loads((root / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    assert [s["file"] for s in manifest["segments"] if s["kind"] == "clip"] == ["clips/ident.mp3"]
    assert result.duration_s > 1.5


def test_clip_loudness_is_measured_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_wav(tmp_path / "c.wav", voice_like(1.0, 0.2))
    store = ClipStore(tmp_path / "cache")
    first = store.loudness(tmp_path / "c.wav")
    import announcer.audio.mixer as mixer

    monkeypatch.setattr(mixer, "decode_audio_file", lambda *a, **k: pytest.fail("decoded again"))
    assert ClipStore(tmp_path / "cache").loudness(tmp_path / "c.wav") == first


def test_check_names_a_missing_clip_with_file_and_line(clip_station: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (clip_station / "clips" / "chao-buoi-sang.wav").unlink()
    code, out, err = run_cli(["--station", str(clip_station), "check"], capsys)
    assert code != 0
    assert "thu.md:7" in out + err and "chao-buoi-sang" in out + err
    code, out, err = run_cli(["--station", str(clip_station), "build"], capsys)
    assert code != 0 and "thu.md:7" in out + err and "Traceback" not in out + err
    assert not (clip_station / "audio_out" / "thu.mp3").exists()


def test_check_refuses_a_clip_name_that_is_a_path(clip_station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = clip_station / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("[clip: chao-buoi-sang]", "[clip: ../station.toml]"), encoding="utf-8")
    code, out, err = run_cli(["--station", str(clip_station), "check"], capsys)
    assert code != 0 and "thu.md:7" in out + err and "plain file name" in out + err
    script.write_text(SCRIPT.replace("intro_voice: kinh-thua", "intro_voice: /etc/hostname"), encoding="utf-8")
    code, out, err = run_cli(["--station", str(clip_station), "check"], capsys)
    assert code != 0 and "thu.md:3" in out + err


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_clip_linking_outside_the_station_is_refused(clip_station: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.wav"
    write_wav(outside, voice_like(1.0, 0.3))
    (clip_station / "clips" / "chao-buoi-sang.wav").unlink()
    (clip_station / "clips" / "chao-buoi-sang.wav").symlink_to(outside)
    station = load_station(clip_station)
    with pytest.raises(AnnouncerError, match="outside the station"):
        build_station(station, [clip_station / "scripts" / "thu.md"])
    from announcer.clips import clip_problems

    problems = clip_problems(station, parse_script(clip_station / "scripts" / "thu.md"))
    assert [p.line for p in problems] == [7]


def test_preview_shows_the_clips(clip_station: Path) -> None:
    text = preview_script(load_station(clip_station), clip_station / "scripts" / "thu.md")
    assert text.index("[clip: kinh-thua]") < text.index("[clip: chao-buoi-sang]")
    assert [c.name for c in script_clips(parse_script(clip_station / "scripts" / "thu.md"))] == [
        "kinh-thua", "chao-buoi-sang"]


def test_say_refuses_a_clip_with_a_message(clip_station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["--station", str(clip_station), "say", "[clip: kinh-thua] Xin chào bà con.", "-o",
                              str(clip_station / "x.mp3")], capsys)
    assert code != 0 and "clip" in err and "Traceback" not in err
    assert not (clip_station / "x.mp3").exists()
