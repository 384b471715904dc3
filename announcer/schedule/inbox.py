"""Requests from ``announcer play`` to a running ``announcer run``: one JSON file each.

``play`` writes ``.state/inbox/<timestamp>-<name>.json`` atomically (temp file +
rename, see ``state.atomic_write``), so the player never reads half a request.
The player takes each request, deletes its file and plays the item next,
cutting in. Paths are stored relative to the station folder when they are
inside it (as in the as-run log), absolute otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from announcer.schedule.state import atomic_write

log = logging.getLogger(__name__)

INBOX_DIR = "inbox"
_SUFFIX = ".json"


def inbox_dir(state_dir: Path) -> Path:
    return state_dir / INBOX_DIR


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
        return cls(
            file=data["file"],
            script=script if isinstance(script, str) and script else None,
            title=str(data.get("title") or Path(data["file"]).stem),
            requested=requested,
            error=error if isinstance(error, str) else None,
            ident=ident,
        )


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", Path(name).stem)[:60] or "item"


class Inbox:
    """The request folder of one station."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, request: PlayRequest) -> Path:
        """Drop ``request`` in atomically; returns its file."""
        stamp = request.requested.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        base = f"{stamp}-{_slug(request.file)}"
        path = self.directory / f"{base}{_SUFFIX}"
        counter = 2
        while path.exists():
            path = self.directory / f"{base}-{counter}{_SUFFIX}"
            counter += 1
        payload = json.dumps(request.to_json(), ensure_ascii=False, indent=1)
        atomic_write(path, payload.encode("utf-8"))
        return path

    def pending(self) -> list[PlayRequest]:
        """The requests waiting, oldest first. A damaged file is set aside as .bad and logged."""
        try:
            names = sorted(
                p.name for p in self.directory.iterdir() if p.name.endswith(_SUFFIX) and not p.name.startswith(".")
            )
        except FileNotFoundError:
            return []
        requests = []
        for name in names:
            request = self._read(self.directory / name)
            if request is not None:
                requests.append(request)
        return requests

    def _read(self, path: Path) -> PlayRequest | None:
        try:
            return PlayRequest.from_json(json.loads(path.read_text(encoding="utf-8")), path.stem)
        except FileNotFoundError:
            return None  # taken meanwhile
        except (OSError, ValueError) as exc:
            log.error("%s: not a play request (%s); set aside as .bad", path, exc)
            try:
                os.replace(path, path.with_suffix(".bad"))
            except OSError:
                pass
            return None

    def remove(self, request: PlayRequest) -> None:
        try:
            (self.directory / f"{request.ident}{_SUFFIX}").unlink(missing_ok=True)
        except OSError as exc:
            log.error("cannot remove the play request %s: %s", request.ident, exc)
