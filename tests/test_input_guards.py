"""Issue 9: bad or hostile input cannot hurt the station.

Each case is run as a user would (the CLI in-process) and must end in one clear
line naming the file, a non-zero exit, and nothing of the user's overwritten.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from announcer.audio.ffmpeg import ffmpeg_exe
from tests.stations import SCRIPT, make_station, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station with scripts/thu.md rendered (espeak, offline)."""
    from announcer.config import load_station
    from announcer.render import build_station

    root = make_station(tmp_path_factory.mktemp("built"))
    build_station(load_station(root), [])
    return root


@pytest.fixture
def station(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "st"
    shutil.copytree(built, root)
    return root


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


# --- never overwrite what the user did not name as output ------------------------------------------------


@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("scripts/new.mp3", "does not write into scripts/"),
        ("scripts/thu.md", "writes .mp3 or .wav files, not .md"),
        ("audio_out/thu.mp3", "already exists"),
        ("station.toml", "not .toml"),
        ("no/such/dir/x.mp3", "does not exist"),
    ],
)
def test_say_refuses_to_overwrite_or_guess(station: Path, capsys: pytest.CaptureFixture[str], monkeypatch,
                                           output: str, words: str) -> None:
    monkeypatch.chdir(station)
    before = {p: p.read_bytes() for p in station.rglob("*") if p.is_file()}
    code, _, err = run_cli(["say", "Kính thưa bà con", "-o", output], capsys)
    assert code == 2
    line = one_error(err)
    assert words in line and output.split("/")[-1] in line
    after = {p: p.read_bytes() for p in station.rglob("*") if p.is_file()}
    assert after == before
    assert not (station / "no").exists()  # no folder made silently


def test_say_replaces_a_file_only_with_force(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "thu.mp3").write_bytes(b"old")
    code, _, err = run_cli(["say", "Kính thưa bà con", "-o", "thu.mp3", "--engine", "espeak"], capsys)
    assert code == 2 and "--force" in one_error(err)
    code, out, _ = run_cli(["say", "Kính thưa bà con", "-o", "thu.mp3", "--engine", "espeak", "--force"], capsys)
    assert code == 0 and (tmp_path / "thu.mp3").read_bytes()[:3] in (b"ID3", b"\xff\xfb")


@pytest.mark.parametrize(
    ("args", "words", "protected"),
    [
        (["-o", "station.toml", "--force"], "writes scripts (.md files), not station.toml", "station.toml"),
        (["-o", "lexicon.tsv", "--force"], "not lexicon.tsv", "lexicon.tsv"),
        (["-o", "audio_out/thu.md", "--force"], "into the station's scripts/ folder only", None),
        (["-o", "../elsewhere.md"], "scripts/ folder only", None),
    ],
)
def test_import_writes_only_scripts(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], words: str, protected: str | None) -> None:
    notice = tmp_path / "n.txt"
    notice.write_text("THÔNG BÁO\nVề việc thu gom rác\nKính thưa bà con.\n", encoding="utf-8")
    before = (station / protected).read_bytes() if protected else b""
    code, _, err = run_cli(["--station", str(station), "import", str(notice), *args], capsys)
    assert code == 3
    assert words in one_error(err)
    if protected:
        assert (station / protected).read_bytes() == before


def test_import_o_is_taken_from_the_station_and_anywhere_allows_other_md(
        station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notice = tmp_path / "n.txt"
    notice.write_text("Kính thưa bà con.\n", encoding="utf-8")
    code, _, _ = run_cli(["--station", str(station), "import", str(notice), "-o", "scripts/rac.md"], capsys)
    assert code == 0 and (station / "scripts" / "rac.md").is_file()
    code, _, _ = run_cli(["--station", str(station), "import", str(notice), "-o", str(tmp_path / "draft.md"),
                          "--anywhere"], capsys)
    assert code == 0 and (tmp_path / "draft.md").is_file()


def test_build_refuses_a_script_outside_the_station(station: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thu.md").write_text(SCRIPT.replace("Trạm y tế", "Một nơi khác"), encoding="utf-8")
    before = (station / "audio_out" / "thu.mp3").read_bytes()
    code, _, err = run_cli(["--station", str(station), "build", str(elsewhere / "thu.md")], capsys)
    assert code == 3
    line = one_error(err)
    assert "outside the station's scripts/ folder" in line and "announcer import" in line
    assert (station / "audio_out" / "thu.mp3").read_bytes() == before


def test_station_option_finds_the_script_in_the_station(station: Path, tmp_path: Path, monkeypatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["--station", str(station), "build", "scripts/thu.md"], capsys)
    assert code == 0, err
    assert "thu.md" in out and "up to date" in out


# --- the station is a boundary -----------------------------------------------------------------------------


def test_build_does_not_read_a_linked_passwd(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (station / "scripts" / "passwd.md").symlink_to(secret)
    code, out, err = run_cli(["--station", str(station), "build"], capsys)
    assert code == 1
    assert f"passwd.md: is a link to {secret}, outside the station folder" in err
    assert not (station / "audio_out" / "passwd.mp3").exists()
    code, _, err = run_cli(["--station", str(station), "build", "scripts/passwd.md"], capsys)
    assert code == 3 and "outside the station's scripts/ folder" in one_error(err)
    assert not (station / "audio_out" / "passwd.mp3").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "station.toml", "scripts/../lexicon.tsv"])
def test_play_plays_only_audio(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(["--station", str(station), "play", target, "--sink", f"file:{out}"], capsys)
    assert code == 2
    assert "not an audio file" in one_error(err) or "outside the station" in one_error(err)
    assert not out.exists() or not any(out.iterdir())
    assert not (station / "asrun.jsonl").exists()


def test_play_refuses_audio_outside_the_station(station: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "x.mp3"
    shutil.copy(station / "audio_out" / "thu.mp3", outside)
    code, _, err = run_cli(["--station", str(station), "play", str(outside), "--sink", f"file:{tmp_path / 'o'}"],
                           capsys)
    assert code == 2 and "leads outside the station folder" in one_error(err)


def test_play_still_plays_a_render(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(["--station", str(station), "play", "audio_out/thu.mp3", "--sink", f"file:{out}"], capsys)
    assert code == 0, err
    assert len(list(out.iterdir())) == 1


# --- resource limits ---------------------------------------------------------------------------------------


def test_a_one_hour_intro_is_refused_before_decoding(station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "3600",
                    "-b:a", "8k", "-y", str(station / "jingles" / "hour.mp3")], check=True)
    config = station / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"jingles/intro.wav"', '"jingles/hour.mp3"'),
                      encoding="utf-8")
    before = (station / "audio_out" / "thu.mp3").read_bytes()
    code, _, err = run_cli(["--station", str(station), "build"], capsys)
    assert code == 5
    line = one_error(err)
    assert "station.toml:6" in line and "1:00:00 long" in line and "max_jingle_s" in line
    assert (station / "audio_out" / "thu.mp3").read_bytes() == before


def test_decoding_is_bounded_whatever_the_header_says(tmp_path: Path) -> None:
    from announcer.audio.mixer import decode_audio_file

    path = tmp_path / "long.mp3"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=8000", "-t", "30",
                    "-b:a", "8k", "-y", str(path)], check=True)
    assert decode_audio_file(path, 8000, max_seconds=5).size == 5 * 8000


@pytest.mark.parametrize("command", ["build", "preview"])
def test_adjacent_pause_markers_add_up_to_an_error(station: Path, capsys: pytest.CaptureFixture[str],
                                                   command: str) -> None:
    script = station / "scripts" / "thu.md"
    script.write_text("---\ntitle: Nghỉ\n---\nMột.\n" + "[nghỉ 60 giây]\n" * 2000 + "Hai.\n", encoding="utf-8")
    code, _, err = run_cli(["--station", str(station), command, "scripts/thu.md"], capsys)
    assert code == 3
    line = one_error(err)
    assert "thu.md:5" in line and "add up to 120000 s of silence" in line


def test_pause_markers_across_the_script_have_a_total(station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = station / "scripts" / "thu.md"
    script.write_text("---\ntitle: Nghỉ\n---\n" + "Câu. [nghỉ 50 giây]\n" * 10 + "Hết.\n", encoding="utf-8")
    code, _, err = run_cli(["--station", str(station), "preview", "scripts/thu.md"], capsys)
    assert code == 3
    assert "thu.md:10" in (line := one_error(err)) and "max_pause_total_s" in line


def test_a_20_mb_script_is_refused_before_reading(station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = station / "scripts" / "thu.md"
    sentence = "Kính thưa bà con nhân dân trong phường, đề nghị bà con chấp hành nghiêm quy định. "
    script.write_text("---\ntitle: Dài\n---\n" + sentence * (20_000_000 // len(sentence.encode())), encoding="utf-8")
    code, _, err = run_cli(["--station", str(station), "build", "scripts/thu.md"], capsys)
    assert code == 3
    assert "thu.md: the script is 19,999,942 bytes" in (line := one_error(err)) and "over the limit of 512 KB" in line


def test_a_long_script_within_the_size_limit_is_refused_before_synthesis(
        station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = station / "station.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[limits]\nmax_program_min = 1\n", encoding="utf-8")
    (station / "scripts" / "thu.md").write_text("---\ntitle: Dài\nrepeat: 3\n---\n" + "Kính thưa bà con. " * 200,
                                                encoding="utf-8")
    code, _, err = run_cli(["--station", str(station), "build", "scripts/thu.md"], capsys)
    assert code == 3
    assert "thu.md:3" in (line := one_error(err)) and "would last at least" in line


# --- Word files ------------------------------------------------------------------------------------------------


def docx_bytes(document_xml: bytes | None = None, extra: int = 0) -> bytes:
    import io

    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("THÔNG BÁO")
    document.add_paragraph("Kính thưa bà con.")
    document.save(buffer)
    if document_xml is None and not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml" and document_xml is not None:
                data = document_xml
            target.writestr(item.filename, data)
        for index in range(extra):
            target.writestr(f"extra/part{index}.xml", b"<a/>")
    return out.getvalue()


def zip_bomb(path: Path, megabytes: int) -> Path:
    """A .docx whose document.xml unpacks to ``megabytes`` MB of one repeated byte (a few hundred KB packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as handle:
            chunk = b"A" * (1024 * 1024)
            for _ in range(megabytes):
                handle.write(chunk)
    return path


def test_zip_bomb_docx_is_refused_before_parsing(station: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bomb = zip_bomb(tmp_path / "bomb.docx", 60)
    assert bomb.stat().st_size < 1024 * 1024
    code, _, err = run_cli(["--station", str(station), "import", str(bomb)], capsys)
    assert code == 3
    assert "bomb.docx: the Word file unpacks to 60 MB, over the limit of 25 MB" in one_error(err)


def test_docx_with_too_many_parts_is_refused(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    many = tmp_path / "many.docx"
    many.write_bytes(docx_bytes(extra=2100))
    code, _, err = run_cli(["--station", str(station), "import", str(many)], capsys)
    assert code == 3 and "parts inside, over the limit of 2,000" in one_error(err)


def test_docx_with_an_external_entity_is_said_not_dropped(station: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    original = zipfile.ZipFile(__import__("io").BytesIO(docx_bytes())).read("word/document.xml").decode("utf-8")
    head, rest = original.split("?>", 1)
    xml = (head + '?>\n<!DOCTYPE w:document [<!ENTITY ten SYSTEM "file:///etc/hostname">]>' + rest).replace(
        "Kính thưa bà con.", "Kính thưa &ten; bà con.")
    src = tmp_path / "xxe.docx"
    src.write_bytes(docx_bytes(xml.encode("utf-8")))
    code, _, err = run_cli(["--station", str(station), "import", str(src)], capsys)
    assert code == 3
    assert "xxe.docx: the Word file declares XML entities in word/document.xml" in one_error(err)


def test_plain_docx_still_imports(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "ok.docx"
    src.write_bytes(docx_bytes())
    code, out, err = run_cli(["--station", str(station), "import", str(src), "-o", "scripts/ok.md"], capsys)
    assert code == 0, err
    assert "Kính thưa bà con." in (station / "scripts" / "ok.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_text_without_bom_imports(station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        encoding: str) -> None:
    src = tmp_path / "n.txt"
    src.write_bytes("THÔNG BÁO\nVề việc tiêm chủng\nKính thưa bà con nhân dân.\n".encode(encoding))
    code, out, err = run_cli(["--station", str(station), "import", str(src), "-o", "scripts/u.md"], capsys)
    assert code == 0, err
    assert f"as {encoding}" in out
    assert "Kính thưa bà con nhân dân." in (station / "scripts" / "u.md").read_text(encoding="utf-8")


def test_a_jingle_longer_than_a_minute_is_used_whole_at_one_gain(tmp_path: Path) -> None:
    # The master pass reads the jingle file itself (ffmpeg streams it, at one fixed gain);
    # the build only learns its length and gain, once, and never holds it in memory whole.
    from announcer.audio.loudness import MasterSettings
    from announcer.audio.memo import JingleStore

    path = tmp_path / "long.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=8000", "-t", "75", "-y",
                    str(path)], check=True)
    info = JingleStore(tmp_path / "cache").get(path, MasterSettings(), -17.0)
    assert info.frames == pytest.approx(75 * 44100, abs=50)
    assert -40.0 < info.gain_db < 40.0
