"""Where audio goes: the sound card, an external command, or a folder.

A sink's ``play(path, duration_s, stop)`` blocks until the item is over and
returns True, or returns False when the item was cut off before its end: as
soon as ``stop`` is set, or when the sink itself had to stop an item that ran
far past its length. It raises SinkError when the item could not be played.

``probe()`` says whether the sink can play on this machine at all: None, or a
reason a radio operator understands. It is cheap (opens no stream, plays nothing),
for the player to warn at start and for ``check`` to report.

Threads: a sink is driven by one playback thread at a time; ``stop`` is set by others.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Protocol

from announcer import procs
from announcer.errors import ConfigError, ScheduleError
from announcer.fsutil import replace_durably
from announcer.i18n import _

log = logging.getLogger(__name__)

Waiter = Callable[[threading.Event, float], bool]
"""(stop, seconds) -> True when stop was set before the time ran out."""
Clock = Callable[[], datetime]


def real_wait(stop: threading.Event, seconds: float) -> bool:
    return stop.wait(max(0.0, seconds))


def utc_now() -> datetime:
    return datetime.now(UTC)


class SinkError(ScheduleError):
    """One item could not be played."""


class SinkCut(SinkError):
    """The item aired, but part of it did not reach the listeners (a stream that went down)."""


class Sink(Protocol):
    name: str

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool: ...

    def probe(self) -> str | None: ...


UNKNOWN_LENGTH_LIMIT_S = 3 * 3600.0
"""An item whose length could not be read may play this long at most."""


def overrun_limit(duration_s: float | None) -> float:
    """How long an item may take before the sink stops it: its length plus a margin for start-up."""
    if not duration_s:
        return UNKNOWN_LENGTH_LIMIT_S
    return duration_s + max(30.0, duration_s * 0.1)


def probe_sink(spec: str | None, root: Path | None = None) -> str | None:
    """Why the sink ``spec`` cannot play here (None when it can); a bad spec is reported too."""
    try:
        sink = parse_sink(spec, root=root)
    except ConfigError as exc:
        return str(exc)
    return sink.probe()


class FileSink:
    """Copies each played file into a folder (timestamped name), then takes the item's real duration."""

    def __init__(
        self, directory: Path, wait: Waiter = real_wait, clock: Clock = utc_now, tz: tzinfo | None = None
    ) -> None:
        self.directory = Path(directory)
        self.name = f"file:{directory}"
        self._wait = wait
        self._clock = clock
        self._tz = tz

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = self._clock().astimezone(self._tz).strftime("%Y%m%dT%H%M%S")
        dest = self.directory / f"{stamp}_{path.name}"
        counter = 1
        while dest.exists():
            dest = self.directory / f"{stamp}-{counter}_{path.name}"
            counter += 1
        tmp = dest.with_name("." + dest.name + ".part")
        try:
            shutil.copyfile(path, tmp)
            replace_durably(tmp, dest)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SinkError(_("cannot copy to {folder}: {reason}", folder=self.directory, reason=exc.strerror or exc),
                            file=path) from None
        return not self._wait(stop, duration_s or 0.0)

    def probe(self) -> str | None:
        # Creates nothing: the nearest existing folder must let us create the rest and write.
        existing = self.directory
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if not existing.is_dir():
            return _("cannot create the folder {folder}: {existing} is not a folder", folder=self.directory,
                     existing=existing)
        if not os.access(existing, os.W_OK | os.X_OK):
            return _("cannot write to the folder {folder}", folder=existing)
        return None


class CommandSink:
    """Runs an external player as an argv list (never through a shell): 'aplay {file}'."""

    def __init__(self, template: str, poll: float = 0.1) -> None:
        self.name = f"command:{template}"
        try:
            self.argv = shlex.split(template, posix=os.name != "nt")
        except ValueError as exc:
            raise ConfigError(
                _("sink command {command!r} cannot be split: {problem}", command=template, problem=exc),
                hint=_("balance the quotes, e.g. command:aplay -q {file}", file="{file}"),
            ) from None
        if not self.argv:
            raise ConfigError(_("the sink command is empty"),
                              hint=_("write e.g. --sink 'command:aplay {file}'", file="{file}"))
        self._poll = poll

    def command_for(self, path: Path) -> list[str]:
        if any("{file}" in arg for arg in self.argv):
            return [arg.replace("{file}", str(path)) for arg in self.argv]
        return [*self.argv, str(path)]

    def probe(self) -> str | None:
        program = self.argv[0]
        if os.path.dirname(program):
            if not os.path.isfile(program):
                return _("the player {program!r} does not exist", program=program)
            if not os.access(program, os.X_OK):
                return _("the player {program!r} is not executable", program=program)
            return None
        if shutil.which(program) is None:
            return _("the player {program!r} is not installed (not found on the PATH)", program=program)
        return None

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        """Run the player; its stderr is drained as it comes (a chatty player never blocks on a
        full pipe) and only the last lines are kept for the message. The item's length plus a
        margin is enforced: a player still running then is stopped (terminate, then kill)."""
        argv = self.command_for(path)
        try:
            proc = procs.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SinkError(
                _("cannot run {program!r}: {reason}", program=argv[0], reason=exc.strerror or exc),
                hint=_("install the player or give its full path in --sink"),
            ) from None
        tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        drain = threading.Thread(target=procs.drain_lines, args=(proc.stderr, tail, 500), name="sink-stderr",
                                 daemon=True)
        drain.start()
        limit = overrun_limit(duration_s)
        started = time.monotonic()
        try:
            while proc.poll() is None:
                if stop.wait(self._poll):
                    procs.terminate(proc)
                    return False
                if time.monotonic() - started > limit:
                    procs.terminate(proc)
                    raise SinkError(
                        _("{program} was still running {limit} s after the start of a {length} s item and was "
                          "stopped{detail}", program=argv[0], limit=f"{limit:.0f}", length=f"{duration_s or 0:.0f}",
                          detail=_last_line(drain, tail)),
                        hint=_("check that the player exits at the end of the file (no loop/interactive mode)"),
                    )
        except BaseException:
            procs.terminate(proc)
            raise
        finally:
            procs.forget(proc)
        if proc.returncode != 0:
            raise SinkError(_("{program} exited with status {status}{detail}", program=argv[0], status=proc.returncode,
                              detail=_last_line(drain, tail)))
        return True


STDERR_TAIL_LINES = 20


def _last_line(drain: threading.Thread, tail: deque[str]) -> str:
    drain.join(timeout=1.0)
    return f": {tail[-1]}" if tail else ""


class SoundcardSink:
    """Plays through the default output device with miniaudio (MP3, WAV, FLAC decode built in)."""

    def __init__(self, backends: list[object] | None = None, sample_rate: int = 44100,
                 device_factory: Callable[..., object] | None = None) -> None:
        self.name = "soundcard" + (":null" if backends else "")
        self._backends = backends
        self._rate = sample_rate
        self._device_factory = device_factory  # opens the device (miniaudio.PlaybackDevice); tests inject

    def _open_device(self):  # noqa: ANN202 - a miniaudio.PlaybackDevice
        import miniaudio

        factory = self._device_factory or miniaudio.PlaybackDevice
        return factory(backends=self._backends, sample_rate=self._rate, nchannels=2)

    def probe(self) -> str | None:
        """Opens (never starts) the output device: no device, or only miniaudio's silent null
        device, is said here rather than at the first item."""
        try:
            import miniaudio
        except ImportError as exc:  # pragma: no cover - a declared dependency
            return _("the sound library is missing: {problem}", problem=exc)
        try:
            device = self._open_device()
        except (miniaudio.MiniaudioError, OSError) as exc:
            return _("no sound output device can be opened here: {problem}", problem=exc)
        try:
            if not self._backends and str(getattr(device, "backend", "")).lower() == "null":
                return _("no sound card found (only the silent null device)")
        finally:
            device.close()
        return None

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        import miniaudio

        try:
            stream = miniaudio.stream_file(str(path), sample_rate=self._rate, nchannels=2)
        except (miniaudio.MiniaudioError, OSError) as exc:
            raise SinkError(_("cannot decode: {problem}", problem=exc), file=path) from None
        done = threading.Event()
        feed = _tracked(stream, done)
        next(feed)
        try:
            device = self._open_device()
        except miniaudio.MiniaudioError as exc:
            raise SinkError(_("no sound output: {problem}", problem=exc),
                            hint=_("check the sound card, or use --sink command:...")) from None
        if not self._backends and str(getattr(device, "backend", "")).lower() == "null":
            # miniaudio's last resort is a silent device: never log an item as played into nothing.
            device.close()
            raise SinkError(
                _("no sound card found (only the silent null device)"),
                hint=_("connect/enable the sound card, or use --sink command:... or file:DIR"),
            )
        started = time.monotonic()
        limit = overrun_limit(duration_s)
        try:
            try:
                device.start(feed)
            except miniaudio.MiniaudioError as exc:
                raise SinkError(_("the sound card would not start: {problem}", problem=exc)) from None
            while not done.is_set():
                if stop.wait(0.05):
                    return False
                if time.monotonic() - started > limit:
                    # We cut it off: say so (the as-run log must not call this "played").
                    log.warning("playback of %s was still going %.0f s after its start; cut off", path, limit)
                    return False
            # The last buffer is still in the device; let it drain.
            if stop.wait(device.buffersize_msec / 1000.0 + 0.05):
                return False
            return True
        finally:
            device.close()


def _tracked(stream, done: threading.Event):  # noqa: ANN001, ANN202 - a miniaudio callback generator
    required = yield b""
    while True:
        try:
            chunk = stream.send(required)
        except StopIteration:
            done.set()
            return
        required = yield chunk


SINK_KINDS = ("soundcard", "command", "file", "icecast")


def sink_spec_problem(spec: str) -> str | None:
    """What is wrong with how a sink is written (None when nothing), without opening it or reading
    any password: for station.toml's checks."""
    kind = spec.strip().partition(":")[0].strip().lower()
    if kind not in SINK_KINDS:
        return _("unknown sink {sink!r} (use soundcard, command:ARGV, file:DIR or icecast://...)",
                 sink=spec.strip()[:60])
    if kind == "icecast":
        from announcer.schedule.icecast import split_icecast

        try:
            split_icecast(spec)
        except ConfigError as exc:
            return exc.message
    return None


def open_sink(sink: object) -> None:
    """Start a sink that streams all the time (Icecast), so the stream is up before the first item."""
    opener = getattr(sink, "open", None)
    if callable(opener):
        opener()


def close_sink(sink: object) -> None:
    closer = getattr(sink, "close", None)
    if callable(closer):
        closer()


def parse_sink(spec: str | None, *, wait: Waiter = real_wait, clock: Clock = utc_now, tz: tzinfo | None = None,
               root: Path | None = None) -> Sink:
    """'soundcard' | 'soundcard:null' | 'command:ARGV' | 'file:DIR' | 'icecast://USER@HOST:PORT/MOUNT' -> a sink.

    ``root`` is the station folder (its secrets.toml holds the Icecast password)."""
    text = (spec or "soundcard").strip()
    kind, _colon, arg = text.partition(":")
    kind = kind.strip().lower()
    if kind == "icecast":
        from announcer.schedule.icecast import IcecastSink, parse_icecast

        return IcecastSink(parse_icecast(text, root=root))
    if kind == "soundcard":
        if arg.strip().lower() == "null":
            import miniaudio

            return SoundcardSink(backends=[miniaudio.Backend.NULL])
        if arg.strip():
            raise ConfigError(_("unknown sound card option {option!r}", option=arg),
                              hint=_("use soundcard or soundcard:null"))
        return SoundcardSink()
    if kind == "command":
        return CommandSink(arg)
    if kind == "file":
        if not arg.strip():
            raise ConfigError(_("file: sink needs a folder"), hint=_("write e.g. --sink file:/var/lib/announcer/aired"))
        return FileSink(Path(arg.strip()), wait=wait, clock=clock, tz=tz)
    raise ConfigError(
        _("unknown sink {sink!r}", sink=text),
        hint=_("use soundcard, command:ARGV (e.g. 'command:aplay {file}'), file:DIR or icecast://USER@HOST:PORT/MOUNT",
               file="{file}"),
    )
