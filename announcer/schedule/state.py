"""What has aired, persisted under ``station.state_dir`` so a restart never replays a slot.

One small JSON file, rewritten atomically (temp file + fsync + os.replace) on
every change: after a crash it holds either the old or the new content, never
half of one. Also keeps a copy of the last valid station.toml, so ``run`` can
start on it when the live file has been broken by an edit.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "aired.json"
LAST_VALID_STATION = "station.last-valid.toml"
STARTED = "started"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if os.name == "posix":
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


class AiredState:
    """Item key -> record ({'status': started|played|late|missed|failed|cut, 'scheduled': iso, ...}).

    Thread-safe: the loop marks misses, the playback worker marks starts and ends.
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATE_FILE
        self._lock = threading.Lock()
        self._items: dict[str, dict[str, Any]] = {}
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            # Atomic writes make this unlikely; keep the damaged file for a human to look at.
            log.error("%s is unreadable (%s); starting with an empty aired list", self.path, exc)
            try:
                os.replace(self.path, self.path.with_suffix(".damaged"))
            except OSError:
                pass
            return
        items = data.get("items") if isinstance(data, dict) else None
        if isinstance(items, dict):
            self._items = {str(k): v for k, v in items.items() if isinstance(v, dict)}

    def _save(self) -> None:
        payload = json.dumps({"version": 1, "items": self._items}, ensure_ascii=False, indent=0, sort_keys=True)
        atomic_write(self.path, payload.encode("utf-8"))

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._items.get(key)
            return dict(record) if record is not None else None

    def handled(self, key: str) -> bool:
        with self._lock:
            return key in self._items

    def mark(self, key: str, status: str, **fields: Any) -> None:
        with self._lock:
            record = dict(self._items.get(key, {}))
            record.update(fields)
            record["status"] = status
            self._items[key] = record
            self._save()

    def unfinished(self) -> list[tuple[str, dict[str, Any]]]:
        """Items that started but never got an end (the player stopped or crashed mid-item)."""
        with self._lock:
            return [(k, dict(v)) for k, v in self._items.items() if v.get("status") == STARTED]

    def prune(self, before: datetime) -> int:
        """Forget items scheduled before ``before`` (keeps the file small)."""
        with self._lock:
            old = []
            for key, record in self._items.items():
                try:
                    scheduled = datetime.fromisoformat(str(record.get("scheduled")))
                except ValueError:
                    continue
                if scheduled < before:
                    old.append(key)
            for key in old:
                del self._items[key]
            if old:
                self._save()
            return len(old)


def save_last_valid_station(state_dir: Path, source: bytes) -> None:
    path = state_dir / LAST_VALID_STATION
    try:
        if path.exists() and path.read_bytes() == source:
            return
        atomic_write(path, source)
    except OSError as exc:
        log.warning("cannot keep a copy of the valid station.toml in %s: %s", state_dir, exc)


def last_valid_station(state_dir: Path) -> bytes | None:
    try:
        return (state_dir / LAST_VALID_STATION).read_bytes()
    except OSError:
        return None
