"""Nhật ký phát sóng: the as-run log by date, its CSV export and the printable monthly report.

The CSV is made by ``announcer.schedule.asrun.format_csv`` from the records ``announcer log``
reads, filtered by the same ``record_day``: the export and ``announcer log --csv`` are one code.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request

from announcer.schedule.asrun import format_csv
from announcer.web.security import console, error_page, tr

bp = Blueprint("asrunlog", __name__)

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
AIRED = ("played", "late")
CSV_BOM = "\ufeff"
"""Excel opens a UTF-8 CSV without it as the wrong code page, and Vietnamese turns to mojibake."""


def _bad_date(value: str) -> Any:
    return error_page(tr("{value} is not a date.", value=value[:40]),
                      tr("Write the date as YYYY-MM-DD, e.g. 2026-12-15."), 400)


def _asked_day(today: date) -> date | None:
    value = request.args.get("date", "")
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.route("/log")
def day() -> Any:
    c = console()
    station = c.station()
    today = c.clock().astimezone(station.tz).date()
    wanted = _asked_day(today)
    if wanted is None:
        return _bad_date(request.args.get("date", ""))
    records = c.view.records_by_day(station).get(wanted, [])
    records = sorted(records, key=lambda r: str(r.get("scheduled") or r.get("started") or ""))
    return render_template("log.html", day=wanted, records=records, today=today,
                           previous=wanted - timedelta(days=1), following=wanted + timedelta(days=1),
                           month=wanted.strftime("%Y-%m"))


@bp.route("/log.csv")
def csv() -> Any:
    c = console()
    station = c.station()
    value = request.args.get("date", "")
    if value:
        try:
            wanted = date.fromisoformat(value)
        except ValueError:
            return _bad_date(value)
        records = c.view.records_by_day(station).get(wanted, [])
        # in log order, as `announcer log --date D --csv` prints them
        order = {id(r): n for n, r in enumerate(c.view.records(station))}
        records = sorted(records, key=lambda r: order.get(id(r), 0))
        name = f"nhat-ky-phat-song-{wanted.isoformat()}.csv"
    else:
        records = c.view.records(station)
        name = "nhat-ky-phat-song.csv"
    return Response(CSV_BOM + format_csv(records), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@dataclass
class DayTotals:
    day: date
    counts: dict[str, int] = field(default_factory=dict)
    airtime_s: float = 0.0

    def count(self, *statuses: str) -> int:
        return sum(self.counts.get(s, 0) for s in statuses)


def _seconds(record: dict[str, Any]) -> float:
    try:
        started = datetime.fromisoformat(str(record["started"]))
        ended = datetime.fromisoformat(str(record["ended"]))
    except (KeyError, TypeError, ValueError):
        return 0.0
    return max(0.0, (ended - started).total_seconds())


def month_totals(by_day: dict[date, list[dict[str, Any]]], year: int, month: int) -> list[DayTotals]:
    """Each day of the month: items per as-run status and the time on air (items that started)."""
    out = []
    for number in range(1, calendar.monthrange(year, month)[1] + 1):
        totals = DayTotals(date(year, month, number))
        for record in by_day.get(totals.day, []):
            status = str(record.get("status") or "")
            totals.counts[status] = totals.counts.get(status, 0) + 1
            totals.airtime_s += _seconds(record)
        out.append(totals)
    return out


@bp.route("/log/month")
def month() -> Any:
    c = console()
    station = c.station()
    today = c.clock().astimezone(station.tz).date()
    value = request.args.get("month", "") or today.strftime("%Y-%m")
    match = _MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        return error_page(tr("{value} is not a month.", value=value[:40]),
                          tr("Write the month as YYYY-MM, e.g. 2026-12."), 400)
    year, number = int(match.group(1)), int(match.group(2))
    days = month_totals(c.view.records_by_day(station), year, number)
    total = DayTotals(days[0].day)
    for d in days:
        for status, n in d.counts.items():
            total.counts[status] = total.counts.get(status, 0) + n
        total.airtime_s += d.airtime_s
    first = date(year, number, 1)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).strftime("%Y-%m")
    return render_template("log_month.html", days=days, total=total, year=year, month=number,
                           previous=previous, following=following, printed=c.clock(), station=station)
