"""`announcer run` as a real process, in real time, stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from announcer.schedule.store import PlayerStore
from tests.test_schedule_fixtures import make_station, records, script_text

pytestmark = pytest.mark.slow


def _mp3(path: Path, seconds: float) -> None:
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-ac",
            "1",
            "-b:a",
            "32k",
            str(path),
        ],
        check=True,
        timeout=30,
    )


def _fresh_render(root: Path, name: str, seconds: float) -> None:
    """A real MP3 and a manifest the renderer accepts as up to date (so nothing is rebuilt)."""
    from announcer.config import load_station

    _mp3(root / "audio_out" / f"{name}.mp3", seconds)
    script = root / "scripts" / f"{name}.md"
    try:
        from announcer.render import render_fingerprint

        fingerprint = render_fingerprint(load_station(root), script)
    except ImportError:  # renderer not there: the runner then treats existing renders as fresh
        fingerprint = "test"
    manifest = {"duration_s": seconds, "fingerprint": fingerprint, "title": name}
    (root / "audio_out" / f"{name}.json").write_text(json.dumps(manifest), encoding="utf-8")


def _records(root: Path) -> list[dict]:
    return records(root) if (root / ".state" / "player.db").exists() else []


def _wait_for(predicate, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM delivery is POSIX")
def test_run_plays_the_slot_on_time_into_a_folder_and_stops_on_sigterm(tmp_path: Path) -> None:
    root = make_station(
        tmp_path / "station",
        scripts={
            "a_first": script_text(title="Một", slots="[sang]", priority="1"),
            "b_long": script_text(title="Hai", slots="[sang]"),
        },
    )
    _fresh_render(root, "a_first", 1.0)
    _fresh_render(root, "b_long", 8.0)
    out = tmp_path / "aired"
    asrun = root
    env = dict(
        os.environ,
        TZ="UTC",
        PYTHONUNBUFFERED="1",
        # The player's clock starts 3 s before the 06:00 slot (Hanoi time), then runs in real time.
        ANNOUNCER_CLOCK_START="2021-06-20T05:59:57+07:00",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "announcer", "--station", str(root), "-v", "run", "--sink", f"file:{out}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert _wait_for(lambda: any(r["status"] == "played" for r in _records(asrun)), 15), proc.stderr
        assert _wait_for(lambda: len(list(out.glob("*b_long.mp3"))) == 1, 5)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    first_file, second_file = sorted(p.name for p in out.iterdir())
    assert first_file == "20210620T060000_a_first.mp3"
    assert second_file in ("20210620T060001_b_long.mp3", "20210620T060002_b_long.mp3")  # 1 s item + records
    first, second = _records(asrun)
    assert (first["script"], first["status"]) == ("scripts/a_first.md", "played"), stderr
    assert first["scheduled"] == "2021-06-20T06:00:00+07:00"
    late_by = datetime.fromisoformat(first["started"]) - datetime.fromisoformat(first["scheduled"])
    assert 0 <= late_by.total_seconds() < 1.0
    assert (
        0.9 <= (datetime.fromisoformat(first["ended"]) - datetime.fromisoformat(first["started"])).total_seconds() < 2
    )
    # SIGTERM stopped the long item: it is logged 'cut', and the process exited cleanly.
    assert (second["script"], second["status"]) == ("scripts/b_long.md", "cut")
    assert "SIGTERM" in stderr
    state = PlayerStore(root / ".state").aired_records()
    assert {v["status"] for v in state.values()} == {"played", "cut"}


def test_second_run_refuses_and_play_hands_over_to_the_running_player(tmp_path: Path) -> None:
    from announcer.schedule.runlock import run_lock_holder

    root = make_station(tmp_path / "station", scripts={"khan": script_text(title="Khẩn")})
    _fresh_render(root, "khan", 1.0)
    out = tmp_path / "aired"
    asrun = root
    env = dict(os.environ, TZ="UTC", PYTHONUNBUFFERED="1", ANNOUNCER_CLOCK_START="2021-06-20T05:00:00+07:00")
    announcer = [sys.executable, "-m", "announcer", "--station", str(root)]
    proc = subprocess.Popen(
        [*announcer, "run", "--sink", f"file:{out}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert _wait_for(lambda: run_lock_holder(root / ".state") == proc.pid, 15)
        second = subprocess.run(
            [*announcer, "run", "--sink", f"file:{out}"], env=env, capture_output=True, text=True, timeout=30
        )
        assert second.returncode == 6
        assert f"already playing this station (pid {proc.pid})" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        played = subprocess.run(
            [*announcer, "play", "scripts/khan.md"], env=env, capture_output=True, text=True, timeout=30
        )
        assert played.returncode == 0, played.stderr
        assert "handed to the running player" in played.stdout
        assert _wait_for(lambda: any(r.get("source") == "play" for r in _records(asrun)), 10)
        proc.terminate()  # SIGTERM on POSIX
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    [record] = _records(asrun)
    assert (record["script"], record["slot"], record["status"]) == ("scripts/khan.md", None, "played")
    assert [p.name.split("_", 1)[1] for p in out.iterdir()] == ["khan.mp3"]
    assert PlayerStore(root / ".state").requests() == []
