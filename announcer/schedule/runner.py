"""The unattended player (``announcer run``) and ``announcer play``.

Threads: the loop thread runs every job (tick, reload, render-ahead) through a
``schedule.Scheduler``; one playback worker plays one item at a time; one
render worker rebuilds stale scripts so a slow render never delays a slot.

Fire times are computed here, in the station time zone, from an injected
clock (``schedule`` only knows naive machine-local time, and the machine may
run on UTC). ``schedule`` drives the periodic jobs; the loop also wakes up
exactly at the next fire time so a slot starts within a fraction of a second.

Pitfalls covered:
- a job that raises is caught and logged (``schedule`` would not reschedule it
  and would skip the jobs after it);
- missed fire times (start-up, stall, suspended machine): within
  ``player.grace_minutes`` they play and are logged ``late``; older ones are
  logged ``missed`` and never played;
- every item is recorded under ``.state/`` before it starts, so a restart never
  replays it; an item interrupted by a crash is logged ``cut`` on the next start;
- one ``announcer run`` per station (``runlock``); ``announcer play`` hands its
  item to the running player through ``.state/inbox/`` (``inbox``) instead of
  playing over it: the player takes it within a second and it cuts in.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import tempfile
import threading
import time as time_module
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import schedule as schedule_lib

from announcer.config import STATION_FILE, Station, load_station
from announcer.errors import AnnouncerError, ConfigError, ScheduleError, ScriptError
from announcer.schedule import renders
from announcer.schedule.asrun import AsRunLog, iso
from announcer.schedule.inbox import Inbox, PlayRequest, inbox_dir
from announcer.schedule.model import Item, Occurrence, Schedule, load_scripts
from announcer.schedule.runlock import RunLock, run_lock_holder
from announcer.schedule.sinks import Clock, Sink, SinkError, parse_sink, utc_now
from announcer.schedule.state import STARTED, AiredState, last_valid_station, save_last_valid_station
from announcer.script import Script, list_scripts, parse_script

log = logging.getLogger(__name__)

ON_TIME = timedelta(seconds=5)
"""A fire later than this (but within grace) is logged 'late'."""
RENDER_LEAD = timedelta(minutes=15)
"""Stale scripts of a slot are rebuilt this long before it."""
PLAY_SOURCE = "play"
"""Occurrence source (and as-run 'source') of an item handed over by ``announcer play``."""
HANDED_OFF = "handed to the running player: it plays next, cutting in"


def guarded(func: Callable[..., Any], name: str | None = None) -> Callable[..., None]:
    """Wrap a job so an exception is logged instead of escaping into ``schedule``.

    ``schedule`` neither reschedules a job that raised nor runs the jobs after it
    in that round; the player must outlive any one bad job.
    """
    label: str = name or str(getattr(func, "__name__", "job"))

    def run(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except AnnouncerError as exc:
            log.error("%s: %s", label, exc)
        except Exception:  # noqa: BLE001 - the loop must go on
            log.exception("%s failed; the player goes on", label)

    run.__name__ = label
    return run


def load_station_or_last_valid(root: Path) -> tuple[Station, ConfigError | None]:
    """station.toml, or the last valid copy kept under .state/ when it is broken now.

    Raises the ConfigError when neither is usable.
    """
    try:
        station = load_station(root)
    except ConfigError as exc:
        saved = last_valid_station(root / ".state")
        if saved is None:
            raise
        with tempfile.TemporaryDirectory(prefix="announcer-") as tmp:
            (Path(tmp) / STATION_FILE).write_bytes(saved)
            try:
                station = load_station(tmp)
            except ConfigError:
                raise exc from None
        station.root = root
        return station, exc
    try:
        save_last_valid_station(station.state_dir, station.config_path.read_bytes())
    except OSError:
        pass
    return station, None


@dataclass
class RequestOccurrence(Occurrence):
    """An item handed over by ``announcer play``; keyed by its request, so each one airs once."""

    request: str = ""

    @property
    def key(self) -> str:
        return f"{self.at.strftime('%Y-%m-%dT%H:%M')}|{PLAY_SOURCE}:{self.request}"


@dataclass
class Job:
    occ: Occurrence
    item: Item
    fire_status: str
    """'played' or 'late': how the occurrence fired."""
    handed_over: bool = False
    """From ``announcer play``: cuts in whatever the schedule has on air."""
    note: str | None = None
    """As-run error note of a handed-over item (e.g. its rebuild failed in ``play``)."""

    @property
    def priority(self) -> int:
        return self.item.priority if self.item.script is not None else self.occ.priority

    @property
    def rank(self) -> tuple[bool, int]:
        """What decides a cut-in: a handed-over item beats any scheduled one, then priority."""
        return (self.handed_over, self.priority)


class Player:
    """One playback at a time, in a worker thread; urgent higher-priority items cut in."""

    def __init__(self, sink: Sink, play_job: Callable[[Job, threading.Event], None]) -> None:
        self.sink = sink
        self._play_job = play_job
        self._queue: list[Job] = []
        self._cond = threading.Condition()
        self._current: Job | None = None
        self._cut = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="announcer-player", daemon=True)
        self._thread.start()

    def submit(self, jobs: Sequence[Job], urgent: bool = False) -> None:
        if not jobs:
            return
        with self._cond:
            if urgent:
                self._queue[0:0] = list(jobs)
                top = max(jobs, key=lambda j: j.rank)
                if self._current is not None and top.rank > self._current.rank:
                    what = "item from announcer play" if top.handed_over else f"item (priority {top.priority})"
                    log.warning("urgent %s cuts in", what)
                    self._cut.set()
            else:
                self._queue.extend(jobs)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    self._current = None
                    self._cond.notify_all()
                    return
                job = self._queue.pop(0)
                self._current = job
                self._cut.clear()
            try:
                self._play_job(job, self._cut)
            except Exception:  # noqa: BLE001 - one bad item must not end playback
                log.exception("playing %s failed", job.item.file)
            with self._cond:
                self._current = None
                self._cond.notify_all()

    def busy(self) -> bool:
        with self._cond:
            return self._current is not None or bool(self._queue)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._current is None and not self._queue, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cut.set()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)


class RenderWorker:
    """Rebuilds stale scripts one batch at a time, off the loop thread."""

    def __init__(self, build: Callable[[list[Path]], None], background: bool = True) -> None:
        self._build = build
        self._background = background
        self._queue: queue.Queue[list[Path] | None] = queue.Queue()
        self._pending: set[Path] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._background:
            self._thread = threading.Thread(target=self._run, name="announcer-render", daemon=True)
            self._thread.start()

    def request(self, paths: Sequence[Path]) -> None:
        with self._lock:
            fresh = [p for p in paths if p not in self._pending]
            self._pending.update(fresh)
        if not fresh:
            return
        if self._background:
            self._queue.put(fresh)
        else:
            self._do(fresh)

    def _do(self, paths: list[Path]) -> None:
        try:
            self._build(paths)
        except Exception:  # noqa: BLE001
            log.exception("rendering %s failed", ", ".join(p.name for p in paths))
        finally:
            with self._lock:
                self._pending.difference_update(paths)

    def _run(self) -> None:
        while True:
            paths = self._queue.get()
            if paths is None:
                return
            self._do(paths)

    def idle(self) -> bool:
        with self._lock:
            return not self._pending

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(0.5)  # a render in progress is abandoned (daemon thread)


class Runner:
    """The unattended player of one station."""

    def __init__(
        self,
        station_dir: Path | str,
        sink: Sink | None = None,
        *,
        sink_spec: str | None = None,
        clock: Clock = utc_now,
        renderer: renders.Renderer = renders.default_renderer,
        status_fn: renders.StatusFn = renders.render_status,
        background_render: bool = True,
    ) -> None:
        self.root = Path(station_dir)
        self.clock = clock
        self._sink = sink
        self._sink_spec = sink_spec
        self._renderer = renderer
        self._status_fn = status_fn
        self.station: Station | None = None
        self.scripts: dict[Path, Script] = {}
        self.schedule: Schedule | None = None
        self.state = AiredState(self.root / ".state")
        self.inbox = Inbox(inbox_dir(self.root / ".state"))
        self.asrun: AsRunLog | None = None
        self.player: Player | None = None
        self.render_worker = RenderWorker(self._build, background=background_render)
        self.render_errors: dict[str, str] = {}
        self.last_error: AnnouncerError | None = None
        self._mtimes: dict[Path, tuple[int, int]] = {}
        self._last_tick: datetime | None = None
        self._next_fire: datetime | None = None
        self._rendered_ahead: set[str] = set()
        self._queued: set[str] = set()
        self._taken: set[str] = set()
        self._lock = threading.Lock()

    # --- loading -----------------------------------------------------------------------------------------

    def load(self) -> None:
        """First load; raises ScheduleError when there is nothing valid to run."""
        try:
            station, error = load_station_or_last_valid(self.root)
        except ConfigError as exc:
            raise ScheduleError(
                f"cannot start: {exc.message}",
                file=exc.file,
                line=exc.line,
                hint=exc.hint or "fix station.toml (announcer check lists every problem)",
            ) from None
        if error is not None:
            log.error("%s — playing the last valid schedule until it is fixed", error)
            self.last_error = error
        self.station = station
        self.scripts, errors = load_scripts(station.scripts_dir)
        for script_error in errors:
            log.error("%s — this script is left out until it is fixed", script_error)
        self._mtimes = self._watch_signature()
        self._rebuild_schedule()

    def _watch_signature(self) -> dict[Path, tuple[int, int]]:
        paths = [self.root / STATION_FILE]
        scripts_dir = self.root / "scripts"
        if scripts_dir.is_dir():
            paths.extend(list_scripts(scripts_dir))
        out = {}
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                continue
            out[path] = (st.st_mtime_ns, st.st_size)
        return out

    def _rebuild_schedule(self) -> None:
        assert self.station is not None
        self.schedule = Schedule(self.station, self.scripts.values())
        for script, name in self.schedule.unknown_slots():
            log.warning(
                "%s:%s: unknown slot %r; known slots: %s",
                script.path,
                script.line_of("slots") or "",
                name,
                ", ".join(s.name for s in self.station.slots) or "none",
            )
        self._next_fire = None

    def reload_if_changed(self) -> bool:
        """Pick up edits of station.toml and scripts/*.md; an invalid edit keeps the last valid version."""
        signature = self._watch_signature()
        if signature == self._mtimes:
            return False
        changed = {p for p in set(signature) | set(self._mtimes) if signature.get(p) != self._mtimes.get(p)}
        self._mtimes = signature
        config = self.root / STATION_FILE
        if config in changed and config in signature:
            try:
                station = load_station(self.root)
            except ConfigError as exc:
                self.last_error = exc
                log.error("%s — keeping the last valid schedule", exc)
            else:
                self.station = station
                self.last_error = None
                save_last_valid_station(station.state_dir, config.read_bytes())
                log.warning("reloaded %s", config)
        for path in sorted(changed - {config}):
            if path not in signature:
                if self.scripts.pop(path, None) is not None:
                    log.warning("script %s was removed", path.name)
                continue
            try:
                self.scripts[path] = parse_script(path)
            except ScriptError as exc:
                self.last_error = exc
                kept = "keeping its last valid version" if path in self.scripts else "it is left out"
                log.error("%s — %s", exc, kept)
            else:
                log.warning("reloaded %s", path.name)
        self._rebuild_schedule()
        self.render_ahead(horizon=timedelta(days=1))
        return True

    # --- rendering ---------------------------------------------------------------------------------------

    def _build(self, paths: list[Path]) -> None:
        station = self.station
        if station is None:
            return
        log.info("rendering %s", ", ".join(p.name for p in paths))
        try:
            results = list(self._renderer(station, paths) or [])
        except Exception as exc:  # noqa: BLE001 - a failed render keeps the last good one
            for path in paths:
                self.render_errors[path.stem] = f"{type(exc).__name__}: {exc}"
            log.error("rendering failed (%s); the last good renders will play", exc)
            return
        for result in results:
            stem = Path(getattr(result, "script", "")).stem
            error = getattr(result, "error", None)
            if error:
                self.render_errors[stem] = str(error)
                log.error("rebuild of %s failed: %s; the last good render will play", stem, error)
            else:
                self.render_errors.pop(stem, None)

    def render_ahead(self, now: datetime | None = None, horizon: timedelta = RENDER_LEAD) -> None:
        """Rebuild the stale or missing renders of everything airing within ``horizon``."""
        if self.schedule is None or self.station is None:
            return
        now = now or self.clock()
        assert self.station is not None
        grace = timedelta(minutes=self.station.player.grace_minutes)
        todo: dict[Path, Script] = {}
        for occ in self.schedule.between(now - grace, now + horizon):
            if occ.key in self._rendered_ahead and horizon <= RENDER_LEAD:
                continue
            self._rendered_ahead.add(occ.key)
            for script in occ.scripts:
                if self._status_fn(self.station, script) != renders.FRESH:
                    todo[script.path] = script
        if todo:
            self.render_worker.request(sorted(todo))

    # --- firing ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load, settle what a crash left behind, render ahead and start the worker threads."""
        self.load()
        assert self.station is not None
        if self._sink is None:
            self._sink = parse_sink(self._sink_spec or self.station.player.sink, clock=self.clock, tz=self.station.tz)
        self.asrun = AsRunLog(self.station.asrun_path)
        self._close_unfinished()
        self.player = Player(self._sink, self._play_job)
        self.player.start()
        self.take_requests(at_start=True)
        self.render_worker.start()
        now = self.clock()
        tz = self.station.tz
        midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
        grace = timedelta(minutes=self.station.player.grace_minutes)
        self._last_tick = min(midnight, now - grace) - timedelta(microseconds=1)
        self.render_ahead(now, horizon=timedelta(days=1))
        log.warning(
            "announcer run: station %s, sink %s, %d slot(s), %d script(s)",
            self.root,
            getattr(self._sink, "name", self._sink),
            len(self.station.slots),
            len(self.scripts),
        )

    def _close_unfinished(self) -> None:
        assert self.asrun is not None and self.station is not None
        for key, record in self.state.unfinished():
            error = "interrupted: the player stopped or crashed during this item"
            self.asrun.append(self._record_from_state(record, "cut", error))
            self.state.mark(key, "cut", error=error)

    def _record_from_state(self, record: dict[str, Any], status: str, error: str | None) -> dict[str, Any]:
        return {
            "scheduled": record.get("scheduled"),
            "started": record.get("started"),
            "ended": None,
            "slot": record.get("slot"),
            "source": record.get("source"),
            "script": record.get("script"),
            "file": record.get("file"),
            "status": status,
            "error": error,
            "title": record.get("title"),
        }

    def tick(self, now: datetime | None = None) -> None:
        """Fire everything due since the last tick: on time, late (within grace) or missed."""
        if self.schedule is None or self.station is None or self.player is None:
            return
        now = now or self.clock()
        with self._lock:
            last = self._last_tick or now
            self._last_tick = now
        if now <= last:
            return
        grace = timedelta(minutes=self.station.player.grace_minutes)
        for occ in self.schedule.between(last + timedelta(microseconds=1), now):
            if occ.key in self._queued:
                continue
            pending = [i for i in occ.items if not self.state.handled(occ.item_key(i))]
            if not pending:
                continue
            late_by = now - occ.at
            if late_by > grace:
                log.error(
                    "%s at %s was missed by %s (grace %s); not played",
                    occ.slot or occ.source,
                    occ.at.strftime("%H:%M"),
                    _minutes(late_by),
                    _minutes(grace),
                )
                for item in pending:
                    self._log_item(
                        occ,
                        item,
                        "missed",
                        None,
                        None,
                        f"missed by {_minutes(late_by)}; grace is {_minutes(grace)}",
                    )
                continue
            status = "played" if late_by <= ON_TIME else "late"
            if status == "late":
                log.warning(
                    "%s at %s fires %s late",
                    occ.slot or occ.source,
                    occ.at.strftime("%H:%M"),
                    _minutes(late_by),
                )
            self._queued.add(occ.key)
            self.player.submit([Job(occ, item, status) for item in pending], urgent=occ.urgent)
        if self._next_fire is not None and self._next_fire <= now:
            self._next_fire = None

    def take_requests(self, *, at_start: bool = False) -> None:
        """Queue what ``announcer play`` handed over, to play next, cutting in; delete each request.

        Requests left from before this start are played ``late`` within the grace
        period; older ones are logged ``missed`` and dropped.
        """
        if self.station is None or self.player is None:
            return
        now = self.clock()
        grace = timedelta(minutes=self.station.player.grace_minutes)
        jobs = []
        for request in self.inbox.pending():
            if request.ident in self._taken:
                continue  # its file could not be deleted; it is queued already
            self._taken.add(request.ident)
            self.inbox.remove(request)
            occ, item = self._request_item(request)
            if self.state.handled(occ.item_key(item)):
                continue
            age = now - request.requested
            if at_start and age > grace:
                log.error("%s, handed over %s before this start, is not played", item.file.name, _minutes(age))
                error = f"handed over before the player started; missed by {_minutes(age)}, grace is {_minutes(grace)}"
                self._log_item(occ, item, "missed", None, None, error)
                continue
            log.warning("%s handed over by announcer play: it plays next", item.file.name)
            jobs.append(Job(occ, item, "late" if at_start else "played", handed_over=True, note=request.error))
        self.player.submit(jobs, urgent=True)

    def _request_item(self, request: PlayRequest) -> tuple[RequestOccurrence, Item]:
        assert self.station is not None
        script = None
        if request.script is not None:
            script = Script(path=self.root / request.script, title=request.title, body="")
        item = Item("script" if script else "file", self.root / request.file, script, request.title)
        at = request.requested.astimezone(self.station.tz)
        return RequestOccurrence(at, None, PLAY_SOURCE, [item], request=request.ident), item

    def seconds_to_next_fire(self, now: datetime | None = None) -> float | None:
        if self.schedule is None:
            return None
        now = now or self.clock()
        if self._next_fire is None or self._next_fire < now - timedelta(seconds=1):
            nxt = self.schedule.next_after(self._last_tick or now, horizon_days=2)
            self._next_fire = nxt.at if nxt else None
        if self._next_fire is None:
            return None
        return (self._next_fire - now).total_seconds()

    # --- playing (worker thread) -------------------------------------------------------------------------

    def _play_job(self, job: Job, cut: threading.Event) -> None:
        occ, item = job.occ, job.item
        key = occ.item_key(item)
        if self.state.handled(key):
            return
        error = job.note
        if not job.handed_over and item.script is not None and item.script.stem in self.render_errors:
            error = f"rebuild failed, played the last good render: {self.render_errors[item.script.stem]}"
        if not item.file.is_file():
            what = "no render; run announcer build" if item.script is not None else "jingle file not found"
            if item.script is not None and item.script.stem in self.render_errors:
                what = f"no render; rebuild failed: {self.render_errors[item.script.stem]}"
            log.error("%s: %s", item.file, what)
            self._log_item(occ, item, "failed", None, None, what)
            return
        started = self.clock()
        self.state.mark(key, STARTED, **self._state_fields(occ, item, started))
        duration = renders.audio_duration(item.file)
        log.info("playing %s (%s)", item.file.name, occ.slot or occ.source)
        assert self._sink is not None
        try:
            finished = self._sink.play(item.file, duration, cut)
        except SinkError as exc:
            self._log_item(occ, item, "failed", started, self.clock(), str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self._log_item(occ, item, "failed", started, self.clock(), f"{type(exc).__name__}: {exc}")
            return
        status = job.fire_status if finished else "cut"
        if not finished:
            error = "cut in by an urgent item or by stopping the player"
        self._log_item(occ, item, status, started, self.clock(), error)

    def _state_fields(self, occ: Occurrence, item: Item, started: datetime | None) -> dict[str, Any]:
        tz = self.station.tz if self.station else None
        assert tz is not None
        return {
            "scheduled": iso(occ.at, tz, "seconds"),
            "started": iso(started, tz),
            "slot": occ.slot,
            "source": occ.source,
            "script": self._rel(item.script.path) if item.script is not None else None,
            "file": self._rel(item.file),
            "title": item.title,
        }

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _log_item(
        self,
        occ: Occurrence,
        item: Item,
        status: str,
        started: datetime | None,
        ended: datetime | None,
        error: str | None,
    ) -> None:
        assert self.station is not None and self.asrun is not None
        fields = self._state_fields(occ, item, started)
        record = {
            "scheduled": fields["scheduled"],
            "started": fields["started"],
            "ended": iso(ended, self.station.tz),
            "slot": fields["slot"],
            "source": fields["source"],
            "script": fields["script"],
            "file": fields["file"],
            "status": status,
            "error": error,
            "title": fields["title"],
        }
        self.asrun.append(record)
        self.state.mark(occ.item_key(item), status, **{k: v for k, v in record.items() if k != "status"})

    # --- the loop ----------------------------------------------------------------------------------------

    def housekeeping(self) -> None:
        now = self.clock()
        self.state.prune(now - timedelta(days=8))
        cutoff = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        self._queued = {k for k in self._queued if k[:16] >= cutoff}
        self._rendered_ahead = {k for k in self._rendered_ahead if k[:16] >= cutoff}
        self._taken &= {r.ident for r in self.inbox.pending()}

    def build_scheduler(self) -> schedule_lib.Scheduler:
        """The periodic jobs, each guarded. A private Scheduler: no global state."""
        scheduler = schedule_lib.Scheduler()
        scheduler.every(1).seconds.do(guarded(self.tick, "tick"))
        scheduler.every(1).seconds.do(guarded(self.take_requests, "play-requests"))
        scheduler.every(2).seconds.do(guarded(self.reload_if_changed, "reload"))
        scheduler.every(1).minutes.do(guarded(self.render_ahead, "render-ahead"))
        scheduler.every(6).hours.do(guarded(self.housekeeping, "housekeeping"))
        return scheduler

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set (by a signal handler, or a test)."""
        scheduler = self.build_scheduler()
        tick = guarded(self.tick, "tick")
        next_fire = guarded(self.seconds_to_next_fire, "next-fire")
        scheduler.run_all()
        while not stop.is_set():
            scheduler.run_pending()
            wait = min(scheduler.idle_seconds or 1.0, 1.0)
            due = None
            try:
                due = self.seconds_to_next_fire()
            except Exception:  # noqa: BLE001
                next_fire()
            if due is not None and due < wait:
                wait = due
            if stop.wait(max(wait, 0.005)):
                break
            if due is not None and due <= wait:
                tick()

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
        self.render_worker.stop()


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds % 60 else f"{seconds // 60} min"


class _Signals:
    """Ctrl-C and SIGTERM set ``stop`` instead of killing the process mid-item."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is not threading.main_thread():
            return self
        names = ["SIGINT", "SIGTERM", "SIGBREAK", "SIGHUP"]
        for name in names:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                self._old[signum] = signal.signal(signum, self._handle)
            except (OSError, ValueError):
                pass
        return self

    def _handle(self, signum: int, frame: object) -> None:
        log.warning("signal %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old.items():
            try:
                signal.signal(signum, handler)
            except (OSError, ValueError):
                pass


CLOCK_START_ENV = "ANNOUNCER_CLOCK_START"


def rehearsal_clock(start: datetime, real: Clock = utc_now) -> Clock:
    """A clock that reads ``start`` now and then runs in real time (for rehearsals and tests)."""
    origin = time_module.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=time_module.monotonic() - origin)

    return clock


def clock_from_env(environ: Mapping[str, str]) -> Clock:
    """``ANNOUNCER_CLOCK_START=2021-06-20T05:59:50+07:00`` rehearses a day from that moment on."""
    value = environ.get(CLOCK_START_ENV, "").strip()
    if not value:
        return utc_now
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{CLOCK_START_ENV}={value!r} is not an ISO date-time",
            hint="write e.g. 2021-06-20T05:59:50+07:00, or unset it",
        ) from None
    if start.tzinfo is None:
        raise ConfigError(f"{CLOCK_START_ENV} needs a UTC offset", hint="write e.g. 2021-06-20T05:59:50+07:00")
    log.warning("rehearsal: the player's clock starts at %s", start.isoformat())
    return rehearsal_clock(start)


def run_command(station_dir: Path | str, sink: str | None) -> int:
    """``announcer run``: refuses at once when another ``announcer run`` plays this station."""
    root = Path(station_dir)
    with RunLock(Station(root=root).state_dir):
        runner = Runner(root, sink_spec=sink, clock=clock_from_env(os.environ))
        runner.start()
        stop = threading.Event()
        with _Signals(stop):
            try:
                runner.run_forever(stop)
            finally:
                runner.stop()
    log.warning("announcer run stopped")
    return 0


# --- announcer play ----------------------------------------------------------------------------------------


def _resolve_target(station: Station, target: Path) -> Path:
    candidates = [target, station.root / target, station.scripts_dir / target.name]
    if target.suffix.lower() != ".md":
        candidates.append(station.audio_out / target.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ScheduleError(
        "script or audio file not found",
        file=target,
        hint="name a script (scripts/x.md) or an audio file (audio_out/x.mp3)",
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
    return _PlayItem(path, audio, renders.render_title(station, stem_script), True, error)


def _station_rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _hand_off(station: Station, item: _PlayItem, clock: Clock) -> Path:
    """Give ``item`` to the running ``announcer run`` through its inbox; returns the request file."""
    request = PlayRequest(
        file=_station_rel(station.root, item.audio),
        script=_station_rel(station.root, item.path) if item.is_script else None,
        title=item.title,
        requested=clock(),
        error=item.error,
    )
    path = Inbox(inbox_dir(station.state_dir)).put(request)
    log.info("play request %s", path)
    return path


def play_command(
    station_dir: Path | str,
    target: Path | str,
    sink: str | None,
    *,
    clock: Clock = utc_now,
    renderer: renders.Renderer = renders.default_renderer,
    stop: threading.Event | None = None,
    sink_obj: Sink | None = None,
    report: Callable[[str], None] = log.warning,
) -> int:
    """Play a script's render (rebuilding it first when stale) or an audio file, now.

    When an ``announcer run`` holds this station, the item is handed to it instead
    (it plays next, cutting in) and ``report`` is told so.
    """
    root = Path(station_dir)
    station = _station_for_play(root)
    item = _prepare_play(station, Path(target), renderer)
    asrun = AsRunLog(station.asrun_path)
    record = _play_record(station, item, clock())
    if not item.audio.is_file():
        record["error"] = item.error or "no render; run announcer build"
        asrun.append(record)
        raise ScheduleError(f"{item.audio} does not exist", file=item.audio, hint=f"run: announcer build {item.path}")
    holder = run_lock_holder(station.state_dir)
    if holder is not None:
        _hand_off(station, item, clock)
        report(HANDED_OFF + (f" (announcer run, pid {holder})" if holder else ""))
        return 0
    player = sink_obj or parse_sink(sink or station.player.sink, clock=clock, tz=station.tz)
    return _play_now(player, item, record, asrun, clock, station.tz, stop or threading.Event())


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
    asrun: AsRunLog,
    clock: Clock,
    tz: tzinfo,
    stop: threading.Event,
) -> int:
    record["started"] = iso(clock(), tz)
    with _Signals(stop):
        try:
            finished = player.play(item.audio, renders.audio_duration(item.audio), stop)
        except SinkError as exc:
            record.update(ended=iso(clock(), tz), error=str(exc))
            asrun.append(record)
            raise
    record.update(ended=iso(clock(), tz), status="played" if finished else "cut")
    if not finished:
        record["error"] = "stopped"
    asrun.append(record)
    return 0 if finished else 130
