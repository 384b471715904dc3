"""Which scripts air when: slots, own times, campaign dates, weekdays, priority, urgent repeats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from announcer.config import load_station
from announcer.schedule.model import Schedule, airs_on, every_times, load_scripts
from announcer.script import parse_script
from tests.test_schedule_fixtures import STATION, make_station, script_text

JINGLES = STATION.replace('at = "06:00"', 'at = "06:00"\nintro = "jingles/sang-in.wav"\noutro = "jingles/sang-out.wav"')


def _schedule(root: Path) -> Schedule:
    station = load_station(root)
    scripts, errors = load_scripts(station.scripts_dir)
    assert not errors
    return Schedule(station, scripts.values())


def test_date_range_is_inclusive_and_accepts_both_date_forms(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(script_text(slots="[sang]", **{"from": "17/6/2021", "until": "2021-06-24"}), encoding="utf-8")
    script = parse_script(path)
    assert not airs_on(script, date(2021, 6, 16))
    assert airs_on(script, date(2021, 6, 17))
    assert airs_on(script, date(2021, 6, 24))
    assert not airs_on(script, date(2021, 6, 25))


def test_day_rules(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(script_text(slots="[sang]", days="[mon, wed]"), encoding="utf-8")
    script = parse_script(path)
    assert airs_on(script, date(2021, 6, 21))  # Monday
    assert not airs_on(script, date(2021, 6, 22))  # Tuesday
    assert airs_on(script, date(2021, 6, 23))  # Wednesday


def test_weekday_slot_skips_the_weekend(tmp_path: Path) -> None:
    toml = STATION.replace(
        'name = "chieu"\nat = "17:00"\ndays = "daily"', 'name = "chieu"\nat = "17:00"\ndays = "weekdays"'
    )
    make_station(tmp_path, toml, {"x": script_text(slots="[sang, chieu]")})
    schedule = _schedule(tmp_path)
    assert [o.slot for o in schedule.for_day(date(2021, 6, 19))] == ["sang"]  # Saturday
    assert [o.slot for o in schedule.for_day(date(2021, 6, 21))] == ["sang", "chieu"]  # Monday


def test_slot_items_in_order_jingles_around_scripts_by_priority_then_name(tmp_path: Path) -> None:
    scripts = {
        "b": script_text(slots="[sang]"),
        "a": script_text(slots="[sang]"),
        "z": script_text(slots="[sang]", priority="3"),
        "other": script_text(slots="[chieu]"),
    }
    make_station(tmp_path, JINGLES, scripts)
    [sang, chieu] = _schedule(tmp_path).for_day(date(2021, 6, 20))
    assert [i.kind for i in sang.items] == ["intro", "script", "script", "script", "outro"]
    assert [i.ident for i in sang.items[1:-1]] == ["z", "a", "b"]
    assert sang.items[0].file == tmp_path / "jingles" / "sang-in.wav"
    assert [i.ident for i in chieu.items] == ["other"]


def test_times_are_station_local_and_aware(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"x": script_text(slots="[sang]", times='["06:30"]')})
    schedule = _schedule(tmp_path)
    occs = schedule.for_day(date(2021, 6, 20))
    assert [(o.slot, o.at.strftime("%H:%M")) for o in occs] == [("sang", "06:00"), (None, "06:30")]
    assert occs[0].at.astimezone(UTC) == datetime(2021, 6, 19, 23, 0, tzinfo=UTC)
    # between() works on any zone's instants: 22:30-23:10 UTC covers the 06:00 slot only.
    found = schedule.between(datetime(2021, 6, 19, 22, 30, tzinfo=UTC), datetime(2021, 6, 19, 23, 10, tzinfo=UTC))
    assert [o.key for o in found] == ["2021-06-20T06:00|slot:sang"]


def test_urgent_repeat_every_between(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(script_text(every="30m", between='"06:00-07:00"', priority="9"), encoding="utf-8")
    assert every_times(parse_script(path)) == ["06:00", "06:30", "07:00"]
    make_station(tmp_path / "s", scripts={"x": path.read_text(encoding="utf-8")})
    occs = _schedule(tmp_path / "s").for_day(date(2021, 6, 20))
    assert [(o.source, o.at.strftime("%H:%M"), o.urgent, o.priority) for o in occs] == [
        ("every", "06:00", True, 9),
        ("every", "06:30", True, 9),
        ("every", "07:00", True, 9),
    ]


def test_unknown_slot_names_are_reported(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"x": script_text(slots="[sang, toi]")})
    [(script, name)] = _schedule(tmp_path).unknown_slots()
    assert name == "toi" and script.line_of("slots") == 2
