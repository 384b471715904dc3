"""Hand-overs from ``announcer play`` to a running ``announcer run``, kept in the player store.

``play`` inserts one row into the store's inbox (one transaction, so the player never reads half a
request). The player queues it, and the row is deleted in the same transaction that records the
item started (``PlayerStore.start(take=...)``): a hand-over is never lost between being taken and
airing, and never airs twice. Paths are stored relative to the station folder when they are inside
it (as in the as-run log), absolute otherwise.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from announcer.schedule.store import PlayerStore

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class PlayRequest:
    """One item handed over by ``announcer play``."""

    file: str
    """Audio file to play, relative to the station folder (or absolute)."""
    script: str | None
    """The script it was rendered from, if any (for the as-run log)."""
    title: str
    requested: datetime
    """When ``play`` handed it over (aware)."""
    error: str | None = None
    """A note for the as-run log, e.g. a failed rebuild before the hand-over."""
    level: str | None = None
    """Its level's slug (``--level``, else the script's); None from an older ``play``: thông thường."""
    ident: str = ""
    """The request file's name without .json; unique, set when read."""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "file": self.file,
            "script": self.script,
            "title": self.title,
            "requested": self.requested.isoformat(),
            "error": self.error,
            "level": self.level,
            "pid": os.getpid(),
        }

    @classmethod
    def from_json(cls, data: object, ident: str) -> PlayRequest:
        """Raises ValueError when ``data`` is not a request."""
        if not isinstance(data, dict) or not isinstance(data.get("file"), str) or not data["file"]:
            raise ValueError("no 'file'")
        requested = datetime.fromisoformat(str(data.get("requested")))
        if requested.tzinfo is None:
            raise ValueError("'requested' has no UTC offset")
        script = data.get("script")
        error = data.get("error")
        level = data.get("level")
        return cls(
            file=data["file"],
            script=script if isinstance(script, str) and script else None,
            title=str(data.get("title") or Path(data["file"]).stem),
            requested=requested,
            error=error if isinstance(error, str) else None,
            level=level if isinstance(level, str) else None,
            ident=ident,
        )


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", Path(name).stem)[:60] or "item"


class Inbox:
    """The hand-over inbox of one station."""

    def __init__(self, store: PlayerStore) -> None:
        self.store = store

    def put(self, request: PlayRequest) -> str:
        """Hand ``request`` over; returns its ident. Raises OSError/sqlite3.Error when it cannot be saved."""
        stamp = request.requested.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        base = f"{stamp}-{_slug(request.file)}"
        known = {ident for ident, _ in self.store.requests()}
        ident, counter = base, 2
        while ident in known:
            ident = f"{base}-{counter}"
            counter += 1
        self.store.put_request(ident, request.to_json())
        return ident

    def pending(self) -> list[PlayRequest]:
        """The requests waiting, oldest first. A damaged one is dropped and logged."""
        out = []
        for ident, data in self.store.requests():
            try:
                out.append(PlayRequest.from_json(data, ident))
            except (ValueError, TypeError) as exc:
                log.error("hand-over %s is not a play request (%s); dropped: %s", ident, exc, data)
                self.store.drop_request(ident)
        return out
