"""What a build learns once and keeps under ``.cache/``: each jingle's length and loudness
(by the jingle's content), and each voice's fit through mastering (by voice and settings).

Both are small JSON files written atomically; several build processes may write the same
entry at once, and the last complete one wins, which is fine for a cache. A missing or
unreadable entry is only a miss: it costs time, never a wrong render, because every
published file is measured on the final MP3.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from announcer.audio.loudness import MasterSettings, SpeechFit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JingleInfo:
    frames: int
    """Length in samples at the program rate."""
    gain_db: float
    """The gain that puts it at its level in the program, through the master's dynamics."""


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write the cache entry %s: %s", path, exc)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


class JingleStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._known: dict[str, JingleInfo] = {}

    def get(self, path: Path, settings: MasterSettings, target_lufs: float) -> JingleInfo:
        """Length and gain of a jingle, decoded and fitted only the first time."""
        digest = file_digest(path)
        blob = json.dumps([digest, repr(settings), target_lufs])
        key = hashlib.sha256(blob.encode()).hexdigest()[:24]
        if key in self._known:
            return self._known[key]
        entry = self.folder / f"{key}.json"
        data = _read(entry)
        info: JingleInfo | None = None
        if data is not None:
            try:
                info = JingleInfo(int(data["frames"]), float(data["gain_db"]))
            except (KeyError, TypeError, ValueError):
                info = None
        if info is None:
            from announcer.audio.loudness import fit_jingle
            from announcer.audio.mixer import decode_audio_file

            frames = int(decode_audio_file(path, settings.sample_rate).size)
            info = JingleInfo(frames, round(fit_jingle(path, settings, target_lufs), 3))
            _write(entry, asdict(info))
        self._known[key] = info
        return info


class FitStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def key(voices: list[str], settings: object) -> str:
        blob = json.dumps([sorted(set(voices)), repr(settings)])
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def get(self, key: str) -> SpeechFit | None:
        data = _read(self.folder / f"{key}.json")
        if data is None:
            return None
        try:
            fit = SpeechFit(float(data["input_lufs"]), float(data["output_lufs"]), float(data["slope"]),
                            float(data["ceiling_db"]))
        except (KeyError, TypeError, ValueError):
            return None
        return fit if 0.1 <= fit.slope <= 1.0 else None

    def put(self, key: str, fit: SpeechFit) -> None:
        if self.get(key) != fit:
            _write(self.folder / f"{key}.json", asdict(fit))
