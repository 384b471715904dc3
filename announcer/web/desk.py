"""Phát ngay's engine room: puts a script (or a short typed text) on air through ``announcer play``'s path.

Each request becomes a ``PlayJob`` run on its own thread, because a render or a whole item can
take minutes. The job calls ``announcer.schedule.handover.play_command`` — the very code of
``announcer play``: when ``announcer run`` holds the station the item is handed over to it (it plays
next, cutting in) and the job follows the request in the player's database until it starts;
otherwise it plays here on the station's sink, one item at a time (``_airing`` lock), and an
urgent (khẩn cấp) item stops the one playing first.

Threads: request threads call ``start`` and read jobs; each job thread writes only its own job's
fields (under ``_lock``). ``jobs`` keeps the last ``KEEP`` jobs.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from announcer.config import Station
from announcer.errors import AnnouncerError
from announcer.schedule.levels import parse_level
from announcer.schedule.sinks import Sink, parse_sink

log = logging.getLogger(__name__)

LEVELS = ("thong-thuong", "uu-tien", "khan-cap")
"""thông thường, ưu tiên, khẩn cấp: the slugs of ``announcer.schedule.levels.Level``."""
URGENT = "khan-cap"
KEEP = 50
MAX_TEXT = 1000
"""Characters of a typed text (about a minute of reading); longer notices belong in a script."""

PREPARING, HANDED, PLAYING, DONE, CUT, FAILED = "preparing", "handed", "playing", "done", "cut", "failed"
FINAL = frozenset({DONE, CUT, FAILED})


@dataclass
class PlayJob:
    ident: str
    title: str
    level: str
    by: str
    created: datetime
    script: str | None = None
    state: str = PREPARING
    started: datetime | None = None
    ended: datetime | None = None
    request: str | None = None
    """The hand-over's ident when ``announcer run`` took it."""
    error: Any = None
    """An AnnouncerError (shown in the station's language), or text."""


class _NotingSink:
    """The station's sink, telling the job when the item really starts."""

    def __init__(self, inner: Sink, started: Callable[[], None]) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "sink")
        self._started = started

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        self._started()
        return self.inner.play(path, duration_s, stop)

    def probe(self) -> str | None:
        return self.inner.probe()


class Desk:
    def __init__(self, root: Path, clock: Callable[[], datetime], view: Any,
                 sink_factory: Callable[[Station], Sink] | None = None,
                 say: Callable[[Station, str, Path], Any] | None = None) -> None:
        self.root = root
        self.clock = clock
        self.view = view
        self.sink_factory = sink_factory
        self.say = say
        self.jobs: OrderedDict[str, PlayJob] = OrderedDict()
        self._lock = threading.Lock()
        self._airing = threading.Lock()
        self._stop: threading.Event | None = None
        self._threads: list[threading.Thread] = []

    # --- asking --------------------------------------------------------------------------------------------

    def get(self, ident: str) -> PlayJob | None:
        with self._lock:
            job = self.jobs.get(ident)
            return replace(job) if job is not None else None

    def refresh(self, station: Station, ident: str) -> PlayJob | None:
        """The job, with the start of a handed-over item read from the player's database."""
        job = self.get(ident)
        if job is None or job.state != HANDED or job.request is None:
            return job
        record = self.view.handover_record(station, job.request)
        if record is not None:
            status = record.get("status")
            started = _time(record.get("started"))
            with self._lock:
                live = self.jobs[ident]
                live.started = started or live.started
                live.ended = _time(record.get("ended"))
                if status == "started":
                    live.state = PLAYING
                elif status in ("played", "late"):
                    live.state = DONE
                elif status == "cut":
                    live.state = CUT
                else:
                    live.state, live.error = FAILED, record.get("error") or status
            job = self.get(ident)
        return job

    # --- starting ------------------------------------------------------------------------------------------

    def start(self, station: Station, *, by: str, level: str, script: Path | None = None, text: str | None = None,
              title: str = "") -> PlayJob:
        now = self.clock()
        job = PlayJob(uuid.uuid4().hex[:12], title, level, by, now,
                      script=script.name if script is not None else None)
        with self._lock:
            self.jobs[job.ident] = job
            while len(self.jobs) > KEEP:
                self.jobs.popitem(last=False)
        thread = threading.Thread(target=self._run, args=(job.ident, station, script, text), daemon=True,
                                  name=f"phat-ngay-{job.ident}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return replace(job)

    def wait(self, timeout: float = 30.0) -> None:
        """Let every job thread finish (tests, shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _set(self, ident: str, **fields: Any) -> None:
        with self._lock:
            job = self.jobs.get(ident)
            if job is not None:
                for key, value in fields.items():
                    setattr(job, key, value)

    def _run(self, ident: str, station: Station, script: Path | None, text: str | None) -> None:
        from announcer.schedule.handover import play_command

        job = self.get(ident)
        assert job is not None
        try:
            target = script if script is not None else self._speak(station, text or "", job)
            if job.level == URGENT and self._stop is not None:
                self._stop.set()  # khẩn cấp: the item playing here stops now
            stop = threading.Event()
            with self._airing:
                self._stop = stop
                sink = self._sink(station, ident)
                code = play_command(self.root, target, None, clock=self.clock, stop=stop, sink_obj=sink,
                                    report=lambda message: None,
                                    handed=lambda request: self._set(ident, state=HANDED, request=request),
                                    level=parse_level(job.level))
                self._stop = None
            current = self.get(ident)
            if current is not None and current.state != HANDED:
                self._set(ident, state=DONE if code == 0 else CUT, ended=self.clock())
        except AnnouncerError as exc:
            log.warning("phát ngay %s: %s", ident, exc)
            self._set(ident, state=FAILED, error=exc)
        except Exception as exc:  # noqa: BLE001 - the page must say it failed, whatever happened
            log.exception("phát ngay %s failed", ident)
            self._set(ident, state=FAILED, error=f"{type(exc).__name__}: {exc}")

    def _sink(self, station: Station, ident: str) -> Sink:
        inner = (self.sink_factory(station) if self.sink_factory is not None else
                 parse_sink(station.player.sink, clock=self.clock, tz=station.tz))
        return _NotingSink(inner, lambda: self._set(ident, state=PLAYING, started=self.clock()))

    def _speak(self, station: Station, text: str, job: PlayJob) -> Path:
        """A typed text read into ``audio_out/phat-ngay-<time>-<id>.mp3`` (kept: the log names it)."""
        stamp = self.clock().astimezone(station.tz).strftime("%Y%m%d-%H%M%S")
        output = station.audio_out / f"phat-ngay-{stamp}-{job.ident[:6]}.mp3"
        output.parent.mkdir(parents=True, exist_ok=True)
        if self.say is not None:
            self.say(station, text, output)
        else:
            from announcer.render import say_text

            say_text(station, text, output)
        return output


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass
class Choice:
    """A script offered on the Phát ngay page."""

    name: str
    title: str
    render: str
    waiting: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
