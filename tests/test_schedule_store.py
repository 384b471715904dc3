"""The player's memory: one SQLite store (aired items, the hand-over inbox, the as-run log),
the migration of an old station's files, and airing when the records cannot be written."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from announcer.schedule.asrun import log_command
from announcer.schedule.inbox import Inbox, PlayRequest
from announcer.schedule.store import JOURNALED, RECORDED, UNRECORDED, PlayerStore
from tests.test_schedule_fixtures import (
    BlockingSink,
    FakeClock,
    make_station,
    records,
    script_text,
    start_runner,
    utc,
    write_render,
)

SANG = script_text(title="Tiêm chủng", slots="[sang]")


class Faults:
    """A real SQLite connection whose writes fail while ``on`` (disk full, read-only folder)."""

    def __init__(self) -> None:
        self.on = False
        self.commits = 0

    def connect(self) -> Callable[..., sqlite3.Connection]:
        faults = self

        class Conn(sqlite3.Connection):
            def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
                if faults.on and not sql.lstrip().upper().startswith("SELECT"):
                    raise sqlite3.OperationalError("database or disk is full")
                if sql.strip().upper() == "COMMIT":
                    faults.commits += 1
                return super().execute(sql, *args)

            def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
                if faults.on:
                    raise sqlite3.OperationalError("database or disk is full")
                return super().executemany(sql, *args)

        return lambda *a, **k: sqlite3.connect(*a, factory=Conn, **k)


def test_store_is_wal_with_full_sync_and_survives_reopening(tmp_path: Path) -> None:
    store = PlayerStore(tmp_path / ".state", fallback_dir=tmp_path / "j")
    assert store.open()
    assert store._db is not None
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.start("k", {"scheduled": "2021-06-20T06:00:00+07:00"}) == RECORDED
    store.close()
    again = PlayerStore(tmp_path / ".state", fallback_dir=tmp_path / "j")
    assert again.get("k")["status"] == "started"
    assert again.start("k", {}) == "already"


def test_taking_a_hand_over_and_recording_it_started_is_one_transaction(tmp_path: Path) -> None:
    faults = Faults()
    store = PlayerStore(tmp_path / ".state", fallback_dir=tmp_path / "nodir" / "x", connect=faults.connect())
    store.put_request("r1", {"file": "a.mp3"})
    (tmp_path / "nodir").write_text("a file, so the journal cannot be written either")

    class Half(sqlite3.Error):
        pass

    real_apply = store._apply

    def crash_after_delete(tx: sqlite3.Connection, op: Any) -> None:
        tx.execute("DELETE FROM inbox WHERE ident=?", ("r1",))
        raise sqlite3.OperationalError("killed between the delete and the insert")

    store._apply = crash_after_delete  # type: ignore[method-assign]
    assert store.start("k", {}, take="r1") == UNRECORDED
    store._pending.clear()  # the process died: memory is gone
    store._apply = real_apply  # type: ignore[method-assign]
    assert [i for i, _ in store.requests()] == ["r1"]  # the request is still there: nothing lost
    assert store.get("k") is None
    assert store.start("k", {}, take="r1") == RECORDED
    assert store.requests() == [] and store.get("k")["status"] == "started"


def _old_station(root: Path) -> str:
    """A station as the JSON-file player left it; returns its `announcer log --csv`."""
    make_station(root, scripts={"tiem": SANG}, renders={"tiem": 2.0, "khan": 1.0})
    (root / "scripts" / "khan.md").write_text(script_text(title="Khẩn"), encoding="utf-8")
    lines = [
        {"scheduled": "2021-06-19T06:00:00+07:00", "started": "2021-06-19T06:00:00.004+07:00",
         "ended": "2021-06-19T06:00:02.010+07:00", "slot": "sang", "source": "slot", "script": "scripts/tiem.md",
         "file": "audio_out/tiem.mp3", "status": "played", "error": None, "title": "Tiêm chủng"},
        {"scheduled": "2021-06-19T17:00:00+07:00", "started": None, "ended": None, "slot": "chieu",
         "source": "slot", "script": "scripts/tiem.md", "file": "audio_out/tiem.mp3", "status": "missed",
         "error": "missed by 40 min; grace is 10 min", "title": "Tiêm chủng"},
    ]
    (root / "asrun.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines),
                                      encoding="utf-8")
    state = root / ".state"
    (state / "inbox").mkdir(parents=True)
    items = {
        "2021-06-19T06:00|slot:sang|tiem": {**lines[0]},
        "2021-06-19T17:00|slot:chieu|tiem": {**lines[1]},
        "2021-06-20T06:00|slot:sang|tiem": {"status": "started", "scheduled": "2021-06-20T06:00:00+07:00",
                                             "started": "2021-06-20T06:00:00.001+07:00", "slot": "sang",
                                             "source": "slot", "script": "scripts/tiem.md",
                                             "file": "audio_out/tiem.mp3", "title": "Tiêm chủng"},
    }
    (state / "aired.json").write_text(json.dumps({"version": 1, "items": items}), encoding="utf-8")
    request = {"version": 1, "file": "audio_out/khan.mp3", "script": "scripts/khan.md", "title": "Khẩn",
               "requested": "2021-06-19T23:01:00+00:00", "error": None, "pid": 1}
    (state / "inbox" / "20210619T230100000000-khan.json").write_text(json.dumps(request), encoding="utf-8")
    return log_command(root, None, True)


def test_an_old_station_is_migrated_on_first_start_with_nothing_lost(tmp_path: Path) -> None:
    before = _old_station(tmp_path)
    assert len(list(csv.reader(io.StringIO(before)))) == 3
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:02")), sink=sink)
    assert rig.runner.player is not None and rig.runner.player.wait_idle(10)
    rig.tick()
    after = log_command(tmp_path, None, True)
    # The two old lines, unchanged and first; then the item the crash interrupted (from aired.json),
    # then the hand-over that was waiting in the old inbox.
    assert after.startswith(before)
    rows = list(csv.DictReader(io.StringIO(after)))
    assert [(r["script"], r["status"]) for r in rows] == [
        ("scripts/tiem.md", "played"), ("scripts/tiem.md", "missed"), ("scripts/tiem.md", "cut"),
        ("scripts/khan.md", "late")]
    assert sink.played == ["khan"]  # 06:00 of the 20th is not replayed: it was on air when the old player died
    rig.runner.stop()
    assert (tmp_path / "asrun.jsonl.migrated").exists() and not (tmp_path / "asrun.jsonl").exists()
    assert (tmp_path / ".state" / "aired.json.migrated").exists()
    assert list((tmp_path / ".state" / "inbox").iterdir()) == []
    # A second start imports nothing again.
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:03")), sink=sink)
    rig2.tick()
    assert log_command(tmp_path, None, True) == after
    rig2.runner.stop()


def test_announcer_log_reads_an_unmigrated_station_as_before(tmp_path: Path) -> None:
    before = _old_station(tmp_path)
    assert "audio_out/tiem.mp3,missed,missed by 40 min" in before
    assert (tmp_path / "asrun.jsonl").exists() and not (tmp_path / ".state" / "player.db").exists()


def _store_with(faults: Faults, root: Path, journal: Path) -> PlayerStore:
    return PlayerStore(root / ".state", fallback_dir=journal, connect=faults.connect())


def test_disk_full_the_item_still_airs_loudly_and_its_record_is_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    faults = Faults()
    store = _store_with(faults, tmp_path, tmp_path / "journal")
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), store=store)
    faults.on = True
    with caplog.at_level(logging.CRITICAL, logger="announcer"):
        rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]  # airing beats bookkeeping
    assert "PLAYER RECORDS NOT SAVED" in caplog.text and "disk is full" in caplog.text
    assert (tmp_path / "journal" / "journal.jsonl").exists()
    rig.tick(utc("2021-06-19 23:00:30"))  # not twice while the disk is full
    assert rig.aired() == ["tiem.mp3"]
    faults.on = False
    assert store.flush()
    assert [(r["script"], r["status"]) for r in records(tmp_path)] == [("scripts/tiem.md", "played")]
    assert not (tmp_path / "journal" / "journal.jsonl").exists()
    rig.runner.stop()


def test_killed_while_the_disk_is_full_a_restart_never_airs_the_slot_twice(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    faults = Faults()
    journal = tmp_path / "journal"
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), store=_store_with(faults, tmp_path, journal))
    faults.on = True
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]
    # Killed: the database never heard of it; only the fallback journal did. The disk is freed.
    faults.on = False
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:02")), store=_store_with(faults, tmp_path, journal))
    rig2.tick()
    rig2.tick(utc("2021-06-19 23:03"))
    assert rig2.aired() == ["tiem.mp3"]
    assert [r["status"] for r in records(tmp_path)] == ["played"]
    rig2.runner.stop()


def test_when_nothing_can_be_recorded_a_restart_catches_up_nothing_but_new_slots_air(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scripts = {"tiem": SANG, "moi": script_text(times='["06:05"]')}
    make_station(tmp_path, scripts=scripts, renders={"tiem": 3.0, "moi": 1.0})
    faults = Faults()
    (tmp_path / "full").write_text("x")
    journal = tmp_path / "full" / "journal"  # cannot be created: that disk is full too
    faults.on = True
    with caplog.at_level(logging.CRITICAL, logger="announcer"):
        rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:02")), store=_store_with(faults, tmp_path, journal))
        rig.tick()
    # 06:00 is a catch-up: the run that died at 06:00 may have aired it, and nothing can be recorded.
    assert rig.aired() == []
    assert "not caught up" in caplog.text
    rig.tick(utc("2021-06-19 23:05"))  # 06:05 falls due in this run: it airs, records or not
    assert rig.aired() == ["moi.mp3"]
    rig.runner.stop()


def test_journal_replays_into_the_database_when_it_can_be_written_again(tmp_path: Path) -> None:
    faults = Faults()
    store = PlayerStore(tmp_path / ".state", fallback_dir=tmp_path / "j", connect=faults.connect())
    assert store.open()
    faults.on = True
    assert store.start("k", {"scheduled": "x"}) == JOURNALED
    store.close()
    faults.on = False
    fresh = PlayerStore(tmp_path / ".state", fallback_dir=tmp_path / "j")
    assert fresh.open()
    assert fresh.get("k")["status"] == "started"
    assert not (tmp_path / "j" / "journal.jsonl").exists()


def test_hand_over_inbox_roundtrip(tmp_path: Path) -> None:
    write_render(make_station(tmp_path), "khan", 1.0)
    inbox = Inbox(PlayerStore(tmp_path / ".state"))
    request = PlayRequest(file="audio_out/khan.mp3", script=None, title="Khẩn", requested=utc("2021-06-19 23:00"))
    first, second = inbox.put(request), inbox.put(request)
    assert (first, second) == ("20210619T230000000000-khan", "20210619T230000000000-khan-2")
    assert [r.ident for r in inbox.pending()] == [first, second]


def test_killed_mid_item_while_the_disk_is_full_the_restart_logs_it_cut_and_never_replays_it(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"long": SANG}, renders={"long": 600.0})
    faults = Faults()
    journal = tmp_path / "journal"
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink,
                       store=_store_with(faults, tmp_path, journal))
    faults.on = True
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)  # on air; its 'started' record is only in the fallback journal
    faults.on = False  # killed here; the disk is freed before the restart
    sink2 = BlockingSink()
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:02")), sink=sink2,
                        store=_store_with(faults, tmp_path, journal))
    rig2.tick()
    assert sink2.played == []
    assert [r["status"] for r in records(tmp_path)] == ["cut"]
    rig2.runner.stop()
    rig.runner.stop()
