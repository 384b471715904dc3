"""`announcer check`: every problem at once, each with file:line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from announcer.cli import main
from announcer.schedule.check import check_command
from tests.test_schedule_fixtures import STATION, make_station, script_text

BAD_STATION = """\
timezone = "Asia/Ho_Chi_Minh"
intro = ""
outro = ""

[[slot]]
name = "sang"
at = "25:00"

[[slot]]
name = "chieu"
at = "17:00"
days = ["mon", "funday"]

[[slot]]
name = "toi"
at = "19:00"
intro = "jingles/missing.wav"
"""

BAD_SCRIPTS = {
    "unknown": script_text(slots="[sang, trua]"),
    "dates": script_text(slots="[chieu]", **{"from": "24/6/2021", "until": "17/6/2021"}),
    "days": script_text(slots="[toi]", days="[mon, someday]"),
    "jingle": script_text(slots="[toi]", intro="jingles/nope.wav"),
    "broken": "---\ntitle: Hello\nslots: [sang\n---\nText.\n",
}


def _run(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, str]:
    try:
        main(["--station", str(root), "check"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


def test_check_lists_every_problem_with_file_and_line(tmp_path: Path, capsys) -> None:
    make_station(tmp_path, BAD_STATION, BAD_SCRIPTS)
    code, report = _run(capsys, tmp_path)
    assert code != 0
    config = tmp_path / "station.toml"
    scripts = tmp_path / "scripts"
    expected = [
        (f"{config}:7: ", "'25:00' is not a valid time"),  # slot at = "25:00"
        (f"{config}:12: ", "unknown day 'funday'"),  # unknown day name in station.toml
        (f"{config}:17: ", "intro jingle 'jingles/missing.wav' does not exist"),  # missing slot jingle
        (f"{scripts / 'unknown.md'}:2: ", "unknown slot 'trua'"),  # unknown slot name in a script
        (f"{scripts / 'dates.md'}:4: ", "is before from"),  # until before from
        (f"{scripts / 'days.md'}:3: ", "unknown day 'someday'"),  # unknown day name in a script
        (f"{scripts / 'jingle.md'}:3: ", "intro jingle 'jingles/nope.wav' does not exist"),  # script jingle
        (f"{scripts / 'broken.md'}:", "front matter is not valid"),  # malformed front matter
    ]
    lines = report.splitlines()
    for where, what in expected:
        assert any(where in line and what in line and line.startswith("error:") for line in lines), (where, report)
    broken = next(line for line in lines if "broken.md:" in line)
    assert broken.split("broken.md:")[1].split(":")[0].isdigit()  # with a line number
    assert all(" — " in line for line in lines if line.startswith("error:"))  # each says how to fix it
    assert "8 error(s)" in report


def test_missing_station_default_jingle_names_its_line(tmp_path: Path, capsys) -> None:
    toml = STATION.replace('intro = ""', 'intro = "jingles/intro.wav"')
    make_station(tmp_path, toml, {"a": script_text(slots="[sang]")}, renders={"a": 1.0})
    code, report = _run(capsys, tmp_path)
    assert code != 0
    assert f"{tmp_path / 'station.toml'}:2: the station's default opening jingle" in report


def test_clean_station_passes_with_render_warnings(tmp_path: Path) -> None:
    make_station(
        tmp_path, scripts={"a": script_text(slots="[sang]"), "b": script_text(slots="[chieu]")}, renders={"a": 1.0}
    )
    report, ok = check_command(tmp_path)
    assert ok, report
    assert "warning:" in report and "b.md: has no render yet" in report
    assert "no errors" in report


def test_missing_station_file(tmp_path: Path) -> None:
    report, ok = check_command(tmp_path)
    assert not ok and "station.toml not found" in report and "announcer init" in report
