"""Lịch phát: the week as a grid, days across and slots and own times down, from the planner."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from markupsafe import Markup

from announcer.config import DAY_NAMES
from announcer.web.rundown import Block, build_rundown
from announcer.web.security import console, error_page, tr

bp = Blueprint("timetable", __name__)


def _day_param(name: str, default: date) -> date | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.route("/schedule")
def week() -> Any:
    c = console()
    station = c.station()
    now = c.clock()
    today = now.astimezone(station.tz).date()
    asked = _day_param("week", today)
    if asked is None:
        return error_page(tr("{value} is not a date.", value=request.args.get("week", "")[:40]),
                          tr("Write the date as YYYY-MM-DD, e.g. 2026-12-15."), 400)
    monday = asked - timedelta(days=asked.weekday())
    plan = c.view.plan(station, monday, 7)
    key = ("week-grid", monday, today, c.language)
    found = c.view.fragment(key, plan)
    if found is None:
        found = Markup(_grid(c, station, monday, today, now))
        c.view.keep_fragment(key, plan, found)
    return render_template("week.html", days=[monday + timedelta(days=n) for n in range(7)], grid=found,
                           today=today, previous=monday - timedelta(days=7), following=monday + timedelta(days=7))


def _grid(c: Any, station: Any, monday: date, today: date, now: Any) -> str:
    rundown = build_rundown(c, station, monday, 7, now)
    rows: dict[tuple[str, str], dict[date, list[Block]]] = {}
    for block in rundown.blocks:
        label = block.slot or block.source
        rows.setdefault((block.at.strftime("%H:%M"), label), {}).setdefault(block.at.date(), []).append(block)
    ordered = sorted(rows.items(), key=lambda kv: kv[0])
    totals = {day: sum((b.duration for b in rundown.on(day)), timedelta()) for day in rundown.days}
    return render_template("week_grid.html", days=rundown.days, rows=ordered, totals=totals, today=today,
                           weekday_names=DAY_NAMES, waiting=rundown.waiting or [],
                           words={status: tr(f"render:{status}") for status in ("missing", "stale", "fallback")})
