"""The as-run log: one record per item that aired (or should have), and ``announcer log``.

The records live in the player store (``store.py``, table ``asrun``), written in the same
transaction as the item's final status. A station that has not been migrated yet still has its
``asrun.jsonl`` (one JSON line per record; a torn last line from a crash is skipped).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
from contextlib import closing
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from announcer.config import Station, load_station
from announcer.errors import ConfigError
from announcer.i18n import _

log = logging.getLogger(__name__)

CSV_COLUMNS = ("scheduled", "started", "ended", "slot", "script", "file", "status", "error")
STATUSES = ("played", "late", "missed", "failed", "cut")


def iso(moment: datetime | None, tz: tzinfo, timespec: str = "milliseconds") -> str | None:
    """ISO 8601 with the UTC offset of the station time zone."""
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat(timespec=timespec)



def station_records(station: Station) -> list[dict[str, Any]]:
    """Every as-run record of a station: from its player store, or its old asrun.jsonl."""
    from announcer.schedule.store import DB_FILE, PlayerStore, read_asrun_jsonl

    db = station.state_dir / DB_FILE
    if not db.exists():
        return read_asrun_jsonl(station.asrun_path)
    store = PlayerStore(station.state_dir, legacy_asrun=station.asrun_path)
    try:
        if store.open():
            return store.asrun_records()
    finally:
        store.close()
    try:  # a read-only folder: read without writing
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return [json.loads(r) for (r,) in conn.execute("SELECT record FROM asrun ORDER BY id")]
    except sqlite3.Error as exc:
        raise ConfigError(_("cannot read the as-run log: {reason}", reason=str(exc)), file=db) from None


def record_day(record: dict[str, Any], tz: tzinfo) -> date | None:
    for key in ("scheduled", "started"):
        value = record.get(key)
        if value:
            try:
                return datetime.fromisoformat(str(value)).astimezone(tz).date()
            except ValueError:
                continue
    return None


def _station_or_default(station_dir: Path) -> Station:
    try:
        return load_station(station_dir)
    except ConfigError as exc:
        log.warning("%s; reading the log with default settings", exc)
        return Station(root=Path(station_dir))


def format_table(records: list[dict[str, Any]]) -> str:
    if not records:
        return "no as-run records\n"
    lines = []
    for r in records:
        sched = str(r.get("scheduled") or "")[:19].replace("T", " ")
        started = str(r.get("started") or "")[11:19] or "--:--:--"
        ended = str(r.get("ended") or "")[11:19] or "--:--:--"
        what = r.get("script") or r.get("file") or ""
        slot = r.get("slot") or "-"
        error = f"  ({r['error']})" if r.get("error") else ""
        lines.append(f"{sched}  {started}-{ended}  {str(r.get('status', '')):7} {slot:10} {what}{error}")
    return "\n".join(lines) + "\n"


def format_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in CSV_COLUMNS])
    return out.getvalue()


def log_command(station_dir: Path | str, day: str | None, as_csv: bool) -> str:
    station = _station_or_default(Path(station_dir))
    records = station_records(station)
    if day:
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise ConfigError(_("--date {day!r} is not a date", day=day), hint=_("write it as YYYY-MM-DD")) from None
        records = [r for r in records if record_day(r, station.tz) == wanted]
    return format_csv(records) if as_csv else format_table(records)
