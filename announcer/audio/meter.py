"""A small BS.1770 integrated-loudness meter in numpy, for estimates inside a build.

It measures the station's recordings (``announcer.clips``) once each, to set them to the
level of the speech around them. It is only ever an estimate: every published file is
measured by ffmpeg's ebur128 on the final MP3 (``loudness.measure_file``), and mastering
corrects from that.

K-weighting is applied in the frequency domain, one piece at a time: pieces begin and end
near silence, so the circular filtering this implies costs nothing measurable, and numpy
has no recursive filter to run it in time.
"""

from __future__ import annotations

import functools
import math

import numpy as np

# The two K-weighting stages of ITU-R BS.1770 (a high shelf, then a high-pass), by their
# analogue design parameters, turned into biquads for any sample rate.
_SHELF_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_HIGHPASS_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773

BLOCK_S = 0.4
HOP_S = 0.1
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0


def _k_weighting(rate: int) -> list[tuple[tuple[float, float, float], tuple[float, float, float]]]:
    k = math.tan(math.pi * _SHELF_HZ / rate)
    vh = 10 ** (_SHELF_GAIN_DB / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / _SHELF_Q + k * k
    shelf = ((vh + vb * k / _SHELF_Q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / _SHELF_Q + k * k) / a0)
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / _SHELF_Q + k * k) / a0)
    k = math.tan(math.pi * _HIGHPASS_HZ / rate)
    a0 = 1 + k / _HIGHPASS_Q + k * k
    highpass_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / _HIGHPASS_Q + k * k) / a0)
    return [(shelf, shelf_a), ((1.0, -2.0, 1.0), highpass_a)]


def _fast_length(n: int) -> int:
    """A power of two >= n: quick for numpy's FFT, and few distinct sizes to keep responses for."""
    return 1 << max(0, (n - 1).bit_length())


@functools.lru_cache(maxsize=16)
def _response(rate: int, size: int) -> np.ndarray:
    """The K-weighting filter's frequency response on the bins of an FFT of ``size``."""
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(size))
    response = np.ones_like(z)
    for (b0, b1, b2), (_, a1, a2) in _k_weighting(rate):
        response *= (b0 + b1 * z + b2 * z * z) / (1 + a1 * z + a2 * z * z)
    return response


class LoudnessMeter:
    """Feed it a program piece by piece (``add``, ``add_silence``), then ask ``integrated()``."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._hop = max(1, round(rate * HOP_S))
        self._energy: list[float] = []  # sum of squared K-weighted samples per 100 ms hop
        self._frames = 0


    def add(self, samples: np.ndarray, gain_db: float = 0.0) -> None:
        n = int(samples.size)
        if n == 0:
            return
        # Room for the filters' tails (the high-pass rings for some tens of ms).
        size = _fast_length(n + self.rate // 10)
        spectrum = np.fft.rfft(samples.astype(np.float64), size) * _response(self.rate, size)
        weighted = np.fft.irfft(spectrum, size)
        if gain_db:
            weighted *= 10 ** (gain_db / 20)
        self._accumulate(np.square(weighted[: n + self.rate // 10]), n)

    def add_silence(self, frames: int) -> None:
        self._accumulate(None, max(0, frames))

    def _accumulate(self, squares: np.ndarray | None, advance: int) -> None:
        start = self._frames
        if squares is not None and squares.size:
            end = start + squares.size
            first, last = start // self._hop, (end - 1) // self._hop
            if len(self._energy) <= last:
                self._energy.extend([0.0] * (last + 1 - len(self._energy)))
            edges = np.arange(first * self._hop, (last + 1) * self._hop + 1, self._hop) - start
            cumulative = np.concatenate(([0.0], np.cumsum(squares)))
            sums = np.diff(cumulative[np.clip(edges, 0, squares.size)])
            for index, value in enumerate(sums, start=first):
                self._energy[index] += float(value)
        self._frames = start + advance
        needed = (self._frames + self._hop - 1) // self._hop
        if len(self._energy) < needed:
            self._energy.extend([0.0] * (needed - len(self._energy)))

    def integrated(self) -> float | None:
        """Integrated loudness in LUFS (gated as BS.1770), or None when too short or silent."""
        per_block = round(BLOCK_S / HOP_S)
        energy = np.asarray(self._energy[: max(0, (self._frames // self._hop))], dtype=np.float64)
        if energy.size < per_block:
            return None
        blocks = np.convolve(energy, np.ones(per_block), mode="valid") / (per_block * self._hop)
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10 * np.log10(blocks)
        gated = blocks[loudness > ABSOLUTE_GATE_LUFS]
        if gated.size == 0:
            return None
        relative = -0.691 + 10 * math.log10(float(gated.mean())) + RELATIVE_GATE_LU
        gated = blocks[(loudness > ABSOLUTE_GATE_LUFS) & (loudness > relative)]
        if gated.size == 0:
            return None
        return -0.691 + 10 * math.log10(float(gated.mean()))


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    meter = LoudnessMeter(rate)
    meter.add(samples)
    return meter.integrated()
