"""Content-addressed cache of synthesized pieces, under the station's ``.cache/``.

Key: engine name + engine fingerprint (voice, rate, tld...) + spoken text. A piece
is stored as 16-bit mono WAV at the engine's own rate. Writes are atomic, so an
interrupted build never leaves a truncated entry; a corrupt entry is a miss.
"""

from __future__ import annotations

import hashlib
import io
import logging
import wave
from pathlib import Path

from announcer.audio.pydub_compat import AudioSegment
from announcer.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)


class SpeechCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(engine: str, fingerprint: str, text: str) -> str:
        digest = hashlib.sha256(f"{engine}\0{fingerprint}\0{text}".encode()).hexdigest()
        return f"{engine}-{digest[:40]}"

    def _path(self, key: str) -> Path:
        return self.folder / key[-2:] / f"{key}.wav"

    def get(self, key: str) -> AudioSegment | None:
        path = self._path(key)
        try:
            with wave.open(str(path), "rb") as src:
                clip = AudioSegment(
                    data=src.readframes(src.getnframes()),
                    sample_width=src.getsampwidth(),
                    frame_rate=src.getframerate(),
                    channels=src.getnchannels(),
                )
        except (FileNotFoundError, EOFError, wave.Error):
            self.misses += 1
            return None
        self.hits += 1
        return clip

    def put(self, key: str, clip: AudioSegment) -> None:
        path = self._path(key)
        try:
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as out:
                out.setnchannels(clip.channels)
                out.setsampwidth(clip.sample_width)
                out.setframerate(clip.frame_rate)
                out.writeframes(clip.raw_data)
            atomic_write_bytes(path, buffer.getvalue())
        except OSError as exc:
            # A cache that cannot be written only costs speed next time.
            log.warning("could not write the speech cache at %s: %s", self.folder, exc)
