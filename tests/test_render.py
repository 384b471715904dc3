"""Real renders with the embedded espeak voice, measured on the written files."""

from __future__ import annotations

import json
from pathlib import Path

import mutagen.mp3
import pytest

from announcer.config import load_station
from announcer.render import build_station, render_status
from tests.audio_checks import ebur128, ebur128_span
from tests.stations import SCRIPT, make_station


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_station(tmp_path_factory.mktemp("station"))
    results = build_station(load_station(root), [])
    assert [r.error for r in results] == [None]
    return root


def test_loudness_and_true_peak_measured_by_ffmpeg(built: Path) -> None:
    integrated, peak = ebur128(built / "audio_out" / "thu.mp3")
    assert -17.0 <= integrated <= -15.0
    assert peak <= -1.5


def test_mp3_format_and_vietnamese_tags(built: Path) -> None:
    audio = mutagen.mp3.MP3(built / "audio_out" / "thu.mp3")
    assert audio.info.sample_rate == 44100
    assert audio.info.channels == 1
    assert audio.info.bitrate >= 64000
    assert str(audio.tags["TIT2"]) == "Thông báo thử nghiệm của phường"
    assert str(audio.tags["TPE1"]) == "Đài truyền thanh phường"
    assert str(audio.tags["TDRC"])


def test_manifest_order_timing_and_engines(built: Path) -> None:
    manifest = json.loads((built / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    segments = manifest["segments"]
    assert segments[0]["kind"] == "jingle" and segments[0]["file"] == "jingles/intro.wav"
    assert segments[-1]["kind"] == "jingle" and segments[-1]["file"] == "jingles/outro.wav"
    speech = [s for s in segments if s["kind"] == "speech"]
    assert {s["engine"] for s in speech} == {"espeak"}
    assert [s["reading"] for s in speech] == [1] * 3 + [2] * 3  # repeat: 2
    assert speech[0]["text"] == "Kính thưa bà con nhân dân trong phường."
    assert speech[0]["line"] == 5
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert all(s["end"] > s["start"] for s in segments)
    mp3_length = mutagen.mp3.MP3(built / "audio_out" / "thu.mp3").info.length
    assert abs(mp3_length - manifest["duration_s"]) < 0.2
    transcript = (built / "audio_out" / "thu.txt").read_text(encoding="utf-8")
    assert "Kính thưa bà con" in transcript


def test_jingles_sit_1_lu_below_the_speech(built: Path) -> None:
    """README: "jingles sit 1 LU below the speech". Measured on the MP3; ±0.5 LU for the
    encoder and for measuring a 2 s jingle against minutes of speech."""
    manifest = json.loads((built / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    mp3 = built / "audio_out" / "thu.mp3"
    speech = [s for s in manifest["segments"] if s["kind"] == "speech"]
    speech_lufs = ebur128_span(mp3, speech[0]["start"], speech[-1]["end"])
    jingles = [s for s in manifest["segments"] if s["kind"] == "jingle"]
    assert len(jingles) == 2
    for jingle in jingles:
        below = speech_lufs - ebur128_span(mp3, jingle["start"], jingle["end"])
        assert 0.5 <= below <= 1.5, f"{jingle['file']} is {below:.2f} LU below the speech"


def test_unchanged_rebuild_is_skipped_with_no_engine_call(built: Path) -> None:
    station = load_station(built)
    assert render_status(station, built / "scripts" / "thu.md") == "fresh"
    [result] = build_station(station, [])
    assert result.skipped and result.engine_calls == 0


def test_cache_forced_rebuild_and_one_edited_sentence(tmp_path: Path) -> None:
    root = make_station(tmp_path)
    station = load_station(root)
    [cold] = build_station(station, [])
    assert cold.engine_calls == 3
    [forced] = build_station(station, [], force=True)
    assert not forced.skipped and forced.engine_calls == 0
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("thẻ bảo hiểm", "thẻ căn cước"), encoding="utf-8")
    assert render_status(station, script) == "stale"
    [edited] = build_station(station, [])
    assert edited.engine_calls == 1


def test_wav_copy_is_written_when_asked(tmp_path: Path) -> None:
    root = make_station(tmp_path)
    station = load_station(root)
    station.audio.write_wav = True
    build_station(station, [])
    wav = root / "audio_out" / "thu.wav"
    integrated, _ = ebur128(wav)
    assert -17.0 <= integrated <= -15.0
    assert not list((root / "audio_out").glob(".build-*"))


def test_say_writes_mp3_and_wav(tmp_path: Path) -> None:
    from announcer.render import say_text

    station = load_station(make_station(tmp_path))
    mp3 = say_text(station, "Kính thưa bà con, hôm nay có lịch tiêm.", tmp_path / "a.mp3")
    wav = say_text(station, "Kính thưa bà con.", tmp_path / "a.wav", voice="vi-vn-x-south")
    assert mp3.engines == ["espeak"] and mutagen.mp3.MP3(mp3.path).info.length > 1.0
    assert -17.0 <= ebur128(wav.path)[0] <= -15.0


def test_preview_is_spoken_form_with_pauses(tmp_path: Path) -> None:
    from announcer.render import preview_script

    notice = "---\ntitle: Lịch\n---\nNgày 15/12/2026, lúc 7h30. [nghỉ 2 giây] Gọi 0912 345 678.\n"
    root = make_station(tmp_path, script=notice)
    text = preview_script(load_station(root), root / "scripts" / "thu.md")
    assert "[nghỉ 2 giây]" in text
    assert "mười lăm tháng mười hai" in text
    reading, _, checks = text.partition("# Cần kiểm tra")
    spoken = [line for line in reading.splitlines()[1:] if not line.startswith("[nghỉ")]
    assert not any(ch.isdigit() for line in spoken for ch in line)
    # The check list quotes what was written, so staff can find it: the phone read digit by digit.
    # The check list quotes what was written and names the file line (the body starts on line 4).
    assert "'0912 345 678' read as 'không chín một hai ba bốn năm sáu bảy tám'" in checks
    assert "[line 4]" in checks


def test_schedule_edits_do_not_make_the_render_stale(tmp_path: Path) -> None:
    root = make_station(tmp_path)
    station = load_station(root)
    build_station(station, [])
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("repeat: 2", "repeat: 2\nslots: [sang]\nfrom: 1/12/2026"), encoding="utf-8")
    assert render_status(station, script) == "fresh"
    script.write_text(SCRIPT.replace("repeat: 2", "repeat: 3"), encoding="utf-8")
    assert render_status(station, script) == "stale"
