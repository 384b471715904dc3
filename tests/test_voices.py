"""Voice choice in the station's terms: reading it, validating it, and which engines serve it."""

from __future__ import annotations

from pathlib import Path

import pytest

from announcer.config import load_station, station_problems
from announcer.engines import chain_engines
from announcer.errors import ConfigError, EngineError, ScriptError
from announcer.script import parse_script
from announcer.secrets import read_key
from announcer.voices import known_names, parse_voice
from tests.stations import make_station, run_cli

PARSED = [
    ("trung-nu", "trung", "nu"),
    ("bac-nam", "bac", "nam"),
    ("nam-nu", "nam", "nu"),
    ("nam-nam", "nam", "nam"),
    ("nu-trung", "trung", "nu"),
    ("Trung Nữ", "trung", "nu"),
    ("miền Trung, nữ", "trung", "nu"),
    ("Nữ miền Nam", "nam", "nu"),
    ("giọng nam miền Bắc", "bac", "nam"),
    ("giọng nam, miền Nam", "nam", "nam"),
    ("MIỀN NAM - GIỌNG NỮ", "nam", "nu"),
    ("mien bac nu", "bac", "nu"),
    ("giọng Huế, nam", "trung", "nam"),
    ("Hà Nội nữ", "bac", "nu"),
    ("central female", "trung", "nu"),
    ("nu", None, "nu"),
    ("giọng nam", None, "nam"),
    ("miền Nam", "nam", None),
    ("Trung", "trung", None),
]


@pytest.mark.parametrize(("text", "region", "sex"), PARSED)
def test_staff_spellings_read_as_region_and_sex(text: str, region: str | None, sex: str | None) -> None:
    choice = parse_voice(text, known_names())
    assert (choice.region, choice.sex, choice.name) == (region, sex, None)


def test_a_speed_may_ride_in_the_voice_text() -> None:
    assert parse_voice("trung-nu 1.2").speed == 1.2
    assert parse_voice("miền Bắc, nữ, chậm").speed == 0.85


@pytest.mark.parametrize("name", ["vi-vn-x-south", "banmai", "HUE-MAINGOC", "vi"])
def test_an_engine_voice_name_still_works(name: str) -> None:
    assert parse_voice(name, known_names()).name == name.lower()


@pytest.mark.parametrize(("text", "says"), [
    ("nam", "can be the region"),
    ("tây-nu", "not a region"),
    ("bac-trung", "two regions"),
    ("nu-nam-nam-nam", "once too often"),
    ("trung-nu 5", "out of range"),
    ("giọng", "no region or sex"),
])
def test_what_is_not_a_voice_says_what_to_write(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_voice(text, known_names())


def set_config(root: Path, extra: str, engines: str = '["fpt", "viettel", "gtts", "espeak"]') -> None:
    config = root / "station.toml"
    text = config.read_text(encoding="utf-8").replace('engines = ["espeak"]', f"engines = {engines}")
    config.write_text(text.replace("\n[", f"\n{extra}\n\n[", 1), encoding="utf-8")


def line_of(root: Path, needle: str) -> int:
    lines = (root / "station.toml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_a_station_voice_in_vietnamese_loads(tmp_path: Path) -> None:
    make_station(tmp_path)
    set_config(tmp_path, 'voice = "miền Trung, nữ"\nspeed = 1.1')
    station = load_station(tmp_path)
    engines = chain_engines(station, station.engines, None)
    assert [(e.name, e.voice) for e in engines] == [("fpt", "myan"), ("viettel", "hue-maingoc"),
                                                    ("espeak", "vi-vn-x-central")]
    assert [getattr(e, "speed", None) for e in engines[:2]] == [1, 1.1]
    assert engines[2].rate == 165  # type: ignore[attr-defined]


def test_a_bad_station_voice_names_the_file_and_line(tmp_path: Path) -> None:
    make_station(tmp_path)
    set_config(tmp_path, 'voice = "miền Tây, nữ"')
    with pytest.raises(ConfigError) as info:
        load_station(tmp_path)
    assert info.value.line == line_of(tmp_path, "miền Tây") and "station.toml" in str(info.value.file)
    assert "tay" in info.value.message


def test_a_voice_no_engine_of_the_chain_has_is_an_error_at_load(tmp_path: Path) -> None:
    make_station(tmp_path)
    set_config(tmp_path, 'voice = "trung-nam"', engines='["gtts"]')
    _, problems = station_problems(tmp_path)
    assert any("no engine of the chain (gtts)" in p.message and p.line == line_of(tmp_path, "trung-nam")
               for p in problems)


@pytest.mark.parametrize(("voice", "expected"), [
    ("nam-nam", [("fpt", "minhquang"), ("viettel", "hcm-minhquan"), ("espeak", "vi-vn-x-south")]),
    ("bac-nu", [("fpt", "banmai"), ("viettel", "hn-quynhanh"), ("espeak", "vi")]),
    ("nu", [("fpt", "banmai"), ("viettel", "hn-quynhanh"), ("gtts", "vi"), ("espeak", "vi")]),
    ("vi-vn-x-south", [("fpt", "banmai"), ("viettel", "hn-quynhanh"), ("gtts", "vi"), ("espeak", "vi-vn-x-south")]),
])
def test_each_engine_maps_the_choice_onto_its_own_voice(tmp_path: Path, voice: str,
                                                        expected: list[tuple[str, str]]) -> None:
    make_station(tmp_path)
    set_config(tmp_path, "")
    station = load_station(tmp_path)
    assert [(e.name, e.voice) for e in chain_engines(station, station.engines, voice)] == expected


def test_a_forced_engine_without_the_voice_is_an_error(tmp_path: Path) -> None:
    make_station(tmp_path)
    station = load_station(tmp_path)
    with pytest.raises(EngineError, match="no engine of the chain"):
        chain_engines(station, ["gtts"], "trung-nu", forced=True)


def test_a_forced_engine_without_the_station_voice_reads_with_its_default(tmp_path: Path) -> None:
    make_station(tmp_path)
    set_config(tmp_path, 'voice = "trung-nam"')
    station = load_station(tmp_path)
    assert [(e.name, e.voice) for e in chain_engines(station, ["gtts"], None, forced=True)] == [("gtts", "vi")]


def test_a_script_voice_and_speed_are_checked_with_their_line(tmp_path: Path) -> None:
    script = tmp_path / "x.md"
    script.write_text("---\ntitle: Thử\nvoice: miền Trung, nữ\nspeed: 0,9\n---\nKính thưa bà con.\n", encoding="utf-8")
    parsed = parse_script(script)
    assert (parsed.voice, parsed.speed) == ("miền Trung, nữ", 0.9)
    script.write_text("---\ntitle: Thử\nvoice: giọng Tây\n---\nKính thưa bà con.\n", encoding="utf-8")
    with pytest.raises(ScriptError) as info:
        parse_script(script)
    assert info.value.line == 3 and "voice" in info.value.message
    script.write_text("---\ntitle: Thử\nspeed: 9\n---\nKính thưa bà con.\n", encoding="utf-8")
    with pytest.raises(ScriptError, match="out of range") as info:
        parse_script(script)
    assert info.value.line == 3


def test_check_reports_a_script_voice_the_chain_cannot_serve(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    make_station(tmp_path, script="---\ntitle: Thử\nvoice: trung-nu\n---\nKính thưa bà con.\n")
    set_config(tmp_path, "", engines='["gtts"]')
    code, out, err = run_cli(["--station", str(tmp_path), "check"], capsys)
    assert code != 0
    assert f"{tmp_path / 'scripts' / 'thu.md'}:3: " in out + err
    assert "no engine of the chain (gtts)" in out + err


def test_engines_prints_every_voice_with_region_sex_and_why_not_available(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FPT_TTS_KEY", raising=False)
    monkeypatch.delenv("VIETTEL_TTS_KEY", raising=False)
    make_station(tmp_path)
    set_config(tmp_path, 'voice = "trung-nam"')
    code, out, _ = run_cli(["--station", str(tmp_path), "engines"], capsys)
    assert code == 0
    rows = out.splitlines()
    assert any(r.startswith("fpt") and "unavailable: FPT.AI needs a key" in r and "FPT_TTS_KEY" in r for r in rows)
    assert any(r.startswith("viettel") and "VIETTEL_TTS_KEY" in r for r in rows)
    assert any("* giahuy" in r and "Trung" in r and "nam" in r for r in rows)
    assert any("* hue-baoquoc" in r for r in rows)
    assert any("* vi-vn-x-central" in r for r in rows)
    assert any("  lannhi" in r and "miền Nam" in r and "nữ" in r for r in rows)
    assert not any("* banmai" in r for r in rows)


def test_init_keeps_secrets_out_of_git(tmp_path: Path) -> None:
    make_station(tmp_path)
    assert "secrets.toml" in (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_environment_key_wins_over_secrets_toml(tmp_path: Path) -> None:
    (tmp_path / "secrets.toml").write_text('[fpt]\nkey = "from-file"\n', encoding="utf-8")
    assert read_key(tmp_path, "fpt", "FPT_TTS_KEY", {}).value == "from-file"  # type: ignore[union-attr]
    assert read_key(tmp_path, "fpt", "FPT_TTS_KEY", {"FPT_TTS_KEY": "env"}).value == "env"  # type: ignore[union-attr]
    assert read_key(tmp_path, "viettel", "VIETTEL_TTS_KEY", {}) is None


def test_a_broken_secrets_toml_names_its_line_never_its_text(tmp_path: Path) -> None:
    (tmp_path / "secrets.toml").write_text('[fpt]\nkey = "abc-secret\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_key(tmp_path, "fpt", "FPT_TTS_KEY", {})
    assert info.value.line == 2 and "abc-secret" not in f"{info.value} {info.value.hint}"
