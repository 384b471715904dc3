"""Speed work must not cost correctness: the in-build loudness estimate agrees with ffmpeg,
a rebuild after an edit encodes once, scripts render in parallel without one failure
stopping the others, and light commands do not load the audio stack."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from announcer.audio import loudness
from announcer.audio.meter import integrated_loudness
from announcer.audio.mixer import ProgramWriter, resample
from announcer.audio.pydub_compat import AudioSegment
from announcer.config import load_station
from announcer.engines.espeak import EspeakEngine
from announcer.render import build_station
from tests.audio_checks import ebur128
from tests.stations import SCRIPT, make_station

SECOND = """\
---
title: Lịch cắt điện
---
Điện lực thông báo tạm ngừng cung cấp điện từ bảy giờ đến mười một giờ sáng thứ bảy.

Đề nghị bà con chủ động sắp xếp công việc.
"""


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.clip(samples * 32767, -32768, 32767).astype("<i2").tobytes())
    return path


def test_meter_agrees_with_ffmpeg_on_speech_and_chimes(tmp_path: Path) -> None:
    from announcer.audio.jingles import INTRO_NOTES, chime

    engine = EspeakEngine.from_station(load_station(make_station(tmp_path)))
    clips = [engine.synthesize(text) for text in ("Kính thưa bà con nhân dân trong phường.",
                                                  "Trạm y tế tổ chức tiêm phòng vào sáng thứ hai tuần sau.")]
    rate = clips[0].frame_rate
    speech = np.concatenate([np.frombuffer(c.raw_data, "<i2").astype(np.float64) / 32768 for c in clips])
    for samples, samples_rate in ((speech, rate), (chime(INTRO_NOTES) * 0.3, 44100)):
        ours = integrated_loudness(samples, samples_rate)
        theirs, _ = ebur128(_write_wav(tmp_path / "x.wav", samples, samples_rate))
        assert ours is not None and abs(ours - theirs) <= 0.2, (ours, theirs)
    assert integrated_loudness(np.zeros(44100), 44100) is None


def test_resample_keeps_pitch_level_and_length() -> None:
    rate_in, rate_out = 22050, 44100
    t = np.arange(rate_in) / rate_in
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t)
    out = resample(tone.astype(np.float32), rate_in, rate_out)
    assert out.size == rate_out
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * rate_out / out.size - 1000) < 2
    assert abs(np.max(np.abs(out[1000:-1000])) - 0.5) < 0.01
    down = resample(tone.astype(np.float32), rate_in, 24000)
    assert down.size == 24000


def test_a_clip_at_another_rate_is_resampled_into_the_track(tmp_path: Path) -> None:
    clip = AudioSegment(data=(np.ones(24000, dtype="<i2") * 1000).tobytes(), sample_width=2, frame_rate=24000,
                        channels=1)
    with ProgramWriter(tmp_path / "t.wav", 22050) as writer:
        start, end = writer.add_clip(clip)
    assert (start, round(end, 3)) == (0.0, 1.0)
    with wave.open(str(tmp_path / "t.wav")) as check:
        assert check.getframerate() == 22050 and check.getnframes() == 22050


def _count_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each ffmpeg run did: an encode measured as it is written counts as both."""
    calls: list[str] = []
    real, real_pair = loudness.run_ffmpeg, loudness.run_ffmpeg_measured

    def counting(args: list[str], what: str):  # noqa: ANN202
        calls.append(what)
        return real(args, what)

    def counting_pair(encode: list[str], measure: list[str], what: str, cwd: Path) -> str:
        calls.extend([what, f"measuring {what}"])
        return real_pair(encode, measure, what, cwd)

    monkeypatch.setattr(loudness, "run_ffmpeg", counting)
    monkeypatch.setattr(loudness, "run_ffmpeg_measured", counting_pair)
    return calls


def test_an_edit_costs_one_encode_and_one_measurement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_station(tmp_path)
    (root / "scripts" / "dien.md").write_text(SECOND, encoding="utf-8")
    station = load_station(root)
    assert all(r.error is None for r in build_station(station, []))
    calls = _count_ffmpeg(monkeypatch)
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("thẻ bảo hiểm", "thẻ căn cước"), encoding="utf-8")
    results = build_station(load_station(root), [])
    assert [r.skipped for r in results] == [True, False]  # dien.md, thu.md
    assert sorted(what.split()[0] for what in calls) == ["encoding", "measuring"], calls
    integrated, peak = ebur128(root / "audio_out" / "thu.mp3")
    assert -16.5 <= integrated <= -15.5 and peak <= -1.5
    # What the build reports is what the published file measures.
    assert abs(results[1].loudness_lufs - integrated) <= 0.15 and abs(results[1].true_peak_db - peak) <= 0.15


def test_scripts_render_in_parallel_and_one_failure_stops_no_other(tmp_path: Path) -> None:
    root = make_station(tmp_path)
    (root / "scripts" / "dien.md").write_text(SECOND, encoding="utf-8")
    (root / "scripts" / "hong.md").write_text("---\ntitle: Trống\n---\n[nghỉ 2 giây]\n", encoding="utf-8")
    bars: list[tuple[int, str]] = []

    class Bar:
        def __init__(self, total: int, label: str) -> None:
            bars.append((total, label))
            self.done = 0

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def update(self, n: int) -> None:
            self.done += n

    results = build_station(load_station(root), [], progress=Bar, jobs=2)
    assert [r.script.name for r in results] == ["dien.md", "hong.md", "thu.md"]  # the table keeps script order
    assert [r.error is None for r in results] == [True, False, True]
    assert "nothing to read aloud" in (results[1].error or "")
    assert bars == [(3, "3 scripts, 2 at a time")]
    for name in ("dien", "thu"):
        integrated, peak = ebur128(root / "audio_out" / f"{name}.mp3")
        assert -16.5 <= integrated <= -15.5 and peak <= -1.5


def test_light_commands_do_not_load_the_audio_stack() -> None:
    code = (
        "import sys\n"
        "import announcer.cli, announcer.render, announcer.schedule.planner, announcer.schedule.check\n"
        "import announcer.schedule.asrun, announcer.schedule.runner\n"
        "heavy = ['numpy', 'scipy', 'pydub', 'pyloudnorm', 'gtts', 'requests', 'docx']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "import announcer.engines\n"  # `announcer engines`, and every build of an espeak-only station
        "print([m for m in heavy[:2] + heavy[3:] if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "[]"]


def test_forced_rebuild_reuses_the_measured_audio_only_while_it_is_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import mutagen.mp3

    root = make_station(tmp_path)
    [cold] = build_station(load_station(root), [])
    mp3 = root / "audio_out" / "thu.mp3"
    calls = _count_ffmpeg(monkeypatch)
    # A title edit changes only the tags: no encode, and the manifest keeps the measured figures.
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("title: Thông báo thử nghiệm", "title: Thông báo mới"), encoding="utf-8")
    [forced] = build_station(load_station(root), [], force=True)
    assert not forced.skipped and calls == []
    assert str(mutagen.mp3.MP3(mp3).tags["TIT2"]) == "Thông báo mới của phường"
    assert (forced.loudness_lufs, forced.duration_s) == (round(cold.loudness_lufs, 2), round(cold.duration_s, 3))
    integrated, peak = ebur128(mp3)
    assert -16.5 <= integrated <= -15.5 and peak <= -1.5
    manifest = json.loads((root / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    assert manifest["segments"][1]["line"] == 5
    # A published file that is not the one measured is never reused.
    data = bytearray(mp3.read_bytes())
    data[len(data) // 2] ^= 0xFF
    mp3.write_bytes(bytes(data))
    build_station(load_station(root), [], force=True)
    assert sorted(what.split()[0] for what in calls) == ["encoding", "measuring"], calls
