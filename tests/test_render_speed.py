"""Speed work must not cost correctness: a rebuild after an edit encodes once, scripts
render in parallel without one failure stopping the others, the freshness check that skips
parsing agrees with the full one, and light commands (and an edit) do not load what they
do not need."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from announcer.audio import loudness
from announcer.audio.mixer import ProgramWriter, resample
from announcer.audio.pydub_compat import AudioSegment
from announcer.config import load_station
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
    from announcer.audio.meter import integrated_loudness
    from announcer.engines.espeak import EspeakEngine

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


def test_an_edit_costs_one_encode_measured_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_station(tmp_path)
    (root / "scripts" / "dien.md").write_text(SECOND, encoding="utf-8")
    station = load_station(root)
    assert all(r.error is None for r in build_station(station, []))
    calls = _count_ffmpeg(monkeypatch)
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("thẻ bảo hiểm", "thẻ căn cước"), encoding="utf-8")
    results = build_station(load_station(root), [])
    assert [r.skipped for r in results] == [True, False]  # dien.md, thu.md
    # A quick look at the first seconds of speech for the first gain, then one encode.
    assert calls == ["measuring the speech in excerpt.wav", "encoding out.mp3", "measuring encoding out.mp3"]
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
    # A published file that is not the one measured is never reused: the kept encode is...
    data = bytearray(mp3.read_bytes())
    data[len(data) // 2] ^= 0xFF
    mp3.write_bytes(bytes(data))
    build_station(load_station(root), [], force=True)
    assert calls == [] and mp3.read_bytes() != bytes(data)
    integrated, peak = ebur128(mp3)
    assert -16.5 <= integrated <= -15.5 and peak <= -1.5
    # ...and with none kept, the program is encoded and measured again.
    mp3.write_bytes(bytes(data))
    shutil.rmtree(root / ".cache" / "mastered")
    build_station(load_station(root), [], force=True)
    assert calls == ["measuring the speech in excerpt.wav", "encoding out.mp3", "measuring encoding out.mp3"]


def _reference_trim_edges(data: bytes) -> tuple[int, int] | None:
    samples = [int.from_bytes(data[i:i + 2], "little", signed=True) for i in range(0, len(data) - 1, 2)]
    loud = [i for i, value in enumerate(samples) if abs(value) > 300]
    return (loud[0], loud[-1]) if loud else None


@pytest.mark.parametrize("quiet", [[0, 5, -5], [300, -300, 256, -256, 299, -257, 255, -255]])
@pytest.mark.parametrize("loud", [[301], [-301], [-32768], [32767, 0, -400], [1000, 50, 2000]])
def test_trim_finds_the_first_and_last_loud_sample_exactly(quiet: list[int], loud: list[int]) -> None:
    from announcer.render import _loud_edges

    def pcm(values: list[int]) -> bytes:
        return b"".join(v.to_bytes(2, "little", signed=True) for v in values)

    data = pcm(quiet * 50 + loud + quiet * 7 + loud[::-1] + quiet * 30)
    assert _loud_edges(data) == _reference_trim_edges(data) is not None
    assert _loud_edges(pcm(quiet * 40)) is None


def test_trim_keeps_a_margin_around_the_speech() -> None:
    from announcer.render import TRIM_MARGIN_S, _trim

    rate = 22050
    margin = int(rate * TRIM_MARGIN_S)
    body = (np.sin(np.arange(rate) / 5) * 8000).astype("<i2")
    samples = np.concatenate([np.zeros(rate // 2, "<i2"), body, np.full(rate // 3, 40, "<i2")])
    trimmed = _trim(AudioSegment(data=samples.tobytes(), sample_width=2, frame_rate=rate, channels=1))
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    assert trimmed.raw_data == samples[loud[0] - margin:loud[-1] + margin].tobytes()
    silent = AudioSegment(data=bytes(2000), sample_width=2, frame_rate=rate, channels=1)
    assert _trim(silent) is silent


def test_an_edit_loads_neither_numpy_nor_other_start_up_weights(tmp_path: Path) -> None:
    root = make_station(tmp_path)
    build_station(load_station(root), [])  # the jingles and the voice are known from now on
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("thẻ bảo hiểm", "thẻ căn cước"), encoding="utf-8")
    code = (
        "import sys\n"
        "from announcer.cli import main\n"
        "try:\n"
        f"    main(['--station', {str(root)!r}, 'build'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print([m for m in ('numpy', 'multiprocessing', 'importlib.metadata', 'ssl', 'asyncio', 'imageio_ffmpeg',\n"
        "                   'mutagen') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert load_station(root) and "căn cước" in (root / "audio_out" / "thu.txt").read_text(encoding="utf-8")


def test_espeak_version_read_without_importlib_metadata() -> None:
    from importlib import metadata

    from announcer.engines.espeak import _loader_version

    assert _loader_version() == metadata.version("espeakng-loader")


def test_freshness_known_without_parsing_agrees_with_the_full_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer import render
    from announcer.render import render_status

    root = make_station(tmp_path, script=SCRIPT.replace("---\nKính", "intro: jingles/own.wav\n---\nKính"))
    own = root / "jingles" / "own.wav"
    own.write_bytes((root / "jingles" / "intro.wav").read_bytes())
    script = root / "scripts" / "thu.md"
    build_station(load_station(root), [])
    parsed: list[Path] = []
    real_parse = render.parse_script

    def counting_parse(path: Path, *args: object):  # noqa: ANN202
        parsed.append(path)
        return real_parse(path, *args)

    monkeypatch.setattr(render, "parse_script", counting_parse)
    assert render_status(load_station(root), script) == "fresh" and parsed == []  # known by its bytes
    # A schedule edit changes the bytes, not the render: the full check says so.
    script.write_text(script.read_text(encoding="utf-8").replace("repeat: 2", "repeat: 2\nslots: [sang]"),
                      encoding="utf-8")
    assert render_status(load_station(root), script) == "fresh" and parsed == [script]
    build_station(load_station(root), [], force=True)
    parsed.clear()
    # Same bytes, but a station setting, the lexicon or the script's own jingle changed: stale.
    config = root / "station.toml"
    settings = config.read_text(encoding="utf-8")
    config.write_text(settings.replace("loudness_lufs = -16.0", "loudness_lufs = -18.0"), encoding="utf-8")
    assert "loudness_lufs = -18.0" in config.read_text(encoding="utf-8")
    assert render_status(load_station(root), script) == "stale"
    config.write_text(settings, encoding="utf-8")
    assert render_status(load_station(root), script) == "fresh"
    lexicon = root / "lexicon.tsv"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "phường\tphường xã\n", encoding="utf-8")
    assert render_status(load_station(root), script) == "stale"
    build_station(load_station(root), [])
    own.write_bytes(own.read_bytes()[:-2000])
    assert render_status(load_station(root), script) == "stale"


def test_freshness_known_without_parsing_follows_the_recordings(tmp_path: Path) -> None:
    from announcer.render import render_status

    root = make_station(tmp_path, script=SCRIPT.replace("trong phường.", "trong phường. [clip: chao]"))
    (root / "clips").mkdir(exist_ok=True)
    clip = root / "clips" / "chao.wav"
    clip.write_bytes((root / "jingles" / "intro.wav").read_bytes())
    script = root / "scripts" / "thu.md"
    [result] = build_station(load_station(root), [])
    assert result.error is None and render_status(load_station(root), script) == "fresh"
    clip.write_bytes(clip.read_bytes()[:-2000])  # a new recording under the same name
    assert render_status(load_station(root), script) == "stale"


def test_fits_learned_against_another_speech_measurement_are_not_reused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from announcer.audio.memo import FitStore
    from announcer.render import _master_settings

    root = make_station(tmp_path)
    station = load_station(root)
    build_station(station, [])
    # What an older announcer kept: the same voices and settings, measured with its own meter.
    old_key = FitStore.key(["espeak:vi"], (_master_settings(station), vars(station.espeak), station.gtts.tld,
                                           station.gtts.slow))
    (root / ".cache" / "fits" / f"{old_key}.json").write_text(json.dumps(
        {"input_lufs": -40.0, "output_lufs": -16.0, "slope": 0.8, "ceiling_db": -2.3}), encoding="utf-8")
    calls = _count_ffmpeg(monkeypatch)
    (root / "audio_out" / "thu.mp3").unlink()
    shutil.rmtree(root / ".cache" / "mastered")  # nothing encoded to reuse
    [rebuilt] = build_station(load_station(root), [])
    assert calls == ["measuring the speech in excerpt.wav", "encoding out.mp3", "measuring encoding out.mp3"]
    assert -16.5 <= rebuilt.loudness_lufs <= -15.5


def test_bundled_ffmpeg_found_as_imageio_ffmpeg_finds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg

    from announcer.audio.ffmpeg import _bundled_ffmpeg

    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    assert _bundled_ffmpeg() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/somewhere/ffmpeg")
    assert _bundled_ffmpeg() is None  # imageio_ffmpeg's own override: it decides


def test_an_ffmpeg_that_will_not_start_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.audio import ffmpeg
    from announcer.errors import RenderError

    root = make_station(tmp_path)
    fake = tmp_path / "ffmpeg"
    fake.write_text("not a program\n", encoding="utf-8")  # there, but not executable
    monkeypatch.setenv("ANNOUNCER_FFMPEG", str(fake))
    monkeypatch.setattr(ffmpeg, "_exe", None)
    with pytest.raises(RenderError, match="cannot be started") as info:
        build_station(load_station(root), [])
    assert "ANNOUNCER_FFMPEG" in (info.value.hint or "")
    assert not (root / "audio_out" / "thu.mp3").exists()
    with pytest.raises(RenderError, match="cannot be started"):  # the encoder measured as it writes
        loudness.run_ffmpeg_measured(["-version"], ["-version"], "encoding x.mp3", tmp_path)


# --- encoded programs kept in .cache/mastered ------------------------------------------------------------


def _kept(root: Path) -> list[Path]:
    return sorted((root / ".cache" / "mastered").glob("*.mp3"))


def test_a_kept_encode_is_published_again_without_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import mutagen.mp3

    root = make_station(tmp_path)
    [cold] = build_station(load_station(root), [])
    [kept] = _kept(root)
    mp3 = root / "audio_out" / "thu.mp3"
    mp3.unlink()  # audio_out cleared: nothing published to reuse
    calls = _count_ffmpeg(monkeypatch)
    script = root / "scripts" / "thu.md"
    script.write_text(SCRIPT.replace("title: Thông báo thử nghiệm", "title: Thông báo mới"), encoding="utf-8")
    [again] = build_station(load_station(root), [], force=True)
    assert calls == [] and not again.skipped
    assert str(mutagen.mp3.MP3(mp3).tags["TIT2"]) == "Thông báo mới của phường"  # this render's tags
    integrated, peak = ebur128(mp3)
    assert -16.5 <= integrated <= -15.5 and peak <= -1.5
    assert abs(again.loudness_lufs - integrated) <= 0.15 and abs(again.true_peak_db - peak) <= 0.15
    assert (again.loudness_lufs, again.duration_s) == (round(cold.loudness_lufs, 2), round(cold.duration_s, 3))
    manifest = json.loads((root / "audio_out" / "thu.json").read_text(encoding="utf-8"))
    assert manifest["segments"][1]["line"] == 5 and manifest["engines"] == {"espeak": 6}
    assert _kept(root) == [kept]
    # Another program (one word changed) is encoded, and kept beside the first.
    script.write_text(SCRIPT.replace("thẻ bảo hiểm", "thẻ căn cước"), encoding="utf-8")
    build_station(load_station(root), [])
    assert [c.split()[0] for c in calls] == ["measuring", "encoding", "measuring"]
    assert len(_kept(root)) == 2


def test_a_damaged_kept_encode_is_encoded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_station(tmp_path)
    build_station(load_station(root), [])
    [kept] = _kept(root)
    data = bytearray(kept.read_bytes())
    data[len(data) // 2] ^= 0xFF
    kept.write_bytes(bytes(data))
    (root / "audio_out" / "thu.mp3").unlink()
    calls = _count_ffmpeg(monkeypatch)
    [again] = build_station(load_station(root), [], force=True)
    assert calls == ["measuring the speech in excerpt.wav", "encoding out.mp3", "measuring encoding out.mp3"]
    integrated, peak = ebur128(root / "audio_out" / "thu.mp3")
    assert -16.5 <= integrated <= -15.5 and peak <= -1.5
    assert kept.read_bytes() != bytes(data)  # replaced by the new, measured encode


def _key_inputs(root: Path) -> dict[str, object]:
    from announcer.audio.memo import JingleInfo
    from announcer.render import plan_script
    from announcer.script import parse_script
    from announcer.speech import Speech

    station = load_station(root)
    script = parse_script(root / "scripts" / "thu.md")
    pieces = plan_script(station, script)
    spoken = [(f"espeak-{n}", "espeak", "vi", f"digest{n}") for n, piece in enumerate(pieces)
              if isinstance(piece, Speech)]
    jingles = [(root / "jingles" / "intro.wav", JingleInfo(1000, -1.0)),
               (root / "jingles" / "outro.wav", JingleInfo(1000, -1.5))]
    return {"station": station, "script": script, "pieces": pieces, "spoken": spoken, "speech_rate": 22050,
            "jingles": jingles}


def _changed(root: Path, what: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The program key's inputs with exactly one of them changed."""
    import dataclasses

    from announcer import render
    from announcer.audio import ffmpeg
    from announcer.audio.memo import JingleInfo
    from announcer.speech import Pause

    inputs = _key_inputs(root)
    station, spoken, pieces = inputs["station"], list(inputs["spoken"]), list(inputs["pieces"])  # type: ignore
    if what == "clip content":  # same text and voice, other audio (e.g. re-synthesized online)
        spoken[0] = (*spoken[0][:3], "other")
    elif what == "clip":
        spoken[1] = ("espeak-other", *spoken[1][1:])
    elif what == "pause":
        index = next(i for i, p in enumerate(pieces) if isinstance(p, Pause))
        pieces[index] = dataclasses.replace(pieces[index], ms=pieces[index].ms + 100)
    elif what == "speech rate":
        inputs["speech_rate"] = 24000
    elif what == "repeat":
        inputs["script"] = dataclasses.replace(inputs["script"], repeat=3)  # type: ignore[type-var]
    elif what in ("interlude_ms", "jingle_gap_ms", "loudness_lufs", "true_peak_db", "bitrate_kbps", "sample_rate"):
        value = {"loudness_lufs": -18.0, "true_peak_db": -2.0, "bitrate_kbps": 96, "sample_rate": 48000}.get(what)
        audio = station.audio  # type: ignore[attr-defined]
        inputs["station"] = dataclasses.replace(station, audio=dataclasses.replace(  # type: ignore[type-var]
            audio, **{what: value if value is not None else getattr(audio, what) + 250}))
    elif what == "jingle content":
        intro = root / "jingles" / "intro.wav"
        intro.write_bytes(intro.read_bytes()[:-200])
    elif what == "jingle gain":
        inputs["jingles"] = [(inputs["jingles"][0][0], JingleInfo(1000, -2.0)), inputs["jingles"][1]]  # type: ignore
    elif what == "no outro":
        inputs["jingles"] = [inputs["jingles"][0], (None, None)]  # type: ignore[index]
    elif what == "announcer version":
        monkeypatch.setattr(render, "__version__", "99.0")
    elif what == "ffmpeg":
        monkeypatch.setattr(ffmpeg, "encoder_identity", lambda: "ffmpeg-linux-x86_64-v10.0:1:2")
    else:
        raise AssertionError(what)
    inputs["spoken"], inputs["pieces"] = spoken, pieces
    return inputs


@pytest.mark.parametrize("what", [
    "clip content", "clip", "pause", "speech rate", "repeat", "interlude_ms", "jingle_gap_ms", "loudness_lufs",
    "true_peak_db", "bitrate_kbps", "sample_rate", "jingle content", "jingle gain", "no outro", "announcer version",
    "ffmpeg"])
def test_every_input_of_the_audio_changes_the_program_key(what: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.render import _program_key

    root = make_station(tmp_path)
    base = _program_key(**_key_inputs(root))  # type: ignore[arg-type]
    assert _program_key(**_key_inputs(root)) == base  # type: ignore[arg-type]
    assert _program_key(**_changed(root, what, monkeypatch)) != base  # type: ignore[arg-type]


def test_the_title_and_schedule_do_not_change_the_program_key(tmp_path: Path) -> None:
    import dataclasses

    from announcer.render import _program_key

    root = make_station(tmp_path)
    inputs = _key_inputs(root)
    base = _program_key(**inputs)  # type: ignore[arg-type]
    inputs["script"] = dataclasses.replace(inputs["script"], title="Khác", slots=["chieu"])  # type: ignore
    assert _program_key(**inputs) == base  # type: ignore[arg-type]


def test_kept_encodes_stay_within_their_budget_least_recently_used_first(tmp_path: Path) -> None:
    import os
    import time

    from announcer.audio.memo import MasteredStore

    store = MasteredStore(tmp_path / "mastered", budget_bytes=2500)
    record = {"loudness_lufs": -16.0, "true_peak_db": -2.0, "duration_s": 1.0, "segments": [], "engines": {}}
    source = tmp_path / "x.mp3"
    now = time.time()
    for age, key in ((300, "a"), (200, "b"), (100, "c")):
        source.write_bytes(key.encode() * 1000)
        store.put(key, source, record)
        for suffix in (".mp3", ".json"):
            os.utime(store.folder / f"{key}{suffix}", (now - age, now - age))
    assert sorted(p.stem for p in store.folder.glob("*.mp3")) == ["a", "b", "c"][-2:]  # 'a' went
    assert store.get("b", tmp_path / "got.mp3") is not None  # used now: kept longest
    assert (tmp_path / "got.mp3").read_bytes() == b"b" * 1000
    (store.folder / "left.tmp").write_bytes(b"x")
    os.utime(store.folder / "left.tmp", (now - 7200, now - 7200))
    source.write_bytes(b"d" * 1000)
    store.put("d", source, record)
    assert sorted(p.name for p in store.folder.iterdir()) == ["b.json", "b.mp3", "d.json", "d.mp3"]


def test_the_encoder_identity_follows_the_ffmpeg_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.audio import ffmpeg

    fake = tmp_path / "ffmpeg-v1"
    fake.write_bytes(b"one build")
    monkeypatch.setattr(ffmpeg, "_exe", str(fake))
    first = ffmpeg.encoder_identity()
    fake.write_bytes(b"another build")
    assert ffmpeg.encoder_identity() != first
