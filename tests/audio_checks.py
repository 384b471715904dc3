"""Independent measurements of rendered files: ffmpeg's own ebur128 filter and mutagen,
not the code path that produced them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file, as ffmpeg's ebur128 filter reports them."""
    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-filter_complex",
         "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = proc.stderr[proc.stderr.rfind("Summary:"):]
    integrated = float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+)", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def ebur128_span(path: Path, start: float, end: float) -> float:
    """Integrated LUFS of one stretch of a file (ffmpeg seeks, then measures)."""
    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-ss", f"{start:.3f}", "-t",
         f"{end - start:.3f}", "-i", str(path), "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    return float(re.findall(r"I:\s*(-?[\d.]+) LUFS", proc.stderr)[-1])


def decode(path: Path, rate: int = 44100) -> np.ndarray:
    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar",
         str(rate), "-"],
        capture_output=True, check=True,
    )
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float64) / 32768.0
