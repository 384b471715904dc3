"""Loudness measurement (ffmpeg's ebur128, on files) and the final master pass.

The master pass is gain + a look-ahead limiter + MP3 encoding in one ffmpeg run,
then a measurement of the encoded file itself; if the file misses the target
(the limiter eats loudness, the encoder adds overshoot) we correct and encode
again, at most a few times. So the figures we report are those of the file
that airs, not of an intermediate.
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
    raw_lufs: float
    """Loudness of the speech as the engines made it."""
    loss_lu: float
    """What the compressor, limiter and MP3 encoding take off it once gained to the target."""


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
        tail = proc.stderr.strip().splitlines()[-3:]
        if any("No space left" in line for line in tail):
            raise RenderError(f"{what}: the disk is full", hint="free some disk space and build again")
        raise RenderError(f"{what} failed: {' | '.join(tail)}", hint="run with --debug for the ffmpeg command")
    return proc


def _float(match: re.Match[str] | None, default: float) -> float:
    if match is None or match.group(1) == "-inf":
        return default
    return float(match.group(1))


def measure_file(path: Path, true_peak: bool = True) -> Loudness:
    """EBU R128 integrated loudness and (optionally: it costs an oversampling pass) true peak
    of an audio file, by ffmpeg."""
    meter = "ebur128=peak=true" if true_peak else "ebur128"
    proc = run_ffmpeg(
        ["-nostats", "-i", str(path), "-filter_complex", meter, "-f", "null", "-"],
        f"measuring {path.name}",
    )
    text = proc.stderr
    summary = text[text.rfind("Summary:"):]
    return Loudness(
        integrated_lufs=_float(_SUMMARY_I.search(summary), SILENCE_LUFS),
        true_peak_db=_float(_SUMMARY_TP.search(summary), -120.0),
        range_lu=_float(_SUMMARY_LRA.search(summary), 0.0),
    )


def _db_to_linear(db: float) -> float:
    return float(10 ** (db / 20))


def master_to_mp3(
    source_wav: Path,
    dest_mp3: Path,
    settings: MasterSettings,
    tags: dict[str, str],
    fit: SpeechFit | None = None,
    wav_copy: Path | None = None,
) -> Loudness:
    """Bring ``source_wav`` to the loudness target under the true-peak ceiling, as an MP3.

    With a ``fit`` of its speech (see ``fit_speech``) the first attempt starts from the
    gain that brought the speech excerpt to the target, and usually lands: a program
    is mostly speech. Without one, the program is measured first. Returns the loudness
    measured on the written MP3.
    """
    if fit is None:
        source = measure_file(source_wav, true_peak=False)
        if source.integrated_lufs <= SILENCE_LUFS + 1:
            raise RenderError(f"{source_wav.name} is silent", hint="check the script text and the engine")
        first_gain = settings.target_lufs - source.integrated_lufs
    else:
        first_gain = settings.target_lufs - fit.raw_lufs + fit.loss_lu

    def attempt(gain: float, ceiling: float) -> Loudness:
        _encode(source_wav, dest_mp3, gain, ceiling, settings, tags)
        return measure_file(dest_mp3)

    gain, ceiling, loudness = _converge(attempt, first_gain, _first_ceiling(settings), settings)
    if wav_copy is not None:
        _encode(source_wav, wav_copy, gain, ceiling, settings, {}, codec=["-c:a", "pcm_s16le"])
    return loudness


def fit_speech(sample_wav: Path, settings: MasterSettings) -> SpeechFit | None:
    """Master a short speech excerpt to the target, exactly as the program will be (to
    MP3), and return its raw loudness and what mastering takes off it. The program then
    starts from the right gain, and jingles are set against the speech as it airs.
    None when the excerpt is silent."""
    before = measure_file(sample_wav, true_peak=False)
    if before.integrated_lufs <= SILENCE_LUFS + 1:
        return None
    mastered = sample_wav.with_name(sample_wav.stem + "-mastered.mp3")

    def attempt(gain: float, ceiling: float) -> Loudness:
        _encode(sample_wav, mastered, gain, ceiling, settings, {})
        return measure_file(mastered)

    gain, _, after = _converge(attempt, settings.target_lufs - before.integrated_lufs,
                               _first_ceiling(settings), settings, first_slope=0.5)
    mastered.unlink(missing_ok=True)
    return SpeechFit(before.integrated_lufs, max(0.0, before.integrated_lufs + gain - after.integrated_lufs))


def _first_ceiling(settings: MasterSettings) -> float:
    # The limiter works on samples; MP3 encoding overshoots between them a little.
    return settings.max_true_peak_db - 0.8


def _converge(
    attempt: Callable[[float, float], Loudness], gain: float, ceiling: float, settings: MasterSettings,
    tries: int = 6, first_slope: float = 0.8,
) -> tuple[float, float, Loudness]:
    """Adjust gain (secant steps: past the limiter, loudness grows slower than gain) and
    the limiter ceiling until the measured result meets the target."""
    previous: tuple[float, float] | None = None
    result = Loudness(SILENCE_LUFS, 0.0)
    for number in range(1, tries + 1):
        result = attempt(gain, ceiling)
        loud_ok = abs(result.integrated_lufs - settings.target_lufs) <= settings.tolerance_lu
        peak_ok = result.true_peak_db <= settings.max_true_peak_db
        log.debug("master attempt %d: gain %.2f ceiling %.2f -> %.2f LUFS %.2f dBTP",
                  number, gain, ceiling, result.integrated_lufs, result.true_peak_db)
        if loud_ok and peak_ok:
            return gain, ceiling, result
        slope = first_slope
        if previous is not None and abs(gain - previous[0]) > 0.05:
            slope = min(1.0, max(0.15, (result.integrated_lufs - previous[1]) / (gain - previous[0])))
        previous = (gain, result.integrated_lufs)
        if not peak_ok:
            ceiling -= result.true_peak_db - settings.max_true_peak_db + 0.2
            previous = None  # a new ceiling changes the curve
        gain += (settings.target_lufs - result.integrated_lufs) / slope
    log.warning("reached %.1f LUFS / %.1f dBTP (target %.1f LUFS, at most %.1f dBTP)",
                result.integrated_lufs, result.true_peak_db, settings.target_lufs, settings.max_true_peak_db)
    return gain, ceiling, result


def _encode(source: Path, dest: Path, gain_db: float, ceiling_db: float, settings: MasterSettings,
            tags: dict[str, str], codec: list[str] | None = None) -> None:
    limit = min(1.0, max(0.0625, _db_to_linear(ceiling_db)))
    threshold = min(1.0, max(0.000976563, _db_to_linear(settings.target_lufs + 8.0)))
    chain = (
        f"aresample={settings.sample_rate},"
        f"volume={gain_db:.3f}dB,"
        # A compressor on the peaks only (8 dB above the target loudness): engine speech
        # has a high crest factor, and a limiter alone would have to squash it hard.
        f"acompressor=threshold={threshold:.5f}:ratio=3:attack=5:release=120:knee=3,"
        f"alimiter=limit={limit:.5f}:attack=5:release=80:level=false:latency=true"
    )
    metadata: list[str] = []
    for key, value in tags.items():
        metadata += ["-metadata", f"{key}={value}"]
    # compression_level 7 is LAME's fast algorithm: plenty for speech, and 1.5x faster.
    codec = codec or ["-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-compression_level", "7",
                      "-id3v2_version", "3",
                      "-write_xing", "1"]
    run_ffmpeg(
        ["-y", "-i", str(source), "-af", chain, "-ac", "1", "-ar", str(settings.sample_rate),
         "-map_metadata", "-1", *metadata, *codec, "-f", "mp3" if dest.suffix != ".wav" else "wav",
         str(dest)],
        f"encoding {dest.name}",
    )
