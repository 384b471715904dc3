"""The as-run log: one JSON line per item that aired (or should have), append-only.

Each record is flushed and fsynced before ``append`` returns, so a crash loses
at most the item that was playing (the runner logs that one as ``cut`` on the
next start). A torn last line from a crash is skipped when reading.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from announcer.config import Station, load_station
from announcer.errors import ConfigError

log = logging.getLogger(__name__)

CSV_COLUMNS = ("scheduled", "started", "ended", "slot", "script", "file", "status", "error")
STATUSES = ("played", "late", "missed", "failed", "cut")


def iso(moment: datetime | None, tz: tzinfo, timespec: str = "milliseconds") -> str | None:
    """ISO 8601 with the UTC offset of the station time zone."""
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat(timespec=timespec)


class AsRunLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8", newline="\n") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every record of the log, skipping (and warning about) damaged lines."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            log.warning("%s:%d: damaged as-run record skipped", path, number)
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


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
    records = read_records(station.asrun_path)
    if day:
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise ConfigError(f"--date {day!r} is not a date", hint="write it as YYYY-MM-DD") from None
        records = [r for r in records if record_day(r, station.tz) == wanted]
    return format_csv(records) if as_csv else format_table(records)
