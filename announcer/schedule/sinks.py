"""Where audio goes: the sound card, an external command, or a folder.

A sink's ``play(path, duration_s, stop)`` blocks until the item is over and
returns True, or returns False as soon as ``stop`` is set (the item was cut).
It raises SinkError when the item could not be played.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Protocol

from announcer.errors import ConfigError, ScheduleError
from announcer.fsutil import replace_durably

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


class Sink(Protocol):
    name: str

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool: ...


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
            raise SinkError(f"cannot copy to {self.directory}: {exc.strerror or exc}", file=path) from None
        return not self._wait(stop, duration_s or 0.0)


class CommandSink:
    """Runs an external player as an argv list (never through a shell): 'aplay {file}'."""

    def __init__(self, template: str, poll: float = 0.1) -> None:
        self.name = f"command:{template}"
        try:
            self.argv = shlex.split(template, posix=os.name != "nt")
        except ValueError as exc:
            raise ConfigError(
                f"sink command {template!r} cannot be split: {exc}",
                hint="balance the quotes, e.g. command:aplay -q {file}",
            ) from None
        if not self.argv:
            raise ConfigError("the sink command is empty", hint="write e.g. --sink 'command:aplay {file}'")
        self._poll = poll

    def command_for(self, path: Path) -> list[str]:
        if any("{file}" in arg for arg in self.argv):
            return [arg.replace("{file}", str(path)) for arg in self.argv]
        return [*self.argv, str(path)]

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        argv = self.command_for(path)
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SinkError(
                f"cannot run {argv[0]!r}: {exc.strerror or exc}",
                hint="install the player or give its full path in --sink",
            ) from None
        while proc.poll() is None:
            if stop.wait(self._poll):
                proc.terminate()
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                return False
        stderr = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode != 0:
            detail = stderr.splitlines()[-1] if stderr else ""
            raise SinkError(f"{argv[0]} exited with status {proc.returncode}" + (f": {detail}" if detail else ""))
        return True


class SoundcardSink:
    """Plays through the default output device with miniaudio (MP3, WAV, FLAC decode built in)."""

    def __init__(self, backends: list[object] | None = None, sample_rate: int = 44100) -> None:
        self.name = "soundcard" + (":null" if backends else "")
        self._backends = backends
        self._rate = sample_rate

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        import miniaudio

        try:
            stream = miniaudio.stream_file(str(path), sample_rate=self._rate, nchannels=2)
        except (miniaudio.MiniaudioError, OSError) as exc:
            raise SinkError(f"cannot decode: {exc}", file=path) from None
        done = threading.Event()
        feed = _tracked(stream, done)
        next(feed)
        try:
            device = miniaudio.PlaybackDevice(backends=self._backends, sample_rate=self._rate, nchannels=2)
        except miniaudio.MiniaudioError as exc:
            raise SinkError(f"no sound output: {exc}", hint="check the sound card, or use --sink command:...") from None
        if not self._backends and str(getattr(device, "backend", "")).lower() == "null":
            # miniaudio's last resort is a silent device: never log an item as played into nothing.
            device.close()
            raise SinkError(
                "no sound card found (only the silent null device)",
                hint="connect/enable the sound card, or use --sink command:... or file:DIR",
            )
        started = time.monotonic()
        limit = (duration_s or 0.0) + 30.0 if duration_s else None
        try:
            try:
                device.start(feed)
            except miniaudio.MiniaudioError as exc:
                raise SinkError(f"the sound card would not start: {exc}") from None
            while not done.is_set():
                if stop.wait(0.05):
                    return False
                if limit is not None and time.monotonic() - started > limit:
                    log.warning("playback of %s did not end on time; stopping it", path)
                    break
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


def parse_sink(spec: str | None, *, wait: Waiter = real_wait, clock: Clock = utc_now, tz: tzinfo | None = None) -> Sink:
    """'soundcard' | 'soundcard:null' | 'command:ARGV' | 'file:DIR' -> a sink."""
    text = (spec or "soundcard").strip()
    kind, _, arg = text.partition(":")
    kind = kind.strip().lower()
    if kind == "soundcard":
        if arg.strip().lower() == "null":
            import miniaudio

            return SoundcardSink(backends=[miniaudio.Backend.NULL])
        if arg.strip():
            raise ConfigError(f"unknown sound card option {arg!r}", hint="use soundcard or soundcard:null")
        return SoundcardSink()
    if kind == "command":
        return CommandSink(arg)
    if kind == "file":
        if not arg.strip():
            raise ConfigError("file: sink needs a folder", hint="write e.g. --sink file:/var/lib/announcer/aired")
        return FileSink(Path(arg.strip()), wait=wait, clock=clock, tz=tz)
    raise ConfigError(
        f"unknown sink {text!r}", hint="use soundcard, command:ARGV (e.g. 'command:aplay {file}') or file:DIR"
    )
