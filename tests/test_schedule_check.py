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


# --- issue 9: check sees everything build, plan and run will trip on ---------------------------------------


def long_audio(path: Path, seconds: int) -> Path:
    """A real MP3 of silence, small on disk (8 kbps) however long it lasts."""
    import subprocess

    from announcer.audio.ffmpeg import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(seconds),
                    "-b:a", "8k", "-y", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def hour_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_audio(tmp_path_factory.mktemp("audio") / "hour.mp3", 3600)


def _errors(report: str, where: str, what: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("error:") and where in line and what in line
            and " — " in line]


def test_check_reports_what_build_would_trip_on(tmp_path: Path, capsys, hour_mp3: Path) -> None:
    import shutil

    toml = STATION.replace('intro = ""', 'intro = "jingles/intro.mp3"').replace(
        "[player]", '[audio]\nsample_rate = 0\nbitrate_kbps = 100000\ntrue_peak_db = -15\nsentence_pause_ms = -1\n\n'
                    '[player]')
    (tmp_path / "jingles").mkdir()
    shutil.copy(hour_mp3, tmp_path / "jingles" / "intro.mp3")
    scripts = {
        "engine": script_text(slots="[sang]", engine="festival"),
        "voice": script_text(slots="[sang]", engine="espeak", voice="vi-vn-x-hue"),
        "repeat": script_text(slots="[sang]", repeat="²"),
        "pauses": script_text("Một. " + "[nghỉ 60 giây] " * 100 + "Hai.", slots="[sang]"),
    }
    make_station(tmp_path, toml, scripts)
    (tmp_path / "scripts" / "nul.md").write_bytes(b"---\nslots: [sang]\n---\nK\x00nh th\xc6\xb0a\n")
    (tmp_path / "lexicon.tsv").write_text("# ok\nKP7\tkhu phố bảy\nUBND ủy ban\n", encoding="utf-8")
    code, report = _run(capsys, tmp_path)
    assert code == 1
    config, scripts_dir = tmp_path / "station.toml", tmp_path / "scripts"
    expected = [
        (f"{config}:2: ", "the default opening jingle is 1:00:00 long"),
        (f"{config}:6: ", "audio.sample_rate = 0 is out of range"),
        (f"{config}:7: ", "audio.bitrate_kbps = 100000 is out of range"),
        (f"{config}:8: ", "audio.true_peak_db = -15.0 is out of range"),
        (f"{config}:9: ", "audio.sentence_pause_ms = -1 is out of range"),
        (f"{scripts_dir / 'engine.md'}:3: ", "unknown engine 'festival'"),
        (f"{scripts_dir / 'voice.md'}:4: ", "unknown voice 'vi-vn-x-hue'"),
        (f"{scripts_dir / 'repeat.md'}:3: ", "repeat: '²' is not a whole number"),
        (f"{scripts_dir / 'nul.md'}:4: ", "NUL bytes"),
        (f"{scripts_dir / 'pauses.md'}:4: ", "add up to 6000 s of silence"),
        (f"{tmp_path / 'lexicon.tsv'}:3: ", "must be 'written<TAB>spoken'"),
    ]
    for where, what in expected:
        assert _errors(report, where, what), (where, what, report)


def test_check_reports_station_engine_list_and_voice(tmp_path: Path) -> None:
    make_station(tmp_path, 'engines = [1, 2]\n[espeak]\nvoice = "vi-hue"\n' + STATION)
    report, ok = check_command(tmp_path)
    assert not ok
    assert _errors(report, f"{tmp_path / 'station.toml'}:1: ", "engines should be a list of text"), report
    assert _errors(report, f"{tmp_path / 'station.toml'}:3: ", "unknown espeak voice 'vi-hue'"), report


def test_check_reports_links_leaving_the_station(tmp_path: Path) -> None:
    make_station(tmp_path / "st", scripts={"ok": script_text(slots="[sang]")}, renders={"ok": 1.0})
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    scripts = tmp_path / "st" / "scripts"
    (scripts / "passwd.md").symlink_to(outside)
    (scripts / "loop.md").symlink_to(scripts / "loop.md")
    (scripts / "old.md").symlink_to(tmp_path)
    (scripts / "jingle.md").write_text(script_text(slots="[sang]", intro="../passwd"), encoding="utf-8")
    report, ok = check_command(tmp_path / "st")
    assert not ok
    assert _errors(report, "passwd.md", f"is a link to {outside}, outside the station folder"), report
    assert _errors(report, "loop.md", "loops"), report
    assert _errors(report, "old.md", "outside the station"), report
    assert _errors(report, "jingle.md:3", "leads outside the station folder"), report
    assert "root:x" not in report


def test_a_long_but_allowed_jingle_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "jingles").mkdir(parents=True)
    long_audio(tmp_path / "jingles" / "long.mp3", 150)
    make_station(tmp_path, STATION, {"a": script_text(slots="[sang]", intro="jingles/long.mp3")}, renders={"a": 1.0})
    report, ok = check_command(tmp_path)
    assert ok, report
    assert any(line.startswith("warning:") and "a.md:3" in line and "2:30 long" in line
               for line in report.splitlines()), report


@pytest.mark.parametrize("command", [["check"], ["plan"], ["build"]])
def test_one_bad_character_never_stops_check_plan_or_build(tmp_path: Path, capsys, command: list[str]) -> None:
    """Issue 8 item 10: `repeat: ²` made check, plan and run exit with an internal error naming no file."""
    from tests.stations import run_cli

    make_station(tmp_path, 'engines = ["espeak"]\n' + STATION,
                 {"bad": script_text(slots="[sang]", repeat="²"), "good": script_text(slots="[sang]")},
                 renders={"good": 1.0})
    code, out, err = run_cli(["--station", str(tmp_path), *command], capsys)
    assert "internal error" not in err and "Traceback" not in err
    assert f"{tmp_path / 'scripts' / 'bad.md'}:3" in out + err
    assert code in ((0,) if command == ["plan"] else (1, 3))


def test_a_jingle_name_too_long_for_the_system_is_a_message(tmp_path: Path) -> None:
    """Found by tests/test_input_fuzz.py: Path.is_file() raised ENAMETOOLONG (exit 74, no line)."""
    long_name = "9" * 300
    make_station(tmp_path, STATION.replace('intro = ""', f'intro = "{long_name}"'),
                 {"a": script_text(slots="[sang]", intro=long_name)})
    report, ok = check_command(tmp_path)
    assert not ok
    assert _errors(report, f"{tmp_path / 'station.toml'}:2: ", "File name too long"), report
    assert _errors(report, f"{tmp_path / 'scripts' / 'a.md'}:3: ", "File name too long"), report
