"""``announcer plan``: the rundown of one or more days, with durations, ends and warnings."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from announcer.approval import approved_only, book_for, waiting_message
from announcer.config import Station, load_station
from announcer.errors import ConfigError, ScriptError
from announcer.i18n import ENGLISH, Translator, _
from announcer.schedule import renders
from announcer.schedule.model import Item, Occurrence, Schedule, load_scripts
from announcer.schedule.relay import RelayWindow, windows_on
from announcer.schedule.sinks import Clock, utc_now
from announcer.script import Script

log = logging.getLogger(__name__)

_DAY_LABELS = (_("mon"), _("tue"), _("wed"), _("thu"), _("fri"), _("sat"), _("sun"))
"""DAY_NAMES as shown in the rundown."""
_STATUS = {renders.STALE: _("stale"), renders.MISSING: _("missing"), renders.FALLBACK: _("fallback")}
_KIND = {"intro": _("intro"), "outro": _("outro")}


@dataclass
class PlanItem:
    item: Item
    duration_s: float | None
    status: str
    """fresh, stale or missing for scripts; 'jingle' or 'missing' for jingles."""


@dataclass
class PlanEntry:
    occ: Occurrence
    items: list[PlanItem]

    @property
    def end(self) -> datetime:
        total = sum(i.duration_s or 0.0 for i in self.items)
        return self.occ.at + timedelta(seconds=round(total))


@dataclass
class Plan:
    station: Station
    entries: list[PlanEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Marked messages (``announcer.i18n``): English as str, translated by ``plan_to_text``."""
    waiting: list[Script] = field(default_factory=list)
    """Scripts left out because they wait for approval (``require_approval``)."""
    relays: list[RelayWindow] = field(default_factory=list)
    """Relay windows opening on the planned days."""


def build_plan(
    station: Station,
    scripts: Iterable[Script],
    first_day: date,
    days: int = 1,
    script_errors: Iterable[ScriptError] = (),
    status_fn: renders.StatusFn = renders.render_status,
    duration_fn: Callable[[Path], float | None] = renders.audio_duration,
) -> Plan:
    plan = Plan(station)
    try:
        scripts, plan.waiting = approved_only(scripts, book_for(station))
    except ConfigError as damaged:  # a damaged approvals file approves nothing
        plan.waiting, scripts = list(scripts), []
        plan.warnings.append(_error(damaged))
    for script in plan.waiting:
        plan.warnings.append(_error(waiting_message(station, script)))
    schedule = Schedule(station, scripts)
    for exc in script_errors:
        plan.warnings.append(_("{problem} (left out of the plan)", problem=_error(exc)))
    for script, name in schedule.unknown_slots():
        where = f"{script.path}:{script.line_of('slots')}" if script.line_of("slots") else str(script.path)
        known = ", ".join(s.name for s in station.slots) or _("none")
        plan.warnings.append(_("{where}: unknown slot {name!r} (known slots: {known})", where=where, name=name,
                               known=known))
    statuses: dict[Path, str] = {}
    durations: dict[Path, float | None] = {}
    for offset in range(max(days, 1)):
        day = first_day + timedelta(days=offset)
        for occ in schedule.for_day(day, include_empty=True):
            items = []
            for item in occ.items:
                if item.file not in durations:
                    durations[item.file] = duration_fn(item.file) if item.file.is_file() else None
                if item.script is not None:
                    if item.script.path not in statuses:
                        statuses[item.script.path] = status_fn(station, item.script)
                    status = statuses[item.script.path]
                else:
                    status = "jingle" if item.file.is_file() else renders.MISSING
                items.append(PlanItem(item, durations[item.file], status))
            plan.entries.append(PlanEntry(occ, items))
    for path, status in sorted(statuses.items()):
        if status == renders.MISSING:
            plan.warnings.append(_("{path}: scheduled but has no render — run: announcer build {name}", path=path,
                                   name=_rel(station, path)))
        elif status == renders.STALE:
            plan.warnings.append(_("{path}: render is out of date — run: announcer build {name}", path=path,
                                   name=_rel(station, path)))
    missing_jingles = sorted(
        {i.item.file for e in plan.entries for i in e.items if i.item.script is None and i.status == renders.MISSING}
    )
    for path in missing_jingles:
        plan.warnings.append(_("{path}: jingle file not found", path=path))
    for offset in range(max(days, 1)):
        plan.relays.extend(windows_on(station, first_day + timedelta(days=offset)))
    for window in plan.relays:
        for entry in plan.entries:
            if entry.items and window.contains(entry.occ.at):
                plan.warnings.append(
                    f"{entry.occ.at:%Y-%m-%d} {_label(entry.occ)} at {entry.occ.at:%H:%M} falls inside relay "
                    f"{window.relay.name} ({window.start:%H:%M}-{window.end:%H:%M}): only ưu tiên and khẩn cấp "
                    "items cut in; the others wait until it ends")
    busy = [e for e in plan.entries if e.items]
    for current, following in zip(busy, busy[1:], strict=False):
        if current.end > following.occ.at:
            plan.warnings.append(_(
                "{day} {label} at {at} runs until {end}, past the start of {next_label} at {next_at}",
                day=f"{current.occ.at:%Y-%m-%d}", label=_label(current.occ), at=f"{current.occ.at:%H:%M}",
                end=f"{current.end:%H:%M:%S}", next_label=_label(following.occ), next_at=f"{following.occ.at:%H:%M}",
            ))
    return plan


def _label(occ: Occurrence) -> str:
    if occ.slot:
        return _("slot {name}", name=occ.slot)
    return _("urgent repeat") if occ.source == "every" else _("own time")


def _error(exc: ConfigError | ScriptError) -> str:
    """An error as a plan warning, ``file:line: message — hint``, kept translatable."""
    return exc.marked()


def _rel(station: Station, path: Path) -> str:
    try:
        return path.resolve().relative_to(station.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "?:??"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _relay_json(window: RelayWindow) -> dict[str, Any]:
    relay = window.relay
    return {"date": window.start.date().isoformat(), "relay": relay.name, "at": window.start.strftime("%H:%M"),
            "end": window.end.strftime("%H:%M"), "url": relay.url, "fallback": relay.fallback, "items": []}


def _relay_text(window: RelayWindow) -> str:
    fallback = f", fallback {window.relay.fallback}" if window.relay.fallback else ", silence if it drops"
    return (f"  {window.start:%H:%M}  relay {window.relay.name}  (tiếp âm until {window.end:%H:%M:%S})  "
            f"{window.relay.url}{fallback}")


def plan_to_json(plan: Plan) -> list[dict[str, Any]]:
    station = plan.station
    out = [_relay_json(w) for w in plan.relays]
    for entry in plan.entries:
        out.append(
            {
                "date": entry.occ.at.date().isoformat(),
                "slot": entry.occ.slot,
                "at": entry.occ.at.strftime("%H:%M"),
                "items": [
                    {
                        "kind": i.item.kind,
                        "script": _rel(station, i.item.script.path) if i.item.script is not None else None,
                        "title": i.item.title,
                        "file": _rel(station, i.item.file),
                        "duration_s": round(i.duration_s, 3) if i.duration_s is not None else None,
                        "status": i.status,
                    }
                    for i in entry.items
                ],
                "end": entry.end.strftime("%H:%M"),
            }
        )
    return sorted(out, key=lambda e: (e["date"], e["at"], "relay" not in e))


def plan_to_text(plan: Plan, tr: Translator = ENGLISH) -> str:
    lines: list[str] = []
    current_day = None
    relays = sorted(plan.relays, key=lambda w: w.start)
    for entry in [*plan.entries, None]:
        while relays and (entry is None or relays[0].start <= entry.occ.at):
            window = relays.pop(0)
            if window.start.date() != current_day:
                if lines:
                    lines.append("")
                current_day = window.start.date()
                lines.append(f"{current_day.isoformat()} ({tr(_DAY_LABELS[current_day.weekday()])}), "
                             f"{plan.station.timezone}")
            lines.append(_relay_text(window))
        if entry is None:
            break
        day = entry.occ.at.date()
        if day != current_day:
            if lines:
                lines.append("")
            lines.append(f"{day.isoformat()} ({tr(_DAY_LABELS[day.weekday()])}), {plan.station.timezone}")
            current_day = day
        name = entry.occ.slot or tr(_("urgent repeat") if entry.occ.source == "every" else _("own time"))
        if not entry.items:
            lines.append(f"  {entry.occ.at:%H:%M}  {name}  — {tr(_('nothing scheduled'))}")
            continue
        lines.append(f"  {entry.occ.at:%H:%M}  {name}  ({tr(_('ends {at}', at=f'{entry.end:%H:%M:%S}'))})")
        for item in entry.items:
            if item.item.script is not None:
                label = f"{item.item.title}  [{_rel(plan.station, item.item.script.path)}]"
                if item.status != renders.FRESH:
                    label += f"  ({tr(_STATUS.get(item.status, item.status))})"
            else:
                label = f"{tr(_KIND.get(item.item.kind, item.item.kind))}: {_rel(plan.station, item.item.file)}"
                if item.status == renders.MISSING:
                    label += f"  ({tr(_STATUS[renders.MISSING])})"
            lines.append(f"         {_clock_text(item.duration_s):>6}  {label}")
    if not plan.entries and not plan.relays:
        lines.append(tr(_("no slots on these days")))
    if plan.waiting:
        lines.append("")
        lines.append(tr(_("waiting for approval (not on air):")))
        lines.extend(f"  - {s.title}  [{_rel(plan.station, s.path)}]" for s in plan.waiting)
    if plan.warnings:
        lines.append("")
        lines.append(tr(_("warnings:")))
        lines.extend(f"  - {tr(w)}" for w in plan.warnings)
    return "\n".join(lines)


def plan_command(station_dir: Path | str, day: str | None, days: int, as_json: bool, clock: Clock = utc_now,
                 tr: Translator = ENGLISH) -> str:
    station = load_station(Path(station_dir))
    if day:
        try:
            first = date.fromisoformat(day)
        except ValueError:
            raise ConfigError(_("--date {day!r} is not a date", day=day), hint=_("write it as YYYY-MM-DD")) from None
    else:
        first = clock().astimezone(station.tz).date()
    if days < 1:
        raise ConfigError(_("--days must be at least 1"))
    scripts, errors = load_scripts(station.scripts_dir)
    plan = build_plan(station, scripts.values(), first, days, errors)
    if as_json:
        for warning in plan.warnings:
            log.warning("%s", warning)
        return json.dumps(plan_to_json(plan), ensure_ascii=False, indent=2)
    return plan_to_text(plan, tr)
