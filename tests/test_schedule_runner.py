"""The unattended player with a controlled clock: no test here waits in real time."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import schedule
import time_machine

from announcer.errors import ScheduleError
from announcer.schedule.runner import Runner, guarded
from announcer.schedule.sinks import SinkError
from announcer.schedule.state import AiredState
from tests.test_schedule_fixtures import (
    BlockingSink,
    FakeClock,
    make_station,
    script_text,
    start_runner,
    utc,
)

SANG = script_text(title="Tiêm chủng", slots="[sang]")


@pytest.fixture(autouse=True)
def _utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine clock runs on UTC, as on many Linux boxes; the station is UTC+7."""
    # A CLI test earlier in the session may have detached 'announcer' logs from the root (caplog).
    monkeypatch.setattr(logging.getLogger("announcer"), "propagate", True)
    monkeypatch.setenv("TZ", "UTC")
    if hasattr(time, "tzset"):
        time.tzset()
    yield
    monkeypatch.undo()
    if hasattr(time, "tzset"):
        time.tzset()


def test_slot_fires_at_station_local_time_on_a_utc_machine(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    # 06:00 in Hanoi is 23:00 UTC the day before.
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    rig.tick(utc("2021-06-19 22:59:59"))
    assert rig.aired() == []
    rig.tick(utc("2021-06-19 23:00:00"))
    assert rig.aired() == ["tiem.mp3"]
    [record] = rig.records()
    assert record["status"] == "played"
    assert record["scheduled"] == "2021-06-20T06:00:00+07:00"
    assert record["started"] == "2021-06-20T06:00:00.000+07:00"
    assert record["slot"] == "sang" and record["script"] == "scripts/tiem.md"
    assert record["file"] == "audio_out/tiem.mp3"
    # 06:00 UTC (13:00 in Hanoi) is no slot at all.
    rig.tick(utc("2021-06-20 06:00"))
    assert len(rig.records()) == 1
    rig.runner.stop()


def test_next_fire_time_is_computed_in_the_station_zone(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    assert rig.runner.seconds_to_next_fire() == pytest.approx(600)
    rig.runner.stop()


def test_slot_missed_within_grace_plays_late_once(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    # Start-up at 06:07 local: the 06:00 slot is 7 min late, grace is 10.
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:07")))
    rig.tick()
    rig.tick(utc("2021-06-19 23:08"))
    rig.tick(utc("2021-06-19 23:30"))
    assert rig.aired() == ["tiem.mp3"]
    [record] = rig.records()
    assert record["status"] == "late"
    assert record["started"].startswith("2021-06-20T06:07:00")
    rig.runner.stop()


def test_older_miss_is_logged_and_not_played(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:11")))
    rig.tick()
    rig.tick(utc("2021-06-19 23:12"))
    assert rig.aired() == []
    [record] = rig.records()
    assert record["status"] == "missed"
    assert record["started"] is None and record["ended"] is None
    assert "grace" in record["error"]
    rig.runner.stop()
    # A restart does not log the same miss again.
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:20")))
    rig2.tick()
    assert len(rig2.records()) == 1
    rig2.runner.stop()


def test_stall_beyond_grace_is_missed_within_grace_is_late(tmp_path: Path) -> None:
    scripts = {"a": script_text(slots="[sang]"), "b": script_text(times='["06:20"]')}
    make_station(tmp_path, scripts=scripts, renders={"a": 1.0, "b": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    # The loop stalls from 05:55 to 06:25 local (machine suspended, say).
    rig.tick(utc("2021-06-19 22:55"))
    rig.tick(utc("2021-06-19 23:25"))
    statuses = {r["script"]: r["status"] for r in rig.records()}
    assert statuses == {"scripts/a.md": "missed", "scripts/b.md": "late"}
    assert rig.aired() == ["b.mp3"]
    rig.runner.stop()


def test_restart_after_a_slot_never_replays_it(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")))
    rig.tick(utc("2021-06-19 23:00"))
    rig.runner.stop()
    assert rig.aired() == ["tiem.mp3"]
    # Restart 2 minutes later, well within grace: nothing plays again.
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:02")))
    rig2.tick()
    rig2.tick(utc("2021-06-19 23:03"))
    assert rig2.aired() == ["tiem.mp3"]
    assert [r["status"] for r in rig2.records()] == ["played"]
    rig2.runner.stop()


def test_item_interrupted_by_a_crash_is_logged_cut_on_restart_and_not_replayed(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 3.0})
    state = AiredState(tmp_path / ".state")
    state.mark(
        "2021-06-20T06:00|slot:sang|tiem",
        "started",
        scheduled="2021-06-20T06:00:00+07:00",
        started="2021-06-20T06:00:00.000+07:00",
        slot="sang",
        script="scripts/tiem.md",
        file="audio_out/tiem.mp3",
    )
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:01")))
    rig.tick()
    assert rig.aired() == []
    [record] = rig.records()
    assert record["status"] == "cut" and "interrupted" in record["error"]
    rig.runner.stop()


def test_exception_in_one_job_does_not_stop_the_next() -> None:
    ran: list[str] = []

    def boom() -> None:
        ran.append("boom")
        raise RuntimeError("bad job")

    scheduler = schedule.Scheduler()
    with time_machine.travel("2021-06-20 06:00:00 +0700", tick=False) as traveller:
        scheduler.every(1).seconds.do(guarded(boom, "boom"))
        scheduler.every(1).seconds.do(guarded(lambda: ran.append("ok"), "ok"))
        traveller.shift(timedelta(seconds=2))
        scheduler.run_pending()
        traveller.shift(timedelta(seconds=2))
        scheduler.run_pending()
    # Both ran twice: the failing job was rescheduled, and the job after it ran.
    assert ran == ["boom", "ok", "boom", "ok"]


def test_failing_item_does_not_stop_the_slot(tmp_path: Path) -> None:
    scripts = {
        "a": script_text(slots="[sang]", priority="5"),
        "b": script_text(slots="[sang]"),
        "c": script_text(slots="[sang]", priority="-1"),
    }
    make_station(tmp_path, scripts=scripts, renders={"a": 1.0, "c": 1.0})  # b has no render

    played: list[str] = []

    class Flaky:
        name = "flaky"

        def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
            if path.stem == "a":
                raise SinkError("device busy")
            played.append(path.stem)
            return True

    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=Flaky(), status="missing")
    rig.tick(utc("2021-06-19 23:00"))
    statuses = [(r["script"], r["status"]) for r in rig.records()]
    assert statuses == [("scripts/a.md", "failed"), ("scripts/b.md", "failed"), ("scripts/c.md", "played")]
    assert played == ["c"]
    assert "device busy" in rig.records()[0]["error"]
    assert "no render" in rig.records()[1]["error"]
    rig.runner.stop()


def test_stale_script_is_rebuilt_ahead_and_failed_rebuild_plays_last_good(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 2.0})
    calls: list[list[str]] = []

    def renderer(station, paths):  # noqa: ANN001, ANN202
        calls.append([p.name for p in paths])
        return [
            SimpleNamespace(script=p, output=None, error="gTTS: 429 Too Many Requests", skipped=False) for p in paths
        ]

    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")), status="stale", renderer=renderer)
    assert calls == [["tiem.md"]]  # rendered ahead at start-up
    rig.tick()
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]
    [record] = rig.records()
    assert record["status"] == "played"
    assert "rebuild failed" in record["error"] and "429" in record["error"]
    rig.runner.stop()


def test_edit_is_reloaded_without_restart(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0, "moi": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    assert not rig.runner.reload_if_changed()
    (tmp_path / "scripts" / "moi.md").write_text(script_text(title="Mới", slots="[sang]"), encoding="utf-8")
    assert rig.runner.reload_if_changed()
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["moi.mp3", "tiem.mp3"]
    rig.runner.stop()


def test_station_toml_edit_moves_the_slot(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    config = tmp_path / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"06:00"', '"06:30"'), encoding="utf-8")
    assert rig.runner.reload_if_changed()
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == []
    rig.tick(utc("2021-06-19 23:30"))
    assert rig.aired() == ["tiem.mp3"]
    rig.runner.stop()


def test_invalid_script_edit_keeps_the_old_schedule(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    path = tmp_path / "scripts" / "tiem.md"
    path.write_text(script_text(slots="[chieu]", **{"from": "24/6/2021", "until": "17/6/2021"}), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="announcer"):
        assert rig.runner.reload_if_changed()
    assert f"{path}:4" in caplog.text  # names file:line of 'until'
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]  # still in 'sang', as before the bad edit
    rig.runner.stop()


def test_invalid_station_edit_keeps_the_old_schedule(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    config = tmp_path / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"06:00"', '"25:00"'), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="announcer"):
        assert rig.runner.reload_if_changed()
    assert f"{config}:10" in caplog.text
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]
    rig.runner.stop()


def test_start_up_with_broken_station_uses_last_valid_copy(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:00")))
    rig.runner.stop()
    config = tmp_path / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"06:00"', '"6 giờ"'), encoding="utf-8")
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    assert rig2.runner.last_error is not None and rig2.runner.last_error.line == 10
    rig2.tick()
    rig2.tick(utc("2021-06-19 23:00"))
    assert rig2.aired() == ["tiem.mp3"]
    rig2.runner.stop()


def test_refuses_to_start_when_nothing_valid_is_left(tmp_path: Path) -> None:
    make_station(tmp_path, toml='timezone = "Asia/Ho_Chi_Minh"\n[[slot]]\nname = "sang"\nat = "25:00"\n')
    runner = Runner(tmp_path, clock=FakeClock(utc("2021-06-19 22:50")), status_fn=lambda s, x: "fresh")
    with pytest.raises(ScheduleError) as info:
        runner.start()
    assert info.value.line == 4 and info.value.file.endswith("station.toml")


def test_urgent_higher_priority_item_cuts_in(tmp_path: Path) -> None:
    scripts = {
        "long": script_text(slots="[sang]"),
        "after": script_text(slots="[sang]", priority="-1"),
        "urgent": script_text(priority="5", every="5m", between='"06:05-06:06"'),
    }
    make_station(tmp_path, scripts=scripts, renders={"long": 600.0, "after": 1.0, "urgent": 1.0})
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)
    rig.tick(utc("2021-06-19 23:05"))
    assert sink.played == ["long", "urgent", "after"]
    statuses = [(r["script"], r["status"]) for r in rig.records()]
    assert statuses == [("scripts/long.md", "cut"), ("scripts/urgent.md", "played"), ("scripts/after.md", "played")]
    rig.runner.stop()


def test_lower_priority_urgent_item_waits(tmp_path: Path) -> None:
    scripts = {
        "long": script_text(slots="[sang]", priority="9"),
        "urgent": script_text(priority="1", every="5m", between='"06:05-06:06"'),
    }
    make_station(tmp_path, scripts=scripts, renders={"long": 600.0, "urgent": 1.0})
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)
    rig.clock.set(utc("2021-06-19 23:05"))
    rig.runner.tick()
    assert sink.played == ["long"]
    rig.runner.stop()  # stopping cuts the long item
    assert [(r["script"], r["status"]) for r in rig.records()] == [("scripts/long.md", "cut")]


def test_state_file_is_written_atomically(tmp_path: Path) -> None:
    state = AiredState(tmp_path)
    state.mark("k", "played", scheduled="2021-06-20T06:00:00+07:00")
    assert AiredState(tmp_path).get("k")["status"] == "played"
    assert [p.name for p in tmp_path.iterdir()] == ["aired.json"]  # no temp files left behind
    (tmp_path / "aired.json").write_text("{torn", encoding="utf-8")
    assert AiredState(tmp_path).get("k") is None  # a damaged file is set aside, not fatal
    assert (tmp_path / "aired.damaged").exists()
    assert os.name != "posix" or (tmp_path / "aired.damaged").stat().st_size == 5
