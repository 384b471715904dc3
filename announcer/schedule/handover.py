"""The hand-over: ``announcer play`` gives an item to the running ``announcer run``, which takes it.

Threads: ``Handover.take`` runs on the runner's loop thread only (every second); it reads the
store's inbox and submits jobs to the playback worker. A request stays in the inbox until the
transaction that records its item started (or logs it missed) deletes it, so a stop or a crash
before it airs loses nothing. ``announcer play`` runs in its own process.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from announcer.approval import require_approved
from announcer.config import Station
from announcer.errors import ConfigError, ScheduleError, ScriptError
from announcer.i18n import _
from announcer.schedule import renders
from announcer.schedule.asrun import iso
from announcer.schedule.clock import Clock, clock_from_env
from announcer.schedule.inbox import Inbox, PlayRequest
from announcer.schedule.levels import Level, parse_level
from announcer.schedule.model import Item, Occurrence
from announcer.schedule.player import Airing, Job, Player
from announcer.schedule.runlock import run_lock_holder
from announcer.schedule.signals import Signals
from announcer.schedule.sinks import Sink, SinkCut, SinkError, close_sink, parse_sink
from announcer.schedule.state import load_station_or_last_valid
from announcer.schedule.store import PlayerStore

if TYPE_CHECKING:
    from announcer.schedule.zones import ZonePlayers
from announcer.script import Script, parse_script

log = logging.getLogger(__name__)

PLAY_SOURCE = "play"
"""Occurrence source (and as-run 'source') of an item handed over by ``announcer play``."""
HANDED_OFF = "handed to the running player: it plays next, cutting in"


def minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds % 60 else f"{seconds // 60} min"


@dataclass
class RequestOccurrence(Occurrence):
    """An item handed over by ``announcer play``; keyed by its request, so each one airs once."""

    request: str = ""

    @property
    def key(self) -> str:
        return f"{self.at.strftime('%Y-%m-%dT%H:%M')}|{PLAY_SOURCE}:{self.request}"


class Handover:
    """Takes hand-overs from the store's inbox to the playback worker (loop thread)."""

    def __init__(self, root: Path, store: PlayerStore, airing: Airing, clock: Clock) -> None:
        self.root = root
        self.inbox = Inbox(store)
        self.store = store
        self.airing = airing
        self.clock = clock
        self._queued: set[str] = set()

    def take(self, station: Station, player: Player | ZonePlayers, *, at_start: bool = False) -> None:
        """Queue what ``announcer play`` handed over, to play next, cutting in.

        Requests left from before this start are played ``late`` within the grace period;
        older ones are logged ``missed``.
        """
        now = self.clock()
        grace = timedelta(minutes=station.player.grace_minutes)
        jobs = []
        pending = self.inbox.pending()
        self._queued &= {r.ident for r in pending}
        for request in pending:
            if request.ident in self._queued:
                continue
            occ, item = self.request_item(station, request)
            age = now - request.requested
            if at_start and age > grace:
                log.error("%s, handed over %s before this start, is not played", item.file.name, minutes(age))
                error = f"handed over before the player started; missed by {minutes(age)}, grace is {minutes(grace)}"
                record = self.airing.record(occ, item, "missed", None, None, error)
                self.store.finish(occ.item_key(item), record, take=request.ident)
                continue
            self._queued.add(request.ident)
            log.warning("%s handed over by announcer play: it plays next", item.file.name)
            jobs.append(Job(occ, item, "late" if at_start else "played", handed_over=True, note=request.error,
                            catch_up=at_start, take=request.ident))
        player.submit(jobs, urgent=True)

    def request_item(self, station: Station, request: PlayRequest) -> tuple[RequestOccurrence, Item]:
        script = None
        if request.script is not None:
            script = Script(path=self.root / request.script, title=request.title, body="")
        try:
            level = parse_level(request.level) if request.level else Level.THONG_THUONG
        except ValueError:
            level = Level.THONG_THUONG
        item = Item("script" if script else "file", self.root / request.file, script, request.title, level=level)
        at = request.requested.astimezone(station.tz)
        return RequestOccurrence(at, None, PLAY_SOURCE, [item], request=request.ident), item


# --- announcer play ----------------------------------------------------------------------------------------


def _resolve_target(station: Station, target: Path) -> Path:
    candidates = [target, station.root / target, station.scripts_dir / target.name]
    if target.suffix.lower() != ".md":
        candidates.append(station.audio_out / target.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ScheduleError(
        _("script or audio file not found"),
        file=target,
        hint=_("name a script (scripts/x.md) or an audio file (audio_out/x.mp3)"),
    )


@dataclass
class _PlayItem:
    """What ``announcer play`` is about to play, with its as-run fields."""

    path: Path
    """The target as named: a script or an audio file."""
    audio: Path
    title: str
    is_script: bool
    error: str | None
    """A rebuild that failed (the last good render plays)."""
    level: Level = Level.THONG_THUONG
    """The script's level (``--level`` overrides it)."""


def _station_for_play(root: Path) -> Station:
    try:
        station, error = load_station_or_last_valid(root)
        if error is not None:
            log.error("%s — using the last valid settings", error)
        return station
    except ConfigError as exc:
        log.error("%s — using default settings", exc)
        return Station(root=root)


def _prepare_play(station: Station, target: Path, renderer: renders.Renderer) -> _PlayItem:
    """Resolve ``target``; a script's render is rebuilt first when stale."""
    path = _resolve_target(station, target)
    if path.suffix.lower() != ".md":
        return _PlayItem(path, path, path.stem, False, None)
    script: Script | None = None
    error: str | None = None
    try:
        script = parse_script(path)
    except ScriptError as exc:
        log.error("%s — playing its existing render", exc)
    require_approved(station, script, path)
    if script is not None and renders.render_status(station, script) != renders.FRESH:
        try:
            results = list(renderer(station, [path]) or [])
            failures = [str(r.error) for r in results if getattr(r, "error", None)]
            if failures:
                error = f"rebuild failed, played the last good render: {failures[0]}"
        except Exception as exc:  # noqa: BLE001
            error = f"rebuild failed, played the last good render: {exc}"
    stem_script = script or Script(path=path, title=path.stem, body="")
    audio = renders.render_file(station, stem_script)
    return _PlayItem(path, audio, renders.render_title(station, stem_script), True, error, stem_script.level)


def _station_rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _hand_off(station: Station, store: PlayerStore, item: _PlayItem, clock: Clock) -> str:
    """Give ``item`` to the running ``announcer run`` through its inbox; returns the request's ident."""
    request = PlayRequest(
        file=_station_rel(station.root, item.audio),
        script=_station_rel(station.root, item.path) if item.is_script else None,
        title=item.title,
        requested=clock(),
        error=item.error,
        level=item.level.slug,
    )
    try:
        ident = Inbox(store).put(request)
    except (OSError, sqlite3.Error) as exc:
        raise ScheduleError(
            _("cannot hand the item over to the running player: {reason}", reason=str(exc)),
            file=store.path,
            hint=_("check that the station folder is writable and the disk is not full"),
        ) from None
    log.info("play request %s", ident)
    return ident


def play_command(
    station_dir: Path | str,
    target: Path | str,
    sink: str | None,
    *,
    clock: Clock | None = None,
    renderer: renders.Renderer = renders.default_renderer,
    stop: threading.Event | None = None,
    sink_obj: Sink | None = None,
    report: Callable[[str], None] = log.warning,
    handed: Callable[[str], None] | None = None,
    level: Level | None = None,
) -> int:
    """Play a script's render (rebuilding it first when stale) or an audio file, now.

    When an ``announcer run`` holds this station, the item is handed to it instead
    (it plays next, cutting in) and ``report`` is told so; ``handed`` gets the request's ident
    (the web console follows it to show when it started).
    """
    if clock is None:  # a rehearsal (ANNOUNCER_CLOCK_START) hands over on the rehearsal clock too
        clock = clock_from_env(os.environ).clock
    root = Path(station_dir)
    station = _station_for_play(root)
    item = _prepare_play(station, Path(target), renderer)
    if level is not None:
        item.level = level
    store = PlayerStore(station.state_dir, legacy_asrun=station.asrun_path)
    record = _play_record(station, item, clock())
    if not item.audio.is_file():
        record["error"] = item.error or "no render; run announcer build"
        store.finish(_play_key(), record)
        raise ScheduleError(_("{path} does not exist", path=item.audio), file=item.audio,
                            hint=_("run: announcer build {name}", name=item.path))
    holder = run_lock_holder(station.state_dir)
    if holder is not None:
        ident = _hand_off(station, store, item, clock)
        if handed is not None:
            handed(ident)
        report(HANDED_OFF + (f" (announcer run, pid {holder})" if holder else ""))
        return 0
    player = sink_obj or parse_sink(sink or station.player.sink, clock=clock, tz=station.tz, root=station.root)
    try:
        return _play_now(player, item, record, store, clock, station.tz, stop or threading.Event())
    finally:
        if sink_obj is None:
            close_sink(player)
        store.close()


def _play_key() -> str:
    return f"{PLAY_SOURCE}:{uuid.uuid4().hex}"


def _play_record(station: Station, item: _PlayItem, now: datetime) -> dict[str, Any]:
    return {
        "scheduled": iso(now, station.tz, "seconds"),
        "started": None,
        "ended": None,
        "slot": None,
        "source": PLAY_SOURCE,
        "script": _station_rel(station.root, item.path) if item.is_script else None,
        "file": _station_rel(station.root, item.audio),
        "status": "failed",
        "error": item.error,
        "title": item.title,
    }


def _play_now(
    player: Sink,
    item: _PlayItem,
    record: dict[str, Any],
    store: PlayerStore,
    clock: Clock,
    tz: tzinfo,
    stop: threading.Event,
) -> int:
    record["started"] = iso(clock(), tz)
    key = _play_key()
    with Signals(stop):
        try:
            finished = player.play(item.audio, renders.audio_duration(item.audio), stop)
        except SinkCut as exc:
            record.update(ended=iso(clock(), tz), status="cut", error=str(exc))
            store.finish(key, record)
            return 1
        except SinkError as exc:
            record.update(ended=iso(clock(), tz), error=str(exc))
            store.finish(key, record)
            raise
    record.update(ended=iso(clock(), tz), status="played" if finished else "cut")
    if not finished:
        record["error"] = "stopped"
    store.finish(key, record)
    return 0 if finished else 130
