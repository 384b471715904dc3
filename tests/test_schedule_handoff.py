"""One `announcer run` per station, and `announcer play` handing its item to the running player."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from announcer.cli import main
from announcer.errors import ScheduleError
from announcer.schedule.inbox import Inbox, PlayRequest
from announcer.schedule.runlock import RunLock, run_lock_holder
from announcer.schedule.runner import HANDED_OFF, play_command
from announcer.schedule.store import PlayerStore
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

HOLDER = """
import sys
from pathlib import Path
from announcer.schedule.runlock import RunLock
RunLock(Path(sys.argv[1])).acquire()
print("locked", flush=True)
sys.stdin.read()  # hold until the test closes stdin (or kills us)
"""


class Holder:
    """Another process holding the station lock."""

    def __init__(self, state_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(state_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == b"locked"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=10) == 0

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL on POSIX: no clean-up code runs
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Holder]:
    held = Holder(tmp_path / ".state")
    yield held
    held.close()


def test_second_lock_fails_with_the_holders_pid_and_is_free_after_exit(tmp_path: Path, holder: Holder) -> None:
    state = tmp_path / ".state"
    with pytest.raises(ScheduleError) as info:
        RunLock(state).acquire()
    assert f"pid {holder.pid}" in info.value.message and "already playing" in info.value.message
    assert info.value.file == str(state / "run.lock") and "stop it first" in (info.value.hint or "")
    assert run_lock_holder(state) == holder.pid
    holder.exit()
    assert run_lock_holder(state) is None
    with RunLock(state) as lock:
        assert lock.held and run_lock_holder(state) is not None
    assert run_lock_holder(state) is None


def test_lock_is_free_after_the_holder_is_killed(tmp_path: Path, holder: Holder) -> None:
    holder.kill()
    lock = RunLock(tmp_path / ".state").acquire()
    lock.release()


def test_lock_file_absent_means_no_runner_and_probing_creates_nothing(tmp_path: Path) -> None:
    assert run_lock_holder(tmp_path / ".state") is None
    assert not (tmp_path / ".state").exists()


def test_second_announcer_run_refuses_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_station(tmp_path)
    logger = logging.getLogger("announcer")  # main() points it at this test's (soon closed) stderr
    for attr in ("handlers", "level", "propagate"):
        monkeypatch.setattr(logger, attr, getattr(logger, attr) if attr != "handlers" else [])
    with RunLock(tmp_path / ".state"), pytest.raises(SystemExit) as info:
        main(["--station", str(tmp_path), "run", "--sink", f"file:{tmp_path / 'aired'}"])
    assert info.value.code == ScheduleError.exit_code
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "run.lock" in line and "another `announcer run` is already playing this station" in line
    assert not (tmp_path / "aired").exists()


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        self.played.append(path.name)
        return True


def _khan_station(root: Path, **renders: float) -> None:
    make_station(
        root,
        scripts={"khan": script_text(title="Khẩn"), "long": script_text(slots="[sang]")},
        renders={"long": 600.0, **renders},
    )
    write_render(root, "khan", 4.0, title="Khẩn cấp")


def test_play_hands_the_item_to_the_running_player(tmp_path: Path, holder: Holder) -> None:
    _khan_station(tmp_path)
    sink = Recorder()
    said: list[str] = []
    code = play_command(
        tmp_path,
        "scripts/khan.md",
        None,
        clock=FakeClock(utc("2021-06-20 01:00")),
        renderer=lambda station, paths: [],
        sink_obj=sink,
        report=said.append,
    )
    assert code == 0 and sink.played == []
    assert said == [f"{HANDED_OFF} (announcer run, pid {holder.pid})"]
    [(ident, data)] = PlayerStore(tmp_path / ".state").requests()
    assert ident == "20210620T010000000000-khan"
    assert data["file"] == "audio_out/khan.mp3" and data["script"] == "scripts/khan.md"
    assert data["title"] == "Khẩn cấp" and data["requested"] == "2021-06-20T01:00:00+00:00"
    assert records(tmp_path) == []  # the player logs it when it plays it


def test_play_without_a_runner_plays_directly_even_after_one_ran(tmp_path: Path) -> None:
    _khan_station(tmp_path)
    RunLock(tmp_path / ".state").acquire().release()  # a runner ran here once and stopped
    sink = Recorder()
    clock = FakeClock(utc("2021-06-20 01:00"))
    code = play_command(tmp_path, "scripts/khan.md", None, clock=clock, renderer=lambda s, p: [], sink_obj=sink)
    assert code == 0 and sink.played == ["khan.mp3"]
    assert _inbox(tmp_path).pending() == []


def test_runner_plays_a_handed_over_item_next_cutting_in(tmp_path: Path) -> None:
    _khan_station(tmp_path, after=1.0)
    (tmp_path / "scripts" / "after.md").write_text(script_text(slots="[sang]", priority="-1"), encoding="utf-8")
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)
    # `announcer play` while the runner holds the lock (flock: a second handle conflicts even in-process).
    rig.clock.set(utc("2021-06-19 23:00:30"))
    with RunLock(tmp_path / ".state"):
        code = play_command(tmp_path, "scripts/khan.md", None, clock=rig.clock, renderer=lambda s, p: [], report=print)
    assert code == 0
    rig.runner.take_requests()
    assert rig.runner.player is not None and rig.runner.player.wait_idle(10)
    assert sink.played == ["long", "khan", "after"]
    records = [(r["script"], r["slot"], r["source"], r["status"]) for r in rig.records()]
    assert records == [
        ("scripts/long.md", "sang", "slot", "cut"),
        ("scripts/khan.md", None, "play", "played"),
        ("scripts/after.md", "sang", "slot", "played"),
    ]
    khan = rig.records()[1]
    assert khan["file"] == "audio_out/khan.mp3" and khan["title"] == "Khẩn cấp"
    assert khan["scheduled"] == "2021-06-20T06:00:30+07:00" and khan["error"] is None
    assert _inbox(tmp_path).pending() == []
    rig.runner.take_requests()  # taken once only
    rig.runner.stop()
    # A restart replays nothing.
    rig2 = start_runner(tmp_path, FakeClock(utc("2021-06-19 23:01")), sink=sink)
    rig2.tick()
    assert sink.played == ["long", "khan", "after"] and len(rig2.records()) == 3
    rig2.runner.stop()


def _inbox(root: Path) -> Inbox:
    return Inbox(PlayerStore(root / ".state"))


def _request(root: Path, when: str, name: str = "khan") -> str:
    request = PlayRequest(file=f"audio_out/{name}.mp3", script=f"scripts/{name}.md", title=name, requested=utc(when))
    return _inbox(root).put(request)


def test_request_left_from_before_start_is_missed_beyond_grace_and_late_within(tmp_path: Path) -> None:
    _khan_station(tmp_path, bell=1.0)
    _request(tmp_path, "2021-06-19 21:30")  # 30 min before the start; grace is 10
    _request(tmp_path, "2021-06-19 21:58", "bell")
    sink = Recorder()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:00")), sink=sink)
    assert rig.runner.player is not None and rig.runner.player.wait_idle(10)
    assert sink.played == ["bell.mp3"]
    [(khan, bell)] = [rig.records()]
    assert (khan["script"], khan["status"], khan["source"]) == ("scripts/khan.md", "missed", "play")
    assert "missed by 30 min" in khan["error"] and khan["started"] is None
    assert (bell["script"], bell["status"]) == ("scripts/bell.md", "late")
    assert _inbox(tmp_path).pending() == []
    rig.runner.stop()


def test_damaged_request_is_dropped_and_the_player_goes_on(tmp_path: Path) -> None:
    _khan_station(tmp_path)
    PlayerStore(tmp_path / ".state").put_request("20210619T220000000000-x", {"requested": "torn"})
    _request(tmp_path, "2021-06-19 22:00:01")
    sink = Recorder()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:00:02")), sink=sink)
    assert rig.runner.player is not None and rig.runner.player.wait_idle(10)
    assert sink.played == ["khan.mp3"]
    assert PlayerStore(tmp_path / ".state").requests() == []
    rig.runner.stop()
