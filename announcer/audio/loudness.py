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
from dataclasses import dataclass
from pathlib import Path

from announcer.audio.ffmpeg import ffmpeg_exe
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
class MasterSettings:
    target_lufs: float = -16.0
    max_true_peak_db: float = -1.5
    bitrate_kbps: int = 128
    sample_rate: int = 44100
    tolerance_lu: float = 0.3


def run_ffmpeg(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    log.debug("ffmpeg: %s", " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace")
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


def measure_file(path: Path) -> Loudness:
    """EBU R128 integrated loudness and true peak of an audio file, by ffmpeg."""
    proc = run_ffmpeg(
        ["-nostats", "-i", str(path), "-filter_complex", "ebur128=peak=true", "-f", "null", "-"],
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
    measured: Loudness | None = None,
    wav_copy: Path | None = None,
) -> Loudness:
    """Bring ``source_wav`` to the loudness target under the true-peak ceiling, as an MP3.

    Returns the loudness measured on the written MP3.
    """
    source = measured or measure_file(source_wav)
    if source.integrated_lufs <= SILENCE_LUFS + 1:
        raise RenderError(f"{source_wav.name} is silent", hint="check the script text and the engine")
    gain = settings.target_lufs - source.integrated_lufs
    # The ceiling sits below the true-peak limit: the limiter works on samples, and
    # MP3 encoding adds overshoot between them.
    ceiling = settings.max_true_peak_db - 1.5
    result = Loudness(SILENCE_LUFS, 0.0)
    for attempt in range(4):
        _encode(source_wav, dest_mp3, gain, ceiling, settings, tags)
        result = measure_file(dest_mp3)
        loud_ok = abs(result.integrated_lufs - settings.target_lufs) <= settings.tolerance_lu
        peak_ok = result.true_peak_db <= settings.max_true_peak_db
        log.debug("master attempt %d: gain %.2f ceiling %.2f -> %.2f LUFS %.2f dBTP",
                  attempt + 1, gain, ceiling, result.integrated_lufs, result.true_peak_db)
        if loud_ok and peak_ok:
            break
        if not peak_ok:
            ceiling -= result.true_peak_db - settings.max_true_peak_db + 0.3
        gain += settings.target_lufs - result.integrated_lufs
    else:
        log.warning("%s: reached %.1f LUFS / %.1f dBTP (target %.1f LUFS, <= %.1f dBTP)",
                    dest_mp3.name, result.integrated_lufs, result.true_peak_db,
                    settings.target_lufs, settings.max_true_peak_db)
    if wav_copy is not None:
        _encode(source_wav, wav_copy, gain, ceiling, settings, {}, codec=["-c:a", "pcm_s16le"])
    return result


def _encode(source: Path, dest: Path, gain_db: float, ceiling_db: float, settings: MasterSettings,
            tags: dict[str, str], codec: list[str] | None = None) -> None:
    limit = min(1.0, max(0.0625, _db_to_linear(ceiling_db)))
    chain = (
        f"aresample={settings.sample_rate},"
        f"volume={gain_db:.3f}dB,"
        f"alimiter=limit={limit:.5f}:attack=5:release=80:level=false:latency=true"
    )
    metadata: list[str] = []
    for key, value in tags.items():
        metadata += ["-metadata", f"{key}={value}"]
    codec = codec or ["-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-id3v2_version", "3",
                      "-write_xing", "1"]
    run_ffmpeg(
        ["-y", "-i", str(source), "-af", chain, "-ac", "1", "-ar", str(settings.sample_rate),
         "-map_metadata", "-1", *metadata, *codec, "-f", "mp3" if dest.suffix != ".wav" else "wav",
         str(dest)],
        f"encoding {dest.name}",
    )
