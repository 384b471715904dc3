"""What a build learns once and keeps under ``.cache/``: each jingle's length and loudness
(by the jingle's content), each voice's fit through mastering (by voice and settings), and
each encoded program with what was measured on it (by everything its audio depends on).

Entries are written atomically; several build processes may write the same entry at once,
and the last complete one wins, which is fine for a cache. A missing or unreadable entry
is only a miss: it costs time, never a wrong render, because every published file is
measured on the final MP3 (an encoded program is kept with that measurement, and checked
by its hash before it is used again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from announcer.audio.loudness import MasterSettings, SpeechFit

log = logging.getLogger(__name__)

STALE_TEMP_S = 3600.0
"""A temp file this old in a cache folder was left by a killed build."""


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


class MasteredStore:
    """Encoded programs: ``<program key>.mp3`` and ``.json`` (what ffmpeg measured on that very
    MP3 as it was written, with its size and sha256, and the manifest's timing).

    The key covers everything the audio frames depend on: each clip's content, every pause,
    the jingles' content and gain, the master settings, announcer's version and the ffmpeg
    binary. An entry is therefore the same final audio a new encode of that program would
    be, already measured: a build reuses it (after checking its hash) instead of mixing,
    encoding and measuring again, and only writes new tags (ID3 carries no audio). Any
    change of an input is a new key; an entry that fails its hash check is a miss.

    Kept within a budget: entries least recently used go first.
    """

    def __init__(self, folder: Path, budget_bytes: int) -> None:
        self.folder = folder
        self.budget_bytes = budget_bytes

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.mp3", self.folder / f"{key}.json"

    def get(self, key: str, dest: Path) -> dict[str, Any] | None:
        """The entry's record, with its MP3 copied to ``dest``; None (and nothing at ``dest``)
        when there is none or it is not the file that was measured."""
        mp3, record_path = self._paths(key)
        record = _read(record_path)
        if record is None or record.get("key") != key:
            return None
        try:
            digest = hashlib.sha256()
            with open(mp3, "rb") as src, open(dest, "wb") as out:
                size = 0
                for block in iter(lambda: src.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
            if size != record.get("bytes") or digest.hexdigest() != record.get("sha256"):
                raise ValueError("not the file that was measured")
            float(record["loudness_lufs"]), float(record["true_peak_db"]), float(record["duration_s"])
            if not isinstance(record.get("segments"), list) or not isinstance(record.get("engines"), dict):
                raise ValueError("incomplete record")
            os.utime(mp3)  # recently used: kept longest
        except (OSError, KeyError, TypeError, ValueError) as exc:
            log.debug("mastered cache entry %s not used: %s", key, exc)
            dest.unlink(missing_ok=True)
            return None
        return record

    def put(self, key: str, mp3: Path, record: dict[str, Any]) -> None:
        """Keep a copy of ``mp3`` (just encoded and measured) with its record."""
        target, record_path = self._paths(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            data = mp3.read_bytes()
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
            _write(record_path, {**record, "key": key, "bytes": len(data),
                                 "sha256": hashlib.sha256(data).hexdigest()})
        except OSError as exc:
            log.warning("could not keep the mastered audio in %s: %s", self.folder, exc)
            return
        self.prune()

    def prune(self, now: float | None = None) -> None:
        """Remove the least recently used entries beyond the budget, and temp files left by
        killed builds."""
        now = time.time() if now is None else now
        entries = []
        try:
            listing = list(self.folder.iterdir())
        except OSError:
            return
        for entry in listing:
            try:
                info = entry.stat()
            except OSError:
                continue  # removed meanwhile by another build
            if entry.suffix == ".mp3":
                entries.append((info.st_mtime, info.st_size, entry))
            elif entry.suffix == ".tmp" and now - info.st_mtime > STALE_TEMP_S:
                entry.unlink(missing_ok=True)
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries, key=lambda e: e[0]):
            if total <= self.budget_bytes:
                break
            entry.with_suffix(".json").unlink(missing_ok=True)
            entry.unlink(missing_ok=True)
            total -= size
