"""Who changed what: one JSON line per change in the station's ``.state/audit.jsonl``.

Every change made from the console or ``announcer user add`` is recorded with the user's name.
Each line is appended and fsynced before the change is reported done. Threads: ``_lock``
serialises appends from the web server's request threads; other processes append whole lines
with O_APPEND, which the OS keeps from interleaving. A torn last line (power cut) is skipped
when reading.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AUDIT_FILE = "audit.jsonl"


class AuditLog:
    def __init__(self, state_dir: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(state_dir) / AUDIT_FILE
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def record(self, user: str, action: str, target: str = "", **detail: Any) -> dict[str, Any]:
        entry = {"at": self.clock().isoformat(timespec="seconds"), "user": user, "action": action,
                 "target": target, **detail}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest first."""
        try:
            lines = self.path.read_bytes().decode("utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        found: list[dict[str, Any]] = []
        for line in reversed(lines):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
                if limit is not None and len(found) >= limit:
                    break
        return found
