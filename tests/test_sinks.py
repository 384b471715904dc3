"""Sinks never hang the station, say when they cut an item, and say up front when they cannot play."""

from __future__ import annotations

import os
import sys
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from announcer.schedule import sinks
from announcer.schedule.sinks import CommandSink, FileSink, SinkError, SoundcardSink, probe_sink
from tests.stations import make_station, run_cli

HANG_GUARD_S = 120.0
"""Not a speed target: only how long a test waits before calling a sink hung."""


def _play(sink: Any, path: Path, duration: float | None, stop: threading.Event | None = None) -> Any:
    """sink.play in a thread, so a hang fails the test instead of freezing the suite."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = sink.play(path, duration, stop or threading.Event())
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(HANG_GUARD_S)
    assert not worker.is_alive(), "the sink hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _player(tmp_path: Path, body: str) -> str:
    script = tmp_path / "player.py"
    script.write_text(body, encoding="utf-8")
    return f"{sys.executable} {script} {{file}}"


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _tone(path: Path, seconds: float, rate: int = 44100) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


# --- command: a chatty player never hangs the station ---------------------------------------------------


def test_a_player_writing_megabytes_to_stderr_does_not_hang(tmp_path: Path) -> None:
    """The pipe holds 64 KB: a sink that reads stderr only after exit waits forever."""
    audio = _tone(tmp_path / "a.wav", 0.1)
    template = _player(tmp_path, "import sys\nfor i in range(40000):\n    sys.stderr.write(f'frame {i} ok\\n')\n")
    assert _play(CommandSink(template), audio, 1.0) is True


def test_a_failing_chatty_player_reports_its_last_stderr_line(tmp_path: Path) -> None:
    audio = _tone(tmp_path / "a.wav", 0.1)
    template = _player(tmp_path, "import sys\nfor i in range(20000):\n    sys.stderr.write('underrun\\n')\n"
                                 "sys.stderr.write('cannot open audio device default\\n')\nsys.exit(2)\n")
    with pytest.raises(SinkError, match="status 2: cannot open audio device default"):
        _play(CommandSink(template), audio, 1.0)


@pytest.mark.skipif(os.name != "posix", reason="pid liveness via os.kill(pid, 0)")
@pytest.mark.parametrize("ignores_sigterm", [False, True])
def test_a_player_running_past_the_item_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   ignores_sigterm: bool) -> None:
    audio = _tone(tmp_path / "a.wav", 0.1)
    pid_file = tmp_path / "pid"
    template = _player(tmp_path, "import os, signal, sys, time\n"
                                 + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignores_sigterm else "")
                                 + f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                                 "sys.stderr.write('looping forever\\n'); sys.stderr.flush()\n"
                                 "time.sleep(600)\n")
    monkeypatch.setattr(sinks.procs, "TERMINATE_GRACE_S", 0.5)
    monkeypatch.setattr(sinks, "overrun_limit", lambda duration: 4.0)  # time for a loaded box to start python
    with pytest.raises(SinkError, match="still running .* and was stopped"):
        _play(CommandSink(template), audio, 0.1)
    assert _pid_gone(int(pid_file.read_text()))


def test_overrun_limit_is_the_item_length_plus_a_margin_and_bounded_when_unknown() -> None:
    assert sinks.overrun_limit(60.0) == 90.0
    assert sinks.overrun_limit(1200.0) == 1320.0
    assert sinks.overrun_limit(None) == sinks.UNKNOWN_LENGTH_LIMIT_S


# --- soundcard: an item cut off is reported cut --------------------------------------------------------


def test_soundcard_sink_reports_cut_for_an_item_it_cuts_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import miniaudio

    audio = _tone(tmp_path / "long.wav", 5.0)
    monkeypatch.setattr(sinks, "overrun_limit", lambda duration: 0.3)
    sink = SoundcardSink(backends=[miniaudio.Backend.NULL])
    assert _play(sink, audio, 5.0) is False


# --- probe: can this sink play here? ----------------------------------------------------------------------


class _Device:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_soundcard_probe_says_when_only_the_silent_null_device_exists() -> None:
    opened: list[_Device] = []

    def factory(**kwargs: object) -> _Device:
        opened.append(_Device("null"))
        return opened[-1]

    reason = SoundcardSink(device_factory=factory).probe()
    assert reason is not None and "no sound card" in reason
    assert opened[0].closed


def test_soundcard_probe_says_when_no_device_opens() -> None:
    import miniaudio

    def factory(**kwargs: object) -> _Device:
        raise miniaudio.MiniaudioError("failed to init device")

    reason = SoundcardSink(device_factory=factory).probe()
    assert reason is not None and "failed to init device" in reason


def test_soundcard_probe_passes_with_a_real_device_and_for_the_chosen_null_device() -> None:
    import miniaudio

    assert SoundcardSink(device_factory=lambda **kw: _Device("alsa")).probe() is None
    assert SoundcardSink(backends=[miniaudio.Backend.NULL]).probe() is None


def test_command_and_file_probes(tmp_path: Path) -> None:
    assert CommandSink(f"{sys.executable} {{file}}").probe() is None
    assert "not installed" in (CommandSink("no-such-player-xyz {file}").probe() or "")
    assert "does not exist" in (CommandSink("/no/such/dir/aplay {file}").probe() or "")
    assert FileSink(tmp_path / "aired").probe() is None
    assert not (tmp_path / "aired").exists(), "a probe creates nothing"
    blocker = tmp_path / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    assert "cannot create" in (FileSink(blocker / "aired").probe() or "")
    assert probe_sink("nonsense:thing") is not None


def test_run_warns_at_start_when_the_sink_cannot_play_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from announcer.schedule import runner

    root = make_station(tmp_path)
    started: list[object] = []
    monkeypatch.setattr(SoundcardSink, "probe", lambda self: "no sound card found (only the silent null device)")
    monkeypatch.setattr(runner, "run_command", lambda station, sink: started.append(sink) or 0)
    code, _, err = run_cli(["--station", str(root), "run"], capsys)
    assert code == 0 and started == [None], err
    assert "cannot play here: no sound card found" in err
