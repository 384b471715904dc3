"""[[relay]] in station.toml: read once, every mistake named with its line; `check` and `plan` on relays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from announcer.config import load_station, parse_duration, station_problems
from announcer.errors import ConfigError
from announcer.schedule.check import run_checks
from announcer.schedule.planner import build_plan, plan_to_json, plan_to_text
from announcer.schedule.relay import open_windows, windows_on
from tests.test_schedule_fixtures import STATION, make_station, script_text

RELAY = """
[[relay]]
name = "vov1"
url = "http://127.0.0.1:8000/vov1.mp3"
at = "11:00"
duration = "30m"
days = "daily"
fallback = "media/cho.mp3"
"""


def _station(tmp_path: Path, relays: str, scripts: dict[str, str] | None = None) -> Path:
    make_station(tmp_path, STATION + relays, scripts=scripts)
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "cho.mp3").write_bytes(b"ID3 not checked here")
    return tmp_path


def _problems(tmp_path: Path) -> list[ConfigError]:
    return station_problems(tmp_path)[1]


def _line_of(tmp_path: Path, needle: str) -> int:
    lines = (tmp_path / "station.toml").read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, 1) if needle in line][-1]


def test_a_relay_reads_with_its_window(tmp_path: Path) -> None:
    station = load_station(_station(tmp_path, RELAY + """
[[relay]]
name = "dai-tinh"
url = "https://radio.example.vn/hls/tinh/playlist.m3u8"
at = "21:30"
end = "00:15"
days = ["mon", "thu"]
from = 2026-12-01
until = "31/12/2026"
gain_db = -3
"""))
    first, second = station.relays
    assert (first.name, first.at, first.duration_s, first.fallback) == ("vov1", "11:00", 1800.0, "media/cho.mp3")
    assert first.gain_db is None and first.days == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert second.duration_s == 165 * 60  # past midnight
    assert (second.date_from, second.date_until, second.gain_db) == (date(2026, 12, 1), date(2026, 12, 31), -3.0)
    assert second.line == _line_of(tmp_path, 'name = "dai-tinh"') - 1


@pytest.mark.parametrize(("text", "seconds"), [
    (30, 1800.0), (1.5, 90.0), ("30m", 1800.0), ("1h", 3600.0), ("1h30m", 5400.0), ("45s", 45.0),
    ("90 phút", 5400.0), ("2 giờ", 7200.0), ("30 giây", 30.0), ("1h 15m", 4500.0), ("45", 2700.0),
])
def test_durations_read(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "nửa tiếng", "-5m", "25h", "0", True, [30], "30x"])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("url", "says"), [
    ("vov1.vn/live.mp3", "not a network stream"),
    ("ftp://127.0.0.1/x.mp3", "not a network stream"),
    ("file:///etc/passwd", "not a network stream"),
    ("http://", "names no server"),
    ("http://127.0.0.1:99999/x", "does not read"),
    ("http://127.0.0.1/tiếp âm.mp3", "spaces"),
    ("", "empty"),
])
def test_a_bad_url_is_named_with_its_line(tmp_path: Path, url: str, says: str) -> None:
    _station(tmp_path, RELAY.replace("http://127.0.0.1:8000/vov1.mp3", url))
    (problem,) = _problems(tmp_path)
    assert says in problem.message and "relay 'vov1'" in problem.message
    assert problem.line == _line_of(tmp_path, "url =")
    with pytest.raises(ConfigError):
        load_station(tmp_path)


@pytest.mark.parametrize(("change", "key", "says"), [
    (('duration = "30m"', 'duration = "30m"\nend = "11:30"'), "duration =", "one of them"),
    (('duration = "30m"', ""), "[[relay]]", "one of them"),
    (('duration = "30m"', 'duration = "lâu"'), "duration =", "not a length"),
    (('at = "11:00"', 'at = "25:00"'), "at =", "25:00"),
    (('at = "11:00"', 'at = 11'), "at =", "quoted time"),
    (('days = "daily"', 'days = ["mon", "funday"]'), "days =", "funday"),
    (('fallback = "media/cho.mp3"', 'fallback = "../../etc/x.mp3"'), "fallback =", "outside the station"),
    (('fallback = "media/cho.mp3"', 'fallback = "media/cho.mp3"\nretry_max_s = 0'), "retry_max_s", "out of range"),
    (('fallback = "media/cho.mp3"', 'fallback = "media/cho.mp3"\nloop = true'), "loop =", "unknown setting"),
    (('name = "vov1"', 'name = ""'), 'name = ""', "no name"),
])
def test_each_relay_mistake_names_its_line(tmp_path: Path, change: tuple[str, str], key: str, says: str) -> None:
    _station(tmp_path, RELAY.replace(*change))
    problems = _problems(tmp_path)
    assert problems, "the mistake was not found"
    assert says in problems[0].message
    assert problems[0].line == _line_of(tmp_path, key)


def test_the_second_relay_has_its_own_lines(tmp_path: Path) -> None:
    _station(tmp_path, RELAY + RELAY.replace('"vov1"', '"vov2"').replace("11:00", "12:00").replace(
        "http://127.0.0.1:8000/vov1.mp3", "tcp//x"))
    (problem,) = _problems(tmp_path)
    assert "relay 'vov2'" in problem.message
    assert problem.line == _line_of(tmp_path, "tcp//x")


def test_a_relay_declared_twice_is_refused(tmp_path: Path) -> None:
    _station(tmp_path, RELAY + RELAY.replace("11:00", "15:00"))
    (problem,) = _problems(tmp_path)
    assert "declared twice" in problem.message


def test_windows_cross_midnight_and_keep_their_days(tmp_path: Path) -> None:
    station = load_station(_station(tmp_path, RELAY.replace('at = "11:00"', 'at = "23:45"').replace(
        'days = "daily"', 'days = ["sat"]')))
    (window,) = windows_on(station, date(2021, 6, 19))  # a Saturday
    assert window.end.strftime("%Y-%m-%d %H:%M") == "2021-06-20 00:15"
    assert windows_on(station, date(2021, 6, 20)) == []
    sunday_00_10 = datetime(2021, 6, 19, 17, 10, tzinfo=UTC)  # 00:10 Sunday in Hanoi
    assert [w.relay.name for w in open_windows(station, sunday_00_10)] == ["vov1"]
    assert open_windows(station, datetime(2021, 6, 19, 17, 15, tzinfo=UTC)) == []


def _messages(tmp_path: Path, severity: str) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in run_checks(tmp_path, today=date(2021, 6, 19),
                                                     status_fn=lambda station, script: "fresh")
            if p.severity == severity and p.file and p.file.endswith("station.toml")]


def test_check_names_a_missing_fallback_with_its_line(tmp_path: Path) -> None:
    _station(tmp_path, RELAY)
    (tmp_path / "media" / "cho.mp3").unlink()
    assert _messages(tmp_path, "error") == [
        (_line_of(tmp_path, "fallback ="), "relay 'vov1': fallback 'media/cho.mp3' not found")]


def test_check_names_a_playlist_entry_that_is_missing(tmp_path: Path) -> None:
    _station(tmp_path, RELAY.replace("media/cho.mp3", "media/cho.m3u"))
    (tmp_path / "media" / "cho.m3u").write_text("#EXTM3U\ncho.mp3\nnhac-2.mp3\n", encoding="utf-8")
    ((line, message),) = _messages(tmp_path, "error")
    assert line == _line_of(tmp_path, "fallback =")
    assert "media/cho.m3u:3" in message and "nhac-2.mp3" in message


def test_check_names_a_window_over_a_slot_and_an_own_time(tmp_path: Path) -> None:
    _station(tmp_path, RELAY.replace('at = "11:00"', 'at = "05:45"'),
             scripts={"hop": script_text(times='["06:10"]')})
    warnings = _messages(tmp_path, "warning")
    assert (_line_of(tmp_path, 'at = "05:45"'), "relay 'vov1' (05:45-06:15) overlaps slot 'sang' at 06:00") in warnings
    assert any("hop.md (own time) at 06:10" in m for _, m in warnings)
    assert _messages(tmp_path, "error") == []


def test_check_is_quiet_about_a_window_next_to_a_slot(tmp_path: Path) -> None:
    _station(tmp_path, RELAY.replace('at = "11:00"', 'at = "05:30"'))  # ends 06:00 as the slot starts
    assert _messages(tmp_path, "warning") == [] and _messages(tmp_path, "error") == []


def test_check_refuses_two_relays_at_once(tmp_path: Path) -> None:
    _station(tmp_path, RELAY + RELAY.replace('"vov1"', '"vov2"').replace("11:00", "11:20"))
    errors = _messages(tmp_path, "error")
    assert errors == [(_line_of(tmp_path, 'at = "11:20"'), "relay 'vov2' overlaps relay 'vov1'")]


def test_plan_shows_relay_windows_in_time_order(tmp_path: Path) -> None:
    station = load_station(_station(tmp_path, RELAY.replace('at = "11:00"', 'at = "05:50"')))
    plan = build_plan(station, [], date(2021, 6, 19), 1)
    text = plan_to_text(plan)
    assert "05:50  relay vov1  (tiếp âm until 06:20:00)  http://127.0.0.1:8000/vov1.mp3, fallback media/cho.mp3" in text
    rows = plan_to_json(plan)
    assert rows[0] == {"date": "2021-06-19", "relay": "vov1", "at": "05:50", "end": "06:20",
                       "url": "http://127.0.0.1:8000/vov1.mp3", "fallback": "media/cho.mp3", "items": []}


def test_plan_warns_of_a_slot_inside_a_relay(tmp_path: Path) -> None:
    _station(tmp_path, RELAY.replace('at = "11:00"', 'at = "05:50"'), scripts={"hop": script_text(slots="[sang]")})
    station = load_station(tmp_path)
    from announcer.script import parse_script

    plan = build_plan(station, [parse_script(tmp_path / "scripts" / "hop.md")], date(2021, 6, 19), 1,
                      status_fn=lambda station, script: "fresh")
    assert any("slot sang at 06:00 falls inside relay vov1 (05:50-06:20)" in w for w in plan.warnings)
