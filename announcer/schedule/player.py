"""The playback worker: one item at a time, urgent items first, each recorded before it airs.

Threads: ``Player`` owns one worker thread (``announcer-player``), the only caller of the sink
and of ``Airing.play`` (and of a relay's ``play``). The loop thread calls ``submit``; ``_cond``
guards ``_queue``, ``_current``, ``_parked`` and ``_stopping``. ``Airing`` reads the render
worker's ``errors`` with single ``dict.get`` calls (the render thread may change them at any moment).

Record before air, and airing beats bookkeeping: an item is recorded ``started`` in the store
before the sink gets it; a restart never plays an item the store knows. When the record cannot
be saved (disk full, read-only ``.state``) the item airs anyway and the record is retried (see
``store``), with one exception that keeps the promise "never twice": an item that is only being
*caught up* after a start (a late slot, a hand-over left from before) may have aired in the run
that crashed, so it airs only when its record is durable (database or fallback journal).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from announcer.config import Station
from announcer.schedule import renders
from announcer.schedule.asrun import iso
from announcer.schedule.clock import Clock
from announcer.schedule.levels import Level
from announcer.schedule.model import Item, Occurrence
from announcer.schedule.sinks import Sink, SinkCut, SinkError
from announcer.schedule.store import ALREADY, UNRECORDED, PlayerStore

log = logging.getLogger(__name__)

RENDER_NOW_TIMEOUT = 120.0
"""How long a slot waits for a render that vanished just before it to be rebuilt."""


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
    catch_up: bool = False
    """Due before this start: a crashed run may have aired it, so it needs a durable record first."""
    take: str | None = None
    """The hand-over this job takes from the inbox when it starts."""
    urgent: bool = False
    sink: Sink | None = None
    """The zone's sink (``zones``); None: the player's one sink."""
    zone: str | None = None
    """The zone this job airs in (``zones``); None when the station has no zones."""
    relay: Resumable | None = None
    """A relay window (``relay.RelaySession``): it plays instead of ``item`` and may be resumed."""

    @property
    def priority(self) -> int:
        return self.item.priority if self.item.script is not None else self.occ.priority

    @property
    def key(self) -> str:
        """The store key: one per item and zone, so each zone airs (and records) it once."""
        return self.occ.item_key(self.item) + (f"@{self.zone}" if self.zone else "")

    @property
    def level(self) -> Level:
        """The item's level; a jingle takes its occurrence's, a hand-over the one ``play`` gave it."""
        return self.item.level if self.item.script is not None or self.handed_over else self.occ.level

    @property
    def rank(self) -> tuple[bool, bool, int, int | float]:
        """What decides a cut-in: khẩn cấp beats everything else; then a handed-over item beats any
        scheduled one; then the level, then priority. A relay ranks below every own item."""
        if self.relay is not None:
            return (False, False, -1, -math.inf)
        return (self.level == Level.KHAN_CAP, self.handed_over, int(self.level), self.priority)

    @property
    def cuts_relay(self) -> bool:
        """Own items at ưu tiên or khẩn cấp, and items handed over by ``announcer play``, interrupt a relay."""
        return self.relay is None and (self.handed_over or self.level.cuts_relay)


class Resumable(Protocol):
    """A job that can be interrupted and resumed (a relay window)."""

    done: bool

    def play(self, cut: threading.Event) -> None: ...

    def abandon(self, why: str) -> None: ...


class Player:
    """One playback at a time, in a worker thread; urgent higher-priority items cut in."""

    def __init__(self, sink: Sink, play_job: Callable[[Job, threading.Event], None]) -> None:
        self.sink = sink
        self._play_job = play_job
        self._queue: list[Job] = []
        self._cond = threading.Condition()
        self._current: Job | None = None
        self._parked: Job | None = None
        """A relay cut by an own item, waiting to resume."""
        self._cut = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="announcer-player", daemon=True)
        self._thread.start()

    def submit(self, jobs: Sequence[Job], urgent: bool = False) -> None:
        """Queue ``jobs``; urgent ones go before everything not urgent and after urgent ones of at least
        their rank, together and in order. An urgent batch of higher rank cuts in the item on air; a
        relay on air is cut by any item that may interrupt it (``Job.cuts_relay``)."""
        if not jobs:
            return
        with self._cond:
            top = max(jobs, key=lambda j: j.rank)
            if urgent:
                at = 0
                while at < len(self._queue) and self._queue[at].urgent and self._queue[at].rank >= top.rank:
                    at += 1
                for job in jobs:
                    job.urgent = True
                self._queue[at:at] = jobs
            else:
                self._queue.extend(jobs)
            current = self._current
            if current is not None and current.relay is not None:
                if any(job.cuts_relay for job in jobs):
                    log.warning("%s item cuts into the relay", top.level.label)
                    self._cut.set()
            elif urgent and current is not None and top.rank > current.rank:
                what = "item from announcer play" if top.handed_over else f"item (priority {top.priority})"
                log.warning("urgent %s %s cuts in", top.level.label, what)
                self._cut.set()
            self._cond.notify_all()

    def _next_job(self) -> Job:
        """The next job (under ``_cond``): a relay waiting to resume lets only what may cut it go first."""
        parked = self._parked
        if parked is not None:
            for index, job in enumerate(self._queue):
                if job.cuts_relay:
                    return self._queue.pop(index)
            self._parked = None
            return parked
        return self._queue.pop(0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and self._parked is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    self._current = None
                    self._cond.notify_all()
                    return
                job = self._next_job()
                self._current = job
                self._cut.clear()
            resumable = False
            try:
                if job.relay is not None:
                    job.relay.play(self._cut)
                    # Only a relay cut by an own item waits to resume; one that returned by itself
                    # (or raised) is over, or it could spin the worker forever.
                    resumable = not job.relay.done and self._cut.is_set()
                else:
                    self._play_job(job, self._cut)
            except Exception:  # noqa: BLE001 - one bad item must not end playback
                log.exception("playing %s failed", job.item.file)
            with self._cond:
                self._current = None
                stopping = self._stopping
                if resumable and not stopping:
                    self._parked = job  # cut by an own item: it resumes when that is over
                self._cond.notify_all()
            if resumable and stopping and job.relay is not None:
                job.relay.abandon("the player stopped")

    def waiting_since(self) -> list[datetime]:
        """Fire times of the items queued or on air (not settled yet)."""
        with self._cond:
            jobs = self._queue + ([self._current] if self._current is not None else [])
            return [job.occ.at for job in jobs if job.relay is None]

    def busy(self) -> bool:
        with self._cond:
            return self._current is not None or bool(self._queue) or self._parked is not None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: self._current is None and not self._queue and self._parked is None, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cut.set()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._cond:
            parked, self._parked = self._parked, None
        if parked is not None and parked.relay is not None:
            parked.relay.abandon("the player stopped")


class _Stale:
    """Is the render on air stale? Asked in a helper thread as the item starts: the first question
    may import the renderer (seconds on a small box), and the item must not wait for it."""

    def __init__(self, status_fn: renders.StatusFn, station: Station, script: Any) -> None:
        self._answer: list[bool] = []
        self._thread = threading.Thread(target=self._ask, args=(status_fn, station, script), daemon=True,
                                        name="announcer-stale-check")
        self._thread.start()

    def _ask(self, status_fn: renders.StatusFn, station: Station, script: Any) -> None:
        try:
            self._answer.append(status_fn(station, script) == renders.STALE)
        except Exception:  # noqa: BLE001 - a note is not worth an item
            self._answer.append(False)

    def result(self, timeout: float = 5.0) -> bool:
        self._thread.join(timeout)
        return bool(self._answer and self._answer[0])


class Airing:
    """Plays one job on the worker thread and keeps its records."""

    def __init__(
        self,
        root: Path,
        store: PlayerStore,
        clock: Clock,
        station: Callable[[], Station | None],
        sink: Callable[[], Sink],
        *,
        render_errors: Mapping[str, str],
        render_now: Callable[[Path], bool],
        status_fn: renders.StatusFn,
    ) -> None:
        self.root = root
        self.store = store
        self.clock = clock
        self._station = station
        self._sink = sink
        self._errors = render_errors
        self._render_now = render_now
        self._status_fn = status_fn

    def play(self, job: Job, cut: threading.Event) -> None:
        occ, item = job.occ, job.item
        key = job.key
        if self.store.handled(key):
            return
        station = self._station()
        assert station is not None
        error = job.note
        stem = item.script.stem if item.script is not None else None
        if item.script is not None and not item.file.is_file():
            log.error("%s is gone just before it airs; rebuilding it now", item.file)
            self._render_now(item.script.path)
        failed = self._errors.get(stem) if stem is not None and not job.handed_over else None
        if failed:
            error = f"rebuild failed, played the last good render: {failed}"
        if not item.file.is_file():
            what = "no render; run announcer build" if item.script is not None else "jingle file not found"
            if failed:
                what = f"no render; rebuild failed: {failed}"
            log.error("%s: %s", item.file, what)
            self.finish(job, "failed", None, None, what)
            return
        stale = _Stale(self._status_fn, station, item.script) if item.script and not job.handed_over else None
        started = self.clock()
        outcome = self.store.start(key, self.fields(occ, item, started), take=job.take)
        if outcome == ALREADY:
            return
        if outcome == UNRECORDED and job.catch_up:
            log.critical(
                "%s (%s) is not caught up: its record cannot be saved anywhere, and the run before this start "
                "may have aired it", item.file.name, occ.slot or occ.source,
            )
            return
        if outcome != "recorded":
            log.critical("airing %s although its record is not in the player database yet", item.file.name)
        started = self.clock()  # on air now (writing the record may have taken a moment)
        duration = renders.audio_duration(item.file)
        log.info("playing %s (%s)", item.file.name, occ.slot or occ.source)
        try:
            finished = (job.sink or self._sink()).play(item.file, duration, cut)
        except SinkCut as exc:  # it aired, but the listeners lost part of it
            self.finish(job, "cut", started, self.clock(), str(exc))
            return
        except SinkError as exc:
            self.finish(job, "failed", started, self.clock(), str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.finish(job, "failed", started, self.clock(), f"{type(exc).__name__}: {exc}")
            return
        status = job.fire_status if finished else "cut"
        if not finished:
            error = "cut in by an urgent item or by stopping the player"
        elif error is None and stale is not None and stale.result():
            error = "stale render: the script changed after it was rendered; the rebuild is under way"
        self.finish(job, status, started, self.clock(), error)

    def fields(self, occ: Occurrence, item: Item, started: datetime | None) -> dict[str, Any]:
        station = self._station()
        assert station is not None
        return {
            "scheduled": iso(occ.at, station.tz, "seconds"),
            "started": iso(started, station.tz),
            "slot": occ.slot,
            "source": occ.source,
            "script": self.rel(item.script.path) if item.script is not None else None,
            "file": self.rel(item.file),
            "title": item.title,
        }

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def record(
        self, occ: Occurrence, item: Item, status: str, started: datetime | None, ended: datetime | None,
        error: str | None,
    ) -> dict[str, Any]:
        """An as-run record (the same keys, in the same order, as ever)."""
        station = self._station()
        assert station is not None
        fields = self.fields(occ, item, started)
        return {
            "scheduled": fields["scheduled"],
            "started": fields["started"],
            "ended": iso(ended, station.tz),
            "slot": fields["slot"],
            "source": fields["source"],
            "script": fields["script"],
            "file": fields["file"],
            "status": status,
            "error": error,
            "title": fields["title"],
        }

    def finish(
        self, job: Job, status: str, started: datetime | None, ended: datetime | None, error: str | None
    ) -> None:
        record = self.record(job.occ, job.item, status, started, ended, error)
        if job.zone:
            record["zone"] = job.zone
        self.store.finish(job.key, record, take=job.take)
