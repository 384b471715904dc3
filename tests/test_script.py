from datetime import date
from pathlib import Path

import pytest

from announcer.errors import ScriptError
from announcer.script import parse_script


def write(tmp_path: Path, text: str | bytes, name: str = "x.md") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: Thông báo\nrepeat: 2\nslots: [sang, chieu]\ntimes: [06:30, 17:30]\n"
                           "from: 17/6/2021\nuntil: 2021-06-24\ndays: weekdays\npriority: 3\nevery: 30m\n"
                           "between: 06:00-20:00\nintro: none\n---\n\nKính thưa bà con.\n")
    script = parse_script(path)
    assert script.title == "Thông báo"
    assert script.repeat == 2
    assert script.slots == ["sang", "chieu"]
    # YAML 1.1 would make 17:30 the integer 1050; we keep what staff wrote.
    assert script.times == ["06:30", "17:30"]
    assert script.date_from == date(2021, 6, 17)
    assert script.date_until == date(2021, 6, 24)
    assert script.days == ["mon", "tue", "wed", "thu", "fri"]
    assert script.priority == 3
    assert script.every_minutes == 30
    assert script.between == ("06:00", "20:00")
    assert script.intro == ""
    assert script.body == "Kính thưa bà con.\n"
    assert script.body_line == 15


def test_plain_text_without_front_matter(tmp_path: Path) -> None:
    script = parse_script(write(tmp_path, "Kính thưa bà con.\n", name="thong-bao.md"))
    assert script.title == "thong-bao"
    assert script.body_line == 1


def test_bom_and_crlf_accepted(tmp_path: Path) -> None:
    script = parse_script(write(tmp_path, "\ufeff---\r\ntitle: Ủy ban\r\n---\r\nXin chào.\r\n".encode()))
    assert script.title == "Ủy ban"
    assert script.body == "Xin chào.\n"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("---\ntitle: a\nrepeat: hai\n---\nx\n", "repeat", 3),
        ("---\ntitle: a\ntittle: b\n---\nx\n", "unknown setting 'tittle'", 3),
        ("---\ntitle: a\nslots: [sang\n---\nx\n", "front matter is not valid", None),
        ("---\ntitle: a\n", "never ends", 1),
        ("---\ntitle: a\n---\n\n   \n", "no text", 4),
        ("---\nfrom: 24/6/2021\nuntil: 17/6/2021\n---\nx\n", "before from", 3),
        ("---\nfrom: 31/2/2021\n---\nx\n", "not a real date", 2),
        ("---\ndays: [mon, funday]\n---\nx\n", "unknown day", 2),
        ("---\ntimes: [25:00]\n---\nx\n", "times", 2),
        ("---\nbetween: 06:00-20:00\n---\nx\n", "needs 'every'", 2),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScriptError, match=message) as info:
        parse_script(path)
    assert info.value.file == str(path)
    if line is not None:
        assert info.value.line == line
    else:
        assert info.value.line is not None


def test_not_utf8_names_line_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: a\n---\nK\xednh th\xfaa\n".encode("cp1258"))
    with pytest.raises(ScriptError, match="not UTF-8") as info:
        parse_script(path)
    assert info.value.line == 4
    assert "announcer import" in (info.value.hint or "")


def test_missing_script(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="not found"):
        parse_script(tmp_path / "nope.md")


def test_script_problems_lists_every_mistake(tmp_path: Path) -> None:
    from announcer.script import script_problems

    path = write(tmp_path, "---\ntittle: a\nrepeat: hai\nfrom: 24/6/2021\nuntil: 17/6/2021\ndays: [funday]\n---\nx\n")
    found = {(p.line, p.message.split(":")[0]) for p in script_problems(path)}
    assert found == {
        (2, "unknown setting 'tittle'"),
        (3, "repeat"),
        (5, "until (17/06/2021) is before from (24/06/2021)"),
        (6, "days"),
    }
    with pytest.raises(ScriptError, match="tittle"):
        parse_script(path)
    assert script_problems(write(tmp_path, "---\ntitle: a\n---\nx\n", name="ok.md")) == []


# --- issue 9 / issue 8 item 10: one bad character never becomes an internal error ---------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("---\ntitle: a\nrepeat: ²\n---\nx\n", "repeat", 3),  # '²'.isdigit() is True, int('²') fails
        ("---\ntitle: a\nrepeat: ٣\n---\nx\n", "repeat", 3),  # an Arabic-Indic three is not 3 here
        ("---\ntitle: a\nrepeat: " + "9" * 5000 + "\n---\nx\n", "repeat", 3),  # int() refuses 4300+ digits
        ("---\ntitle: a\npriority: " + "9" * 5000 + "\n---\nx\n", "priority", 3),
        ("---\ntitle: a\nevery: " + "9" * 5000 + "m\n---\nx\n", "every", 3),
        ("---\ntitle: a\nfrom: ١٧/٦/٢٠٢١\n---\nx\n", "from", 3),
        ("---\ntitle: a\nslots: {a: [b, {c: d}]}\n---\nx\n", "key: value", 3),
        ("---\n? [a, b]\n: c\n---\nx\n", "plain word", 2),
        ("---\ntitle: a\n---\nKính thưa\x00 bà con\n", "NUL", 4),
        ("---\ntitle: " + "[" * 3000 + "\n---\nx\n", "front matter", None),
    ],
)
def test_odd_characters_are_script_errors(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScriptError, match=message) as info:
        parse_script(path)
    assert info.value.file == str(path)
    if line is not None:
        assert info.value.line == line
    assert len(str(info.value)) < 400  # one readable line, not the 5000 digits back


def test_script_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: a\n---\n" + "Kính thưa bà con. " * 40_000)
    with pytest.raises(ScriptError, match="over the limit of 512 KB") as info:
        parse_script(path)
    assert "max_script_kb" in (info.value.hint or "")
    assert parse_script(path, max_bytes=2 * 1024 * 1024).title == "a"


def test_utf16_without_bom_is_read(tmp_path: Path) -> None:
    text = "---\ntitle: Thông báo\n---\nKính thưa bà con nhân dân.\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        script = parse_script(write(tmp_path, text.encode(encoding), name=f"{encoding}.md"))
        assert script.title == "Thông báo" and script.body == "Kính thưa bà con nhân dân.\n"


def test_a_pipe_is_not_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    with pytest.raises(ScriptError, match="not a regular file"):
        parse_script(fifo)


def test_scan_reports_links_leaving_the_station_loops_and_folders(tmp_path: Path) -> None:
    from announcer.script import list_scripts, scan_scripts

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    scripts = tmp_path / "station" / "scripts"
    scripts.mkdir(parents=True)
    write(scripts, "---\ntitle: a\n---\nx\n", name="ok.md")
    (scripts / "passwd.md").symlink_to(secret)
    (scripts / "loop.md").symlink_to(scripts / "loop.md")
    (scripts / "gone.md").symlink_to(scripts / "nowhere.md")
    (scripts / "folder.md").mkdir()
    (scripts / "dirlink.md").symlink_to(tmp_path)
    (scripts / "inside.md").symlink_to(scripts / "ok.md")  # a link within the station is fine
    paths, problems = scan_scripts(scripts)
    assert [p.name for p in paths] == ["inside.md", "ok.md"]
    assert list_scripts(scripts) == paths
    said = {Path(p.file or "").name: p.message for p in problems}
    assert "outside the station" in said["passwd.md"] and str(secret) in said["passwd.md"]
    assert "loops" in said["loop.md"]
    assert "does not exist" in said["gone.md"]
    assert "folder" in said["folder.md"]
    assert "outside the station" in said["dirlink.md"]
