"""Assemble the speech of a program into one WAV file, streaming: each piece is converted
to the program's format and appended once, so memory stays flat and the work stays linear
(pydub's ``a + b`` in a loop copies the whole program every time).

The WAV stays at the engine's own rate: the master pass resamples it (in ffmpeg) together
with the jingles. Only a clip at another rate than the rest (one engine stood in for
another) is resampled here.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import TYPE_CHECKING

from announcer.audio.ffmpeg import ffmpeg_exe, run_ffmpeg_process
from announcer.errors import RenderError

if TYPE_CHECKING:  # numpy is loaded only when a clip needs converting: an edit's start-up stays light
    import numpy as np

    from announcer.audio.pydub_compat import AudioSegment

    FloatArray = np.ndarray


def segment_to_float(clip: AudioSegment) -> tuple[FloatArray, int]:
    """Mono float samples in -1..1 and their rate."""
    import numpy as np

    if clip.channels != 1:
        clip = clip.set_channels(1)
    if clip.sample_width != 2:
        clip = clip.set_sample_width(2)
    samples = np.frombuffer(clip.raw_data, dtype="<i2").astype(np.float32) / 32768.0
    return samples, clip.frame_rate


def resample(samples: FloatArray, source_rate: int, target_rate: int) -> FloatArray:
    """Band-limited resampling of one clip through its spectrum. A clip starts and ends near
    silence (engines pad it), so treating it as periodic leaves no edge artefact."""
    import numpy as np

    if source_rate == target_rate or samples.size == 0:
        return samples
    count = max(1, round(samples.size * target_rate / source_rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    bins = count // 2 + 1
    if spectrum.size >= bins:
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - spectrum.size, dtype=spectrum.dtype)])
    return (np.fft.irfft(spectrum, count) * (count / samples.size)).astype(np.float32)


def decode_audio_file(path: Path, rate: int, max_seconds: float | None = None) -> FloatArray:
    """Decode any audio file ffmpeg reads (WAV, MP3, OGG...) to mono float at ``rate``;
    never more than ``max_seconds`` of it (memory stays bounded whatever the file says)."""
    import numpy as np

    if not path.is_file():
        raise RenderError("audio file not found", file=path, hint="check the path, relative to the station folder")
    proc = run_ffmpeg_process(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
         *(["-t", f"{max_seconds:.3f}"] if max_seconds else []), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
        f"reading {path.name}",
    )
    if proc.returncode != 0 or not proc.stdout:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no audio in it"]
        raise RenderError(f"cannot read audio file: {detail[0]}", file=path,
                          hint="use a WAV or MP3 file that plays in a media player")
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768.0


class ProgramWriter:
    """Appends pieces to a mono 16-bit WAV file and keeps the running position."""

    def __init__(self, path: Path, rate: int) -> None:
        self.path = path
        self.rate = rate
        self.frames = 0
        self._out = wave.open(str(path), "wb")
        self._out.setnchannels(1)
        self._out.setsampwidth(2)
        self._out.setframerate(rate)

    @property
    def position_s(self) -> float:
        return self.frames / self.rate

    def add(self, samples: FloatArray, gain_db: float = 0.0) -> tuple[float, float]:
        import numpy as np

        start = self.position_s
        if gain_db:
            samples = samples * np.float32(10 ** (gain_db / 20))
        pcm = np.clip(samples * 32768.0, -32768, 32767).astype("<i2")
        self._out.writeframes(pcm.tobytes())
        self.frames += pcm.size
        return start, self.position_s

    def add_clip(self, clip: AudioSegment) -> tuple[float, float]:
        if clip.frame_rate == self.rate and clip.sample_width == 2 and clip.channels == 1:
            start = self.position_s
            data = clip.raw_data
            self._out.writeframes(data)
            self.frames += len(data) // 2
            return start, self.position_s
        samples, rate = segment_to_float(clip)
        return self.add(resample(samples, rate, self.rate))

    def add_silence(self, ms: int) -> None:
        frames = int(self.rate * ms / 1000)
        if frames > 0:
            self._out.writeframes(b"\0\0" * frames)
            self.frames += frames

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> ProgramWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
