"""Bad input: one clear line naming the file (and line), a non-zero exit, no traceback,
and the last good render left exactly as it was."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from announcer.cli import main
from announcer.config import load_station
from announcer.render import build_station
from tests.stations import make_station, run_cli


@pytest.fixture(scope="module")
def good_station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_station(tmp_path_factory.mktemp("good"))
    build_station(load_station(root), [])
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def break_front_matter(root: Path) -> list[str]:
    (root / "scripts" / "thu.md").write_text("---\ntitle: a\nslots: [sang\n---\nKính thưa.\n", encoding="utf-8")
    return ["thu.md:"]


def empty_text(root: Path) -> list[str]:
    (root / "scripts" / "thu.md").write_text("---\ntitle: Trống\n---\n\n", encoding="utf-8")
    return ["thu.md:4", "no text"]


def not_utf8(root: Path) -> list[str]:
    (root / "scripts" / "thu.md").write_bytes("---\ntitle: a\n---\nKính thưa bà con\n".encode("cp1258"))
    return ["thu.md:4", "not UTF-8"]


def unknown_engine(root: Path) -> list[str]:
    replace_in(root / "station.toml", 'engines = ["espeak"]', 'engines = ["espeek"]')
    return ["station.toml:5", "espeek"]


def unknown_voice(root: Path) -> list[str]:
    replace_in(root / "station.toml", 'voice = "vi"', 'voice = "vi-vn-x-hue"')
    return ["vi-vn-x-hue"]


def missing_jingle(root: Path) -> list[str]:
    (root / "jingles" / "intro.wav").unlink()
    return ["station.toml:6", "intro.wav"]


def missing_script_jingle(root: Path) -> list[str]:
    replace_in(root / "scripts" / "thu.md", "repeat: 2", "repeat: 2\nintro: jingles/khong-co.wav")
    return ["thu.md:4", "khong-co.wav"]


CASES: dict[str, Callable[[Path], list[str]]] = {
    "malformed front matter": break_front_matter,
    "empty text": empty_text,
    "not utf-8": not_utf8,
    "unknown engine": unknown_engine,
    "unknown voice": unknown_voice,
    "missing station jingle": missing_jingle,
    "missing script jingle": missing_script_jingle,
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_clear_line_and_keeps_render(
    case: str, good_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "st"
    shutil.copytree(good_station, root)
    before = (root / "audio_out" / "thu.mp3").read_bytes()
    expected = CASES[case](root)
    code, _, err = run_cli(["--station", str(root), "build", "--force"], capsys)
    assert code != 0
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    for part in expected:
        assert part in lines[0]
    assert "Traceback" not in err
    assert (root / "audio_out" / "thu.mp3").read_bytes() == before


def test_missing_script(good_station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--station", str(good_station), "build", str(good_station / "scripts/nope.md")],
                           capsys)
    assert code != 0
    assert "nope.md" in err and "not found" in err


def test_unwritable_audio_out(good_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "st"
    shutil.copytree(good_station, root)
    shutil.rmtree(root / "audio_out")
    (root / "audio_out").write_text("not a folder")  # tests run as root, so chmod would not stop us
    code, _, err = run_cli(["--station", str(root), "build"], capsys)
    assert code != 0
    assert "audio_out" in err and "writable" in err
    assert "Traceback" not in err


def test_debug_shows_traceback(good_station: Path, tmp_path: Path) -> None:
    root = tmp_path / "st"
    shutil.copytree(good_station, root)
    empty_text(root)
    with pytest.raises(Exception, match="no text"):
        main(["--debug", "--station", str(root), "build"])


def test_unknown_forced_engine(good_station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--station", str(good_station), "build", "--force", "--engine", "festival"], capsys)
    assert code != 0 and "festival" in err and "espeak" in err


def test_full_disk_is_one_clear_line_and_keeps_render(
    good_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import wave

    root = tmp_path / "st"
    shutil.copytree(good_station, root)
    before = (root / "audio_out" / "thu.mp3").read_bytes()

    def full(self: object, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wave.Wave_write, "writeframes", full)
    # --force alone would reuse the unchanged, already measured MP3 and write no audio.
    monkeypatch.setattr("announcer.render._reuse_mastered", lambda *args: None)
    monkeypatch.setattr("announcer.render._reuse_kept", lambda *args: None)
    code, _, err = run_cli(["--station", str(root), "build", "--force"], capsys)
    assert code != 0
    assert "No space left on device" in err and "free some disk space" in err
    assert "Traceback" not in err
    assert (root / "audio_out" / "thu.mp3").read_bytes() == before
    assert not list((root / "audio_out").glob(".build-*"))


@pytest.mark.parametrize("command", [["build"], ["plan"], ["check"], ["run"], ["log"], ["play", "x.mp3"]])
def test_station_commands_need_a_station(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["--station", str(tmp_path), *command], capsys)
    assert code != 0
    assert "has no station.toml" in err and "announcer init" in err
    assert not (tmp_path / ".state").exists()


def test_normalize_and_engines_work_anywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("Ngày 2/9\n".encode())))
    code, out, _ = run_cli(["--station", str(tmp_path), "normalize", "-"], capsys)
    assert code == 0 and out == "Ngày hai tháng chín\n"
    code, out, _ = run_cli(["--station", str(tmp_path), "engines"], capsys)
    assert code == 0 and "espeak" in out
