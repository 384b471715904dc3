"""Sinks, the as-run log, `announcer log` and `announcer play`."""

from __future__ import annotations

import csv
import io
import json
import struct
import sys
import threading
import time
import wave
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from announcer.errors import ConfigError
from announcer.schedule.asrun import CSV_COLUMNS, log_command
from announcer.schedule.runner import play_command
from announcer.schedule.sinks import CommandSink, FileSink, SinkError, SoundcardSink, parse_sink
from announcer.schedule.store import read_asrun_jsonl
from tests.test_schedule_fixtures import FakeClock, make_station, no_wait, records, script_text, utc, write_render


def _tone(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        frames = int(seconds * rate)
        handle.writeframes(b"".join(struct.pack("<h", 3000 if (i // 10) % 2 else -3000) for i in range(frames)))
    return path


def test_file_sink_copies_with_timestamp_and_takes_the_duration(tmp_path: Path) -> None:
    src = tmp_path / "x.mp3"
    src.write_bytes(b"audio")
    waited: list[float] = []

    def wait(stop: threading.Event, seconds: float) -> bool:
        waited.append(seconds)
        return False

    sink = FileSink(tmp_path / "out", wait=wait, clock=lambda: utc("2021-06-19 23:00"), tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert sink.play(src, 12.5, threading.Event())
    assert sink.play(src, 12.5, threading.Event())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["20210620T060000-1_x.mp3", "20210620T060000_x.mp3"]
    assert waited == [12.5, 12.5]
    stop = threading.Event()
    stop.set()
    assert not FileSink(tmp_path / "out", wait=lambda s, n: s.is_set()).play(src, 3.0, stop)


def test_command_sink_runs_argv_without_a_shell(tmp_path: Path) -> None:
    src = tmp_path / "a b; rm -rf x.mp3"
    src.write_bytes(b"audio")
    dest = tmp_path / "copied"
    copier = f"{sys.executable} -c 'import shutil,sys; shutil.copy(sys.argv[1], sys.argv[2])' {{file}} {dest}"
    sink = CommandSink(copier)
    assert sink.play(src, 0.1, threading.Event())
    assert dest.read_bytes() == b"audio"
    failing = CommandSink(f"{sys.executable} -c 'import sys; sys.exit(3)'")
    with pytest.raises(SinkError, match="status 3"):
        failing.play(src, 0.1, threading.Event())
    with pytest.raises(SinkError, match="cannot run"):
        CommandSink("/no/such/player {file}").play(src, 0.1, threading.Event())


def test_command_sink_is_stopped_when_cut(tmp_path: Path) -> None:
    sink = CommandSink(f"{sys.executable} -c 'import time; time.sleep(30)'")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    began = time.monotonic()
    assert sink.play(tmp_path / "x.mp3", 30, stop) is False
    assert time.monotonic() - began < 5


def test_soundcard_sink_plays_in_real_time_on_the_null_backend(tmp_path: Path) -> None:
    import miniaudio

    tone = _tone(tmp_path / "tone.wav", 0.6)
    sink = SoundcardSink(backends=[miniaudio.Backend.NULL])
    began = time.monotonic()
    assert sink.play(tone, 0.6, threading.Event())
    assert 0.5 <= time.monotonic() - began < 3.0
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    began = time.monotonic()
    assert sink.play(_tone(tmp_path / "long.wav", 5.0), 5.0, stop) is False
    assert time.monotonic() - began < 2.0


def test_parse_sink() -> None:
    assert isinstance(parse_sink("file:/tmp/x"), FileSink)
    assert parse_sink("command:aplay -q {file}").command_for(Path("/a b.mp3")) == ["aplay", "-q", "/a b.mp3"]
    assert parse_sink("command:mpg123").command_for(Path("/a.mp3")) == ["mpg123", "/a.mp3"]
    assert isinstance(parse_sink(None), SoundcardSink)
    for bad in ("speaker", "file:", "command:", "command:'unbalanced"):
        with pytest.raises(ConfigError):
            parse_sink(bad)


def test_asrun_log_survives_a_torn_line_and_reports_csv(tmp_path: Path, capsys) -> None:
    make_station(tmp_path)
    base = {"slot": "sang", "script": "scripts/a.md", "file": "audio_out/a.mp3", "error": None}
    lines = []
    lines.append(
        {
            **base,
            "scheduled": "2021-06-20T06:00:00+07:00",
            "started": "2021-06-20T06:00:00.010+07:00",
            "ended": "2021-06-20T06:01:00.000+07:00",
            "status": "played",
        }
    )
    lines.append(
        {
            **base,
            "scheduled": "2021-06-21T06:00:00+07:00",
            "started": None,
            "ended": None,
            "status": "missed",
            "error": "missed by 12 min",
        }
    )
    with open(tmp_path / "asrun.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        handle.write('{"scheduled": "2021-06-21T17:00')  # a crash mid-write
    assert len(read_asrun_jsonl(tmp_path / "asrun.jsonl")) == 2

    rows = list(csv.reader(io.StringIO(log_command(tmp_path, None, True))))
    assert (
        tuple(rows[0]) == CSV_COLUMNS == ("scheduled", "started", "ended", "slot", "script", "file", "status", "error")
    )
    assert rows[1] == [
        "2021-06-20T06:00:00+07:00",
        "2021-06-20T06:00:00.010+07:00",
        "2021-06-20T06:01:00.000+07:00",
        "sang",
        "scripts/a.md",
        "audio_out/a.mp3",
        "played",
        "",
    ]
    assert [r[6] for r in rows[1:]] == ["played", "missed"]
    one_day = list(csv.reader(io.StringIO(log_command(tmp_path, "2021-06-21", True))))
    assert [r[6] for r in one_day[1:]] == ["missed"]
    assert "missed by 12 min" in log_command(tmp_path, "2021-06-21", False)

    from announcer.cli import main

    main(["--station", str(tmp_path), "log", "--date", "2021-06-20", "--csv"])
    assert capsys.readouterr().out.splitlines()[0] == ",".join(CSV_COLUMNS)


def test_play_command_plays_a_script_now_and_logs_it(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"khan": script_text(title="Khẩn", priority="9")})
    write_render(tmp_path, "khan", 4.0, title="Khẩn cấp")
    out = tmp_path / "aired"
    clock = FakeClock(utc("2021-06-20 01:00"))
    code = play_command(
        tmp_path,
        tmp_path / "scripts" / "khan.md",
        None,
        clock=clock,
        renderer=lambda station, paths: [],
        sink_obj=FileSink(out, wait=no_wait, clock=clock, tz=ZoneInfo("Asia/Ho_Chi_Minh")),
    )
    assert code == 0
    assert [p.name for p in out.iterdir()] == ["20210620T080000_khan.mp3"]
    [record] = records(tmp_path)
    assert record["status"] == "played" and record["slot"] is None
    assert record["script"] == "scripts/khan.md" and record["file"] == "audio_out/khan.mp3"
    assert record["started"] == "2021-06-20T08:00:00.000+07:00"


def test_play_command_plays_a_plain_audio_file(tmp_path: Path) -> None:
    make_station(tmp_path)
    tone = _tone(tmp_path / "bell.wav", 0.2)
    out = tmp_path / "aired"
    clock = lambda: datetime(2021, 6, 20, 1, 0, tzinfo=UTC)  # noqa: E731
    assert (
        play_command(tmp_path, tone, "file:" + str(out), clock=clock, sink_obj=FileSink(out, wait=no_wait, clock=clock))
        == 0
    )
    [record] = records(tmp_path)
    assert record["file"] == "bell.wav" and record["script"] is None and record["status"] == "played"
