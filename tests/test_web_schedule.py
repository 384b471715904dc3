"""Lịch phát: the week grid from the planner, with durations, overruns and gaps, and links to scripts."""

from __future__ import annotations

import re

import pytest

from tests.web_helpers import login, make_console, slotted_station


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return slotted_station(tmp_path_factory.mktemp("built"), build=True)


def _client(app):
    client = app.test_client()
    login(client, "lan")
    return client


def _cells(page):
    """{(row header text, column index): cell text} of the week table."""
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        head = re.sub(r"<[^>]+>|\s+", " ", re.search(r"<th[^>]*>(.*?)</th>", row, flags=re.S).group(1)).split()
        for index, cell in enumerate(re.findall(r"<td>(.*?)</td>", row, flags=re.S)):
            out[(" ".join(head), index)] = cell
    return out


def test_the_week_grid_has_days_across_and_times_down(built, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=built)
    page = _client(app).get("/schedule").get_data(as_text=True)
    assert "Lịch phát tuần từ 14/12/2026 đến 20/12/2026" in page  # 15/12/2026 is a Tuesday
    heads = re.findall(r"<th(?: class=\"today\")?>(Thứ Hai|Thứ Ba|Thứ Tư|Thứ Năm|Thứ Sáu|Thứ Bảy|Chủ Nhật)<br>", page)
    assert heads == ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
    assert '<th class="today">Thứ Ba' in page
    cells = _cells(page)
    rows = sorted({head for head, _ in cells})
    assert rows == ["06:00 Buổi sang", "09:30 Giờ riêng", "17:00 Buổi chieu"]
    for day in range(7):
        assert 'href="/scripts/tiem-chung"' in cells[("06:00 Buổi sang", day)]
        assert 'href="/scripts/cap-nuoc"' in cells[("09:30 Giờ riêng", day)]


def test_each_item_shows_its_length_and_each_block_its_end_and_the_gap_after(built, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=built)
    cell = _cells(_client(app).get("/schedule").get_data(as_text=True))[("06:00 Buổi sang", 0)]
    length = re.search(r'<span class="muted">(\d+):(\d\d)</span>', cell)
    assert length and 3 <= int(length.group(1)) * 60 + int(length.group(2)) <= 60
    assert re.search(r"đến 06:0\d", cell)
    assert re.search(r"sau đó nghỉ 3 giờ \d+ phút", cell)  # until 09:30


def test_a_script_with_dates_airs_only_on_those_days(built, tmp_path):
    import shutil

    root = tmp_path / "station"
    shutil.copytree(built, root)
    path = root / "scripts" / "cap-nuoc.md"
    path.write_text(path.read_text(encoding="utf-8").replace('times: ["09:30"]',
                                                             'times: ["09:30"]\nfrom: 16/12/2026\nuntil: 17/12/2026'),
                    encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    cells = _cells(_client(app).get("/schedule").get_data(as_text=True))
    aired = [day for day in range(7) if "/scripts/cap-nuoc\"" in cells.get(("09:30 Giờ riêng", day), "")]
    assert aired == [2, 3]  # Wednesday and Thursday


def test_an_overrun_is_marked_in_the_grid(tmp_path):
    long = ("---\ntitle: Thông báo dài\ntimes: [\"09:30\"]\nrepeat: 3\n---\n"
            + "Kính thưa bà con, đề nghị bà con đưa trẻ đến trạm y tế đúng giờ. " * 6 + "\n")
    short = "---\ntitle: Tin ngắn\ntimes: [\"09:31\"]\n---\nKính thưa bà con.\n"
    root = slotted_station(tmp_path, build=True, scripts={"dai.md": long, "ngan.md": short})
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    cells = _cells(_client(app).get("/schedule").get_data(as_text=True))
    assert 'class="item over"' in cells[("09:30 Giờ riêng", 0)]
    assert re.search(r"lấn sang buổi sau \d+ giây", cells[("09:30 Giờ riêng", 0)])
    assert "over" not in cells[("09:31 Giờ riêng", 0)]


def test_another_week_by_date_and_links_to_the_weeks_around(built, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=built)
    page = _client(app).get("/schedule?week=2027-01-01").get_data(as_text=True)
    assert "Lịch phát tuần từ 28/12/2026 đến 03/01/2027" in page
    assert 'href="?week=2026-12-21"' in page and 'href="?week=2027-01-04"' in page


@pytest.mark.parametrize("value", ["../../etc/passwd", "2026-13-01", "<script>", "tuan-sau"])
def test_a_bad_week_is_refused_in_vietnamese(built, tmp_path, value):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=built)
    answer = _client(app).get("/schedule", query_string={"week": value})
    assert answer.status_code == 400
    body = answer.get_data(as_text=True)
    assert "không phải là ngày hợp lệ" in body and "<script>" not in body.split("<main", 1)[1]


def test_a_title_with_html_is_escaped_in_the_grid(tmp_path):
    evil = "---\ntitle: <img src=x onerror=alert(1)> Họp\nslots: [sang]\n---\nKính thưa bà con.\n"
    root = slotted_station(tmp_path, scripts={"hop.md": evil})
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _client(app).get("/schedule").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; Họp" in page


def test_an_empty_week_says_so(tmp_path):
    root = slotted_station(tmp_path, scripts={})
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    assert "Tuần này không có lịch phát." in _client(app).get("/schedule").get_data(as_text=True)


def test_the_grid_follows_an_edit_made_while_the_console_runs(built, tmp_path):
    import shutil

    root = tmp_path / "station"
    shutil.copytree(built, root)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    client = _client(app)
    assert ("09:30 Giờ riêng", 0) in _cells(client.get("/schedule").get_data(as_text=True))
    path = root / "scripts" / "cap-nuoc.md"
    path.write_text(path.read_text(encoding="utf-8").replace('"09:30"', '"10:45"'), encoding="utf-8")
    cells = _cells(client.get("/schedule").get_data(as_text=True))
    assert ("10:45 Giờ riêng", 0) in cells and ("09:30 Giờ riêng", 0) not in cells
    def length(cell):
        return re.search(r'<span class="muted">(\d+:\d\d)</span>', cell).group(1)

    sang = _cells(client.get("/schedule").get_data(as_text=True))[("06:00 Buổi sang", 0)]
    before = length(cells[("10:45 Giờ riêng", 0)])
    assert before != length(sang)
    for suffix in (".mp3", ".json"):  # a new render (its length is read from its manifest)
        shutil.copyfile(root / "audio_out" / f"tiem-chung{suffix}", root / "audio_out" / f"cap-nuoc{suffix}")
    cell = _cells(client.get("/schedule").get_data(as_text=True))[("10:45 Giờ riêng", 0)]
    assert length(cell) == length(sang)
    import json

    manifest = root / "audio_out" / "cap-nuoc.json"  # a manifest rewritten alone (tags redone) counts too
    manifest.write_text(json.dumps({**json.loads(manifest.read_text(encoding="utf-8")), "duration_s": 125.0}),
                        encoding="utf-8")
    assert length(_cells(client.get("/schedule").get_data(as_text=True))[("10:45 Giờ riêng", 0)]) == "2:05"
    (root / "audio_out" / "cap-nuoc.mp3").unlink()  # and a render that is gone
    cell = _cells(client.get("/schedule").get_data(as_text=True))[("10:45 Giờ riêng", 0)]
    assert "(chưa có bản thu)" in cell
