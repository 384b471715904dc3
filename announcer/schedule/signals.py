"""Ctrl-C and SIGTERM stop the player (or ``announcer play``) cleanly instead of killing it mid-item.

Threads: handlers are installed only from the main thread; they only set an Event.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

log = logging.getLogger(__name__)


class Signals:
    """Ctrl-C and SIGTERM set ``stop`` instead of killing the process mid-item."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Signals:
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
