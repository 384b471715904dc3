"""The whole job in a real browser: log in, import a .docx, edit, see the reading, fix a word, make the
audio and hear it play, approve, see it on the week grid, play it now, export the log as CSV."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from announcer.schedule.sinks import FileSink
from announcer.web.app import create_app
from tests.browser.conftest import LiveServer
from tests.stations import make_station
from tests.web_helpers import PASSWORD, SetClock, fast_book

NOTICE = [
    "ỦY BAN NHÂN DÂN PHƯỜNG AN HÒA",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "THÔNG BÁO",
    "Về việc phun thuốc diệt muỗi phòng sốt xuất huyết",
    "Trung tâm y tế phun thuốc diệt muỗi tại khu phố 3 vào sáng thứ Bảy.",
    "Đề nghị bà con đóng cửa tủ thức ăn và cho trẻ nhỏ ra ngoài trong lúc phun.",
    "Nơi nhận:",
    "- Lưu: VT.",
    "TM. ỦY BAN NHÂN DÂN",
    "CHỦ TỊCH",
]


def write_docx(path: Path) -> Path:
    document = Document()
    for text in NOTICE:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def log_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_load_state()
    assert "/login" not in page.url


def log_out(page) -> None:
    page.locator("form.who button").click()
    page.wait_for_load_state()


def test_a_clerk_puts_an_imported_notice_on_air(browser_page, shots, tmp_path):
    page = browser_page
    root = make_station(tmp_path / "station")
    assert 'language = "vi"' in (root / "station.toml").read_text(encoding="utf-8")  # a new station speaks Vietnamese
    aired = tmp_path / "aired"
    clock = SetClock()
    book = fast_book(root / ".state", clock)
    for user, role in (("bt", "bien-tap"), ("pd", "phe-duyet")):
        book.add(user, PASSWORD, role, by="test")
    # Phát ngay plays on a real file sink (the soundcard of a test machine is nobody's loudspeaker).
    app = create_app(root, clock=clock, accounts=book, language="vi",
                     sink=lambda st: FileSink(aired, wait=lambda stop, seconds: False, clock=clock, tz=st.tz))
    today = clock().astimezone(app.extensions["announcer"].station().tz).date()
    with LiveServer(app) as server:
        url = server.url
        log_in(page, url, "bt")

        # import a Word notice
        page.goto(f"{url}/import")
        page.set_input_files('input[name="notice"]', str(write_docx(tmp_path / "phun-thuoc.docx")))
        page.locator('form[enctype] button[type="submit"]').click()
        page.wait_for_selector("ul.removed")
        assert "Độc lập" in page.inner_text("ul.removed")
        page.screenshot(path=str(shots / "nhap-van-ban.png"), full_page=True)
        page.click("#open-draft")
        page.wait_for_selector("#script-form")
        name = page.url.rsplit("/", 1)[-1]

        # edit: slots, dates, and a word the reader cannot resolve
        page.check('input[name="f_slots"][value="sang"]')
        page.fill('input[name="f_from"]', today.isoformat())
        page.fill('input[name="f_until"]', today.replace(year=today.year + 1).isoformat())
        body = page.locator("#body")
        body.fill(body.input_value() + "\nLiên hệ tổ BVQZ, số máy 0912 345 678.\n")
        mark = page.locator('#preview button.mark-unresolved[data-written="BVQZ"]').first
        mark.wait_for()
        assert page.locator('#preview button.mark-guessed[data-written="0912 345 678"]').count() >= 1
        page.screenshot(path=str(shots / "soan-ban-tin.png"), full_page=True)
        mark.click()
        page.fill("#lex-spoken", "bảo vệ khu phố")
        page.click("#lex-save")
        page.wait_for_selector("#lex-result.notice")
        page.wait_for_function("() => !document.querySelector('#preview button[data-written=\"BVQZ\"]')")
        assert "bảo vệ khu phố" in page.inner_text("#preview")
        page.click("#save")
        page.wait_for_selector("#saved")
        saved = (root / "scripts" / f"{name}.md").read_text(encoding="utf-8")
        assert "slots: [\"sang\"]" in saved and "BVQZ" in saved
        assert "BVQZ\tbảo vệ khu phố" in (root / "lexicon.tsv").read_text(encoding="utf-8")

        # make the audio and hear it
        page.click("#render")
        page.wait_for_selector("#player", timeout=180_000)
        played = page.evaluate("""async () => {
            const audio = document.getElementById('player');
            audio.muted = true;
            await audio.play();
            const start = audio.currentTime;
            await new Promise(r => setTimeout(r, 1500));
            return {start, now: audio.currentTime, paused: audio.paused, duration: audio.duration};
        }""")
        assert played["now"] > played["start"] + 0.5, played
        assert played["duration"] > 3
        download = page.get_attribute("#download", "href")
        assert download and download.endswith("download=1")
        page.screenshot(path=str(shots / "nghe-thu.png"), full_page=True)
        log_out(page)

        # approve as the vice-chairman
        log_in(page, url, "pd")
        page.goto(f"{url}/scripts/{name}")
        page.click("#approve")
        page.wait_for_selector("#approval-state.approval-approved")
        assert "Đã được pd phê duyệt" in page.inner_text("#approval")
        page.goto(f"{url}/scripts")
        row = page.locator(f'tr[data-script="{name}"]')
        assert "Đã duyệt" in row.inner_text()
        page.screenshot(path=str(shots / "danh-sach-ban-tin.png"), full_page=True)

        # the week grid, broadcast now, the log as CSV: the web frame's pages
        title = page.locator(f'tr[data-script="{name}"] td a').first.inner_text()
        _week_play_and_log(page, url, name, title, shots, aired)


def _week_play_and_log(page, url: str, name: str, title: str, shots: Path, aired: Path) -> None:
    from announcer.schedule.asrun import format_csv

    page.goto(f"{url}/schedule")
    item = page.locator(f'main a[href*="{name}"]').first
    item.wait_for()
    assert title[:25] in page.inner_text("main")
    page.screenshot(path=str(shots / "lich-phat.png"), full_page=True)
    item.click()  # an item on the grid opens its script
    page.wait_for_selector("#script-form")

    page.goto(f"{url}/play")
    page.select_option('select[name="script"]', f"{name}.md")
    page.locator("form.play-form button[type=submit]").click()
    page.wait_for_load_state()
    page.locator('form[action$="/play/start"] button[type=submit]').click()
    page.wait_for_selector(".job-done", timeout=120_000)
    assert "Đã phát xong." in page.inner_text("main")
    page.screenshot(path=str(shots / "phat-ngay.png"), full_page=True)
    assert list(aired.glob("*.mp3")), "the sink played nothing"

    page.goto(f"{url}/log")
    with page.expect_download() as info:
        page.click("a[href*='log.csv']")
    csv_text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    header = format_csv([]).splitlines()[0]
    assert csv_text.splitlines()[0] == header
    assert f"{name}" in csv_text
