"""Render-ahead: rebuild stale or missing renders before they air, off the loop thread.

Threads: the loop thread calls ``RenderAhead.check`` (which scripts need a build) and
``RenderWorker.request``; the render worker thread (``announcer-render``) runs the builds and is
the only writer of ``errors``; the playback worker reads ``errors`` (one ``dict.get`` at a time,
never "check then index") and calls ``render_now`` for a render that vanished just before its
slot. ``_lock`` guards ``_queued``, ``_running``, ``_again`` and ``_done``.

A request for a script that is rendering *now* is not dropped: it is built again when the
current build ends (the file may have been edited after the build read it). A script counts as
rendered only when the build's outcome is known: nothing is marked done ahead of time, the next
check simply asks the render status again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from announcer.config import Station
from announcer.schedule import renders
from announcer.schedule.model import Schedule

log = logging.getLogger(__name__)

RENDER_LEAD = timedelta(minutes=15)
"""Stale scripts of a slot are rebuilt this long before it."""
FALLBACK_RETRY = timedelta(minutes=10)
"""A render read by a fallback engine is offered to the build this often (it redoes it once the
first engine answers again)."""


class RenderWorker:
    """Rebuilds scripts one at a time in its own thread (or inline when ``background`` is False)."""

    def __init__(self, build: Callable[[list[Path]], dict[str, str | None]], background: bool = True) -> None:
        self._build = build
        self._background = background
        self._lock = threading.Condition()
        self._queued: list[Path] = []
        self._running: set[Path] = set()
        self._again: set[Path] = set()
        self._stopping = False
        self._calls: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self.errors: dict[str, str] = {}
        """Script stem -> why its last rebuild failed (the last good render plays meanwhile)."""

    def start(self) -> None:
        if self._background:
            self._thread = threading.Thread(target=self._run, name="announcer-render", daemon=True)
            self._thread.start()

    def request(self, paths: Sequence[Path]) -> None:
        with self._lock:
            for path in paths:
                if path in self._running:
                    self._again.add(path)  # edited while it renders: build it again afterwards
                elif path not in self._queued:
                    self._queued.append(path)
            self._lock.notify_all()
        if not self._background:
            self._drain()

    def later(self, call: Callable[[], None]) -> None:
        """Run ``call`` on the render thread (a render-ahead check: it may import the renderer,
        which takes seconds on a small box, and must never hold up the loop)."""
        if not self._background:
            call()
            return
        with self._lock:
            if call not in self._calls:
                self._calls.append(call)
            self._lock.notify_all()

    def render_now(self, path: Path, timeout: float) -> bool:
        """Build ``path`` before anything else queued and wait for it; False when it did not finish in time."""
        with self._lock:
            if path in self._queued:
                self._queued.remove(path)
            if path in self._running:
                self._again.add(path)
            else:
                self._queued.insert(0, path)
            self._lock.notify_all()
        if not self._background:
            self._drain()
            return True
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._stopping and (path in self._queued or path in self._running or path in self._again):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))
            return True

    def _next(self) -> Path | None:
        """The next script to build, running the checks queued before it; None to stop (or, inline, when done)."""
        while True:
            with self._lock:
                while not self._queued and not self._calls and not self._stopping:
                    if not self._background:
                        return None
                    self._lock.wait()
                if self._stopping:
                    return None
                if not self._calls:
                    path = self._queued.pop(0)
                    self._running.add(path)
                    return path
                call = self._calls.pop(0)
            try:
                call()
            except Exception:  # noqa: BLE001 - a failed check must not end the render thread
                log.exception("render-ahead check failed")

    def _one(self, path: Path) -> None:
        try:
            outcome = self._build([path])
        except Exception as exc:  # noqa: BLE001 - a failed render keeps the last good one
            outcome = {path.stem: f"{type(exc).__name__}: {exc}"}
            log.error("rendering %s failed (%s); the last good render will play", path.name, exc)
        for stem, error in outcome.items():
            if error:
                self.errors[stem] = error
            else:
                self.errors.pop(stem, None)
        with self._lock:
            self._running.discard(path)
            if path in self._again:
                self._again.discard(path)
                if path not in self._queued:
                    self._queued.insert(0, path)
            self._lock.notify_all()

    def _drain(self) -> None:
        while (path := self._next()) is not None:
            self._one(path)

    def _run(self) -> None:
        while (path := self._next()) is not None:
            self._one(path)

    def idle(self) -> bool:
        with self._lock:
            return not self._queued and not self._running

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queued or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))
            return True

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(0.5)  # a render in progress is abandoned (daemon thread)


class RenderAhead:
    """Which scripts need a build before they air; asks the render status every time (loop thread)."""

    def __init__(self, worker: RenderWorker, status_fn: renders.StatusFn) -> None:
        self.worker = worker
        self._status_fn = status_fn
        self._fallback_tried: dict[Path, datetime] = {}

    def check(self, station: Station, schedule: Schedule, now: datetime, horizon: timedelta = RENDER_LEAD) -> None:
        grace = timedelta(minutes=station.player.grace_minutes)
        todo: dict[Path, None] = {}
        for occ in schedule.between(now - grace, now + horizon):
            for script in occ.scripts:
                if script.path in todo:
                    continue
                status = self._status_fn(station, script)
                if status == renders.FALLBACK:
                    tried = self._fallback_tried.get(script.path)
                    if tried is not None and timedelta(0) <= now - tried < FALLBACK_RETRY:
                        continue
                    self._fallback_tried[script.path] = now
                elif status == renders.FRESH:
                    continue
                todo[script.path] = None
        if todo:
            self.worker.request(sorted(todo))
