from pathlib import Path

import pytest

from announcer.config import load_station, parse_days, parse_hhmm, station_problems
from announcer.errors import ConfigError
from announcer.station_init import init_station


def test_defaults_without_station_file(tmp_path: Path) -> None:
    station = load_station(tmp_path)
    assert station.timezone == "Asia/Ho_Chi_Minh"
    assert station.engines == ["gtts", "espeak"]
    assert station.audio.loudness_lufs == -16.0


def test_init_station_layout_and_slots(tmp_path: Path) -> None:
    init_station(tmp_path)
    station = load_station(tmp_path)
    assert [(s.name, s.at) for s in station.slots] == [("sang", "06:00"), ("chieu", "17:00")]
    assert station.engines == ["gtts", "espeak"]
    for name in ("scripts", "jingles/intro.wav", "jingles/outro.wav", "audio_out", "lexicon.tsv"):
        assert (tmp_path / name).exists()
    with pytest.raises(ConfigError, match="already exists"):
        init_station(tmp_path)


def test_cli_overrides_win(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text('dialect = "south"\n[audio]\nbitrate_kbps = 96\n', encoding="utf-8")
    station = load_station(tmp_path, {"dialect": "north"})
    assert station.dialect == "north"
    assert station.audio.bitrate_kbps == 96


@pytest.mark.parametrize(
    ("toml", "message", "line"),
    [
        ('name = "x"\nbitrate = 3\n', "unknown setting", 2),
        ('[audio]\nbitrate_kbps = "cao"\n', "should be a whole number", 2),
        ('[audio]\nbitrate_kbps = 32\n', "out of range", 2),
        ('timezone = "Asia/Hanoi_City"\n', "unknown time zone", 1),
        ('name = "x\n', "not valid TOML", 1),
        ('\n[[slot]]\nname = "sang"\nat = "25:00"\n', "not a valid time", 4),
        ('[[slot]]\nname = "sang"\nat = "06:00"\ndays = ["mon", "thursday2"]\n', "unknown day", 4),
        ('[[slot]]\nname = "sang"\nat = 600\n', "quoted time", 3),
    ],
)
def test_station_errors_name_file_and_line(tmp_path: Path, toml: str, message: str, line: int) -> None:
    (tmp_path / "station.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_station(tmp_path)
    assert info.value.file == str(tmp_path / "station.toml")
    assert info.value.line == line


@pytest.mark.parametrize(("text", "expected"), [("06:00", (6, 0)), ("6:30", (6, 30)), ("23:59", (23, 59))])
def test_parse_hhmm(text: str, expected: tuple[int, int]) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["25:00", "6h", "06:60", "", "1050"])
def test_parse_hhmm_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("daily", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
     ("weekdays", ["mon", "tue", "wed", "thu", "fri"]),
     (["Mon", "friday", "T7", "chủ nhật"], ["mon", "fri", "sat", "sun"])],
)
def test_parse_days(value: object, expected: list[str]) -> None:
    assert parse_days(value) == expected


# --- issue 9 / issue 8 item 11: every numeric setting has a range, every message the right line ------------

RANGE_CASES = [
    # (station.toml, the setting named in the message, line)
    ('name = "x"\n# sample rate and rate of speech below\n[audio]\nsample_rate = 44100\n[espeak]\nrate = 900\n',
     "espeak.rate", 6),
    ("[audio]\nsample_rate = 0\n", "audio.sample_rate", 2),
    ("[audio]\nbitrate_kbps = 100000\n", "audio.bitrate_kbps", 2),
    ("[audio]\ntrue_peak_db = -15\n", "audio.true_peak_db", 2),
    ("[audio]\nloudness_lufs = -6\n", "audio.loudness_lufs", 2),
    ("[audio]\nloudness_lufs = nan\n", "audio.loudness_lufs", 2),
    ("[audio]\nsentence_pause_ms = -5\n", "audio.sentence_pause_ms", 2),
    ("[audio]\nparagraph_pause_ms = 3600000\n", "audio.paragraph_pause_ms", 2),
    ("[audio]\ninterlude_ms = 99999999\n", "audio.interlude_ms", 2),
    ("[audio]\njingle_gap_ms = -1\n", "audio.jingle_gap_ms", 2),
    ("[gtts]\ntimeout = 0\n", "gtts.timeout", 2),
    ("[player]\ngrace_minutes = -3\n", "player.grace_minutes", 2),
    ("[limits]\nmax_script_kb = 0\n", "limits.max_script_kb", 2),
    ("[limits]\nmax_program_min = 100000\n", "limits.max_program_min", 2),
    ("audio.true_peak_db = 3\n", "audio.true_peak_db", 1),
    ("[gtts]\ntimeout = " + "9" * 400 + "\n", "gtts.timeout", 2),  # found by tests/test_input_fuzz.py
]


@pytest.mark.parametrize(("toml", "setting", "line"), RANGE_CASES)
def test_out_of_range_settings_are_errors_at_their_line(tmp_path: Path, toml: str, setting: str, line: int) -> None:
    (tmp_path / "station.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match="out of range") as info:
        load_station(tmp_path)
    assert setting in info.value.message
    assert info.value.line == line
    assert "default" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("toml", "message", "line"),
    [
        ('name = "x"\nengines = [1, 2]\n', "engines should be a list of text", 2),
        ('engines = ["espeak", 3]\n', "engines should be a list of text", 1),
        ('[player]\nasrun_log = "../../x"\n', "outside the station", 2),
        ('[player]\nasrun_log = "/tmp/asrun.jsonl"\n', "outside the station", 2),
        ('intro = "/etc/passwd"\n', "outside the station", 1),
        ('[[slot]]\nname = "sang"\nat = "06:00"\nintro = "../../etc/x.wav"\n', "outside the station", 4),
        ("name = 1" + "0" * 5000 + "\n", "cannot be read", None),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "station.toml", None),
    ],
)
def test_type_and_boundary_errors(tmp_path: Path, toml: str, message: str, line: int | None) -> None:
    (tmp_path / "station.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_station(tmp_path)
    assert info.value.file == str(tmp_path / "station.toml")
    if line is not None:
        assert info.value.line == line


def test_symlinked_asrun_log_leaving_the_station_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "st"
    root.mkdir()
    (root / "logs").symlink_to(tmp_path)
    (root / "station.toml").write_text('[player]\nasrun_log = "logs/asrun.jsonl"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="outside the station"):
        load_station(root)


def test_media_dirs_let_jingles_live_elsewhere(tmp_path: Path) -> None:
    root, media = tmp_path / "st", tmp_path / "media"
    root.mkdir()
    media.mkdir()
    (root / "station.toml").write_text(f'media_dirs = ["{media}"]\nintro = "{media}/in.wav"\n', encoding="utf-8")
    assert load_station(root).intro == f"{media}/in.wav"


def test_station_problems_lists_every_problem_once(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text(
        '[audio]\nsample_rate = 0\nbitrate_kbps = 100000\n[espeak]\nrate = 900\n[[slot]]\nname = "a"\nat = "9"\n'
        '[[slot]]\nname = "b"\nat = "07:00"\n', encoding="utf-8")
    station, problems = station_problems(tmp_path)
    assert sorted(p.line for p in problems) == [2, 3, 5, 8]
    assert [s.name for s in station.slots] == ["b"]  # the valid slot is kept
    assert station.audio.sample_rate == 44100  # a bad value keeps its default
