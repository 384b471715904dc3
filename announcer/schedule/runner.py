"""The runner loop of ``announcer run``: load and reload the station, fire what is due, keep time.

Threads and who owns what:
- the loop thread (``run_forever``) owns ``station``, ``scripts``, ``schedule``, ``_mtimes``,
  ``_last_tick``, ``_next_fire`` and ``_queued``; it runs every periodic job (tick, hand-overs,
  reload, render-ahead, record retries, heartbeat) on the monotonic clock (``clock.Periodic``);
- the playback worker (``player.Player``) plays one item at a time through ``player.Airing``;
  it reads ``station`` (replaced whole, never mutated) and writes only through the store;
- the render worker (``render_ahead.RenderWorker``) builds renders and owns their errors;
- the store (``store.PlayerStore``) serialises its own database access.

Fire times are computed from the injected wall clock in the station time zone; waiting uses the
monotonic clock, so a wall clock stepped back or forward never stalls the periodic jobs. Missed
fire times (start-up, stall, suspended machine, outage across midnight): within
``player.grace_minutes`` they play and are logged ``late``; older ones are logged ``missed`` (one
transaction for all of them, and no further back than ``MISS_LOOKBACK``: a clock corrected by
years must not write years of records nor delay the next slot).
"""

from __future__ import annotations

import logging
import os
import threading
import time as time_module
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from announcer.approval import APPROVALS_FILE, approved_only, book_for, fingerprint
from announcer.config import STATION_FILE, Station
from announcer.errors import AnnouncerError, ConfigError, ScheduleError, ScriptError
from announcer.i18n import _
from announcer.schedule import renders
from announcer.schedule.clock import Clock, Monotonic, Periodic, clock_from_env, utc_now
from announcer.schedule.handover import HANDED_OFF, PLAY_SOURCE, Handover, minutes, play_command
from announcer.schedule.model import Schedule, load_scripts, parse_script_safely
from announcer.schedule.player import Airing, Job, Player
from announcer.schedule.relay import RelayScheduler
from announcer.schedule.render_ahead import RENDER_LEAD, RenderAhead, RenderWorker
from announcer.schedule.runlock import RunLock
from announcer.schedule.signals import Signals
from announcer.schedule.sinks import Sink, close_sink, open_sink, parse_sink, real_wait
from announcer.schedule.state import (
    last_valid_script,
    load_station_or_last_valid,
    save_last_valid_script,
    save_last_valid_station,
)
from announcer.schedule.store import PlayerStore
from announcer.schedule.zones import ZonePlayers, zone_sink_spec
from announcer.script import Script, list_scripts

log = logging.getLogger(__name__)

__all__ = ["HANDED_OFF", "PLAY_SOURCE", "Runner", "guarded", "play_command", "run_command"]

ON_TIME = timedelta(seconds=5)
"""A fire later than this (but within grace) is logged 'late'."""
MISS_LOOKBACK = timedelta(days=7)
"""Missed fire times older than this are not logged one by one (a clock corrected by years)."""
HANDOVER_POLL_S = 0.25
"""How often the loop looks for items handed over by ``announcer play``."""
HEARTBEAT = "heartbeat"
"""Store meta: the wall time the loop last ticked, so a restart logs what the outage missed."""


def guarded(func: Callable[..., Any], name: str | None = None) -> Callable[..., None]:
    """Wrap a job so an exception is logged instead of ending the loop."""
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
        monotonic: Monotonic = time_module.monotonic,
        rate: float = 1.0,
        store: PlayerStore | None = None,
    ) -> None:
        self.root = Path(station_dir)
        self.clock = clock
        self.monotonic = monotonic
        self.rate = rate
        self._sink = sink
        self._sink_spec = sink_spec
        self._renderer = renderer
        self._status_fn = status_fn
        self.station: Station | None = None
        self.scripts: dict[Path, Script] = {}
        self.schedule: Schedule | None = None
        self.store = store or PlayerStore(self.root / ".state")
        self.player: Player | ZonePlayers | None = None
        self._sinks: list[Sink] = []
        self.render_worker = RenderWorker(self._build, background=background_render)
        self.render_ahead_check = RenderAhead(self.render_worker, status_fn)
        self.airing = Airing(
            self.root, self.store, clock, lambda: self.station, self._get_sink,
            render_errors=self.render_worker.errors,
            render_now=lambda path: self.render_worker.render_now(path, 120.0),
            status_fn=status_fn,
        )
        self.handover = Handover(self.root, self.store, self.airing, clock)
        self.relays = RelayScheduler(self.store, clock, self._get_sink)
        self.last_error: AnnouncerError | None = None
        self._mtimes: dict[Path, tuple[int, int]] = {}
        self._last_tick: datetime | None = None
        self._next_fire: datetime | None = None
        self._started_at: datetime | None = None
        self._queued: set[str] = set()
        self._approved_before: dict[str, str] = {}
        """Script name -> fingerprint of what aired at the last rebuild (kept if approvals.json breaks)."""
        self._lock = threading.Lock()

    @property
    def render_errors(self) -> dict[str, str]:
        return self.render_worker.errors

    def _get_sink(self) -> Sink:
        assert self._sink is not None
        return self._sink

    # --- loading -----------------------------------------------------------------------------------------

    def load(self) -> None:
        """First load; raises ScheduleError when station.toml has nothing valid to run.

        Every valid script is loaded; an invalid one is logged with file and line and replaced by
        its last valid version when there is one.
        """
        try:
            station, error = load_station_or_last_valid(self.root)
        except ConfigError as exc:
            raise ScheduleError(
                _("cannot start: {problem}", problem=exc.message),
                file=exc.file,
                line=exc.line,
                hint=exc.hint or _("fix station.toml (announcer check lists every problem)"),
            ) from None
        if error is not None:
            log.error("%s — playing the last valid schedule until it is fixed", error)
            self.last_error = error
        self.station = station
        self.scripts, errors = load_scripts(station.scripts_dir)
        for script_error in errors:
            path = Path(script_error.file or "")
            kept = last_valid_script(station.state_dir, path)
            if kept is not None:
                self.scripts[path] = kept
                log.error("%s — playing its last valid version until it is fixed", script_error)
            else:
                log.error("%s — this script is left out until it is fixed", script_error)
            self.last_error = script_error
        for path, script in self.scripts.items():
            if path not in {Path(e.file or "") for e in errors}:
                save_last_valid_script(station.state_dir, script)
        self._mtimes = self._watch_signature()
        self._rebuild_schedule()

    def _watch_signature(self) -> dict[Path, tuple[int, int]]:
        paths = [self.root / STATION_FILE, self.root / ".state" / APPROVALS_FILE]
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
        book = book_for(self.station)
        try:
            airing, waiting = approved_only(self.scripts.values(), book)
        except ConfigError as exc:  # a damaged approvals file approves nothing new
            log.error("%s — only the scripts approved before it was damaged air", exc)
            airing, waiting = [], []
            for script in self.scripts.values():
                known = self._approved_before.get(script.path.name) == fingerprint(script)
                (airing if known else waiting).append(script)
        if waiting:
            log.warning("waiting for approval, not on air: %s", ", ".join(s.path.name for s in waiting))
        if book is not None:
            self._approved_before = {s.path.name: fingerprint(s) for s in airing}
        self.schedule = Schedule(self.station, airing)
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
            from announcer.config import load_station

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
        assert self.station is not None
        for path in sorted(changed - {config, self.root / ".state" / APPROVALS_FILE}):
            if path not in signature:
                if self.scripts.pop(path, None) is not None:
                    log.warning("script %s was removed", path.name)
                continue
            try:
                script = parse_script_safely(path)
            except ScriptError as exc:
                self.last_error = exc
                kept = "keeping its last valid version" if path in self.scripts else "it is left out"
                log.error("%s — %s", exc, kept)
            else:
                self.scripts[path] = script
                save_last_valid_script(self.station.state_dir, script)
                log.warning("reloaded %s", path.name)
        self._rebuild_schedule()
        self.render_ahead(horizon=timedelta(days=1))
        return True

    # --- rendering ---------------------------------------------------------------------------------------

    def _build(self, paths: list[Path]) -> dict[str, str | None]:
        """Render worker thread: build ``paths``; script stem -> error (None when it worked)."""
        station = self.station
        if station is None:
            return {}
        log.info("rendering %s", ", ".join(p.name for p in paths))
        results = list(self._renderer(station, paths) or [])
        outcome: dict[str, str | None] = {}
        for result in results:
            stem = Path(getattr(result, "script", "")).stem
            error = getattr(result, "error", None)
            outcome[stem] = str(error) if error else None
            if error:
                log.error("rebuild of %s failed: %s; the last good render will play", stem, error)
        return outcome

    def render_ahead(self, now: datetime | None = None, horizon: timedelta = RENDER_LEAD) -> None:
        """Rebuild the stale or missing renders of everything airing within ``horizon``."""
        station, schedule = self.station, self.schedule
        if schedule is None or station is None:
            return
        when = now or self.clock()
        self.render_worker.later(lambda: self.render_ahead_check.check(station, schedule, when, horizon))

    # --- starting ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load, settle what a crash left behind, render ahead and start the worker threads."""
        self.load()
        assert self.station is not None
        zoned = self._sink is None and not self._sink_spec and bool(self.station.zones)
        if self._sink is None and not zoned:
            self._sink = self._make_sink(self._sink_spec or self.station.player.sink)
        if self.store.legacy_asrun is None:
            self.store.legacy_asrun = self.station.asrun_path
        self.store.open()
        self._close_unfinished()
        now = self.clock()
        self._started_at = now
        tz = self.station.tz
        midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
        grace = timedelta(minutes=self.station.player.grace_minutes)
        since = min(midnight, now - grace)
        heartbeat = self._heartbeat()
        if heartbeat is not None and heartbeat < since:
            since = heartbeat  # an outage across midnight: what it missed is logged too
        since = max(since, now - MISS_LOOKBACK)
        # Written before anything fires: a run killed before its first heartbeat still tells the next
        # start where the unsettled time begins.
        self.store.set_meta(HEARTBEAT, since.isoformat())
        self._last_tick = since - timedelta(microseconds=1)
        if zoned:
            players = ZonePlayers([(zone, self._make_sink(zone_sink_spec(zone, self.root)))
                                   for zone in self.station.zones],
                                  self.airing.play)
            self._sinks = list(players.sinks.values())
            self._sink = self._sinks[0]
            self.player = players
        else:
            assert self._sink is not None
            self._sinks = [self._sink]
            self.player = Player(self._sink, self.airing.play)
        for sink in self._sinks:
            open_sink(sink)
        self.player.start()
        self.take_requests(at_start=True)
        self.take_relays()
        self.render_worker.start()
        self.render_ahead(now, horizon=timedelta(days=1))
        log.warning(
            "announcer run: station %s, sink %s, %d slot(s), %d script(s)",
            self.root,
            getattr(self.player, "name", None) or getattr(self._sink, "name", self._sink),
            len(self.station.slots),
            len(self.scripts),
        )

    def _make_sink(self, spec: str) -> Sink:
        assert self.station is not None
        rate = self.rate
        return parse_sink(spec, clock=self.clock, tz=self.station.tz,
                          wait=(lambda stop, seconds: real_wait(stop, seconds / rate)), root=self.root)

    def _heartbeat(self) -> datetime | None:
        value = self.store.get_meta(HEARTBEAT)
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError:
            return None

    def beat(self) -> None:
        """Remember up to when everything is settled (every minute, not every tick: one fsync a minute):
        the last tick, or the earliest item that fired but has not started yet."""
        if self._last_tick is None or self.player is None:
            return
        settled = min([self._last_tick, *self.player.waiting_since()])
        self.store.set_meta(HEARTBEAT, settled.isoformat())

    def _close_unfinished(self) -> None:
        """Items recorded on air by a run that crashed: logged ``cut``, all in one transaction."""
        error = "interrupted: the player stopped or crashed during this item"
        done = []
        for key, record in self.store.unfinished():
            done.append((key, {
                "scheduled": record.get("scheduled"),
                "started": record.get("started"),
                "ended": None,
                "slot": record.get("slot"),
                "source": record.get("source"),
                "script": record.get("script"),
                "file": record.get("file"),
                "status": "cut",
                "error": error,
                "title": record.get("title"),
            } | ({"zone": record["zone"]} if record.get("zone") else {})))
        self.store.finish_many(done)

    # --- firing ------------------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> None:
        """Fire everything due since the last tick: on time, late (within grace) or missed."""
        if self.schedule is None or self.station is None or self.player is None:
            return
        now = now or self.clock()
        with self._lock:
            last = self._last_tick or now
            self._last_tick = now
        if now <= last:
            return  # the clock stepped back: what already fired is in the store and does not fire again
        if now - last > MISS_LOOKBACK:
            log.error("the clock jumped forward by %s; fire times before %s are not logged one by one",
                      now - last, (now - MISS_LOOKBACK).isoformat(timespec="minutes"))
            last = now - MISS_LOOKBACK
        grace = timedelta(minutes=self.station.player.grace_minutes)
        missed: list[tuple[str, dict[str, Any]]] = []
        for occ in self.schedule.between(last + timedelta(microseconds=1), now):
            if occ.key in self._queued:
                continue
            pending = [i for i in occ.items if not self.store.handled(occ.item_key(i))]
            if not pending:
                continue
            late_by = now - occ.at
            if late_by > grace:
                log.error("%s at %s was missed by %s (grace %s); not played", occ.slot or occ.source,
                          occ.at.astimezone(self.station.tz).strftime("%Y-%m-%d %H:%M"), minutes(late_by),
                          minutes(grace))
                error = f"missed by {minutes(late_by)}; grace is {minutes(grace)}"
                missed.extend((occ.item_key(i), self.airing.record(occ, i, "missed", None, None, error))
                              for i in pending)
                self._queued.add(occ.key)
                continue
            status = "played" if late_by <= ON_TIME else "late"
            if status == "late":
                log.warning("%s at %s fires %s late", occ.slot or occ.source, occ.at.strftime("%H:%M"),
                            minutes(late_by))
            self._queued.add(occ.key)
            catch_up = self._started_at is not None and occ.at < self._started_at
            self.player.submit([Job(occ, item, status, catch_up=catch_up) for item in pending], urgent=occ.urgent)
        # After the due items are queued: the misses never delay a slot, and cost one transaction.
        self.store.finish_many(missed)
        if self._next_fire is not None and self._next_fire <= now:
            self._next_fire = None

    def take_requests(self, *, at_start: bool = False) -> None:
        """Queue what ``announcer play`` handed over (see ``handover``)."""
        if self.station is None or self.player is None:
            return
        self.handover.take(self.station, self.player, at_start=at_start)

    def take_relays(self) -> None:
        """Queue each relay window as it opens (``relay``); one joined late (a restart) airs the rest.
        With zones, each zone the relay airs in gets its own session, to its own player."""
        if self.station is None or self.player is None:
            return
        zones = self.player.sinks if isinstance(self.player, ZonePlayers) else None
        for session in self.relays.sessions(self.station, zones=zones):
            occ, item = session.occurrence()
            self.player.submit([Job(occ, item, "played", relay=session, zone=session.zone)], urgent=True)

    def seconds_to_next_fire(self, now: datetime | None = None) -> float | None:
        if self.schedule is None:
            return None
        now = now or self.clock()
        if self._next_fire is None or self._next_fire < now - timedelta(seconds=1):
            nxt = self.schedule.next_after(max(self._last_tick or now, now - timedelta(days=1)), horizon_days=2)
            self._next_fire = nxt.at if nxt else None
        if self._next_fire is None:
            return None
        return (self._next_fire - now).total_seconds()

    # --- the loop ----------------------------------------------------------------------------------------

    def housekeeping(self) -> None:
        now = self.clock()
        self.store.prune(now - timedelta(days=8))
        cutoff = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        self._queued = {k for k in self._queued if k[:16] >= cutoff}

    def build_scheduler(self) -> Periodic:
        """The periodic jobs, each guarded, on the monotonic clock."""
        jobs = Periodic(self.monotonic)
        jobs.every(1, guarded(self.tick, "tick"))
        # Four times a second: an emergency handed over by `announcer play` must reach the air (and an
        # Icecast listener) within 2 s; the inbox query costs next to nothing.
        jobs.every(HANDOVER_POLL_S, guarded(self.take_requests, "play-requests"))
        jobs.every(1, guarded(self.take_relays, "relays"))
        jobs.every(2, guarded(self.reload_if_changed, "reload"))
        jobs.every(5, guarded(self.store.flush, "record-retry"))
        jobs.every(max(1.0, 60 / self.rate), guarded(self.render_ahead, "render-ahead"))
        jobs.every(max(1.0, 60 / self.rate), guarded(self.beat, "heartbeat"))
        jobs.every(6 * 3600, guarded(self.housekeeping, "housekeeping"))
        return jobs

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set (by a signal handler, or a test)."""
        jobs = self.build_scheduler()
        tick = guarded(self.tick, "tick")
        next_fire = guarded(self.seconds_to_next_fire, "next-fire")
        while not stop.is_set():
            jobs.run_pending()
            wait = min(jobs.idle_seconds(), 1.0)
            due = None
            try:
                due = self.seconds_to_next_fire()
            except Exception:  # noqa: BLE001
                next_fire()
            if due is not None:
                due /= self.rate
                if due < wait:
                    wait = due
            if stop.wait(max(wait, 0.005)):
                break
            if due is not None and due <= wait:
                tick()

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
        self.relays.stop()
        for sink in self._sinks:
            close_sink(sink)
        self.render_worker.stop()
        self.store.flush()
        self.store.close()


def run_command(station_dir: Path | str, sink: str | None) -> int:
    """``announcer run``: refuses at once when another ``announcer run`` plays this station."""
    root = Path(station_dir)
    with RunLock(Station(root=root).state_dir):
        renders.warm_up()  # before a rehearsal clock starts: the first item must not wait for imports
        settings = clock_from_env(os.environ)
        runner = Runner(root, sink_spec=sink, clock=settings.clock, rate=settings.rate)
        runner.start()
        stop = threading.Event()
        with Signals(stop):
            try:
                runner.run_forever(stop)
            finally:
                runner.stop()
    log.warning("announcer run stopped")
    return 0
