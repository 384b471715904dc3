"""Zones: one timeline per speaker cluster ("cụm loa"), each with its own sink.

A station with ``[[zone]]`` entries gets one ``Player`` per zone, all sharing the store and the
airing code; a job goes to the zones its script names in ``zones:`` (every zone when it names
none). A jingle goes where the scripts of its slot go. An item handed over by ``announcer
play`` (an emergency), like a khẩn cấp item, goes to every zone unless its script names some. A
relay window ("tiếp âm") airs in every zone, or in those its [[relay]] names: the runner makes one
relay session per zone (``relay.RelayScheduler.sessions``), each on its zone's sink, and each goes
to its own zone's player, so an ưu tiên or khẩn cấp item cuts into the relay of its own zones only.
Each zone records an item (and a relay window) under its own key (``Job.key``), so one zone's
record never stops another from airing it.

Threads: ``ZonePlayers`` is driven by the runner's loop thread (``submit``) like a ``Player``;
each zone's ``Player`` owns its worker thread. ``ZonePlayers`` itself keeps no state that
changes after it is built.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from announcer.config import Zone
from announcer.schedule.player import Job, Player
from announcer.schedule.sinks import Sink

log = logging.getLogger(__name__)


def zone_sink_spec(zone: Zone, root: Path) -> str:
    """The zone's sink, a ``file:`` folder taken inside the station folder when written relative."""
    kind, _, arg = zone.sink.partition(":")
    if kind.strip().lower() == "file" and arg.strip() and not Path(arg.strip()).is_absolute():
        return f"file:{root / arg.strip()}"
    return zone.sink


def script_zones(job: Job) -> list[str]:
    """The zones the job's script names (empty: every zone). A handed-over item carries only its
    script's path, so the script is read again for its ``zones:``."""
    script = job.item.script
    if script is None:
        return []
    if script.zones or not job.handed_over:
        return list(script.zones)
    from announcer.errors import ScriptError
    from announcer.schedule.model import parse_script_safely

    try:
        return list(parse_script_safely(script.path).zones) if script.path.is_file() else []
    except ScriptError:
        return []


class ZonePlayers:
    """The players of every zone behind the interface of one ``Player``."""

    def __init__(self, zones: Sequence[tuple[Zone, Sink]], play_job: Callable[[Job, threading.Event], None]) -> None:
        self.zones = [zone for zone, _ in zones]
        self.sinks = {zone.name: sink for zone, sink in zones}
        self.players = {zone.name: Player(sink, play_job) for zone, sink in zones}
        self.name = "zones " + ", ".join(f"{z.name}={getattr(s, 'name', s)}" for z, s in zones)

    def targets(self, job: Job, group: Sequence[Job] = ()) -> list[str]:
        """The zones ``job`` airs in. A jingle (no script) follows the scripts of its ``group``."""
        known = list(self.players)
        if job.relay is not None:
            # A relay session is made for one zone and plays on that zone's sink (``take_relays``).
            return [job.zone] if job.zone in self.players else known[:1]
        if job.item.script is None:
            named: list[str] = []
            for other in group:
                if other.item.script is not None:
                    wanted = script_zones(other)
                    if not wanted:
                        return known
                    named.extend(wanted)
            wanted = named
        else:
            wanted = script_zones(job)
        if not wanted:
            return known
        chosen = [name for name in known if name in wanted]
        unknown = [name for name in dict.fromkeys(wanted) if name not in self.players]
        if unknown:
            log.error("%s names unknown zone(s) %s; known zones: %s", job.item.file.name, ", ".join(unknown),
                      ", ".join(known))
        if not chosen:
            # Airing beats bookkeeping: a misspelt zone must not silence the item everywhere.
            return known
        return chosen

    def start(self) -> None:
        for player in self.players.values():
            player.start()

    def submit(self, jobs: Sequence[Job], urgent: bool = False) -> None:
        """Each zone gets its own copy of the jobs that air there, in the same order."""
        per_zone: dict[str, list[Job]] = {name: [] for name in self.players}
        for job in jobs:
            for name in self.targets(job, jobs):
                per_zone[name].append(dataclasses.replace(job, zone=name, sink=self.sinks[name]))
        for name, zone_jobs in per_zone.items():
            self.players[name].submit(zone_jobs, urgent=urgent)

    def waiting_since(self) -> list[datetime]:
        return [at for player in self.players.values() for at in player.waiting_since()]

    def busy(self) -> bool:
        return any(player.busy() for player in self.players.values())

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return all(player.wait_idle(timeout) for player in self.players.values())

    def stop(self, timeout: float = 10.0) -> None:
        for player in self.players.values():
            player.stop(timeout)

