"""Nhật ký phát sóng: the as-run log by date, the CSV export (= `announcer log --csv`), the monthly report."""

from __future__ import annotations

import csv
import io
import re

import pytest

from announcer.schedule.asrun import CSV_COLUMNS, log_command
from tests.web_helpers import aired, login, make_console, record, slotted_station


@pytest.fixture
def station(tmp_path):
    root = slotted_station(tmp_path)
    for day, hhmm, script, status, slot, seconds, error in (
        ("2026-12-14", "06:00", "scripts/tiem-chung.md", "played", "sang", 62.5, None),
        ("2026-12-14", "09:30", "scripts/cap-nuoc.md", "missed", None, 0, "missed by 20 min; grace is 10 min"),
        ("2026-12-14", "17:00", "scripts/tiem-chung.md", "late", "chieu", 61.0, None),
        ("2026-12-15", "06:00", "scripts/tiem-chung.md", "failed", "sang", 0, "no render; run announcer build"),
        ("2026-12-15", "06:00", "scripts/cap-nuoc.md", "cut", "sang", 12.0, "cut in by an urgent item"),
        ("2026-11-30", "23:59", "scripts/cap-nuoc.md", "played", None, 30.0, None),
    ):
        key, rec = record(day, hhmm, script, status, slot=slot, seconds=seconds, error=error)
        aired(root, key, rec)
    return root


def _client(app):
    client = app.test_client()
    login(client, "lan")
    return client


def test_the_log_of_a_day_lists_what_aired_with_its_status(station, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    page = _client(app).get("/log?date=2026-12-14").get_data(as_text=True)
    assert "Nhật ký phát sóng, 14/12/2026" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.index("<tbody>"):], flags=re.S)
    assert len(rows) == 3
    assert "06:00" in rows[0] and "Đã phát" in rows[0] and "Buổi sang" in rows[0]
    assert "Bị lỡ" in rows[1] and "missed by 20 min" in rows[1]
    assert "Phát muộn" in rows[2]
    assert 'href="/scripts/tiem-chung"' in rows[0]


def test_the_log_defaults_to_today_and_links_the_days_around(station, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    page = _client(app).get("/log").get_data(as_text=True)
    assert "Nhật ký phát sóng, 15/12/2026" in page
    assert 'href="?date=2026-12-14"' in page and 'href="?date=2026-12-16"' in page
    assert 'href="/log.csv?date=2026-12-15"' in page and 'href="/log/month?month=2026-12"' in page


def test_a_day_without_records_says_so(station, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    assert "không có ghi nhận" in _client(app).get("/log?date=2026-12-20").get_data(as_text=True)


@pytest.mark.parametrize("day", [None, "2026-12-14", "2026-12-15", "2026-12-20"])
def test_the_csv_export_is_announcer_log_csv(station, tmp_path, day):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    answer = _client(app).get("/log.csv", query_string={"date": day} if day else {})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")  # for Excel
    assert text[1:] == log_command(station, day, True)
    header = next(csv.reader(io.StringIO(text[1:])))
    assert tuple(header) == CSV_COLUMNS


def test_the_csv_keeps_vietnamese_and_commas_intact(station, tmp_path):
    key, rec = record("2026-12-16", "06:00", "scripts/tiem-chung.md", "failed", slot="sang",
                      error='lỗi "loa", mất điện')
    aired(station, key, rec)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    text = _client(app).get("/log.csv?date=2026-12-16").get_data(as_text=True)[1:]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["error"] == 'lỗi "loa", mất điện' and rows[0]["status"] == "failed"


def _report_rows(page):
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = [re.sub(r"<[^>]+>|\s+", "", c) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        out[cells[0]] = cells[1:]
    return out


def test_the_monthly_report_counts_each_day_and_adds_up_the_airtime(station, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    page = _client(app).get("/log/month?month=2026-12").get_data(as_text=True)
    assert "Báo cáo phát sóng tháng 12/2026" in page
    rows = _report_rows(page)
    assert len(rows) == 31
    # aired, of which late, missed, failed, cut, airtime
    assert rows["14/12/2026"] == ["2", "1", "1", "0", "0", "2:04"]
    assert rows["15/12/2026"] == ["0", "0", "0", "1", "1", "0:12"]
    assert rows["01/12/2026"] == ["0", "0", "0", "0", "0", "0:00"]
    foot = re.sub(r"<[^>]+>|\s+", " ", page[page.index("<tfoot>"):page.index("</tfoot>")]).split()
    assert foot[:7] == ["Tổng", "cộng", "2", "1", "1", "1", "1"]
    assert "2:16" in foot[-1]


def test_the_monthly_report_puts_a_record_on_the_stations_day(station, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    rows = _report_rows(_client(app).get("/log/month?month=2026-11").get_data(as_text=True))
    assert rows["30/11/2026"][0] == "1"  # 23:59 in Hà Nội is 16:59 UTC: still the 30th
    assert len(rows) == 30


def test_the_monthly_report_prints_without_the_menu(station, tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    client = _client(app)
    page = client.get("/log/month").get_data(as_text=True)
    assert 'class="no-print"' in page and "Người lập báo cáo" in page
    css = client.get("/static/console.css").get_data(as_text=True)
    assert re.search(r"@media print\s*{[^}]*header\.top[^}]*display:\s*none", css)


@pytest.mark.parametrize(("path", "words"), [
    ("/log?date=../../station.toml", "không phải là ngày hợp lệ"),
    ("/log?date=2026-02-30", "không phải là ngày hợp lệ"),
    ("/log.csv?date=%3Cscript%3E", "không phải là ngày hợp lệ"),
    ("/log/month?month=2026-13", "không phải là tháng hợp lệ"),
    ("/log/month?month=../etc", "không phải là tháng hợp lệ"),
])
def test_bad_dates_and_months_are_refused_in_vietnamese(station, tmp_path, path, words):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    answer = _client(app).get(path)
    assert answer.status_code == 400
    body = answer.get_data(as_text=True)
    assert words in body and "<script>" not in body


def test_a_title_with_html_in_the_log_is_escaped(station, tmp_path):
    key, rec = record("2026-12-17", "06:00", None, "played", slot="sang", title="<b onclick=x>Loa</b>")
    rec["file"] = "audio_out/loa.mp3"
    aired(station, key, rec)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=station)
    page = _client(app).get("/log?date=2026-12-17").get_data(as_text=True)
    assert "<b onclick" not in page and "&lt;b onclick=x&gt;Loa&lt;/b&gt;" in page


def test_the_log_is_read_from_an_old_asrun_jsonl_too(tmp_path):
    import json

    root = slotted_station(tmp_path)
    _key, rec = record("2026-12-14", "06:00", "scripts/tiem-chung.md", "played", slot="sang")
    (root / "asrun.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _client(app).get("/log?date=2026-12-14").get_data(as_text=True)
    assert "Đã phát" in page
