"""Time for the player: the wall clock for the schedule, the monotonic clock for waiting.

The schedule is computed from an aware UTC wall clock, in the station time zone (never the
machine's). Everything that *waits* (periodic jobs, hand-over polling, reload checks) runs on a
monotonic clock, so a wall clock stepped back an hour (bad NTP start, a manual fix) or forward
by years never stalls or races them. No threads here; ``Periodic`` is driven by the loop thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from announcer.errors import ConfigError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Aware wall clock (UTC)."""
Monotonic = Callable[[], float]

CLOCK_START_ENV = "ANNOUNCER_CLOCK_START"
CLOCK_RATE_ENV = "ANNOUNCER_CLOCK_RATE"
CLOCK_AT_ENV = "ANNOUNCER_CLOCK_AT"
"""Optional: the Unix time at which the rehearsal clock read START (a harness that restarts the
player keeps one timeline across restarts with it)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def rehearsal_clock(start: datetime, rate: float = 1.0, monotonic: Monotonic = time.monotonic) -> Clock:
    """A clock that reads ``start`` now and then runs ``rate`` times real time (rehearsals, tests)."""
    origin = monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=(monotonic() - origin) * rate)

    return clock


@dataclass
class ClockSettings:
    clock: Clock = utc_now
    rate: float = 1.0
    """Station seconds per real second (only a rehearsal runs faster than 1)."""


def clock_from_env(environ: Mapping[str, str]) -> ClockSettings:
    """``ANNOUNCER_CLOCK_START=2021-06-20T05:59:50+07:00`` rehearses a day from that moment on;
    ``ANNOUNCER_CLOCK_RATE=60`` runs that rehearsal 60 times faster (a minute a second)."""
    value = environ.get(CLOCK_START_ENV, "").strip()
    rate_text = environ.get(CLOCK_RATE_ENV, "").strip() or "1"
    try:
        rate = float(rate_text)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 3600:
        raise ConfigError(f"{CLOCK_RATE_ENV}={rate_text!r} is not a rate", hint="write a number from 1 to 3600")
    if not value:
        if rate != 1:
            raise ConfigError(f"{CLOCK_RATE_ENV} needs {CLOCK_START_ENV}", hint="set both, or unset the rate")
        return ClockSettings()
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{CLOCK_START_ENV}={value!r} is not an ISO date-time",
            hint="write e.g. 2021-06-20T05:59:50+07:00, or unset it",
        ) from None
    if start.tzinfo is None:
        raise ConfigError(f"{CLOCK_START_ENV} needs a UTC offset", hint="write e.g. 2021-06-20T05:59:50+07:00")
    at = environ.get(CLOCK_AT_ENV, "").strip()
    if at:
        try:
            start += timedelta(seconds=(time.time() - float(at)) * rate)
        except ValueError:
            raise ConfigError(f"{CLOCK_AT_ENV}={at!r} is not a Unix time", hint="unset it") from None
    log.warning("rehearsal: the player's clock starts at %s (x%g)", start.isoformat(), rate)
    return ClockSettings(rehearsal_clock(start, rate), rate)


class Periodic:
    """Jobs every N seconds of monotonic time: immune to wall-clock steps (unlike ``schedule``)."""

    def __init__(self, monotonic: Monotonic = time.monotonic) -> None:
        self._monotonic = monotonic
        self._jobs: list[list[object]] = []  # [interval, next_due, func]

    def every(self, seconds: float, func: Callable[[], object]) -> None:
        self._jobs.append([seconds, self._monotonic(), func])

    def run_pending(self) -> None:
        for job in self._jobs:
            interval, due, func = job
            now = self._monotonic()
            if now >= due:  # type: ignore[operator]
                func()  # type: ignore[operator]
                job[1] = self._monotonic() + interval  # type: ignore[operator]

    def idle_seconds(self) -> float:
        if not self._jobs:
            return 1.0
        return max(0.0, min(job[1] for job in self._jobs) - self._monotonic())  # type: ignore[type-var,operator]
