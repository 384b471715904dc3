"""Loudness measurement (ffmpeg's ebur128, on files) and the final master pass.

The master pass is one ffmpeg run: the program's inputs (jingles at their own fixed
level, the speech at the program gain), resampled and joined, then a compressor, a
look-ahead limiter and MP3 encoding. The encoded file itself is then measured; if it
misses the target (the limiter eats loudness, the encoder adds overshoot) we correct
and encode again, at most a few times. So the figures we report are those of the file
that airs, not of an intermediate. A good first gain (see ``SpeechFit``) makes that
one encode and one measurement.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from announcer.audio.ffmpeg import ffmpeg_exe, run_ffmpeg_process
from announcer.errors import RenderError

log = logging.getLogger(__name__)

_SUMMARY_I = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf)\s*LUFS")
_SUMMARY_TP = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS")
_SUMMARY_LRA = re.compile(r"Loudness range:\s*\n\s*LRA:\s*(-?[\d.]+)\s*LU")
SILENCE_LUFS = -70.0


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_db: float
    range_lu: float = 0.0


@dataclass(frozen=True)
class SpeechFit:
    """How a voice comes out of mastering near the target. The compressor and limiter take
    off more the harder they are driven, and the encoder takes off a little more, so this
    is a point on that curve and its slope there."""

    input_lufs: float
    """Speech fed in at this loudness (raw loudness + gain) ..."""
    output_lufs: float
    """... measured this on the MP3."""
    slope: float
    """LU out per dB of gain, around that point."""
    ceiling_db: float
    """The limiter ceiling that kept the true peak under the limit."""

    def gain_for(self, raw_lufs: float, target_lufs: float) -> float:
        return self.input_lufs + (target_lufs - self.output_lufs) / self.slope - raw_lufs


@dataclass(frozen=True)
class Input:
    """One input of the master pass, in program order."""

    path: Path
    gain_db: float | None = None
    """Fixed gain (a jingle, set against the target); None: the speech, at the program gain."""


@dataclass(frozen=True)
class Mastered:
    loudness: Loudness
    """As measured on the written file."""
    gain_db: float
    ceiling_db: float
    slope: float | None
    """Measured between the last two attempts, when there were two at the same ceiling."""


@dataclass(frozen=True)
class MasterSettings:
    target_lufs: float = -16.0
    max_true_peak_db: float = -1.5
    bitrate_kbps: int = 128
    sample_rate: int = 44100
    tolerance_lu: float = 0.5


def run_ffmpeg(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    log.debug("ffmpeg: %s", " ".join(cmd))
    proc = run_ffmpeg_process(cmd, what, text=True)
    if proc.returncode != 0:
        raise _failure(what, proc.stderr)
    return proc


def _failure(what: str, stderr: str) -> RenderError:
    tail = stderr.strip().splitlines()[-3:]
    if any("No space left" in line for line in tail):
        return RenderError(f"{what}: the disk is full", hint="free some disk space and build again")
    return RenderError(f"{what} failed: {' | '.join(tail)}", hint="run with --debug for the ffmpeg command")


def run_ffmpeg_measured(encode_args: list[str], measure_args: list[str], what: str, cwd: Path) -> str:
    """Run an encoder whose standard output feeds a measuring ffmpeg, both at once (one
    core each); returns the measurer's log. Used to measure the MP3 frames as they are
    written to the file, instead of reading the file back afterwards. Both have the same
    time limit as every ffmpeg run, and are stopped if the build is interrupted."""
    from announcer import procs
    from announcer.audio.ffmpeg import FFMPEG_TIMEOUT_S, cannot_start

    exe = ffmpeg_exe()
    encode = [exe, "-hide_banner", "-nostdin", "-nostats", "-v", "error", *encode_args]
    measure = [exe, "-hide_banner", "-nostats", *measure_args]
    log.debug("ffmpeg: %s | %s", " ".join(encode), " ".join(measure))
    try:
        encoder = procs.spawn(encode, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    except OSError as exc:
        raise cannot_start(exe, exc) from None
    try:
        meter = procs.spawn(measure, stdin=encoder.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except BaseException as exc:
        procs.terminate(encoder)
        if isinstance(exc, OSError):
            raise cannot_start(exe, exc) from None
        raise
    assert encoder.stdout is not None
    encoder.stdout.close()  # the meter holds the only reading end: the encoder sees it if the meter stops
    try:
        _, meter_err = meter.communicate(timeout=FFMPEG_TIMEOUT_S)
        _, encoder_err = encoder.communicate(timeout=60.0)
    except subprocess.TimeoutExpired:
        procs.terminate(encoder)
        procs.terminate(meter)
        raise RenderError(f"{what}: ffmpeg did not finish within {FFMPEG_TIMEOUT_S:.0f} s and was stopped",
                          hint="the computer may be overloaded; run the build again") from None
    except BaseException:
        procs.terminate(encoder)
        procs.terminate(meter)
        raise
    procs.forget(encoder)
    procs.forget(meter)
    if encoder.returncode != 0:
        raise _failure(what, encoder_err.decode("utf-8", "replace"))
    text = meter_err.decode("utf-8", "replace")
    if meter.returncode != 0:
        raise _failure(f"measuring {what}", text)
    return text


def _float(match: re.Match[str] | None, default: float) -> float:
    if match is None or match.group(1) == "-inf":
        return default
    return float(match.group(1))


def measure_file(path: Path, true_peak: bool = True) -> Loudness:
    """EBU R128 integrated loudness and (optionally: it costs an oversampling pass) true peak
    of an audio file, by ffmpeg. Only ffmpeg's summary is read (no per-frame log)."""
    meter = "ebur128=framelog=quiet" + (":peak=true" if true_peak else "")
    proc = run_ffmpeg(
        ["-nostats", "-i", str(path), "-filter_complex", meter, "-f", "null", "-"],
        f"measuring {path.name}",
    )
    return _summary(proc.stderr)


def _summary(text: str) -> Loudness:
    summary = text[text.rfind("Summary:"):]
    return Loudness(
        integrated_lufs=_float(_SUMMARY_I.search(summary), SILENCE_LUFS),
        true_peak_db=_float(_SUMMARY_TP.search(summary), -120.0),
        range_lu=_float(_SUMMARY_LRA.search(summary), 0.0),
    )


def _db_to_linear(db: float) -> float:
    return float(10 ** (db / 20))


def first_ceiling(settings: MasterSettings) -> float:
    # The limiter works on samples; MP3 encoding overshoots between them a little.
    return settings.max_true_peak_db - 0.8


def master_to_mp3(
    inputs: list[Input],
    dest_mp3: Path,
    settings: MasterSettings,
    tags: dict[str, str],
    first_gain: float,
    ceiling: float | None = None,
    wav_copy: Path | None = None,
) -> Mastered:
    """Bring the program to the loudness target under the true-peak ceiling, as an MP3.

    ``first_gain`` is the speech gain of the first attempt (raw speech loudness and a
    ``SpeechFit`` give it); further attempts correct it from what the MP3 measured.
    Returns the loudness measured on the written MP3 and the gain and ceiling used.
    """

    def attempt(gain: float, ceil: float) -> Loudness:
        return _encode_measured(inputs, dest_mp3, gain, ceil, settings, tags)

    gain, ceil, loudness, slope = _converge(attempt, first_gain,
                                            ceiling if ceiling is not None else first_ceiling(settings), settings)
    if wav_copy is not None:
        _encode(inputs, wav_copy, gain, ceil, settings, {}, codec=["-c:a", "pcm_s16le"])
    return Mastered(loudness, gain, ceil, slope)


def measure_excerpt(path: Path, seconds: float) -> float | None:
    """Integrated loudness of the first ``seconds`` of an audio file (ebur128, no true peak),
    or None when that is silent. One short ffmpeg run: cheaper than loading numpy to do it here."""
    proc = run_ffmpeg(["-nostats", "-t", f"{seconds:.1f}", "-i", str(path), "-af", "ebur128=framelog=quiet",
                       "-f", "null", "-"], f"measuring the speech in {path.name}")
    lufs = _summary(proc.stderr).integrated_lufs
    return None if lufs <= SILENCE_LUFS + 1 else lufs


def estimate_fit(speech_wav: Path, settings: MasterSettings, seconds: float,
                 raw_lufs: float | None = None) -> tuple[float, SpeechFit] | None:
    """A first fit for a voice that has none yet, from the first ``seconds`` of the speech
    track: the gain that brings it to the target through the compressor and limiter, found
    with quick passes that do not encode (loudness lost in the dynamics grows steeply with
    the gain, so this converges rather than extrapolates), then one encoded check, since
    the encoder takes off a little more. ``raw_lufs`` is that excerpt's loudness when it
    was measured already (``measure_excerpt``). Returns (raw loudness, fit), or None when silent."""
    excerpt = ["-t", f"{seconds:.1f}", "-i", str(speech_wav)]
    if raw_lufs is None:
        raw_lufs = measure_excerpt(speech_wav, seconds)
    if raw_lufs is None:
        return None
    ceiling = first_ceiling(settings)
    resample = f"aresample={settings.sample_rate}"

    def attempt(gain: float, ceil: float) -> Loudness:
        proc = run_ffmpeg(["-nostats", *excerpt, "-af",
                           f"{resample},volume={gain:.3f}dB,{_dynamics(ceil, settings)},ebur128=framelog=quiet",
                           "-f", "null", "-"], f"measuring {speech_wav.name}")
        return _summary(proc.stderr)  # no true peak here: the MP3 decides that

    strict = MasterSettings(settings.target_lufs, 0.0, settings.bitrate_kbps, settings.sample_rate, 0.25)
    gain, _, _, slope = _converge(attempt, settings.target_lufs - raw_lufs, ceiling, strict,
                                  first_slope=0.5, quiet=True)
    check = speech_wav.with_name(speech_wav.stem + "-fit.mp3")
    run_ffmpeg(["-y", *excerpt, "-af", f"{resample},volume={gain:.3f}dB,{_dynamics(ceiling, settings)}",
                "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-compression_level", "7",
                "-f", "mp3", str(check)], f"encoding {check.name}")
    encoded = measure_file(check, true_peak=False)
    check.unlink(missing_ok=True)
    return raw_lufs, SpeechFit(raw_lufs + gain, encoded.integrated_lufs, slope or 0.5, ceiling)


def fit_jingle(path: Path, settings: MasterSettings, target_lufs: float) -> float:
    """The gain that brings a jingle to ``target_lufs`` through the compressor and limiter
    (a chime's peaks are compressed too). Quick passes on the jingle alone, no encoding."""
    before = measure_file(path, true_peak=False)
    if before.integrated_lufs <= SILENCE_LUFS + 1:
        return 0.0
    rate = settings.sample_rate

    def attempt(gain: float, ceil: float) -> Loudness:
        proc = run_ffmpeg(["-nostats", "-i", str(path), "-af",
                           f"aresample={rate},aformat=sample_fmts=flt:channel_layouts=mono,volume={gain:.3f}dB,"
                           f"{_dynamics(ceil, settings)},ebur128=framelog=quiet", "-f", "null", "-"],
                          f"measuring {path.name}")
        return _summary(proc.stderr)

    strict = MasterSettings(target_lufs, 0.0, settings.bitrate_kbps, rate, 0.3)
    gain, _, _, _ = _converge(attempt, target_lufs - before.integrated_lufs, first_ceiling(settings), strict,
                              quiet=True)
    # The encoder takes a little more off a chime than off speech: check once on the MP3.
    encoded = _summary(run_ffmpeg_measured(
        ["-i", str(path.resolve()), "-af", f"aresample={rate},aformat=sample_fmts=flt:channel_layouts=mono,"
         f"volume={gain:.3f}dB,{_dynamics(first_ceiling(settings), settings)}", "-c:a", "libmp3lame",
         "-b:a", f"{settings.bitrate_kbps}k", "-compression_level", "7", "-f", "mp3", "pipe:1"],
        ["-f", "mp3", "-i", "pipe:0", "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
        f"encoding {path.name}", path.parent))
    if encoded.integrated_lufs > SILENCE_LUFS + 1:
        gain += max(-3.0, min(3.0, target_lufs - encoded.integrated_lufs))
    return gain


def _converge(
    attempt: Callable[[float, float], Loudness], gain: float, ceiling: float, settings: MasterSettings,
    tries: int = 6, first_slope: float = 0.8, quiet: bool = False,
) -> tuple[float, float, Loudness, float | None]:
    """Adjust gain (secant steps: past the limiter, loudness grows slower than gain) and
    the limiter ceiling until the measured result meets the target. Returns the gain,
    ceiling, result and the last measured slope (None if there was none)."""
    previous: tuple[float, float] | None = None
    measured_slope: float | None = None
    result = Loudness(SILENCE_LUFS, 0.0)
    for number in range(1, tries + 1):
        result = attempt(gain, ceiling)
        loud_ok = abs(result.integrated_lufs - settings.target_lufs) <= settings.tolerance_lu
        peak_ok = result.true_peak_db <= settings.max_true_peak_db
        log.debug("master attempt %d: gain %.2f ceiling %.2f -> %.2f LUFS %.2f dBTP",
                  number, gain, ceiling, result.integrated_lufs, result.true_peak_db)
        slope = first_slope
        if previous is not None and abs(gain - previous[0]) > 0.05:
            slope = min(1.0, max(0.15, (result.integrated_lufs - previous[1]) / (gain - previous[0])))
            measured_slope = slope
        if loud_ok and peak_ok:
            return gain, ceiling, result, measured_slope
        previous = (gain, result.integrated_lufs)
        if not peak_ok:
            ceiling -= result.true_peak_db - settings.max_true_peak_db + 0.2
            previous = None  # a new ceiling changes the curve
        gain += (settings.target_lufs - result.integrated_lufs) / slope
    if quiet:
        return gain, ceiling, result, measured_slope
    log.warning("reached %.1f LUFS / %.1f dBTP (target %.1f LUFS, at most %.1f dBTP)",
                result.integrated_lufs, result.true_peak_db, settings.target_lufs, settings.max_true_peak_db)
    return gain, ceiling, result, measured_slope


def _dynamics(ceiling_db: float, settings: MasterSettings) -> str:
    limit = min(1.0, max(0.0625, _db_to_linear(ceiling_db)))
    threshold = min(1.0, max(0.000976563, _db_to_linear(settings.target_lufs + 8.0)))
    return (
        # A compressor on the peaks only (8 dB above the target loudness): engine speech
        # has a high crest factor, and a limiter alone would have to squash it hard.
        f"acompressor=threshold={threshold:.5f}:ratio=3:attack=5:release=120:knee=3,"
        f"alimiter=limit={limit:.5f}:attack=5:release=80:level=false:latency=true"
    )


def _graph(inputs: list[Input], gain_db: float, ceiling_db: float, settings: MasterSettings) -> str:
    """The filter graph: each input to the program format at its gain, joined, then dynamics."""
    chains = []
    for index, item in enumerate(inputs):
        gain = gain_db if item.gain_db is None else item.gain_db
        chains.append(f"[{index}:a]aresample={settings.sample_rate},"
                      f"aformat=sample_fmts=flt:channel_layouts=mono,volume={gain:.3f}dB")
    count = len(chains)
    if count == 1:
        head = chains[0]
    else:
        head = (";".join(f"{chain}[p{index}]" for index, chain in enumerate(chains)) + ";"
                + "".join(f"[p{index}]" for index in range(count)) + f"concat=n={count}:v=0:a=1")
    return f"{head},{_dynamics(ceiling_db, settings)}[out]"


def _metadata(tags: dict[str, str]) -> list[str]:
    metadata: list[str] = []
    for key, value in tags.items():
        metadata += ["-metadata", f"{key}={value}"]
    return metadata


def _encode_measured(inputs: list[Input], dest: Path, gain_db: float, ceiling_db: float, settings: MasterSettings,
                     tags: dict[str, str]) -> Loudness:
    """Encode the MP3 and measure it (ebur128 with true peak) as it is written: the tee muxer
    writes the same MP3 frames to the file and to the meter. Only the file gets the ID3 tag
    and the Xing header, which carry no audio."""
    sources: list[str] = []
    for item in inputs:
        sources += ["-i", str(item.path.resolve())]
    # The tee's own syntax treats ':' and '|' in a path specially: run in the folder and name the file alone.
    outputs = f"[f=mp3:id3v2_version=3:write_xing=1]{dest.name}|[f=mp3:id3v2_version=0:write_xing=0]pipe\\:1"
    text = run_ffmpeg_measured(
        ["-y", *sources, "-filter_complex", _graph(inputs, gain_db, ceiling_db, settings), "-map", "[out]",
         "-ac", "1", "-ar", str(settings.sample_rate), "-map_metadata", "-1", *_metadata(tags),
         "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-compression_level", "7", "-f", "tee", outputs],
        ["-f", "mp3", "-i", "pipe:0", "-filter_complex", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
        f"encoding {dest.name}", dest.parent)
    return _summary(text)


def _encode(inputs: list[Input], dest: Path, gain_db: float, ceiling_db: float, settings: MasterSettings,
            tags: dict[str, str], codec: list[str] | None = None) -> None:
    metadata = _metadata(tags)
    # compression_level 7 is LAME's fast algorithm: plenty for speech, and 1.5x faster.
    codec = codec or ["-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-compression_level", "7",
                      "-id3v2_version", "3",
                      "-write_xing", "1"]
    sources: list[str] = []
    for item in inputs:
        sources += ["-i", str(item.path)]
    run_ffmpeg(
        ["-y", *sources, "-filter_complex", _graph(inputs, gain_db, ceiling_db, settings), "-map", "[out]",
         "-ac", "1", "-ar", str(settings.sample_rate), "-map_metadata", "-1", *metadata, *codec,
         "-f", "mp3" if dest.suffix != ".wav" else "wav", str(dest)],
        f"encoding {dest.name}",
    )
