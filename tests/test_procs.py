"""Every child process has a time limit and dies with us; an interrupted build leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from announcer import procs
from announcer.audio import ffmpeg
from announcer.errors import RenderError
from tests.stations import make_station

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and pid checks")
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@posix_only
def test_a_child_past_its_time_limit_is_killed() -> None:
    with pytest.raises(procs.ChildTimeout):
        procs.run(SLEEPER, timeout=0.5)
    assert procs.live_children() == []


@posix_only
def test_a_hung_ffmpeg_is_a_clear_render_error_and_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "pid"
    fake = tmp_path / "ffmpeg"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(RenderError, match="did not finish within 1 s and was stopped"):
        ffmpeg.run_ffmpeg_process([str(fake), "-i", "x.wav"], "mastering", timeout=1.0)
    assert _gone(int(pid_file.read_text()))


@posix_only
def test_an_interrupt_while_waiting_kills_the_child() -> None:
    """KeyboardInterrupt (Ctrl+C, or SIGTERM turned into it) inside run(): the child goes first."""
    seen: list[int] = []

    def interrupt_soon() -> None:
        while not procs.live_children():
            time.sleep(0.01)
        seen.append(procs.live_children()[0].pid)
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=interrupt_soon, daemon=True)
    helper.start()
    with pytest.raises(KeyboardInterrupt):
        procs.run(SLEEPER, timeout=600)
    helper.join(10)
    assert seen and _gone(seen[0])
    assert procs.live_children() == []


@posix_only
def test_stop_all_kills_children_other_threads_wait_on() -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            procs.run(SLEEPER, timeout=600)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    while not procs.live_children():
        time.sleep(0.01)
    pid = procs.live_children()[0].pid
    assert procs.stop_all() == 1
    thread.join(30)
    assert not thread.is_alive() and _gone(pid)


LONG_SCRIPT = """\
---
title: Thông báo dài
---
Kính thưa bà con nhân dân trong phường. Ủy ban nhân dân phường thông báo lịch tiêm chủng mở rộng.
"""


@posix_only
def test_sigterm_mid_build_leaves_no_ffmpeg_and_no_staging_folder(tmp_path: Path) -> None:
    """A real `announcer build` in its own process, stopped by SIGTERM while ffmpeg runs.

    ffmpeg is a stand-in that records its pid and never finishes, so the signal is sure
    to land while the build waits on it.
    """
    root = make_station(tmp_path / "station", script=LONG_SCRIPT)
    pid_file = tmp_path / "ffmpeg.pid"
    fake = tmp_path / "ffmpeg"
    fake.write_text(f"#!/bin/sh\necho $$ >> {pid_file}\nexec sleep 600\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "ANNOUNCER_FFMPEG": str(fake)}
    build = subprocess.Popen([sys.executable, "-m", "announcer", "--station", str(root), "build"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert build.poll() is None, build.communicate()
            assert time.monotonic() < deadline, "ffmpeg was never started"
            time.sleep(0.05)
        assert list((root / "audio_out").glob(".build-*")), "the build should be staging now"
        build.send_signal(signal.SIGTERM)
        _, err = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    assert build.returncode == 130, err  # stopped like Ctrl+C, not killed outright
    for pid in pid_file.read_text().split():
        assert _gone(int(pid)), "ffmpeg outlived the build"
    assert list((root / "audio_out").glob(".build-*")) == []
    assert not (root / "audio_out" / "thu.mp3").exists()
