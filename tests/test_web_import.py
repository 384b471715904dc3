"""Import on the console: a .docx or .txt notice becomes a new draft; what was dropped is shown; a file
too big, a corrupt or zip-bomb .docx or a file that is not a notice gets a Vietnamese message and
changes nothing."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document

from tests.stations import make_station
from tests.web_helpers import login, make_console, token

NOTICE = [
    "ỦY BAN NHÂN DÂN PHƯỜNG AN HÒA",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "THÔNG BÁO",
    "Về việc tổ chức tiêm vắc xin sởi cho trẻ em",
    "Trạm y tế phường tổ chức tiêm vắc xin sởi cho trẻ từ 9 tháng đến 5 tuổi vào ngày 20/12/2026.",
    "Đề nghị phụ huynh đưa trẻ đến đúng giờ và mang theo sổ tiêm chủng.",
    "Nơi nhận:",
    "- Như trên;",
    "- Lưu: VT.",
    "TM. ỦY BAN NHÂN DÂN",
    "CHỦ TỊCH",
    "Nguyễn Văn Bình",
]


def docx_bytes(paragraphs: list[str]) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture()
def console(tmp_path):
    root = make_station(tmp_path / "station")
    config = root / "station.toml"
    limits = "\n[limits]\nmax_docx_mb = 1\nmax_script_kb = 8\n"
    config.write_text(config.read_text(encoding="utf-8") + limits, encoding="utf-8")
    app, _clock = make_console(tmp_path, users={"bt": "bien-tap"}, station=root)
    client = app.test_client()
    login(client, "bt")
    return client, root


def upload(client, name: str, data: bytes):
    return client.post("/import", data={"csrf_token": token(client, "/import"),
                                        "notice": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".state" not in p.parts}


def test_a_docx_notice_becomes_a_draft_and_what_was_dropped_is_shown(console):
    client, root = console
    response = upload(client, "thong-bao-tiem.docx", docx_bytes(NOTICE))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    link = re.search(r'id="open-draft" href="/scripts/([^"]+)"', text)
    assert link, text[-2000:]
    script = root / "scripts" / f"{link.group(1)}.md"
    content = script.read_text(encoding="utf-8")
    assert "tiêm vắc xin sởi" in content and "Độc lập" not in content and "Lưu: VT" not in content
    removed = re.search(r'<ul class="removed">(.*?)</ul>', text, re.S).group(1)
    assert "Độc lập" in removed and "Nơi nhận" in removed or "Như trên" in removed
    editor = client.get(f"/scripts/{link.group(1)}").get_data(as_text=True)
    assert "Bản nháp" in editor and "Trạm y tế phường" in editor


def test_a_txt_notice_in_utf16_is_imported_and_an_existing_name_is_kept(console):
    client, root = console
    raw = "THÔNG BÁO\r\nLịch cắt điện ngày 5/1/2027 từ 7 giờ đến 11 giờ.\r\n".encode("utf-16")
    first = upload(client, "cat-dien.txt", raw)
    second = upload(client, "cat-dien.txt", raw)
    names = [re.search(r'id="open-draft" href="/scripts/([^"]+)"', r.get_data(as_text=True)).group(1)
             for r in (first, second)]
    assert names[0] != names[1]  # the second import did not overwrite the first
    for name in names:
        assert "Lịch cắt điện" in (root / "scripts" / f"{name}.md").read_text(encoding="utf-8")


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (3 * 1024 * 1024) + b"</w:document>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "words"), [
    ("to.docx", b"PK" + bytes(range(256)) * 5000, "vượt giới hạn"),   # 1.2 MB, over max_docx_mb = 1
    ("dai.txt", "Kính thưa bà con. ".encode() * 600, "vượt giới hạn"),  # 10.8 KB, over max_script_kb = 8
    ("hong.docx", b"this is not a zip archive at all", "không phải tệp Word"),
    ("bom.docx", zip_bomb(), "1 MB"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + bytes(200), ".docx và .txt"),
    ("nhi-phan.txt", b"\x7fELF\x02\x01\x01\x00" + random.Random(7).randbytes(3000), "tệp nhị phân"),
    ("trong.docx", docx_bytes(["   ", ""]), "không còn chữ nào"),
])
def test_a_bad_upload_gets_a_vietnamese_message_and_changes_nothing(console, name, data, words):
    client, root = console
    before = snapshot(root)
    response = upload(client, name, data)
    text = response.get_data(as_text=True)
    assert response.status_code in (400, 413)
    message = re.search(r'id="import-error">(.*?)</p>', text, re.S)
    assert message, text[-1500:]
    assert words in message.group(1), message.group(1)
    assert name in message.group(1) or name.endswith((".png",))
    assert snapshot(root) == before
    assert not list((root / ".cache").glob("import-*"))  # the upload's own folder is gone too


def test_an_upload_without_a_file_says_so(console):
    client, _root = console
    response = client.post("/import", data={"csrf_token": token(client, "/import")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "hãy chọn một tệp" in response.get_data(as_text=True)


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(console):
    client, root = console
    before = snapshot(root)
    response = upload(client, "rat-to.docx", b"PK" + b"\x00" * (3 * 1024 * 1024))
    assert response.status_code == 413 and "quá lớn" in response.get_data(as_text=True)
    assert snapshot(root) == before
