"""Hôm nay: on air and next, the player's life, today's rundown with as-run status, warnings."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from announcer.schedule.runlock import RunLock
from announcer.schedule.store import PlayerStore
from tests.web_helpers import NOTICE, SetClock, aired, login, make_console, record, slotted_station


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real render of the two notices, shared (espeak takes a few seconds)."""
    return slotted_station(tmp_path_factory.mktemp("built"), build=True)


def _copy(built, tmp_path):
    import shutil

    root = tmp_path / "station"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns(".state"))
    return root


def _page(app, path="/"):
    client = app.test_client()
    login(client, "lan")
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _row(page, title):
    """The text of the rundown row that names ``title``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        if title in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    raise AssertionError(f"no row for {title!r}")


def test_todays_rundown_shows_each_item_with_what_the_player_recorded(built, tmp_path):
    root = _copy(built, tmp_path)
    aired(root, *record("2026-12-15", "06:00", "scripts/tiem-chung.md", "played", slot="sang"))
    app, _clock = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)  # 08:00 in Hà Nội
    page = _page(app)
    assert "Hôm nay, 15/12/2026" in page
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S) if "/scripts/tiem-chung\"" in r]
    assert len(rows) == 2  # sáng and chiều
    assert "Đã phát" in rows[0] and "06:00:00" in rows[0]
    assert "Chưa đến giờ" in rows[1]
    assert "Chưa đến giờ" in _row(page, "Thông báo tạm dừng cấp nước")  # own time 09:30
    assert 'href="/scripts/tiem-chung"' in page


def test_an_item_past_its_time_without_a_record_says_so(built, tmp_path):
    root = _copy(built, tmp_path)
    app, _clock = make_console(tmp_path, users={"lan": "bien-tap"}, station=root,
                               clock=SetClock(datetime(2026, 12, 15, 5, 0, tzinfo=UTC)))  # 12:00
    page = _page(app)
    assert "Không có ghi nhận" in _row(page, "Thông báo tạm dừng cấp nước")


def test_next_is_the_first_block_after_now(built, tmp_path):
    root = _copy(built, tmp_path)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    card = page[page.index('id="next"'):page.index('id="player"')]
    assert "09:30" in card and "Thông báo tạm dừng cấp nước" in card


def test_next_looks_into_tomorrow_after_the_last_block(built, tmp_path):
    root = _copy(built, tmp_path)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root,
                          clock=SetClock(datetime(2026, 12, 15, 15, 0, tzinfo=UTC)))  # 22:00
    page = _page(app)
    card = page[page.index('id="next"'):page.index('id="player"')]
    assert "06:00" in card and "16/12/2026" in card


def test_a_stopped_player_is_a_warning(built, tmp_path):
    root = _copy(built, tmp_path)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert "Chưa chạy" in page
    assert "Máy phát chưa chạy" in page


def test_a_running_player_shows_its_last_sign_of_life_and_what_is_on_air(built, tmp_path):
    root = _copy(built, tmp_path)
    clock = SetClock()
    store = PlayerStore(root / ".state")
    store.open()
    store.set_meta("heartbeat", datetime(2026, 12, 15, 0, 59, tzinfo=UTC).isoformat())
    store.close()
    key, rec = record("2026-12-15", "08:00", "scripts/cap-nuoc.md", "played", title="Thông báo tạm dừng cấp nước")
    rec.update(status=None, ended=None)
    aired(root, key, rec, started_only=True)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root, clock=clock)
    with RunLock(root / ".state").acquire():
        page = _page(app)
        onair = page[page.index('id="onair"'):page.index('id="next"')]
        assert "Thông báo tạm dừng cấp nước" in onair and "từ 08:00:00" in onair
        assert "Đang chạy" in page and "Máy phát chưa chạy" not in page
        assert "Hoạt động gần nhất: 08:00 15/12/2026" in page  # the item's start is newer than the beat
        clock.advance(minutes=10)  # then nothing for ten minutes
        page = _page(app)
        assert "Không phản hồi" in page
        assert "Máy phát không phản hồi từ 08:00 15/12/2026" in page


def test_missing_and_stale_renders_are_warnings_that_link_the_script(tmp_path):
    root = slotted_station(tmp_path)  # nothing rendered
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert re.search(r'<a href="/scripts/tiem-chung">tiem-chung.md: chưa có bản thu.</a>', page)
    assert "(chưa có bản thu)" in _row(page, "Thông báo tạm dừng cấp nước")


def test_a_stale_render_is_a_warning(built, tmp_path):
    root = _copy(built, tmp_path)
    path = root / "scripts" / "tiem-chung.md"
    path.write_text(NOTICE.replace("9 tháng", "12 tháng"), encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert "tiem-chung.md: bản thu đã cũ, cần dựng lại." in page


def test_an_overrun_is_a_warning(tmp_path):
    long = NOTICE.replace("slots: [sang, chieu]", 'times: ["09:30"]')
    short = "---\ntitle: Tin ngắn\ntimes: [\"09:31\"]\n---\nKính thưa bà con.\n"
    root = slotted_station(tmp_path, build=True, scripts={"dai.md": long * 1, "ngan.md": short})
    # the long one is read three times: more than a minute, into the next item's start
    text = (root / "scripts" / "dai.md").read_text(encoding="utf-8").replace("---\nKính", "repeat: 3\n---\nKính")
    (root / "scripts" / "dai.md").write_text(text + (" Đề nghị bà con đưa trẻ đến đúng giờ." * 6),
                                             encoding="utf-8")
    from announcer.config import load_station
    from announcer.render import build_station

    build_station(load_station(root), [], jobs=1)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert re.search(r"Buổi phát 09:30 lấn sang buổi sau \d+ giây", page)
    assert "lấn sang buổi sau" in page


def test_check_errors_are_warnings(built, tmp_path):
    root = _copy(built, tmp_path)
    (root / "scripts" / "hong.md").write_text("---\ntitle: Hỏng\nslots: [trua]\n---\nNội dung.\n", encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert "Kiểm tra: scripts/hong.md" in page and "trua" in page


def test_a_title_with_html_is_shown_as_text(tmp_path):
    evil = "---\ntitle: <script>alert('x')</script> Họp tổ dân phố\nslots: [sang]\n---\nKính thưa bà con.\n"
    root = slotted_station(tmp_path, scripts={"hop.md": evil})
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Họp tổ dân phố" in page


def test_a_broken_station_toml_still_shows_the_page_with_a_warning(built, tmp_path):
    root = _copy(built, tmp_path)
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    _page(app)  # the player's copy of the last valid settings is kept
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[[slot]]", "bitrate = 100\n[[slot]]", 1),
                      encoding="utf-8")
    page = _page(app)
    assert "Tệp station.toml có lỗi" in page and "station.toml:" in page and str(root) not in page
    assert "máy phát đang dùng bản hợp lệ gần nhất" in page and "bitrate" in page
    assert "Thông báo tạm dừng cấp nước" in page  # the rundown from the last valid settings


def test_scripts_waiting_for_approval_are_warnings_when_approval_is_required(built, tmp_path, monkeypatch):
    pytest.importorskip("announcer.approval")
    root = _copy(built, tmp_path)
    config = root / "station.toml"
    config.write_text("require_approval = true\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root)
    page = _page(app)
    assert "tiem-chung.md đang chờ phê duyệt." in page
    assert "tiem-chung.md" not in page[page.index('id="rundown"'):]  # not in the rundown: it does not air
