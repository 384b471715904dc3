"""The unattended player with a controlled clock: no test here waits in real time."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine

from announcer.errors import ScheduleError
from announcer.schedule.clock import Periodic
from announcer.schedule.render_ahead import RenderWorker
from announcer.schedule.runner import Runner, guarded
from announcer.schedule.sinks import SinkError
from tests.test_schedule_fixtures import (
    BlockingSink,
    FakeClock,
    make_station,
    records,
    script_text,
    start_runner,
    station_store,
    utc,
    write_render,
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
    make_station(tmp_path, scripts={"long": script_text(slots="[sang]")}, renders={"long": 600.0})
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)
    # The process "dies" mid-item: nothing more is written by it; a new run starts on the same folder.
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:01")), sink=BlockingSink())
    rig2.tick()
    assert sink.played == ["long"]
    [record] = rig2.records()
    assert record["status"] == "cut" and "interrupted" in record["error"]
    assert record["started"] == "2021-06-20T06:00:00.000+07:00"
    rig2.runner.stop()
    rig.runner.stop()  # the old worker ends its item; the record stays one line, 'cut'
    assert [r["status"] for r in records(tmp_path)] == ["cut"]


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


# --- issue 8: each of these failed before its fix -----------------------------------------------------------


def test_periodic_jobs_outlive_a_failing_job() -> None:
    ran: list[str] = []
    now = [0.0]

    def boom() -> None:
        ran.append("boom")
        raise RuntimeError("bad job")

    jobs = Periodic(lambda: now[0])
    jobs.every(1, guarded(boom, "boom"))
    jobs.every(1, guarded(lambda: ran.append("ok"), "ok"))
    jobs.run_pending()
    now[0] += 1.5
    jobs.run_pending()
    assert ran == ["boom", "ok", "boom", "ok"]


def test_a_request_for_a_script_that_is_rendering_now_is_built_again() -> None:
    """Item 1: an edit saved while that script renders in the background is rendered too."""
    gate = threading.Event()
    built: list[str] = []

    def build(paths: list[Path]) -> dict[str, str | None]:
        built.append(paths[0].name)
        if len(built) == 1:
            assert gate.wait(5)  # the first build reads the old text and takes its time
        return {p.stem: None for p in paths}

    worker = RenderWorker(build)
    worker.start()
    try:
        worker.request([Path("tiem.md")])
        deadline = time.monotonic() + 5
        while not built and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.request([Path("tiem.md")])  # saved again during the render
        gate.set()
        assert worker.wait_idle(5)
        assert built == ["tiem.md", "tiem.md"]
    finally:
        worker.stop()


def test_a_script_is_not_marked_rendered_before_the_outcome_is_known(tmp_path: Path) -> None:
    """Item 1: a later render-ahead asks again; nothing remembers 'done' on the way in."""
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 2.0})
    calls: list[str] = []
    status = ["stale"]

    def renderer(station, paths):  # noqa: ANN001, ANN202
        calls.append(paths[0].name)
        return [SimpleNamespace(script=p, error=None) for p in paths]

    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")), status="stale", renderer=renderer)
    rig.runner.render_ahead_check._status_fn = lambda station, script: status[0]
    calls.clear()
    rig.runner.render_ahead(utc("2021-06-19 22:51"))
    rig.runner.render_ahead(utc("2021-06-19 22:52"))  # still stale (edited again): asked again
    assert calls == ["tiem.md", "tiem.md"]
    status[0] = "fresh"
    rig.runner.render_ahead(utc("2021-06-19 22:53"))
    assert calls == ["tiem.md", "tiem.md"]
    rig.runner.stop()


def test_two_urgent_items_due_in_the_same_minute_air_by_priority(tmp_path: Path) -> None:
    """Item 5: priority 9 before priority 5."""
    from announcer.schedule.inbox import Inbox, PlayRequest

    scripts = {
        "a_five": script_text(priority="5", every="30m", between='"06:00-06:01"'),
        "b_nine": script_text(priority="9", every="30m", between='"06:00-06:01"'),
        "c_slot": script_text(slots="[sang]"),
    }
    make_station(tmp_path, scripts=scripts, renders={"a_five": 1.0, "b_nine": 1.0, "c_slot": 1.0, "hold": 1.0})
    gate = threading.Event()
    played: list[str] = []

    class Gated:
        name = "gated"

        def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
            played.append(path.stem)
            if path.stem == "hold":
                assert gate.wait(5)  # a hand-over on air (nothing scheduled cuts it) while the minute queues
            return True

    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=Gated())
    Inbox(rig.runner.store).put(PlayRequest(file="audio_out/hold.mp3", script=None, title="hold",
                                            requested=utc("2021-06-19 22:59:59")))
    rig.runner.take_requests()
    deadline = time.monotonic() + 5
    while played != ["hold"] and time.monotonic() < deadline:
        time.sleep(0.01)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    gate.set()
    assert rig.runner.player is not None and rig.runner.player.wait_idle(10)
    assert played == ["hold", "b_nine", "a_five", "c_slot"]
    rig.runner.stop()


def test_a_hand_over_is_never_deleted_before_it_airs(tmp_path: Path) -> None:
    """Item 4: one queued behind another survives a stop (or a crash) and airs after the restart."""
    from announcer.schedule.inbox import Inbox, PlayRequest

    make_station(tmp_path, scripts={"long": SANG}, renders={"long": 600.0, "khan": 1.0, "bell": 1.0})
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:00")), sink=sink)
    inbox = Inbox(rig.runner.store)
    for name, at in (("long", "23:00:00"), ("bell", "23:00:01")):
        inbox.put(PlayRequest(file=f"audio_out/{name}.mp3", script=None, title=name, requested=utc(f"2021-06-19 {at}")))
    rig.runner.take_requests()
    assert sink.started.wait(5)  # 'long' is on air, 'bell' is queued behind it
    assert [r.ident for r in inbox.pending()] == ["20210619T230001000000-bell"]
    rig.runner.stop()  # 'long' is cut; 'bell' never aired
    sink2 = BlockingSink()
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:01")), sink=sink2)
    assert rig2.runner.player is not None and rig2.runner.player.wait_idle(10)
    assert sink2.played == ["bell"]
    assert [(r["file"], r["status"]) for r in records(tmp_path)] == [
        ("audio_out/long.mp3", "cut"), ("audio_out/bell.mp3", "late")]
    rig2.runner.stop()


def test_wall_clock_stepped_back_an_hour_does_not_stall_hand_overs(tmp_path: Path) -> None:
    """Item 6: the periodic jobs wait on the monotonic clock, not on the wall clock."""
    from announcer.schedule.inbox import Inbox, PlayRequest

    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0, "khan": 1.0})
    with time_machine.travel(utc("2021-06-19 20:00"), tick=True) as traveller:
        sink = BlockingSink()
        runner = Runner(tmp_path, sink, renderer=lambda s, p: [], status_fn=lambda s, x: "fresh",
                        background_render=False, store=station_store(tmp_path))
        runner.start()
        stop = threading.Event()
        loop = threading.Thread(target=runner.run_forever, args=(stop,), daemon=True)
        loop.start()
        try:
            time.sleep(1.5)  # the loop has run its jobs once
            traveller.shift(timedelta(hours=-1))  # a bad NTP start, corrected back
            Inbox(runner.store).put(PlayRequest(file="audio_out/khan.mp3", script=None, title="khan",
                                                requested=utc("2021-06-19 19:00:02")))
            deadline = time.monotonic() + 5
            while sink.played != ["khan"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sink.played == ["khan"]
        finally:
            stop.set()
            loop.join(5)
            runner.stop()


def test_wall_clock_stepped_forward_logs_the_skipped_slot_once_and_the_next_fires(tmp_path: Path) -> None:
    """Item 6: a step forward over a slot logs it missed; the next slot is on time; no double play."""
    scripts = {"tiem": SANG, "moi": script_text(times='["07:30"]')}
    make_station(tmp_path, scripts=scripts, renders={"tiem": 1.0, "moi": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    rig.tick(utc("2021-06-20 00:20"))  # 05:50 -> 07:20 local in one step
    rig.tick(utc("2021-06-20 00:30"))
    rig.tick(utc("2021-06-19 23:40"))  # and back again
    rig.tick(utc("2021-06-20 00:31"))
    assert rig.aired() == ["moi.mp3"]
    assert [(r["script"], r["status"]) for r in rig.records()] == [
        ("scripts/tiem.md", "missed"), ("scripts/moi.md", "played")]
    rig.runner.stop()


def test_outage_across_midnight_logs_the_previous_evening_missed(tmp_path: Path) -> None:
    """Item 10: the evening slot before a night-long outage gets its as-run line."""
    make_station(tmp_path, scripts={"tiem": script_text(slots="[sang, chieu]")}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-20 09:00")))  # 16:00 local
    rig.tick()
    rig.runner.beat()
    rig.runner.stop()  # power cut until 07:00 the next morning
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-21 00:00")))
    rig2.tick()
    assert [(r["scheduled"], r["status"]) for r in rig2.records()] == [
        ("2021-06-20T06:00:00+07:00", "missed"),  # before the first start that day
        ("2021-06-20T17:00:00+07:00", "missed"),
        ("2021-06-21T06:00:00+07:00", "missed"),
    ]
    rig2.runner.stop()


def test_a_clock_corrected_by_years_writes_one_transaction_and_the_next_slot_is_queued_first(tmp_path: Path) -> None:
    """Item 10: not thousands of records with one fsync each; the due slot does not wait for them."""
    make_station(tmp_path, scripts={"tiem": script_text(slots="[sang, chieu]")}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2019-06-19 09:00")))  # two years wrong
    rig.tick()
    writes: list[int] = []
    real = rig.runner.store._write

    def counting(ops):  # noqa: ANN001, ANN202
        writes.append(len(ops))
        return real(ops)

    rig.runner.store._write = counting  # type: ignore[method-assign]
    order: list[str] = []
    submit = rig.runner.player.submit  # type: ignore[union-attr]
    rig.runner.player.submit = lambda jobs, urgent=False: (order.append("submit"), submit(jobs, urgent))  # type: ignore
    real_finish = rig.runner.store.finish_many
    rig.runner.store.finish_many = lambda items, **k: (order.append("misses"), real_finish(items, **k))[1]  # type: ignore
    rig.tick(utc("2021-06-19 23:00"))  # NTP fixes it, right at 06:00 local
    missed = [r for r in rig.records() if r["status"] == "missed" and r["scheduled"] >= "2021"]
    assert 0 < len(missed) <= 16  # at most a week of two slots, not 1,460
    assert order[:2] == ["submit", "misses"]
    assert max(writes) == len(missed) and writes.count(len(missed)) == 1  # one transaction
    assert rig.aired() == ["tiem.mp3"]
    rig.runner.stop()


def test_a_render_deleted_just_before_its_slot_is_rebuilt_and_airs(tmp_path: Path) -> None:
    """Item 10: rebuilt, not logged 'failed'."""
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    built: list[str] = []

    def renderer(station, paths):  # noqa: ANN001, ANN202
        for path in paths:
            built.append(path.stem)
            write_render(tmp_path, path.stem, 1.0)
        return [SimpleNamespace(script=p, error=None) for p in paths]

    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), renderer=renderer)
    (tmp_path / "audio_out" / "tiem.mp3").unlink()
    rig.tick(utc("2021-06-19 23:00"))
    assert built == ["tiem"] and rig.aired() == ["tiem.mp3"]
    assert [r["status"] for r in rig.records()] == ["played"]
    rig.runner.stop()


def test_a_script_that_crashes_the_parser_never_stops_the_station(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Item 10: every valid script plays, the bad one is named, and its last valid version is kept."""
    from announcer.schedule import model

    make_station(tmp_path, scripts={"tiem": SANG, "moi": SANG}, renders={"tiem": 1.0, "moi": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:00")))  # both valid: copies are kept
    rig.runner.stop()
    real = model.parse_script

    def crashing(path: Path):  # noqa: ANN202
        if path.name == "moi.md":
            raise ValueError("invalid literal for int() with base 10: '²'")
        return real(path)

    monkeypatch.setattr(model, "parse_script", crashing)
    (tmp_path / "scripts" / "moi.md").write_text(script_text(slots="[sang]", repeat="²"), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="announcer"):
        rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")))
    assert str(tmp_path / "scripts" / "moi.md") in caplog.text and "last valid version" in caplog.text
    rig2.tick()
    rig2.tick(utc("2021-06-19 23:00"))
    assert rig2.aired() == ["moi.mp3", "tiem.mp3"]
    rig2.runner.stop()


def test_a_render_read_by_a_fallback_engine_has_its_own_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from announcer import render
    from announcer.schedule import renders
    from announcer.script import parse_script

    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    monkeypatch.setattr(render, "render_status", lambda station, path: "fresh")
    station = SimpleNamespace(audio_out=tmp_path / "audio_out")
    script = parse_script(tmp_path / "scripts" / "tiem.md")
    assert renders.render_status(station, script) == renders.FRESH  # type: ignore[arg-type]
    manifest = tmp_path / "audio_out" / "tiem.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "fallbacks": ["gtts -> espeak: 3 sentences"]}), encoding="utf-8")
    assert renders.render_status(station, script) == renders.FALLBACK  # type: ignore[arg-type]


def test_run_offers_fallback_renders_to_the_build_now_and_then(tmp_path: Path) -> None:
    """Item 11: `run` redoes renders read by a fallback engine (the build decides when)."""
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    calls: list[str] = []
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:50")), status="fallback",
                       renderer=lambda s, paths: calls.extend(p.name for p in paths) or [])
    assert calls == ["tiem.md"]
    rig.runner.render_ahead(utc("2021-06-19 22:52"))
    assert calls == ["tiem.md"]  # not every minute
    rig.runner.render_ahead(utc("2021-06-19 23:00:30"))
    assert calls == ["tiem.md", "tiem.md"]
    rig.runner.stop()


def test_render_errors_changing_under_the_player_never_lose_an_item(tmp_path: Path) -> None:
    """Item 11: the render thread may clear an error between 'is it there' and 'read it'."""
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})

    class Racing(dict):
        def __contains__(self, key: object) -> bool:
            found = dict.__contains__(self, key)
            self.pop(key, None)  # the render thread succeeds right now
            return found

    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")))
    rig.runner.airing._errors = Racing(tiem="gTTS: 429")
    rig.tick(utc("2021-06-19 23:00"))
    assert [r["status"] for r in rig.records()] == ["played"]
    rig.runner.stop()


def test_a_stale_render_airs_with_a_note(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"tiem": SANG}, renders={"tiem": 1.0})
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), status="stale")
    rig.tick(utc("2021-06-19 23:00"))
    [record] = rig.records()
    assert record["status"] == "played" and "stale render" in record["error"]
    rig.runner.stop()
