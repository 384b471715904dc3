"""Scheduled relays ("tiếp âm"): an upstream stream aired through the sink inside its windows.

What goes wrong in other playout systems, and what this module does about each:
- a remote stream that does not start at its time (AzuraCast #5311, LibreTime #1197): the stream
  must send audio within ``start_timeout_s``, else the fallback plays while it is retried;
- a stream that stops early or drops (AzuraCast #8627): ffmpeg exiting or going quiet for
  ``stall_timeout_s`` is a drop; it is reopened with a doubling wait (1 s up to ``retry_max_s``)
  until the window ends, never given up on inside the window;
- dead air with no fallback (LibreTime #229, #722): the relay's ``fallback`` (a file or a
  playlist) plays while the stream is down, silence only when none is set;
- an upstream slower than real time, or a player busy with an own item when the window opens:
  the as-run line says how many minutes of the window the stream was missing, and why.

The stream is decoded by ffmpeg at the station loudness (one-pass ``loudnorm``, or a fixed gain)
into short WAV pieces (``segment_s``) that the sink plays one after the other, so every sink
(sound card, command, folder, Icecast) airs a relay without knowing about streams.

Threads and who owns what:
- ``StreamFeed`` owns one thread (``announcer-relay-feed``) and its ffmpeg child; it alone writes
  ``_pieces`` (under ``_lock``), ``causes`` and the ``failing``/``audio`` events;
- ``RelaySession.play`` runs on the playback worker (``player.Player``), the only caller of the
  sink; it takes pieces, plays them or the fallback, and keeps the relay's as-run record;
- ``RelayScheduler.sessions`` runs on the runner's loop thread and only makes sessions: one per
  window and zone (``relay_zones``), each with its own stream and the zone's sink, so each zone's
  player runs (and cuts into) its own copy of the relay.
Airing beats bookkeeping: a relay fault never raises out of ``play``; the player goes on.
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any, Protocol

from announcer import procs
from announcer.config import DAY_NAMES, Relay, Station, parse_hhmm
from announcer.schedule.asrun import iso
from announcer.schedule.clock import Clock, Monotonic
from announcer.schedule.model import Item, Occurrence
from announcer.schedule.sinks import Sink, Waiter, real_wait
from announcer.schedule.store import ALREADY, PlayerStore

log = logging.getLogger(__name__)

RELAY_SOURCE = "relay"
"""Occurrence source and as-run 'source' of a relay."""
PLAYED, PARTIAL, FAILED = "played", "partial", "failed"
FIRST_RETRY_S = 1.0
"""The first wait before a stream is reopened; it doubles up to the relay's ``retry_max_s``."""
POLL_S = 0.1
"""How often the feed looks at ffmpeg's output, and the silence step when there is nothing to air."""
STDERR_TAIL = 20
PREROLL_S = 10.0
"""A relay's stream is opened this long before its window, so the window opens on audio."""

Spawn = Callable[[Sequence[str]], "subprocess.Popen[bytes]"]
"""Starts ffmpeg (argv) with stdout discarded and stderr piped; tests may inject their own."""


def spawn_ffmpeg(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    return procs.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def default_ffmpeg() -> str:
    from announcer.audio.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


# --- windows --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayWindow:
    relay: Relay
    start: datetime
    """Aware, in the station time zone."""
    end: datetime

    @property
    def key(self) -> str:
        """Store key of the window (``|part-N`` is added for a part aired after a restart)."""
        return f"{self.start.strftime('%Y-%m-%dT%H:%M')}|{RELAY_SOURCE}:{self.relay.name}"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def relay_airs_on(relay: Relay, day: date) -> bool:
    if relay.date_from and day < relay.date_from:
        return False
    if relay.date_until and day > relay.date_until:
        return False
    return DAY_NAMES[day.weekday()] in relay.days


def relay_zones(relay: Relay, known: Sequence[str]) -> list[str]:
    """The zones ``relay`` airs in: those it names, every zone when it names none. A name not among
    ``known`` (station.toml edited while the player runs) is logged; naming none known airs
    everywhere, since a misspelt zone must not silence the relay."""
    chosen = [name for name in known if name in relay.zones]
    unknown = [name for name in relay.zones if name not in known]
    if unknown:
        log.error("relay %s names unknown zone(s) %s; known zones: %s", relay.name, ", ".join(unknown),
                  ", ".join(known))
    return chosen or list(known)


def windows_on(station: Station, day: date) -> list[RelayWindow]:
    """The relay windows that open on ``day`` (a window may run past midnight), by start."""
    out = []
    for relay in station.relays:
        if not relay_airs_on(relay, day):
            continue
        hour, minute = parse_hhmm(relay.at)
        start = datetime.combine(day, dtime(hour, minute), tzinfo=station.tz)
        out.append(RelayWindow(relay, start, start + timedelta(seconds=relay.duration_s)))
    return sorted(out, key=lambda w: (w.start, w.relay.name))


def windows_between(station: Station, start: datetime, end: datetime) -> list[RelayWindow]:
    """Windows that overlap [start, end)."""
    tz = station.tz
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    out: list[RelayWindow] = []
    while day <= last:
        out.extend(w for w in windows_on(station, day) if w.start < end and w.end > start)
        day += timedelta(days=1)
    return out


def open_windows(station: Station, moment: datetime) -> list[RelayWindow]:
    return [w for w in windows_between(station, moment, moment + timedelta(microseconds=1)) if w.contains(moment)]


# --- fallback -------------------------------------------------------------------------------------------

PLAYLIST_SUFFIXES = (".m3u", ".m3u8", ".txt", ".pls")


def fallback_files(station: Station, fallback: str | None) -> tuple[list[Path], list[str]]:
    """The files a fallback plays, in order, and what is wrong with it (missing files, links leaving
    the station). A playlist lists one file a line, relative to the playlist; '#' lines are comments."""
    if not fallback:
        return [], []
    path = station.resolve(fallback)
    problems: list[str] = []
    if not path.is_file():
        return [], [f"fallback {fallback!r} not found"]
    if path.suffix.lower() not in PLAYLIST_SUFFIXES:
        return [path], []
    files: list[Path] = []
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        return [], [f"cannot read the playlist {fallback!r}: {exc.strerror or exc}"]
    for number, raw in enumerate(text.splitlines(), 1):
        entry = raw.strip()
        if not entry or entry.startswith("#") or entry.lower().startswith(("file", "title", "length", "[")):
            if not entry.lower().startswith("file"):
                continue
            entry = entry.split("=", 1)[-1].strip()  # a .pls line File1=x.mp3
        target = Path(entry) if Path(entry).is_absolute() else path.parent / entry
        if station.outside(target) is not None:
            problems.append(f"{fallback}:{number}: {entry!r} is outside the station folder (and media_dirs)")
        elif not target.is_file():
            problems.append(f"{fallback}:{number}: {entry!r} not found")
        else:
            files.append(target)
    if not files and not problems:
        problems.append(f"the playlist {fallback!r} lists no file")
    return files, problems


# --- the stream ------------------------------------------------------------------------------------------


def ffmpeg_command(exe: str, relay: Relay, station: Station, folder: Path) -> list[str]:
    """ffmpeg reading the stream and writing WAV pieces of ``segment_s`` plus a list of finished ones."""
    audio = station.audio
    if relay.gain_db is not None:
        limit = 10 ** (audio.true_peak_db / 20)
        levelling = f"volume={relay.gain_db:g}dB,alimiter=limit={limit:.4f}:level=disabled"
    else:  # one pass, no look-ahead file: each stream is levelled as it comes, like a broadcast processor
        levelling = f"loudnorm=I={audio.loudness_lufs:g}:TP={audio.true_peak_db:g}:LRA=11"
    return [
        exe, "-hide_banner", "-nostdin", "-loglevel", "error",
        "-rw_timeout", str(int(relay.stall_timeout_s * 1_000_000)),
        "-i", relay.url, "-vn", "-af", levelling, "-ac", "1", "-ar", str(audio.sample_rate),
        "-c:a", "pcm_s16le", "-f", "segment", "-segment_time", f"{relay.segment_s:g}",
        "-segment_format", "wav", "-segment_list", str(folder / "pieces.csv"), "-segment_list_type", "csv",
        str(folder / "piece%06d.wav"),
    ]


def wav_seconds(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as handle:
            return handle.getnframes() / float(handle.getframerate())
    except (wave.Error, EOFError, OSError):
        return 0.0


class StreamFeed:
    """Keeps the stream coming inside the window: ffmpeg, reopened with backoff when it fails."""

    def __init__(
        self, relay: Relay, station: Station, end: Callable[[], bool], *, spawn: Spawn = spawn_ffmpeg,
        ffmpeg: Callable[[], str] = default_ffmpeg, monotonic: Monotonic = time.monotonic,
        wait: Waiter = real_wait, folder: Path | None = None,
    ) -> None:
        self.relay = relay
        self.station = station
        self._over = end
        self._spawn = spawn
        self._ffmpeg = ffmpeg
        self._monotonic = monotonic
        self._wait = wait
        self._own_folder = folder is None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="announcer-relay-"))
        self._lock = threading.Lock()
        self._pieces: deque[tuple[Path, float]] = deque()
        self.audio = threading.Event()
        """Set while pieces are waiting to air."""
        self.failing = threading.Event()
        """Set from a failed start or a drop until the stream sends audio again."""
        self.causes: list[tuple[float, str]] = []
        """(monotonic time, what went wrong), oldest first."""
        self.attempts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="announcer-relay-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None:
            procs.terminate(proc, grace=1.0)
        if self._thread is not None:
            self._thread.join(5.0)
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def take(self) -> tuple[Path, float] | None:
        """The next piece to air (path, seconds), or None."""
        with self._lock:
            piece = self._pieces.popleft() if self._pieces else None
            if not self._pieces:
                self.audio.clear()
            return piece

    def started(self) -> bool:
        return self._thread is not None

    def causes_since(self, moment: float) -> list[str]:
        return [text for when, text in list(self.causes) if when >= moment]

    def _cause(self, text: str) -> None:
        log.warning("relay %s: %s", self.relay.name, text)
        self.causes.append((self._monotonic(), text))
        self.failing.set()

    def _run(self) -> None:
        delay = FIRST_RETRY_S
        while not self._stop.is_set() and not self._over():
            try:
                sent_audio = self._attempt()
            except Exception as exc:  # noqa: BLE001 - the feed must outlive any fault inside the window
                log.exception("relay %s: the stream reader failed", self.relay.name)
                self._cause(f"the stream reader failed: {type(exc).__name__}: {exc}")
                sent_audio = False
            if self._stop.is_set() or self._over():
                break
            delay = FIRST_RETRY_S if sent_audio else delay
            log.info("relay %s: reopening the stream in %.0f s", self.relay.name, delay)
            if self._wait(self._stop, delay):
                break
            delay = min(delay * 2, self.relay.retry_max_s)

    def _attempt(self) -> bool:
        """One ffmpeg run, until it ends, stalls or the window ends; True when it sent audio."""
        self.attempts += 1
        attempt = self.folder / f"try{self.attempts:04d}"
        attempt.mkdir(parents=True, exist_ok=True)
        argv = ffmpeg_command(self._ffmpeg(), self.relay, self.station, attempt)
        try:
            proc = self._spawn(argv)
        except OSError as exc:
            self._cause(f"cannot run ffmpeg: {exc.strerror or exc}")
            return False
        self._proc = proc
        tail: deque[str] = deque(maxlen=STDERR_TAIL)
        drain = threading.Thread(target=procs.drain_lines, args=(proc.stderr, tail), name="relay-stderr", daemon=True)
        drain.start()
        listed = 0
        sent = False
        progress: tuple[int, int] = (0, 0)
        last = self._monotonic()
        try:
            while True:
                listed, new = self._collect(attempt, listed)
                if new:
                    sent = True
                    self.failing.clear()
                exited = proc.poll() is not None
                if exited:
                    listed, new = self._collect(attempt, listed)  # the last piece is listed as ffmpeg ends
                    sent = sent or new > 0
                    break
                if self._stop.is_set() or self._over():
                    return sent
                now = self._monotonic()
                current = (listed, _size(attempt / f"piece{listed:06d}.wav"))
                if current != progress:
                    progress, last = current, now
                limit = self.relay.stall_timeout_s if sent else self.relay.start_timeout_s
                # A piece is only listed when complete: give ffmpeg a piece's length on top of the limit.
                if now - last > limit + (0 if current[1] else self.relay.segment_s):
                    what = (f"the stream stalled: no audio for {limit:g} s" if sent
                            else f"the stream sent no audio within {limit:g} s of opening")
                    self._cause(what + _last(tail))
                    return sent
                self._stop.wait(POLL_S)
        finally:
            procs.terminate(proc, grace=1.0)
            self._proc = None
            drain.join(1.0)
        if self._over() or self._stop.is_set():
            return sent
        status = proc.returncode
        if sent:
            self._cause("the stream ended or dropped" + (_last(tail) or f" (ffmpeg exit status {status})"))
        else:
            self._cause("the stream could not be opened" + (_last(tail) or f" (ffmpeg exit status {status})"))
        return sent

    def _collect(self, folder: Path, listed: int) -> tuple[int, int]:
        """Queue the pieces ffmpeg has finished since ``listed``; (pieces listed, pieces new)."""
        try:
            with (folder / "pieces.csv").open(newline="", encoding="utf-8") as handle:
                rows = [row for row in csv.reader(handle) if row]
        except OSError:
            return listed, 0
        new = 0
        for row in rows[listed:]:
            path = folder / row[0]
            seconds = wav_seconds(path)
            if seconds <= 0:
                continue
            with self._lock:
                self._pieces.append((path, seconds))
                self.audio.set()
            new += 1
        return len(rows), new


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


_FFMPEG_PREFIX = re.compile(r"^(\[[^\]]*@ ?0x[0-9a-f]+\]\s*)+")


def _last(tail: deque[str]) -> str:
    """ffmpeg's last message, without its '[in#0/mp3 @ 0x55...]' prefixes."""
    return f": {_FFMPEG_PREFIX.sub('', tail[-1])}" if tail else ""


# --- one window on air -----------------------------------------------------------------------------------


class _Either:
    """An event set when ``cut`` is set, ``wake`` is set, or ``deadline()`` says so (polled)."""

    def __init__(self, cut: threading.Event, wake: threading.Event, deadline: Callable[[], bool]) -> None:
        self.event = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(cut, wake, deadline), daemon=True,
                                        name="announcer-relay-watch")
        self._thread.start()

    def _watch(self, cut: threading.Event, wake: threading.Event, deadline: Callable[[], bool]) -> None:
        while not self._done.is_set():
            if cut.is_set() or wake.is_set() or deadline():
                self.event.set()
                return
            self._done.wait(POLL_S / 2)

    def close(self) -> None:
        self._done.set()
        self._thread.join(1.0)


class FeedFactory(Protocol):
    def __call__(self, relay: Relay, station: Station, end: Callable[[], bool]) -> StreamFeed: ...


class RelaySession:
    """One relay window on the playback worker: the stream, or the fallback while it is down.

    ``play`` returns when the window ends (``done``), or when ``cut`` is set by an own item at
    ưu tiên or khẩn cấp; then the player runs that item and calls ``play`` again: the relay
    resumes, one as-run record for the whole window.
    """

    def __init__(
        self, window: RelayWindow, key: str, *, station: Station, store: PlayerStore, sink: Callable[[], Sink],
        clock: Clock, feed: FeedFactory, wait: Waiter = real_wait, monotonic: Monotonic = time.monotonic,
        zone: str | None = None,
    ) -> None:
        self.window = window
        self.key = key
        self.zone = zone
        """The zone this session airs in (its sink is that zone's); None when the station has no zones."""
        self.station = station
        self.store = store
        self._sink = sink
        self.clock = clock
        self._feed_factory = feed
        self._wait = wait
        self._monotonic = monotonic
        self.done = False
        self.feed: StreamFeed | None = None
        self.started: datetime | None = None
        self.first_audio: datetime | None = None
        self.stream_s = 0.0
        self.own_items_s = 0.0
        self.fallback_s = 0.0
        self.faults: list[str] = []
        self._paused_at: datetime | None = None
        self._began = 0.0
        self._fallback, problems = fallback_files(station, window.relay.fallback)
        self._next_fallback = 0
        for problem in problems:
            log.error("relay %s: %s; silence instead while the stream is down", window.relay.name, problem)

    def occurrence(self) -> tuple[Occurrence, Item]:
        relay = self.window.relay
        item = Item(RELAY_SOURCE, self.station.resolve(relay.fallback or "."), title=relay.name)
        return RelayOccurrence(self.window.start, None, RELAY_SOURCE, [item], relay_key=self.key), item

    def _over(self) -> bool:
        return self.clock() >= self.window.end

    def prepare(self) -> None:
        """Open the stream ahead of the window, so its first seconds are ready when it opens
        (ffmpeg needs a moment to connect and probe, loudnorm a few seconds to look ahead)."""
        if self.feed is None:
            self.feed = self._feed_factory(self.window.relay, self.station, self._over)
            self.feed.start()

    def discard(self) -> None:
        """Prepared but never aired (the player stopped first)."""
        if self.feed is not None and self.started is None:
            self.feed.stop()

    def play(self, cut: threading.Event) -> None:
        """Air the window until it ends or ``cut`` is set; never raises."""
        try:
            self._play(cut)
        except Exception as exc:  # noqa: BLE001 - airing beats bookkeeping: the player goes on
            log.exception("relay %s failed", self.window.relay.name)
            self.faults.append(f"{type(exc).__name__}: {exc}")
            self.finish(stopped="the relay failed inside the player")

    def _play(self, cut: threading.Event) -> None:
        relay = self.window.relay
        now = self.clock()
        if self.started is None:
            if now >= self.window.end:
                self.started = now
                self.faults.append("the window was over before the relay could start (the player was busy)")
                self._record_start()
                self.finish()
                return
            self.started = now
            if self._record_start() == ALREADY:
                self.done = True
                return
            self._began = self._monotonic()
            log.warning("relay %s on air until %s", relay.name, self.window.end.strftime("%H:%M:%S"))
            self.prepare()
        elif self._paused_at is not None:
            self.own_items_s += max(0.0, (now - self._paused_at).total_seconds())
            self._paused_at = None
            log.warning("relay %s resumes", relay.name)
        feed = self.feed
        assert feed is not None
        while not cut.is_set() and not self._over():
            piece = feed.take()
            if piece is not None:
                self._air_piece(piece, cut)
            elif feed.failing.is_set():
                self._air_fallback(feed, cut)
            else:
                self._wait(cut, POLL_S)  # the stream is opening or between two pieces: short silence
        if cut.is_set() and not self._over():
            self._paused_at = self.clock()
            log.warning("relay %s interrupted by an own item; it resumes after it", relay.name)
            return
        self.finish()

    def _air_piece(self, piece: tuple[Path, float], cut: threading.Event) -> None:
        path, seconds = piece
        if self.first_audio is None:
            self.first_audio = self.clock()
        try:
            finished = self._sink().play(path, seconds, cut)
        except Exception as exc:  # noqa: BLE001 - a sink fault costs this piece, not the relay
            self._fault(f"the output failed: {exc}")
            self._wait(cut, min(1.0, seconds))
            return
        finally:
            path.unlink(missing_ok=True)
        if finished:
            self.stream_s += seconds

    def _air_fallback(self, feed: StreamFeed, cut: threading.Event) -> None:
        watch = _Either(cut, feed.audio, self._over)
        began = self._monotonic()
        try:
            if not self._fallback:
                self._wait(watch.event, 3600.0)
                return
            path = self._fallback[self._next_fallback % len(self._fallback)]
            self._next_fallback += 1
            from announcer.schedule import renders

            log.info("relay %s: stream down, playing the fallback %s", self.window.relay.name, path.name)
            try:
                self._sink().play(path, renders.audio_duration(path), watch.event)
            except Exception as exc:  # noqa: BLE001
                self._fault(f"the fallback {path.name} could not be played: {exc}")
                self._wait(watch.event, 3600.0)
        finally:
            watch.close()
            self.fallback_s += self._monotonic() - began

    def _fault(self, text: str) -> None:
        log.error("relay %s: %s", self.window.relay.name, text)
        if text not in self.faults:
            self.faults.append(text)

    def abandon(self, why: str) -> None:
        """The player stops while this relay waits to resume: close its record."""
        if not self.done and self.started is not None:
            self.finish(stopped=why)

    # --- the record ------------------------------------------------------------------------------------

    def _fields(self) -> dict[str, Any]:
        tz = self.station.tz
        relay = self.window.relay
        fields = {
            "scheduled": iso(self.window.start, tz, "seconds"),
            "started": iso(self.started, tz),
            "slot": None,
            "source": RELAY_SOURCE,
            "script": None,
            "file": relay.url,
            "title": relay.name,
        }
        return fields | ({"zone": self.zone} if self.zone else {})

    def _record_start(self) -> str:
        return self.store.start(self.key, self._fields())

    def record(self, ended: datetime, stopped: str | None = None) -> dict[str, Any]:
        """The as-run line: played, partial (with the minutes missing) or failed, and the causes."""
        relay = self.window.relay
        started = self.started or ended
        # A part aired after a restart answers for its own stretch; the part before has its own line.
        begin = max(started, self.window.start) if "|part-" in self.key else self.window.start
        span = max(0.0, (min(ended, self.window.end) - begin).total_seconds())
        missing_s = max(0.0, span - self.stream_s - self.own_items_s)
        # A stream needs a moment to open and fill its first piece: that much is not "missing".
        tolerance = relay.start_timeout_s + relay.segment_s
        causes = list(dict.fromkeys(self._causes()))
        if self.stream_s <= 0:
            status = FAILED
        elif causes or missing_s > tolerance or stopped:
            status = PARTIAL
        else:
            status = PLAYED
        notes = []
        if status == PARTIAL:
            notes.append(f"{missing_s / 60:.1f} min missing")
        if stopped:
            notes.append(stopped)
        if causes:
            counted = [f"{c} ({self._count(c)}×)" if self._count(c) > 1 else c for c in causes]
            notes.append("; ".join(counted[:5]))
        if self.fallback_s >= 0.5:
            what = "fallback" if self._fallback else "silence"
            notes.append(f"{what} aired {self.fallback_s / 60:.1f} min")
        if self.own_items_s >= 0.5:
            notes.append(f"own items cut in for {self.own_items_s / 60:.1f} min")
        tz = self.station.tz
        record = {
            "scheduled": iso(self.window.start, tz, "seconds"),
            "started": iso(started, tz),
            "ended": iso(ended, tz),
            "slot": None,
            "source": RELAY_SOURCE,
            "script": None,
            "file": relay.url,
            "status": status,
            "error": "; ".join(notes) or None,
            "title": relay.name,
            "relay": relay.name,
            "first_audio": iso(self.first_audio, tz),
            "missing_min": round(missing_s / 60, 2),
            "stream_min": round(self.stream_s / 60, 2),
            "fallback_min": round(self.fallback_s / 60, 2),
            "causes": causes,
        }
        return record | ({"zone": self.zone} if self.zone else {})

    def _causes(self) -> list[str]:
        """What went wrong while the window was on air (a failed first try during the preroll is not)."""
        return (self.feed.causes_since(self._began) if self.feed else []) + self.faults

    def _count(self, cause: str) -> int:
        return self._causes().count(cause)

    def finish(self, stopped: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        if self.feed is not None:
            self.feed.stop()
        ended = self.clock()
        record = self.record(ended, stopped)
        log.warning("relay %s %s%s", self.window.relay.name, record["status"],
                    f" ({record['error']})" if record["error"] else "")
        self.store.finish(self.key, record)


@dataclass
class RelayOccurrence(Occurrence):
    """A relay window in the player's queue; keyed like its store record."""

    relay_key: str = ""

    @property
    def key(self) -> str:
        return self.relay_key


# --- the runner's hook -----------------------------------------------------------------------------------


class RelayScheduler:
    """Submits each relay window to the player as it opens (loop thread, every second)."""

    def __init__(
        self, store: PlayerStore, clock: Clock, sink: Callable[[], Sink], *, spawn: Spawn = spawn_ffmpeg,
        ffmpeg: Callable[[], str] = default_ffmpeg, wait: Waiter = real_wait,
        monotonic: Monotonic = time.monotonic, preroll_s: float = PREROLL_S,
    ) -> None:
        self.store = store
        self.clock = clock
        self._sink = sink
        self._spawn = spawn
        self._ffmpeg = ffmpeg
        self._wait = wait
        self._monotonic = monotonic
        self.preroll_s = preroll_s
        self._submitted: set[str] = set()
        self._waiting: dict[str, RelaySession] = {}

    def feed(self, relay: Relay, station: Station, end: Callable[[], bool]) -> StreamFeed:
        return StreamFeed(relay, station, end, spawn=self._spawn, ffmpeg=self._ffmpeg,
                          monotonic=self._monotonic, wait=self._wait)

    def sessions(self, station: Station, now: datetime | None = None,
                 zones: Mapping[str, Sink] | None = None) -> list[RelaySession]:
        """A session for each window open now that is not on air yet, one per zone it airs in
        (``zones``: the player's zones and their sinks; none: one session on the one sink); windows
        opening within ``preroll_s`` get their streams opened now (``RelaySession.prepare``)."""
        now = now or self.clock()
        out = []
        for window in windows_between(station, now, now + timedelta(seconds=self.preroll_s)):
            if window.end <= now:
                continue
            targets: list[str | None] = list(relay_zones(window.relay, list(zones))) if zones else [None]
            for zone in targets:
                # The zone goes in the store key, as an own item's does (``Job.key``): each zone's
                # copy has its own record, and a restart resumes each zone on its own.
                base = window.key + (f"@{zone}" if zone else "")
                if base in self._submitted:
                    continue
                session = self._waiting.get(base)
                if session is None:
                    key, part = base, 1
                    while self.store.handled(key):  # aired in part before a restart: the rest airs as a new part
                        part += 1
                        key = f"{base}|part-{part}"
                    sink = self._sink if zone is None or zones is None else (lambda s=zones[zone]: s)
                    session = RelaySession(window, key, station=station, store=self.store, sink=sink,
                                           clock=self.clock, feed=self.feed, wait=self._wait,
                                           monotonic=self._monotonic, zone=zone)
                    self._waiting[base] = session
                    session.prepare()
                if window.start <= now:
                    del self._waiting[base]
                    self._submitted.add(base)
                    out.append(session)
        cutoff = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        self._submitted = {k for k in self._submitted if k[:16] >= cutoff}
        return out

    def stop(self) -> None:
        """Close the streams opened ahead of windows that have not opened yet."""
        waiting, self._waiting = self._waiting, {}
        for session in waiting.values():
            session.discard()


# --- check and plan --------------------------------------------------------------------------------------

_WEEK = 7 * 24 * 60


def _week_spans(days: Sequence[str], at: str, minutes: float) -> list[tuple[float, float]]:
    """[start, end) in minutes of the week (Monday 00:00 = 0) for each day, split where the week wraps."""
    hour, minute = parse_hhmm(at)
    out: list[tuple[float, float]] = []
    for day in days:
        start = DAY_NAMES.index(day) * 24 * 60 + hour * 60 + minute
        end = start + minutes
        out.append((start, min(end, _WEEK)))
        if end > _WEEK:
            out.append((0, end - _WEEK))
    return out


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


@dataclass(frozen=True)
class RelayProblem:
    severity: str
    """'error' or 'warning'."""
    relay: Relay
    key: str | None
    """The relay's setting the problem is about (for its line), None for the [[relay]] line."""
    message: str
    hint: str


def relay_problems(station: Station, own_times: Sequence[tuple[str, list[str] | None, str]] = ()) -> list[RelayProblem]:
    """What ``check`` says about the relays: a fallback that is missing (or lists missing files), a window
    overlapping a slot or an own time, two relays at once. ``own_times``: (HH:MM, days or None, what)."""
    out: list[RelayProblem] = []
    for relay in station.relays:
        if relay.fallback:
            _files, problems = fallback_files(station, relay.fallback)
            out.extend(RelayProblem("error", relay, "fallback", f"relay {relay.name!r}: {p}",
                                    "create the file, fix its name, or remove fallback (silence then)")
                       for p in problems)
        spans = _week_spans(relay.days, relay.at, relay.duration_s / 60)
        until = _clock_after(relay.at, relay.duration_s)
        for slot in station.slots:
            if _overlap(spans, _week_spans(slot.days, slot.at, 1 / 60)):
                out.append(RelayProblem(
                    "warning", relay, "at",
                    f"relay {relay.name!r} ({relay.at}-{until}) overlaps slot {slot.name!r} at {slot.at}",
                    "move the slot or the relay: only ưu tiên and khẩn cấp items cut into a relay; "
                    "the slot's other items wait until it ends"))
        for hhmm, days, what in own_times:
            if _overlap(spans, _week_spans(days or list(DAY_NAMES), hhmm, 1 / 60)):
                out.append(RelayProblem(
                    "warning", relay, "at",
                    f"relay {relay.name!r} ({relay.at}-{until}) overlaps {what} at {hhmm}",
                    "thông thường items wait until the relay ends; move the time or raise the level"))
    everywhere = {zone.name for zone in station.zones} or {""}
    for index, relay in enumerate(station.relays):
        for other in station.relays[index + 1:]:
            if not (set(relay.zones) or everywhere) & (set(other.zones) or everywhere):
                continue  # in different zones: each zone has its own player
            mine = _week_spans(relay.days, relay.at, relay.duration_s / 60)
            if _overlap(mine, _week_spans(other.days, other.at, other.duration_s / 60)):
                out.append(RelayProblem("error", other, "at",
                                        f"relay {other.name!r} overlaps relay {relay.name!r}",
                                        "one relay at a time: move or shorten one of them"))
    return out


def _clock_after(at: str, seconds: float) -> str:
    hour, minute = parse_hhmm(at)
    total = int(hour * 3600 + minute * 60 + seconds) % (24 * 3600)
    text = f"{total // 3600:02d}:{total % 3600 // 60:02d}"
    return text + (f":{total % 60:02d}" if total % 60 else "")
