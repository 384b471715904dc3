"""The rundown of one or more days as the pages show it: the planner's plan, each item with its
as-run status, each block with its end, overrun and the gap before the next one.

The plan itself comes from ``announcer.schedule.planner.build_plan`` (what ``announcer plan``
prints); scripts waiting for approval are left out of it the way the player leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from announcer.config import Station
from announcer.schedule import renders
from announcer.schedule.planner import Plan
from announcer.script import Script
from announcer.web.app import script_url

UPCOMING, NO_RECORD = "upcoming", "no-record"


@dataclass
class Row:
    kind: str
    """intro, script or outro."""
    title: str
    script: str | None
    """The script's file name (x.md)."""
    url: str | None
    """Its page (/scripts/x)."""
    duration_s: float | None
    render: str
    """fresh, stale, missing, fallback; 'jingle' for jingles."""
    status: str
    """As-run status (played, late, missed, failed, cut, started), or upcoming / no-record."""
    record: dict[str, Any] | None


@dataclass
class Block:
    at: datetime
    end: datetime
    slot: str | None
    source: str
    rows: list[Row]
    overrun: timedelta | None = None
    """How far this block runs into the next one."""
    gap_after: timedelta | None = None
    """Silence until the next block of the same day."""

    @property
    def duration(self) -> timedelta:
        return self.end - self.at


@dataclass
class Rundown:
    days: list[date]
    blocks: list[Block] = field(default_factory=list)
    waiting: list[Script] | None = None
    """Scripts waiting for approval (None: approval not required)."""
    plan: Plan | None = None

    def on(self, day: date) -> list[Block]:
        return [b for b in self.blocks if b.at.date() == day]


def build_rundown(console: Any, station: Station, first: date, days: int, now: datetime) -> Rundown:
    view = console.view
    plan = view.plan(station, first, days)  # it leaves out what waits for approval, as the player does
    aired = view.aired(station)
    waiting = list(plan.waiting) if getattr(station, "require_approval", False) else None
    rundown = Rundown([first + timedelta(days=n) for n in range(days)], waiting=waiting, plan=plan)
    for entry in plan.entries:
        if not entry.items:
            continue
        rows = []
        for item in entry.items:
            record = aired.get(entry.occ.item_key(item.item))
            if record is not None:
                status = str(record.get("status") or NO_RECORD)
            else:
                status = UPCOMING if entry.occ.at > now else NO_RECORD
            script = item.item.script
            rows.append(Row(item.item.kind, item.item.title, script.path.name if script is not None else None,
                            script_url(script.path.name) if script is not None else None,
                            item.duration_s, item.status, status, record))
        rundown.blocks.append(Block(entry.occ.at, entry.end, entry.occ.slot, entry.occ.source, rows))
    for current, following in zip(rundown.blocks, rundown.blocks[1:], strict=False):
        if current.end > following.at:
            current.overrun = current.end - following.at
        elif current.at.date() == following.at.date():
            current.gap_after = following.at - current.end
    return rundown


def render_problems(rundown: Rundown) -> dict[str, str]:
    """Scripts of the rundown whose render is missing or stale: file name -> status."""
    found: dict[str, str] = {}
    for block in rundown.blocks:
        for row in block.rows:
            if row.script and row.render in (renders.MISSING, renders.STALE):
                found[row.script] = row.render
    return found


def missing_jingles(rundown: Rundown) -> list[str]:
    return sorted({row.title for b in rundown.blocks for row in b.rows
                   if row.script is None and row.render == renders.MISSING})
