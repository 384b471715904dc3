"""One ``announcer run`` per station: an OS file lock under ``.state/run.lock``.

The lock is taken with ``fcntl.flock`` (POSIX) or ``msvcrt.locking`` (Windows)
on an open file, so the operating system drops it when the process ends in any
way (exit, crash, SIGKILL, power cut): there is never a stale lock to clean up.
The file itself stays; it only carries the holder's pid for messages, and its
presence means nothing.

On Windows a locked byte range cannot be read by other processes, so the lock
covers one byte far past the pid text rather than the text itself.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from announcer.errors import ScheduleError

log = logging.getLogger(__name__)

LOCK_FILE = "run.lock"
_LOCK_OFFSET = 4096
"""Windows: the locked byte, well past the pid text so that stays readable."""

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(state_dir: Path) -> Path:
    return state_dir / LOCK_FILE


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class RunLock:
    """The single-instance lock of one station, held from ``acquire`` until ``release`` or process end."""

    def __init__(self, state_dir: Path) -> None:
        self.path = lock_path(state_dir)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, attempts: int = 5, pause: float = 0.05) -> RunLock:
        """Take the lock or raise ScheduleError naming the pid of the ``announcer run`` that has it.

        A few short retries ride out an ``announcer play`` that is only probing the lock.
        """
        fd = self._open()
        for attempt in range(attempts):
            if _try_lock(fd):
                self._fd = fd
                self._write_pid(fd)
                return self
            if attempt + 1 < attempts:
                time.sleep(pause)
        pid = _read_pid(fd)
        os.close(fd)
        raise ScheduleError(
            f"another `announcer run` is already playing this station (pid {pid if pid else 'unknown'})",
            file=self.path,
            hint="stop it first; to play one item now while it runs, use announcer play",
        )

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(exist_ok=True)
            # os.open is non-inheritable: a player subprocess never keeps the lock alive.
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            raise ScheduleError(
                "station folder not found",
                file=self.path.parent.parent,
                hint="give the station folder with --station",
            ) from None
        except OSError as exc:
            # A read-only or full .state must not keep the station silent: lock what can be locked.
            try:
                return os.open(self.path, os.O_RDONLY)
            except OSError:
                pass
            try:
                from announcer.schedule.store import default_fallback_dir

                spare = default_fallback_dir(self.path.parent) / self.path.name
                spare.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(spare, os.O_RDWR | os.O_CREAT, 0o644)
                log.error("cannot write %s (%s); locking %s instead", self.path, exc.strerror or exc, spare)
                return fd
            except OSError:
                pass
            raise ScheduleError(
                f"cannot create the lock file: {exc.strerror or exc}",
                file=self.path,
                hint="check the permissions of the station folder",
            ) from None

    @staticmethod
    def _write_pid(fd: int) -> None:
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError as exc:  # the pid is only for messages
            log.warning("cannot write the pid into the lock file: %s", exc)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        except OSError:
            pass  # closing the file releases it anyway
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self if self.held else self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def run_lock_holder(state_dir: Path) -> int | None:
    """None when no ``announcer run`` holds the station; else its pid (0 when unknown). Creates nothing."""
    try:
        fd = os.open(lock_path(state_dir), os.O_RDONLY)  # readable by a user other than the player's
    except OSError:
        return None  # no lock file (never run here) or unreadable: nobody we can hand over to
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        return _read_pid(fd) or 0
    finally:
        os.close(fd)
