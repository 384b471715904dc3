"""`announcer plan`: the rundown with durations, ends, JSON shape and warnings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from announcer.cli import main
from announcer.schedule.planner import plan_command
from tests.test_schedule_fixtures import STATION, make_station, script_text, write_render

CAMPAIGN = script_text(title="Tiêm chủng đợt 3", slots="[sang, chieu]", **{"from": "17/6/2021", "until": "2021-06-24"})


def _init_station(root: Path) -> Path:
    try:
        from announcer.station_init import init_station
    except ImportError:  # the lead's init may not be there yet
        return make_station(root)
    init_station(root)
    return root


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_lists_campaign_in_both_slots_only_inside_its_dates(tmp_path: Path, capsys) -> None:
    root = _init_station(tmp_path / "station")
    (root / "scripts" / "tiem.md").write_text(CAMPAIGN, encoding="utf-8")
    write_render(root, "tiem", 125.0, title="Tiêm chủng đợt 3")

    code, out, _ = _cli(capsys, "--station", str(root), "plan", "--date", "2021-06-20", "--json")
    assert code == 0
    entries = json.loads(out)
    ours = [
        (e["date"], e["slot"], e["at"]) for e in entries if any(i["script"] == "scripts/tiem.md" for i in e["items"])
    ]
    assert ours == [("2021-06-20", "sang", "06:00"), ("2021-06-20", "chieu", "17:00")]
    sang = next(e for e in entries if e["slot"] == "sang")
    item = next(i for i in sang["items"] if i["script"] == "scripts/tiem.md")
    assert item["file"] == "audio_out/tiem.mp3"
    assert item["duration_s"] == 125.0
    assert item["title"] == "Tiêm chủng đợt 3"
    assert set(sang) >= {"date", "slot", "at", "items", "end"}
    assert sang["end"] >= "06:02"

    code, out, _ = _cli(capsys, "--station", str(root), "plan", "--date", "2021-06-25", "--json")
    assert code == 0
    assert not any(i["script"] == "scripts/tiem.md" for e in json.loads(out) for i in e["items"])


def test_plan_text_shows_order_durations_end_and_warnings(tmp_path: Path) -> None:
    toml = STATION.replace('at = "06:00"', 'at = "06:00"\nintro = "jingles/in.wav"')
    scripts = {
        "a": script_text(title="Alpha", slots="[sang]"),
        "b": script_text(title="Bravo", slots="[sang, toi]", priority="2"),
        "own": script_text(title="Riêng", times='["06:03"]'),
    }
    make_station(tmp_path, toml, scripts, renders={"a": 90.0, "b": 100.0})
    (tmp_path / "jingles").mkdir()
    text = plan_command(tmp_path, "2021-06-20", 1, False)
    lines = text.splitlines()
    sang = lines.index(next(line for line in lines if "06:00  sang" in line))
    assert "ends 06:03:10" in lines[sang]
    assert "intro: jingles/in.wav" in lines[sang + 1]
    assert "Bravo" in lines[sang + 2] and "1:40" in lines[sang + 2]  # priority 2 first
    assert "Alpha" in lines[sang + 3] and "1:30" in lines[sang + 3]
    warnings = text[text.index("warnings:") :]
    assert "unknown slot 'toi'" in warnings and "b.md:3" in warnings
    assert "own.md: scheduled but has no render" in warnings
    assert "jingles/in.wav: jingle file not found" in warnings
    assert "runs until 06:03:10, past the start of own time at 06:03" in warnings


def test_plan_defaults_to_today_in_the_station_zone(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"a": script_text(slots="[sang]")})
    # 20:00 UTC on the 19th is already the 20th in Hanoi.
    out = plan_command(tmp_path, None, 1, True, clock=lambda: datetime(2021, 6, 19, 20, 0, tzinfo=UTC))
    assert {e["date"] for e in json.loads(out)} == {"2021-06-20"}


def test_plan_several_days(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"a": script_text(slots="[chieu]", days="[mon]")})
    entries = json.loads(plan_command(tmp_path, "2021-06-20", 3, True))
    assert [(e["date"], e["slot"]) for e in entries if e["items"]] == [("2021-06-21", "chieu")]
