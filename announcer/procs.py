"""Child processes (ffmpeg, external players): every one has a timeout and dies with us.

Ownership: each ``run`` call owns its child and waits for it in its own thread. The
module keeps a registry of live children (guarded by ``_lock``) for one reason only:
``stop_all`` - called when the program is interrupted or stops - kills the children
other threads are still waiting on, so no ffmpeg outlives an interrupted build.

Output is drained concurrently (``communicate``), so a child that writes a lot to
stderr can never block on a full pipe.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import IO

log = logging.getLogger(__name__)

_lock = threading.Lock()
_live: set[subprocess.Popen[bytes]] = set()
TERMINATE_GRACE_S = 3.0
"""How long a child gets to exit after a polite terminate, before it is killed."""


class ChildTimeout(Exception):
    """A child process ran past its time limit and was killed."""

    def __init__(self, argv: Sequence[str], timeout: float, stderr: bytes = b"") -> None:
        super().__init__(f"{argv[0]} did not finish within {timeout:.0f} s and was stopped")
        self.argv = list(argv)
        self.timeout = timeout
        self.stderr = stderr


def spawn(argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Popen, registered so ``stop_all`` can reach it. Pair with ``forget`` (or use ``run``)."""
    proc: subprocess.Popen[bytes] = subprocess.Popen(list(argv), **kwargs)  # type: ignore[call-overload]
    with _lock:
        _live.add(proc)
    return proc


def forget(proc: subprocess.Popen[bytes]) -> None:
    with _lock:
        _live.discard(proc)


def terminate(proc: subprocess.Popen[bytes], grace: float = TERMINATE_GRACE_S) -> None:
    """Terminate, then kill if it does not exit within ``grace`` seconds; always reaps it."""
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
        except OSError:
            pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        log.error("child process %s would not die", proc.pid)
    forget(proc)


def run(argv: Sequence[str], *, timeout: float, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run to completion with stdout and stderr captured; ``ChildTimeout`` after ``timeout`` s.

    Interrupted (KeyboardInterrupt, SystemExit...), the child is killed before the exception goes on.
    """
    proc = spawn(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        terminate(proc)
        _, err = _leftover(proc)
        raise ChildTimeout(argv, timeout, err) from None
    except BaseException:
        terminate(proc)
        raise
    finally:
        forget(proc)
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def _leftover(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    try:
        return proc.communicate(timeout=1.0)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        return b"", b""


def live_children() -> list[subprocess.Popen[bytes]]:
    with _lock:
        return list(_live)


def stop_all() -> int:
    """Kill every child still running (of any thread). Returns how many were running."""
    children = live_children()
    for proc in children:
        terminate(proc, grace=1.0)
    if children:
        log.info("stopped %d child process%s", len(children), "" if len(children) == 1 else "es")
    return len(children)


@contextlib.contextmanager
def children_die_with_us() -> Iterator[None]:
    """Around a command: SIGTERM interrupts it like Ctrl+C, and on the way out no child is left.

    Without this, SIGTERM ends Python at once and an ffmpeg mid-encode keeps running.
    The handler is only installed from the main thread, and only over the default one.
    """
    installed = False
    old: object = None
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        old = signal.getsignal(signal.SIGTERM)
        if old == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _interrupt)
            installed = True
    try:
        yield
    finally:
        stop_all()
        if installed:
            signal.signal(signal.SIGTERM, old)  # type: ignore[arg-type]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def drain_lines(stream: IO[bytes] | None, tail: deque[str], width: int = 300) -> None:
    """Read a child's stderr to its end (so a full pipe never stalls the child), keeping its last
    non-blank lines, decoded and cut to ``width``, in ``tail`` for the error message."""
    if stream is None:
        return
    try:
        for line in iter(stream.readline, b""):
            text = line.decode("utf-8", "replace").strip()
            if text:
                tail.append(text[:width])
    except (OSError, ValueError):
        pass
    finally:
        try:
            stream.close()
        except OSError:
            pass
