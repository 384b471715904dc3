"""Phát ngay: choose, confirm, and the item goes through `announcer play`'s hand-over (or plays here)."""

from __future__ import annotations

import re
import shutil
import threading

import pytest

from announcer.schedule.asrun import station_records
from announcer.schedule.runlock import RunLock
from announcer.schedule.sinks import FileSink
from announcer.schedule.store import PlayerStore
from announcer.web.app import create_app
from tests.web_helpers import PASSWORD, SetClock, fast_book, login, slotted_station, token


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return slotted_station(tmp_path_factory.mktemp("built"), build=True)


class Rig:
    """A console whose Phát ngay plays on a real file sink (copies into aired/), on a set clock."""

    def __init__(self, built, tmp_path, wait=None, role="bien-tap"):
        self.root = tmp_path / "station"
        shutil.copytree(built, self.root, ignore=shutil.ignore_patterns(".state"))
        self.out = tmp_path / "aired"
        self.clock = SetClock()
        book = fast_book(self.root / ".state", self.clock)
        book.add("lan", PASSWORD, role, by="test")
        self.waits = wait or (lambda stop, seconds: False)
        self.app = create_app(self.root, clock=self.clock, accounts=book, language="vi",
                              sink=lambda st: FileSink(self.out, wait=self.waits, clock=self.clock, tz=st.tz))
        self.app.config["TESTING"] = True
        self.client = self.app.test_client()
        login(self.client, "lan")
        self.desk = self.app.extensions["announcer"].desk

    def post(self, path, **form):
        return self.client.post(path, data={"csrf_token": token(self.client, "/play"), **form})

    def played(self):
        return sorted(p.name for p in self.out.glob("*.mp3")) if self.out.exists() else []

    def records(self):
        from announcer.config import load_station

        return station_records(load_station(self.root))


def test_the_page_offers_every_notice_and_the_three_levels(built, tmp_path):
    rig = Rig(built, tmp_path)
    page = rig.client.get("/play").get_data(as_text=True)
    assert '<option value="tiem-chung.md"' in page and "Lịch tiêm chủng vắc-xin sởi tháng 12" in page
    for level in ("Thông thường", "Ưu tiên", "Khẩn cấp"):
        assert level in page


def test_nothing_airs_before_the_confirmation(built, tmp_path):
    rig = Rig(built, tmp_path)
    answer = rig.post("/play", kind="script", script="tiem-chung.md", level="uu-tien")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Xác nhận phát ngay" in page
    assert "Mức độ: <strong class=\"level-uu-tien\">Ưu tiên</strong>" in page
    assert "Máy phát chưa chạy: máy tính này sẽ phát ngay bản tin." in page
    rig.desk.wait()
    assert rig.played() == [] and rig.records() == []


def test_confirmed_it_plays_here_when_no_player_runs_and_the_page_says_when(built, tmp_path):
    rig = Rig(built, tmp_path)
    answer = rig.post("/play/start", kind="script", script="tiem-chung.md", level="thong-thuong")
    assert answer.status_code == 302
    rig.desk.wait()
    page = rig.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Đã phát xong." in page and "Bắt đầu phát lúc 08:00:00." in page
    assert 'http-equiv="refresh"' not in page  # done: the page stops reloading
    assert rig.played() == ["20261215T080000_tiem-chung.mp3"]
    (rec,) = rig.records()
    assert (rec["source"], rec["status"], rec["script"]) == ("play", "played", "scripts/tiem-chung.md")
    entry = rig.app.extensions["announcer"].audit.entries()[0]
    assert (entry["user"], entry["action"], entry["target"], entry["level"]) == (
        "lan", "broadcast-now", "tiem-chung.md", "thong-thuong")


def test_with_a_running_player_it_is_handed_over_and_the_page_follows_it(built, tmp_path):
    rig = Rig(built, tmp_path)
    with RunLock(rig.root / ".state").acquire():
        answer = rig.post("/play/start", kind="script", script="cap-nuoc.md", level="khan-cap")
        rig.desk.wait()
        page = rig.client.get(answer.headers["Location"]).get_data(as_text=True)
        assert "Đã chuyển cho máy phát, đang chờ phát…" in page
        assert 'http-equiv="refresh"' in page
        assert rig.played() == []
        store = PlayerStore(rig.root / ".state")
        store.open()
        ((ident, request),) = store.requests()
        assert request["script"] == "scripts/cap-nuoc.md" and request["file"] == "audio_out/cap-nuoc.mp3"
        assert request["level"] == "khan-cap"  # the level chosen on the page goes with the hand-over
        # the player takes it, as Handover and Airing do: a record under the request's key
        key = f"2026-12-15T08:00|play:{ident}|cap-nuoc"
        store.start(key, {"scheduled": "2026-12-15T08:00:00+07:00", "started": "2026-12-15T08:00:04.000+07:00",
                          "slot": None, "source": "play", "script": "scripts/cap-nuoc.md",
                          "file": "audio_out/cap-nuoc.mp3", "title": "Thông báo tạm dừng cấp nước"}, take=ident)
        store.close()
        page = rig.client.get(answer.headers["Location"]).get_data(as_text=True)
        assert "Đang phát." in page and "Bắt đầu phát lúc 08:00:04." in page


def test_a_typed_text_is_read_aloud_and_played(built, tmp_path):
    rig = Rig(built, tmp_path)
    text = "Kính thưa bà con, 14 giờ chiều nay phường cắt điện để sửa đường dây."
    answer = rig.post("/play/start", kind="text", text=text, level="khan-cap")
    rig.desk.wait(60)
    page = rig.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Đã phát xong." in page, page
    (made,) = (rig.root / "audio_out").glob("phat-ngay-20261215-080000-*.mp3")
    assert made.stat().st_size > 5000
    (played,) = rig.played()
    assert played.endswith(made.name)
    (rec,) = rig.records()
    assert rec["source"] == "play" and rec["file"] == f"audio_out/{made.name}"


def test_an_urgent_item_stops_the_one_playing_here(built, tmp_path):
    started = threading.Event()

    def wait(stop, seconds):  # the first item "plays" until it is stopped
        started.set()
        return stop.wait(20)

    rig = Rig(built, tmp_path, wait=wait)
    first = rig.post("/play/start", kind="script", script="tiem-chung.md", level="thong-thuong")
    assert started.wait(20)
    rig.waits = lambda stop, seconds: False
    second = rig.post("/play/start", kind="script", script="cap-nuoc.md", level="khan-cap")
    rig.desk.wait(30)
    assert "Bị ngắt trước khi phát xong." in rig.client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Đã phát xong." in rig.client.get(second.headers["Location"]).get_data(as_text=True)
    statuses = sorted((r["script"], r["status"]) for r in rig.records())
    assert statuses == [("scripts/cap-nuoc.md", "played"), ("scripts/tiem-chung.md", "cut")]


@pytest.mark.parametrize(("form", "words"), [
    ({"kind": "script", "script": "", "level": "thong-thuong"}, "Hãy chọn một bản tin trong danh sách."),
    ({"kind": "script", "script": "../station.toml", "level": "thong-thuong"}, "Hãy chọn một bản tin trong danh sách."),
    ({"kind": "script", "script": "/etc/passwd", "level": "thong-thuong"}, "Hãy chọn một bản tin trong danh sách."),
    ({"kind": "script", "script": "tiem-chung.md", "level": "rat-gap"}, "Hãy chọn mức độ."),
    ({"kind": "text", "text": "   ", "level": "thong-thuong"}, "Hãy nhập nội dung cần đọc."),
    ({"kind": "text", "text": "Kính thưa bà con. " * 80, "level": "thong-thuong"}, "chỉ đọc được tối đa 1000 ký tự"),
])
def test_a_bad_choice_is_refused_in_vietnamese_and_nothing_airs(built, tmp_path, form, words):
    rig = Rig(built, tmp_path)
    for path in ("/play", "/play/start"):
        answer = rig.post(path, **form)
        assert answer.status_code == 400
        assert words in answer.get_data(as_text=True)
    rig.desk.wait()
    assert rig.played() == [] and rig.records() == []


def test_start_without_the_csrf_token_is_refused(built, tmp_path):
    rig = Rig(built, tmp_path)
    answer = rig.client.post("/play/start", data={"kind": "script", "script": "tiem-chung.md", "level": "thong-thuong"})
    assert answer.status_code == 400
    rig.desk.wait()
    assert rig.played() == []


def test_an_unknown_job_is_not_found(built, tmp_path):
    rig = Rig(built, tmp_path)
    answer = rig.client.get("/play/jobs/..%2F..%2Fstation.toml")
    assert answer.status_code == 404 and "Không tìm thấy trang." in answer.get_data(as_text=True)


def test_a_typed_text_with_html_is_shown_as_text(built, tmp_path):
    rig = Rig(built, tmp_path)
    page = rig.post("/play", kind="text", text="<script>alert(1)</script> Họp tổ", level="thong-thuong")
    body = page.get_data(as_text=True)
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; Họp tổ" in body


def test_an_unapproved_script_cannot_air_when_approval_is_required(built, tmp_path):
    pytest.importorskip("announcer.approval")
    rig = Rig(built, tmp_path)
    config = rig.root / "station.toml"
    config.write_text("require_approval = true\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    answer = rig.post("/play/start", kind="script", script="tiem-chung.md", level="thong-thuong")
    assert answer.status_code == 400 and "chưa được phê duyệt" in answer.get_data(as_text=True)
    typed = rig.post("/play/start", kind="text", text="Kính thưa bà con.", level="thong-thuong")
    assert typed.status_code == 400 and "cần người có quyền phê duyệt" in typed.get_data(as_text=True)
    rig.desk.wait()
    assert rig.played() == []


def test_job_pages_reload_while_the_item_is_being_prepared(built, tmp_path):
    rig = Rig(built, tmp_path)
    gate = threading.Event()
    rig.desk.say = lambda station, text, output: gate.wait(20) and None
    answer = rig.post("/play/start", kind="text", text="Kính thưa bà con.", level="thong-thuong")
    page = rig.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Đang chuẩn bị bản thu…" in page and 'http-equiv="refresh"' in page
    gate.set()
    rig.desk.wait()
    page = rig.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(r"Không phát được\.", page)  # say wrote nothing: the error is shown, not a crash
