from pathlib import Path

import pytest

from announcer.config import load_station, parse_days, parse_hhmm
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
        ('[audio]\nbitrate_kbps = "cao"\n', "should be int", 2),
        ('[audio]\nbitrate_kbps = 32\n', "at least 64", 2),
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
