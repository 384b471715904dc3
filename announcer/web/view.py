"""What the read-only pages show, read from the station the way the CLI and the player read it.

The console never writes the player's database: it reads ``.state/player.db`` through a read-only
SQLite connection (WAL lets it read while ``announcer run`` writes). Scripts, the as-run log and
``check``'s findings are cached by the signature of the files they come from (names, sizes and
modification times), so a page costs a few ``stat`` calls when nothing changed.

Threads: the request threads share one ``StationView``; each cache entry is replaced whole under
``_lock`` (a reader sees the old entry or the new one).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from announcer.config import Station
from announcer.errors import ScriptError
from announcer.schedule.asrun import record_day, station_records
from announcer.schedule.runlock import run_lock_holder
from announcer.schedule.store import DB_FILE, STARTED
from announcer.script import Script

log = logging.getLogger(__name__)

HEARTBEAT = "heartbeat"
"""The player's meta entry: up to when everything is settled, written about once a minute."""
QUIET_AFTER = timedelta(minutes=3)
"""A running player whose heartbeat is older than this is reported as not answering."""
CHECK_TTL = timedelta(seconds=60)


@dataclass
class PlayerState:
    running: bool
    pid: int | None
    heartbeat: datetime | None
    last_sign: datetime | None
    """The latest of the heartbeat and the last item started or ended."""
    on_air: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)
    """Hand-overs (Phát ngay, ``announcer play``) not taken by the player yet."""

    def quiet(self, now: datetime) -> bool:
        return self.running and (self.last_sign is None or now - self.last_sign > QUIET_AFTER)


def _signature(paths: list[Path]) -> tuple[Any, ...]:
    out: list[tuple[str, int | None, int | None]] = []
    for path in paths:
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


def _folder_signature(folder: Path, suffix: str | tuple[str, ...] = ".md") -> tuple[Any, ...]:
    try:
        with os.scandir(folder) as entries:
            found = []
            for entry in entries:
                if entry.name.endswith(suffix):
                    stat = entry.stat()
                    found.append((entry.name, stat.st_mtime_ns, stat.st_size))
            return tuple(sorted(found))
    except OSError:
        return ()


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class StationView:
    def __init__(self, root: Path, clock: Callable[[], datetime]) -> None:
        self.root = root
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Any, Any]] = {}
        self._durations: dict[Path, tuple[Any, float | None]] = {}
        self._fragments: dict[Any, tuple[Any, Any]] = {}

    def _cached(self, name: str, signature: Any, compute: Callable[[], Any]) -> Any:
        found = self._cache.get(name)
        if found is not None and found[0] == signature:
            return found[1]
        value = compute()
        with self._lock:
            self._cache[name] = (signature, value)
        return value

    # --- scripts ----------------------------------------------------------------------------------------------

    def scripts(self, station: Station) -> tuple[dict[Path, Script], list[ScriptError]]:
        from announcer.schedule.model import load_scripts

        return self._cached("scripts", _folder_signature(station.scripts_dir),
                            lambda: load_scripts(station.scripts_dir))

    def plan(self, station: Station, first: date, days: int) -> Any:
        """The planner's plan of ``days`` days from ``first``; made again only when what it is made of
        changed: station.toml, the scripts, the renders, the lexicon, the approvals."""
        from announcer.schedule.planner import build_plan

        signature = (first, days, _signature([station.config_path, station.lexicon_path,
                                              station.state_dir / "approvals.json"]),
                     _folder_signature(station.scripts_dir), _folder_signature(station.audio_out, (".mp3", ".json")))

        def make() -> Any:
            scripts, errors = self.scripts(station)
            return build_plan(station, scripts.values(), first, days, errors, duration_fn=self.duration)

        return self._cached(f"plan:{first}:{days}", signature, make)

    def fragment(self, key: Any, plan: Any) -> Any:
        """A piece of page made from ``plan`` (the very object), while the plan is current."""
        found = self._fragments.get(key)
        return found[1] if found is not None and found[0] is plan else None

    def keep_fragment(self, key: Any, plan: Any, value: Any) -> None:
        with self._lock:
            if len(self._fragments) > 64:
                self._fragments.clear()
            self._fragments[key] = (plan, value)

    def script_by_name(self, station: Station, name: str) -> Script | None:
        """A script of the station by its file name (``x.md`` or ``x``); never a path."""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None
        wanted = name if name.endswith(".md") else f"{name}.md"
        scripts, _errors = self.scripts(station)
        return next((s for p, s in scripts.items() if p.name == wanted), None)

    def waiting_approval(self, station: Station, scripts: list[Script]) -> list[Script] | None:
        """Scripts that wait for approval; None when approval is not required (or not installed)."""
        try:
            approval = importlib.import_module("announcer.approval")
        except ImportError:
            return None
        book = approval.book_for(station)
        if book is None:
            return None
        _airing, waiting = approval.approved_only(scripts, book)
        return list(waiting)

    def duration(self, path: Path) -> float | None:
        """An audio file's length, read once per version of the file and of its manifest (the length
        comes from the manifest first); the planner asks for every item of every day."""
        from announcer.schedule.renders import audio_duration

        key = _signature([path, path.with_suffix(".json")])
        if key[0][1] is None:
            return None
        found = self._durations.get(path)
        if found is not None and found[0] == key:
            return found[1]
        value = audio_duration(path)
        with self._lock:
            if len(self._durations) > 20_000:
                self._durations.clear()
            self._durations[path] = (key, value)
        return value

    # --- the player's database ---------------------------------------------------------------------------------

    def _db(self, station: Station) -> sqlite3.Connection | None:
        path = station.state_dir / DB_FILE
        if not path.exists():
            return None
        try:
            return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        except sqlite3.Error as exc:
            log.warning("cannot read %s: %s", path, exc)
            return None

    def _db_signature(self, station: Station) -> tuple[Any, ...]:
        base = station.state_dir / DB_FILE
        return _signature([base, base.with_name(DB_FILE + "-wal"), station.asrun_path])

    def player(self, station: Station) -> PlayerState:
        pid = run_lock_holder(station.state_dir)
        state = PlayerState(running=pid is not None, pid=pid or None, heartbeat=None, last_sign=None)
        db = self._db(station)
        if db is None:
            return state
        with closing(db):
            try:
                row = db.execute("SELECT value FROM meta WHERE name=?", (HEARTBEAT,)).fetchone()
                state.heartbeat = _parse_time(row[0]) if row else None
                state.on_air = [json.loads(r) for (r,) in db.execute(
                    "SELECT record FROM aired WHERE status=? ORDER BY rowid", (STARTED,))]
                state.waiting = [json.loads(r) for (r,) in db.execute("SELECT request FROM inbox ORDER BY ident")]
                last = db.execute("SELECT record FROM asrun ORDER BY id DESC LIMIT 1").fetchone()
            except sqlite3.Error as exc:
                log.warning("cannot read the player's state: %s", exc)
                return state
        signs = [state.heartbeat, *(_parse_time(r.get("started")) for r in state.on_air)]
        if last:
            record = json.loads(last[0])
            signs += [_parse_time(record.get("ended")), _parse_time(record.get("started"))]
        known = [s for s in signs if s is not None]
        state.last_sign = max(known) if known else None
        return state

    def handover_record(self, station: Station, request: str) -> dict[str, Any] | None:
        """The player's record of a hand-over (on air or done), by the request's ident; None before it starts."""
        db = self._db(station)
        if db is None:
            return None
        with closing(db):
            try:
                row = db.execute("SELECT record FROM aired WHERE instr(key, ?) > 0",
                                 (f"|play:{request}|",)).fetchone()
                return json.loads(row[0]) if row else None
            except sqlite3.Error as exc:
                log.warning("cannot read the player's state: %s", exc)
        return None

    def aired(self, station: Station) -> dict[str, dict[str, Any]]:
        """Every item the player handled (as-run and on air), by its schedule key."""

        def read() -> dict[str, dict[str, Any]]:
            db = self._db(station)
            if db is None:
                return {}
            with closing(db):
                try:
                    found = {k: json.loads(r) for k, r in db.execute("SELECT key, record FROM asrun")}
                    for key, record in db.execute("SELECT key, record FROM aired WHERE status=?", (STARTED,)):
                        found.setdefault(key, {**json.loads(record), "status": STARTED})
                    return found
                except sqlite3.Error as exc:
                    log.warning("cannot read the as-run log: %s", exc)
                    return {}

        return self._cached("aired", self._db_signature(station), read)

    def records(self, station: Station) -> list[dict[str, Any]]:
        """The as-run log, as ``announcer log`` reads it (oldest first)."""
        return self._cached("records", self._db_signature(station),
                            lambda: station_records(station))

    def records_by_day(self, station: Station) -> dict[date, list[dict[str, Any]]]:
        def split() -> dict[date, list[dict[str, Any]]]:
            days: dict[date, list[dict[str, Any]]] = {}
            tz = station.tz
            for record in self.records(station):
                day = record_day(record, tz)
                if day is not None:
                    days.setdefault(day, []).append(record)
            return days

        return self._cached("by-day", (self._db_signature(station), station.timezone),
                            split)

    # --- check ------------------------------------------------------------------------------------------------

    def problems(self, station: Station) -> list[Any]:
        """``announcer check``'s findings, at most a minute old when nothing changed."""
        from announcer.schedule.check import run_checks

        now = self.clock()
        signature = (_signature([station.config_path, station.lexicon_path]),
                     _folder_signature(station.scripts_dir), _folder_signature(station.audio_out, ".json"),
                     now.astimezone(station.tz).date())
        found = self._cache.get("check")
        if found is not None and found[0][0] == signature and now - found[0][1] < CHECK_TTL:
            return found[1]
        value = run_checks(self.root, clock=self.clock)
        with self._lock:
            self._cache["check"] = ((signature, now), value)
        return value
