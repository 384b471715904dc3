"""The console's notices pages: list, editor (every setting, check's rules, no silent overwrite),
live reading preview, lexicon add, render and listen. Real HTTP requests through Flask's client."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from announcer.script import parse_script
from announcer.textnorm import load_lexicon
from tests.stations import make_station
from tests.web_helpers import login, make_console, token

USERS = {"bt": "bien-tap", "pd": "phe-duyet", "qt": "quan-tri"}

FULL = """\
---
title: Thông báo tiêm chủng
slots: [sang]
times: ["06:30"]
from: 1/12/2026
until: 31/12/2026
days: [mon, wed]
repeat: 2
priority: 3
---
Kính thưa bà con, trạm y tế tiêm vắc xin vào sáng thứ Hai.
"""


def vietnamese_station(tmp_path: Path) -> Path:
    root = make_station(tmp_path / "station")
    assert 'language = "vi"' in (root / "station.toml").read_text(encoding="utf-8")  # a new station speaks Vietnamese
    (root / "scripts" / "tiem.md").write_text(FULL, encoding="utf-8")
    return root


@pytest.fixture()
def console(tmp_path):
    root = vietnamese_station(tmp_path)
    app, _clock = make_console(tmp_path, users=USERS, station=root)
    return app, root


def client_for(app, name="bt"):
    client = app.test_client()
    assert login(client, name).status_code in (302, 303)
    return client


def page(client, path):
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def form_of(client, name):
    """The editor's form as a browser would send it back unchanged."""
    status, text = page(client, f"/scripts/{name}")
    assert status == 200
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", text):
        field = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not field or field.group(1) in ("written", "spoken"):
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        data.setdefault(field.group(1), []).append(html.unescape(value.group(1)) if value else "")
    body = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', text, re.S)
    data["body"] = [html.unescape(body.group(1))]
    for select in re.finditer(r'<select name="([^"]+)">(.*?)</select>', text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(2))
        data[select.group(1)] = [chosen.group(1) if chosen else ""]
    data["csrf_token"] = data["csrf_token"][:1]
    return data


def post(client, path, data):
    return client.post(path, data=data)


# --- list ---------------------------------------------------------------------------------------------------


def test_the_list_shows_title_slots_dates_approval_and_render_status(console):
    app, _root = console
    status, text = page(client_for(app), "/scripts")
    assert status == 200
    row = re.search(r'<tr data-script="tiem">(.*?)</tr>', text, re.S).group(1)
    assert "Thông báo tiêm chủng" in row and "sang, 06:30" in row
    assert "01/12/2026" in row and "31/12/2026" in row
    assert 'class="approval-draft"' in row and 'class="render-missing"' in row


def test_a_broken_script_is_listed_with_its_problem(console):
    app, root = console
    (root / "scripts" / "hong.md").write_text("---\ntitle: x\nrepeat: muoi\n---\nChào bà con.\n", encoding="utf-8")
    _status, text = page(client_for(app), "/scripts")
    row = re.search(r'<tr data-script="hong">(.*?)</tr>', text, re.S).group(1)
    assert "repeat" in row and 'class="error"' in row


# --- editor -------------------------------------------------------------------------------------------------


def test_the_editor_has_a_control_for_every_setting(console):
    app, _root = console
    _status, text = page(client_for(app), "/scripts/tiem")
    for name in ("f_title", "f_slots", "f_times", "f_from", "f_until", "f_days", "f_repeat", "f_priority",
                 "f_intro", "f_outro", "f_voice", "f_speed", "f_engine", "f_every", "f_between", "body"):
        assert f'name="{name}"' in text, name
    assert 'type="date" name="f_from" value="2026-12-01"' in text
    assert re.search(r'value="sang" checked', text) and not re.search(r'value="chieu" checked', text)
    assert re.search(r'value="mon" checked', text) and not re.search(r'value="tue" checked', text)


def test_saving_the_form_unchanged_keeps_every_setting(console):
    from announcer.script import parse_script

    app, root = console
    client = client_for(app)
    before = parse_script(root / "scripts" / "tiem.md")
    response = post(client, "/scripts/tiem", form_of(client, "tiem"))
    assert response.status_code == 302
    after = parse_script(root / "scripts" / "tiem.md")
    for attr in ("title", "slots", "times", "date_from", "date_until", "days", "repeat", "priority", "body"):
        assert getattr(after, attr) == getattr(before, attr), attr


def test_a_save_writes_the_new_values(console):
    from announcer.script import parse_script

    app, root = console
    client = client_for(app)
    data = form_of(client, "tiem")
    data["f_title"] = ["Lịch tiêm mới"]
    data["f_slots"] = ["sang", "chieu"]
    data["f_until"] = ["2027-01-15"]
    data["f_days"] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data["body"] = ["Dòng một.\r\n\r\nDòng hai.\r\n"]
    assert post(client, "/scripts/tiem", data).status_code == 302
    script = parse_script(root / "scripts" / "tiem.md")
    assert script.title == "Lịch tiêm mới" and script.slots == ["sang", "chieu"]
    assert str(script.date_until) == "2027-01-15" and script.days is None
    assert script.body == "Dòng một.\n\nDòng hai.\n"
    assert "\r" not in (root / "scripts" / "tiem.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("f_from", "2026-02-30", "không phải ngày có thật"),
    ("f_until", "15/13/2026", "không phải ngày có thật"),
    ("f_times", "25:00", "times"),
    ("f_repeat", "muoi", "repeat"),
    ("f_slots", "toi", "toi"),
])
def test_an_invalid_setting_is_refused_next_to_its_field_and_nothing_changes(console, field, value, words):
    app, root = console
    client = client_for(app)
    before = (root / "scripts" / "tiem.md").read_bytes()
    data = form_of(client, "tiem")
    data[field] = [value]
    response = post(client, "/scripts/tiem", data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    problem = re.search(rf'data-field="{field[2:]}" role="alert">(.*?)</p>', text, re.S)
    assert problem, text[-3000:]
    assert words in html.unescape(problem.group(1))
    assert (root / "scripts" / "tiem.md").read_bytes() == before
    assert value in text  # what was typed is kept for the correction (text fields) or shown


def test_until_before_from_is_refused_in_vietnamese(console):
    app, root = console
    client = client_for(app)
    before = (root / "scripts" / "tiem.md").read_bytes()
    data = form_of(client, "tiem")
    data["f_from"], data["f_until"] = ["2026-12-20"], ["2026-12-10"]
    response = post(client, "/scripts/tiem", data)
    assert response.status_code == 400
    assert "trước ngày bắt đầu" in response.get_data(as_text=True)
    assert (root / "scripts" / "tiem.md").read_bytes() == before


def test_an_empty_text_is_refused_next_to_the_text(console):
    app, root = console
    client = client_for(app)
    data = form_of(client, "tiem")
    data["body"] = ["  \r\n"]
    text = post(client, "/scripts/tiem", data).get_data(as_text=True)
    assert re.search(r'data-field="body" role="alert"', text)


def test_the_second_of_two_editors_is_refused_and_the_first_save_stays(console):
    app, root = console
    first, second = client_for(app, "bt"), client_for(app, "qt")
    form_one, form_two = form_of(first, "tiem"), form_of(second, "tiem")
    form_one["f_title"] = ["Bản của người thứ nhất"]
    assert post(first, "/scripts/tiem", form_one).status_code == 302
    form_two["f_title"] = ["Bản của người thứ hai"]
    response = post(second, "/scripts/tiem", form_two)
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "người khác đã lưu" in text and 'id="conflict"' in text
    assert "Bản của người thứ hai" in text  # their typing is still on the page to copy
    assert "Bản của người thứ nhất" in (root / "scripts" / "tiem.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["../station", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "a/../../b",
                                  ".hidden", "x%5C..%5Cy"])
def test_a_name_with_a_folder_or_dots_is_refused(console, name):
    app, root = console
    client = client_for(app)
    response = client.get(f"/scripts/{name}", follow_redirects=True)  # '//' is merged first: a redirect
    assert response.status_code == 400
    assert "không phải là tên bản tin" in response.get_data(as_text=True)
    data = form_of(client, "tiem")
    before = sorted(p.name for p in root.rglob("*"))
    assert post(client, f"/scripts/{name}", data).status_code in (400, 308)
    data["name"] = [name.replace("%2F", "/").replace("%5C", "\\")]
    assert post(client, "/scripts/new", data).status_code == 400
    assert sorted(p.name for p in root.rglob("*")) == before


def test_a_new_script_is_created_and_an_existing_name_is_not_overwritten(console):
    app, root = console
    client = client_for(app)
    data = {"csrf_token": [token(client)], "version": [""], "name": ["moi"], "f_title": ["Tin mới"],
            "f_slots": ["chieu"], "body": ["Kính thưa bà con."]}
    assert post(client, "/scripts/new", data).status_code == 302
    assert "Tin mới" in (root / "scripts" / "moi.md").read_text(encoding="utf-8")
    before = (root / "scripts" / "tiem.md").read_bytes()
    data["name"] = ["tiem"]
    response = post(client, "/scripts/new", data)
    assert response.status_code == 409
    assert (root / "scripts" / "tiem.md").read_bytes() == before


def test_html_in_the_title_and_text_is_escaped_everywhere(console):
    app, root = console
    (root / "scripts" / "xss.md").write_text(
        '---\ntitle: "<script>alert(1)</script>"\nslots: [sang]\n---\n'
        'Chào <b onmouseover=x()>bà con</b> <script>alert(2)</script>\n',
        encoding="utf-8")
    client = client_for(app)
    for path in ("/scripts", "/scripts/xss"):
        text = page(client, path)[1]
        assert "<script>alert" not in text and "&lt;script&gt;alert(1)" in text, path
        assert "<b onmouseover" not in text
    preview = client.post("/scripts-preview", data={"body": "<script>alert(3)</script> UBNDX",
                                                    "csrf_token": token(client)}).get_data(as_text=True)
    assert "<script>" not in preview and "&lt;script&gt;" in preview


def test_a_post_without_the_csrf_token_changes_nothing(console):
    app, root = console
    client = client_for(app)
    data = form_of(client, "tiem")
    data.pop("csrf_token")
    data["f_title"] = ["Giả mạo"]
    before = (root / "scripts" / "tiem.md").read_bytes()
    assert post(client, "/scripts/tiem", data).status_code == 400
    assert (root / "scripts" / "tiem.md").read_bytes() == before


# --- preview and lexicon ----------------------------------------------------------------------------------


def test_the_preview_marks_unresolved_and_guessed_words(console):
    app, _root = console
    client = client_for(app)
    text = client.post("/scripts-preview", data={
        "body": "Liên hệ XKQZ qua số 0912 345 678.\n\nHọp lúc 7g30 [nghỉ 2 giây] xong.",
        "csrf_token": token(client)}).get_data(as_text=True)
    table = re.search(r'<table class="grid reading">(.*?)</table>', text, re.S).group(1)  # in the line itself
    assert re.search(r'<td>Liên hệ <button type="button" class="mark mark-unresolved" data-written="XKQZ"', table)
    assert re.search(r'class="mark mark-guessed" data-written="0912 345 678"[^>]*>0912 345 678</button>', table)
    assert "không chín một hai" in text  # what will be spoken
    assert "[nghỉ 2 giây]" in text and "bảy giờ ba mươi" in text


def test_the_editor_shows_the_reading_without_javascript(console):
    app, root = console
    (root / "scripts" / "tiem.md").write_text(FULL.replace("vắc xin", "vắc xin HPVQ"), encoding="utf-8")
    text = page(client_for(app), "/scripts/tiem")[1]
    assert 'data-written="HPVQ"' in text and "hai giờ" not in text


def test_a_click_adds_a_lexicon_entry_and_the_word_is_no_longer_marked(console):
    app, root = console
    client = client_for(app)
    response = client.post("/scripts-lexicon", data={"written": "XKQZ", "spoken": "xê ca quy dét",
                                                      "csrf_token": token(client)})
    assert response.status_code == 200 and response.get_json()["ok"]
    assert load_lexicon(root / "lexicon.tsv")["XKQZ"] == "xê ca quy dét"
    assert "# Từ điển riêng" in (root / "lexicon.tsv").read_text(encoding="utf-8")  # comments kept
    text = client.post("/scripts-preview", data={"body": "Gọi XKQZ.", "csrf_token": token(client)}
                       ).get_data(as_text=True)
    assert 'data-written="XKQZ"' not in text and "xê ca quy dét" in text
    client.post("/scripts-lexicon", data={"written": "XKQZ", "spoken": "ích ca", "csrf_token": token(client)})
    assert load_lexicon(root / "lexicon.tsv")["XKQZ"] == "ích ca"
    assert (root / "lexicon.tsv").read_text(encoding="utf-8").count("XKQZ") == 1


@pytest.mark.parametrize(("written", "spoken"), [("", "x"), ("ABC", ""), ("AB\tC", "x"), ("ABC", "a\x00b"),
                                                 ("#ABC", "x"), ("A" * 300, "x")])
def test_a_bad_lexicon_entry_is_refused_and_the_file_is_unchanged(console, written, spoken):
    app, root = console
    client = client_for(app)
    before = (root / "lexicon.tsv").read_bytes()
    response = client.post("/scripts-lexicon", data={"written": written, "spoken": spoken,
                                                      "csrf_token": token(client)})
    assert response.status_code == 400 and not response.get_json()["ok"]
    assert (root / "lexicon.tsv").read_bytes() == before


def test_a_broken_lexicon_is_said_and_not_made_worse(console):
    app, root = console
    (root / "lexicon.tsv").write_text("ABC\n", encoding="utf-8")
    client = client_for(app)
    response = client.post("/scripts-lexicon", data={"written": "XYZ", "spoken": "ích", "csrf_token": token(client)})
    assert response.status_code == 400 and "lexicon" in response.get_json()["message"]
    assert (root / "lexicon.tsv").read_text(encoding="utf-8") == "ABC\n"


# --- render and listen ------------------------------------------------------------------------------------


def test_render_then_listen_and_download_the_mp3(console):
    app, root = console
    client = client_for(app)
    response = client.post("/scripts-render/tiem", data={"csrf_token": token(client)})
    assert response.status_code == 302
    text = page(client, "/scripts/tiem")[1]
    assert '<audio id="player"' in text and 'class="badge render-fresh"' in text
    audio = client.get("/scripts-audio/tiem")
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg"
    assert audio.data == (root / "audio_out" / "tiem.mp3").read_bytes()
    download = client.get("/scripts-audio/tiem?download=1")
    assert "attachment" in download.headers["Content-Disposition"]
    assert "tiem.mp3" in download.headers["Content-Disposition"]


def test_the_mp3_is_served_only_to_a_logged_in_user_and_only_from_audio_out(console):
    app, root = console
    (root / "audio_out").mkdir(exist_ok=True)
    (root / "audio_out" / "x.mp3").write_bytes(b"ID3 fake")
    (root / "secret.mp3").write_bytes(b"ID3 secret")
    anonymous = app.test_client()
    response = anonymous.get("/scripts-audio/x")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    client = client_for(app)
    assert client.get("/scripts-audio/x").status_code == 200
    for name in ("..%2Fsecret", "../secret", "%2Fetc%2Fpasswd"):
        response = client.get(f"/scripts-audio/{name}", follow_redirects=True)
        assert response.status_code in (400, 404) and b"ID3 secret" not in response.data
    (root / "audio_out" / "link.mp3").symlink_to(root / "secret.mp3")
    assert client.get("/scripts-audio/link").status_code == 404


def test_the_level_is_chosen_among_three_and_a_wrong_one_is_refused(console):
    from announcer.schedule.levels import Level

    app, root = console
    client = client_for(app)
    data = form_of(client, "tiem")
    data["f_level"] = ["khan-cap"]
    assert post(client, "/scripts/tiem", data).status_code == 302
    assert parse_script(root / "scripts" / "tiem.md").level == Level.KHAN_CAP
    assert re.search(r'<option value="khan-cap" selected>Khẩn cấp</option>', page(client, "/scripts/tiem")[1])
    data = form_of(client, "tiem")
    data["f_level"] = ["rat-gap"]
    response = post(client, "/scripts/tiem", data)
    assert response.status_code == 400
    assert re.search(r'data-field="level" role="alert">', response.get_data(as_text=True))
    assert parse_script(root / "scripts" / "tiem.md").level == Level.KHAN_CAP
