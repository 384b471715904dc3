"""The station's own jingles: synthesized chimes (no third-party music).

A chime note is a few inharmonic partials with exponential decay, like a struck
bar. The intro rises (three notes), the outro falls.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

RATE = 44100
# G4, C5, E5: a bright major triad, the classic public-address "ding-dong-ding".
INTRO_NOTES = (392.00, 523.25, 659.25)
OUTRO_NOTES = (659.25, 523.25, 392.00)
_PARTIALS = ((1.0, 1.0), (2.0, 0.35), (3.01, 0.12), (4.2, 0.05))


def chime_note(freq: float, seconds: float = 1.4, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = np.zeros_like(t)
    for ratio, amp in _PARTIALS:
        decay = 2.5 + ratio * 1.5
        tone += amp * np.sin(2 * np.pi * freq * ratio * t) * np.exp(-decay * t)
    attack = np.minimum(1.0, t / 0.004)  # a 4 ms onset avoids a click
    return tone * attack


def chime(notes: tuple[float, ...], spacing: float = 0.42, rate: int = RATE) -> np.ndarray:
    note_len = 1.6
    total = int((spacing * (len(notes) - 1) + note_len) * rate)
    out = np.zeros(total)
    for index, freq in enumerate(notes):
        start = int(index * spacing * rate)
        note = chime_note(freq, note_len, rate)
        out[start : start + len(note)] += note
    return out / np.max(np.abs(out)) * 0.7


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> None:
    pcm = np.clip(samples * 32767, -32768, 32767).astype("<i2")
    from announcer.fsutil import atomic_write_bytes

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    atomic_write_bytes(path, buffer.getvalue())


def write_default_jingles(folder: Path) -> list[Path]:
    intro, outro = folder / "intro.wav", folder / "outro.wav"
    write_wav(intro, chime(INTRO_NOTES))
    write_wav(outro, chime(OUTRO_NOTES))
    return [intro, outro]
