"""The schedule rules: which scripts air when.

Everything here is pure: a ``Station`` plus parsed ``Script`` objects in, the
occurrences of a day out, as timezone-aware datetimes in the station time zone
(never the machine's). No clock, no files written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from announcer.config import DAY_NAMES, Station, is_no_jingle, parse_hhmm
from announcer.errors import ScriptError
from announcer.i18n import _
from announcer.schedule.levels import Level
from announcer.script import Script, parse_script, scan_scripts


@dataclass(frozen=True)
class Item:
    """One thing to play: a slot jingle or a script's render."""

    kind: str
    """'intro', 'script' or 'outro'."""
    file: Path
    """Audio file (absolute, inside the station folder for renders)."""
    script: Script | None = None
    title: str = ""
    priority: int = 0
    level: Level = Level.THONG_THUONG
    """The script's broadcast level (jingles: thông thường; a job takes its occurrence's)."""

    @property
    def ident(self) -> str:
        return self.script.stem if self.script is not None else self.kind


@dataclass
class Occurrence:
    """A slot, a script's own time or an urgent repeat on one day."""

    at: datetime
    """Start, aware, in the station time zone."""
    slot: str | None
    """Slot name; None for a script's own time or an urgent repeat."""
    source: str
    """'slot', 'time' or 'every'."""
    items: list[Item] = field(default_factory=list)

    @property
    def key(self) -> str:
        tag = f"slot:{self.slot}" if self.slot else self.source
        if self.source == "every":
            tag = "every:" + ",".join(i.ident for i in self.items if i.script is not None)
        return f"{self.at.strftime('%Y-%m-%dT%H:%M')}|{tag}"

    @property
    def priority(self) -> int:
        return max((i.priority for i in self.items if i.script is not None), default=0)

    @property
    def level(self) -> Level:
        return max((i.level for i in self.items if i.script is not None), default=Level.THONG_THUONG)

    @property
    def urgent(self) -> bool:
        """Goes before everything waiting: an urgent repeat, or anything holding a khẩn cấp script."""
        return self.source == "every" or self.level == Level.KHAN_CAP

    @property
    def scripts(self) -> list[Script]:
        return [i.script for i in self.items if i.script is not None]

    def item_key(self, item: Item) -> str:
        return f"{self.key}|{item.ident}"


def is_none(value: str | None) -> bool:
    return is_no_jingle(value)


def jingle_path(station: Station, value: str | None) -> Path | None:
    """A jingle setting as a path, or None when unset or 'none'."""
    if value is None or is_none(value):
        return None
    return station.resolve(value.strip())


def airs_on(script: Script, day: date) -> bool:
    """The campaign dates (inclusive) and weekday rules of a script."""
    if script.date_from and day < script.date_from:
        return False
    if script.date_until and day > script.date_until:
        return False
    if script.days is not None and DAY_NAMES[day.weekday()] not in script.days:
        return False
    return True


def at_local(station: Station, day: date, hhmm: str) -> datetime:
    hour, minute = parse_hhmm(hhmm)
    return datetime.combine(day, time(hour, minute), tzinfo=station.tz)


def order_scripts(scripts: Iterable[Script]) -> list[Script]:
    """Higher level first (khẩn cấp, ưu tiên, thông thường), then higher priority, then by file name."""
    return sorted(scripts, key=lambda s: (-s.level, -s.priority, s.path.name))


def _script_item(station: Station, script: Script) -> Item:
    from announcer.schedule.renders import render_file

    return Item("script", render_file(station, script), script, script.title, script.priority, script.level)


def every_times(script: Script) -> list[str]:
    """The HH:MM times of an urgent repeat ('every' inside 'between', both ends included)."""
    if not script.every_minutes:
        return []
    start, end = script.between or ("00:00", "23:59")
    sh, sm = parse_hhmm(start)
    eh, em = parse_hhmm(end)
    out = []
    minute = sh * 60 + sm
    while minute <= eh * 60 + em:
        out.append(f"{minute // 60:02d}:{minute % 60:02d}")
        minute += script.every_minutes
    return out


class Schedule:
    """A station's slots plus its valid scripts; answers 'what airs when'."""

    def __init__(self, station: Station, scripts: Iterable[Script]) -> None:
        self.station = station
        self.scripts = order_scripts(scripts)

    def unknown_slots(self) -> list[tuple[Script, str]]:
        known = {s.name for s in self.station.slots}
        return [(s, name) for s in self.scripts for name in s.slots if name not in known]

    def for_day(self, day: date, include_empty: bool = False) -> list[Occurrence]:
        station = self.station
        airing = [s for s in self.scripts if airs_on(s, day)]
        out: list[Occurrence] = []
        weekday = DAY_NAMES[day.weekday()]
        for slot in station.slots:
            if weekday not in slot.days:
                continue
            members = [s for s in airing if slot.name in s.slots]
            occ = Occurrence(at_local(station, day, slot.at), slot.name, "slot")
            if members:
                intro, outro = jingle_path(station, slot.intro), jingle_path(station, slot.outro)
                if intro:
                    occ.items.append(Item("intro", intro, title=f"{slot.name} intro"))
                occ.items.extend(_script_item(station, s) for s in members)
                if outro:
                    occ.items.append(Item("outro", outro, title=f"{slot.name} outro"))
            if members or include_empty:
                out.append(occ)
        own: dict[str, list[Script]] = {}
        for script in airing:
            for hhmm in dict.fromkeys(script.times):
                own.setdefault(hhmm, []).append(script)
        for hhmm, members in own.items():
            occ = Occurrence(at_local(station, day, hhmm), None, "time")
            occ.items.extend(_script_item(station, s) for s in order_scripts(members))
            out.append(occ)
        for script in airing:
            for hhmm in every_times(script):
                occ = Occurrence(at_local(station, day, hhmm), None, "every", [_script_item(station, script)])
                out.append(occ)
        out.sort(key=lambda o: (o.at, 0 if o.urgent else 1, -o.level, -o.priority, o.slot or ""))
        return out

    def between(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Occurrences whose start lies in [start, end] (aware datetimes, any zone)."""
        tz = self.station.tz
        first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
        out: list[Occurrence] = []
        day = first
        while day <= last:
            out.extend(o for o in self.for_day(day) if start <= o.at <= end)
            day += timedelta(days=1)
        return out

    def next_after(self, moment: datetime, horizon_days: int = 8) -> Occurrence | None:
        later = self.between(moment + timedelta(microseconds=1), moment + timedelta(days=horizon_days))
        return later[0] if later else None


def load_scripts(scripts_dir: Path) -> tuple[dict[Path, Script], list[ScriptError]]:
    """Parse every scripts/*.md; the valid ones by path, and the errors of the rest
    (links leaving the station, loops and folders among them)."""
    scripts: dict[Path, Script] = {}
    errors: list[ScriptError] = []
    if not scripts_dir.is_dir():
        return scripts, errors
    paths, errors = scan_scripts(scripts_dir)
    for path in paths:
        try:
            scripts[path] = parse_script_safely(path)
        except ScriptError as exc:
            errors.append(exc)
    return scripts, errors


def parse_script_safely(path: Path) -> Script:
    """``parse_script``, with any crash of the parser turned into a ScriptError naming the file:
    one bad character in one script must never stop the station."""
    try:
        return parse_script(path)
    except ScriptError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ScriptError(
            _("cannot read this script ({reason})", reason=f"{type(exc).__name__}: {exc}"),
            file=path,
            hint=_("run announcer check, fix the line it names, and save again"),
        ) from None
