"""espeak-ng through ctypes: real synthesis, no mocks."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from announcer.audio.pydub_compat import AudioSegment
from announcer.config import EspeakOptions, Station
from announcer.engines import ENGINES, create_engine, describe_engines
from announcer.engines.espeak import EspeakEngine
from announcer.errors import EngineError, SynthesisError

SENTENCE = ("Ủy ban nhân dân phường thông báo đến toàn thể bà con nhân dân về việc tiêm phòng dại "
            "cho chó mèo vào sáng thứ bảy tuần này.")


def _station(tmp_path: Path, **espeak: object) -> Station:
    station = Station(root=tmp_path)
    for key, value in espeak.items():
        setattr(station.espeak, key, value)
    return station


def test_vietnamese_sentence_is_speech_of_plausible_length() -> None:
    audio = EspeakEngine().synthesize(SENTENCE)
    assert audio.channels == 1
    assert audio.sample_width == 2
    assert audio.frame_rate == 22050
    assert 2.0 <= audio.duration_seconds <= 10.0
    assert audio.rms > 300  # not silence
    assert audio.max_dBFS > -20


@pytest.mark.parametrize("voice", ["vi", "vi-vn-x-central", "vi-vn-x-south"])
def test_each_voice_speaks(voice: str, tmp_path: Path) -> None:
    engine = create_engine("espeak", _station(tmp_path), voice)
    assert engine.voice == voice
    audio = engine.synthesize("Xin chào bà con.")
    assert 0.3 <= audio.duration_seconds <= 5.0
    assert audio.rms > 300


def test_voice_names_are_case_insensitive() -> None:
    assert EspeakEngine(voice="vi-VN-x-south").voice == "vi-vn-x-south"


def test_faster_rate_gives_shorter_audio() -> None:
    slow = EspeakEngine(EspeakOptions(rate=100)).synthesize(SENTENCE)
    fast = EspeakEngine(EspeakOptions(rate=300)).synthesize(SENTENCE)
    assert fast.duration_seconds < slow.duration_seconds * 0.6


def test_settings_do_not_leak_between_engines() -> None:
    normal = EspeakEngine(EspeakOptions(rate=150))
    fast = EspeakEngine(EspeakOptions(rate=400))
    first = normal.synthesize(SENTENCE).duration_seconds
    fast.synthesize(SENTENCE)
    again = normal.synthesize(SENTENCE).duration_seconds
    assert again == pytest.approx(first, rel=0.05)
    assert EspeakEngine(EspeakOptions(pitch=10)).synthesize("Xin chào.").rms > 300


def fundamental_hz(clip: AudioSegment) -> float:
    """Median voice fundamental by autocorrelation over 40 ms frames (voiced, loud frames only).

    Vietnamese tones move the pitch within a syllable; the median over a sentence is the
    speaker's base pitch, which is what the setting moves.
    """
    samples = np.frombuffer(clip.raw_data, dtype="<i2").astype(np.float64)
    rate = clip.frame_rate
    size, hop = int(0.04 * rate), int(0.01 * rate)
    shortest, longest = int(rate / 400), int(rate / 60)  # 60-400 Hz: any speaking voice
    floor = 0.3 * np.sqrt(np.mean(samples**2))
    found = []
    for start in range(0, samples.size - size, hop):
        frame = samples[start : start + size] - samples[start : start + size].mean()
        if np.sqrt(np.mean(frame**2)) < floor:
            continue
        corr = np.correlate(frame, frame, "full")[size - 1 :]
        lag = shortest + int(np.argmax(corr[shortest:longest]))
        if corr[0] > 0 and corr[lag] / corr[0] >= 0.5:  # clearly periodic: voiced
            found.append(rate / lag)
    assert len(found) > 50, "too little voiced speech to measure"
    return float(np.median(found))


def test_pitch_setting_moves_the_voice_fundamental() -> None:
    low = fundamental_hz(EspeakEngine(EspeakOptions(pitch=20)).synthesize(SENTENCE))
    default = fundamental_hz(EspeakEngine().synthesize(SENTENCE))
    high = fundamental_hz(EspeakEngine(EspeakOptions(pitch=80)).synthesize(SENTENCE))
    assert 60 <= low < default < high <= 300
    assert high > low * 1.4  # 20 -> 80 is most of espeak's range: well over a fifth higher


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_a_synthesis_error(text: str) -> None:
    with pytest.raises(SynthesisError):
        EspeakEngine().synthesize(text)


def test_unknown_voice_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as info:
        create_engine("espeak", _station(tmp_path), "vi-vn-x-hanoi")
    assert "vi-vn-x-central" in str(info.value)  # the hint lists the voices
    with pytest.raises(EngineError):
        EspeakEngine(EspeakOptions(voice="en"))


def test_out_of_range_options_are_engine_errors() -> None:
    with pytest.raises(EngineError):
        EspeakEngine(EspeakOptions(rate=20))
    with pytest.raises(EngineError):
        EspeakEngine(EspeakOptions(pitch=150))


def test_unknown_engine_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as info:
        create_engine("festival", _station(tmp_path))
    assert "espeak" in str(info.value) and "gtts" in str(info.value)


def test_fingerprint_changes_with_voice_rate_and_pitch() -> None:
    prints = {
        EspeakEngine().fingerprint(),
        EspeakEngine(voice="vi-vn-x-south").fingerprint(),
        EspeakEngine(EspeakOptions(rate=180)).fingerprint(),
        EspeakEngine(EspeakOptions(pitch=40)).fingerprint(),
    }
    assert len(prints) == 4
    assert EspeakEngine().fingerprint() == EspeakEngine().fingerprint()
    assert "espeak-ng" in EspeakEngine().fingerprint()


def test_availability_and_registry() -> None:
    assert ENGINES["espeak"] is EspeakEngine
    state = EspeakEngine().availability()
    assert state.ok, state.reason
    assert not EspeakEngine.online


def test_concurrent_calls_are_serialized_and_all_succeed() -> None:
    engines = [EspeakEngine(voice=v) for v in ("vi", "vi-vn-x-central", "vi-vn-x-south")]
    results: list[float] = []
    errors: list[BaseException] = []

    def work(engine: EspeakEngine) -> None:
        try:
            for _ in range(3):
                results.append(engine.synthesize("Xin chào bà con.").duration_seconds)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(results) == 9 and all(r > 0.3 for r in results)


def test_describe_engines_offline(tmp_path: Path) -> None:
    rows = describe_engines(_station(tmp_path))
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"espeak", "gtts", "fpt", "viettel", "edge", "piper"}
    assert by_name["edge"]["available"] is False and "no internet connection" in by_name["edge"]["reason"]
    assert by_name["piper"]["available"] is False and "vi_VN-vais1000-medium.onnx" in by_name["piper"]["reason"]
    assert by_name["espeak"]["available"] is True
    assert by_name["espeak"]["voices"] == ["vi", "vi-vn-x-central", "vi-vn-x-south"]
    assert by_name["espeak"]["voice"] == "vi"
    assert by_name["gtts"]["online"] is True
    assert by_name["gtts"]["available"] is False  # the network guard makes this machine offline
    assert "no internet connection" in by_name["gtts"]["reason"]
    for row in rows:
        assert set(row) >= {"name", "online", "voices", "voice", "available", "reason"}


def test_describe_engines_reports_a_bad_voice_instead_of_crashing(tmp_path: Path) -> None:
    rows = describe_engines(_station(tmp_path, voice="klingon"))
    espeak = next(row for row in rows if row["name"] == "espeak")
    assert espeak["available"] is False
    assert "klingon" in espeak["reason"]
