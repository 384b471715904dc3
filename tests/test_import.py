"""announcer import: encodings, what is dropped, what is kept, the script written."""

from __future__ import annotations

from pathlib import Path

import pytest

from announcer.errors import NoticeImportError
from announcer.importer import decode_notice, import_notice, read_notice_text, slugify
from announcer.textnorm import normalize
from announcer.textnorm.encodings import encode_tcvn3, encode_vni

NOTICE = """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
 THÔNG BÁO
Về việc tổ chức tiêm chủng cho trẻ em trên địa bàn phường

\t Căn cứ Kế hoạch số 215/KH-UBND ngày 12/05/2022 của Ủy ban nhân dân thị xã; UBND phường thông báo như sau:
-  Thời gian: từ 7h30 - 11h00, ngày 24/6/2022.
+ Địa điểm: Trạm y tế phường, điện thoại 0256.3861.234.
[bookmark: _GoBack]- Đề nghị Đài truyền thanh phường, trưởng 11 khu phố phối hợp tuyên truyền./.

\tNơi nhận:
· - Trạm y tế phường;
· - 11 trưởng khu phố;
· - Lưu: VT,\t
\tKT. CHỦ TỊCH
PHÓ CHỦ TỊCH



Trần Thị Lan

2
Phụ lục 1: Các bước đăng ký
(Kèm theo Thông báo số      /TB-UBND ngày     /6/2022 của UBNDphường)
Bước 1: Truy cập http://dichvucong.gov.vn
[image: ]
Bước 2.Chọn nút “Đăng ký”.
Bước 3: Nhập mã OTP.
"""


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("utf-16"), "utf-16"),
        (encode_vni, "vni"),
        (lambda t: encode_tcvn3(t.lower()), "tcvn3"),
    ],
)
def test_encodings_are_detected(encode, expected: str) -> None:  # noqa: ANN001
    text = "Căn cứ Công văn số 3102 của Ủy ban nhân dân tỉnh về việc hướng dẫn người dân đăng ký tài khoản."
    decoded, encoding = decode_notice(encode(text))
    assert encoding == expected
    assert decoded == (text.lower() if expected == "tcvn3" else text)


def test_windows_1258_decomposed_tones_become_nfc() -> None:
    text = "Người dân phường Bồng Sơn thực hiện đăng ký tài khoản trên cổng dịch vụ công."
    decoded, encoding = decode_notice(_cp1258(text))
    assert encoding == "windows-1258"
    assert decoded == text


def _cp1258(text: str) -> bytes:
    """Encode the way Windows-1258 files usually are: base letter + combining tone byte."""
    import unicodedata

    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tone = next(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", decomposed.replace(tone, ""))
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


def test_import_writes_a_clean_script(tmp_path: Path) -> None:
    src = write(tmp_path, "notice.txt", NOTICE.encode("utf-8"))
    result = import_notice(src, tmp_path / "scripts")
    assert result.encoding == "utf-8"
    assert result.title == "Thông báo về việc tổ chức tiêm chủng cho trẻ em trên địa bàn phường"
    assert result.dest == tmp_path / "scripts" / "thong-bao-ve-viec-to-chuc-tiem-chung-cho-tre-em-tren-dia-ban.md"
    text = result.dest.read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Thông báo về việc tổ chức tiêm chủng')
    body = text.split("---\n", 2)[2]
    for gone in ("CỘNG HÒA", "Độc lập", "Nơi nhận", "Lưu: VT", "CHỦ TỊCH", "Trần Thị Lan", "[image",
                 "[bookmark", "/TB-UBND", "Kèm theo"):
        assert gone not in body, gone
    for kept in ("THÔNG BÁO", "Về việc tổ chức", "Căn cứ Kế hoạch", "Thời gian", "Phụ lục 1", "Bước 1",
                 "Bước 2", "Bước 3"):
        assert kept in body, kept
    assert "\n\n" in body and "\n\n\n" not in body
    kinds = " ".join(result.removed)
    for what in ("recipients", "signature", "bookmark", "image", "blank number", "page number", "header"):
        assert what in kinds, what


def test_imported_notice_reads_cleanly(tmp_path: Path) -> None:
    result = import_notice(write(tmp_path, "n.txt", NOTICE.encode("utf-8")), tmp_path / "scripts")
    body = result.dest.read_text(encoding="utf-8").split("---\n", 2)[2]
    spoken = normalize(body)
    assert not any(c.isdigit() for c in spoken)
    assert not set(spoken) & set("/[]()“”+-·%_")
    assert "Trần Thị Lan" not in spoken
    assert "bước ba" in spoken.lower() and "ô tê pê" in spoken


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    src = write(tmp_path, "n.txt", NOTICE.encode("utf-8"))
    first = import_notice(src, tmp_path / "scripts")
    first.dest.write_text("edited by staff", encoding="utf-8")
    with pytest.raises(NoticeImportError) as info:
        import_notice(src, tmp_path / "scripts")
    assert "--force" in (info.value.hint or "")
    assert first.dest.read_text(encoding="utf-8") == "edited by staff"
    again = import_notice(src, tmp_path / "scripts", force=True)
    assert again.dest == first.dest and "THÔNG BÁO" in again.dest.read_text(encoding="utf-8")
    assert not [p for p in (tmp_path / "scripts").iterdir() if p.name.endswith(".tmp")]


def test_explicit_destination(tmp_path: Path) -> None:
    dest = tmp_path / "scripts" / "tiem-chung.md"
    result = import_notice(write(tmp_path, "n.md", NOTICE.encode("utf-8")), tmp_path / "scripts", dest=dest)
    assert result.dest == dest and dest.exists()


def test_legacy_vni_notice_imports(tmp_path: Path) -> None:
    src = write(tmp_path, "vni.txt", encode_vni(NOTICE.replace("·", "-")))
    result = import_notice(src, tmp_path / "scripts")
    assert result.encoding == "vni"
    assert "Về việc tổ chức tiêm chủng" in result.dest.read_text(encoding="utf-8")


def test_docx_notice(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nPHƯỜNG BỒNG SƠN"
    table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    for line in ("THÔNG BÁO", "V/v lịch cắt điện", "Ngày 24/6/2021 cắt điện từ 7h - 11h.", "Nơi nhận:",
                 "- Như trên;", "CHỦ TỊCH", "Nguyễn Văn An"):
        document.add_paragraph(line)
    src = tmp_path / "tb.docx"
    document.save(str(src))
    text, encoding = read_notice_text(src)
    assert encoding == "docx" and "PHƯỜNG BỒNG SƠN" in text
    result = import_notice(src, tmp_path / "scripts")
    body = result.dest.read_text(encoding="utf-8")
    assert result.title == "Thông báo về việc lịch cắt điện"
    assert "cắt điện từ 7h" in body and "BỒNG SƠN" not in body and "Nguyễn Văn An" not in body


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("missing.txt", None, "not found"),
        ("old.doc", b"\xd0\xcf\x11\xe0", ".docx"),
        ("pic.png", b"\x89PNG", "unsupported"),
        ("broken.docx", b"not a zip", "Word"),
        ("empty.txt", b"[image: ]\n\n", "no text"),
    ],
)
def test_errors_name_the_file_and_say_what_to_do(tmp_path: Path, name: str, data: bytes | None, words: str) -> None:
    src = tmp_path / name
    if data is not None:
        src.write_bytes(data)
    with pytest.raises(NoticeImportError) as info:
        import_notice(src, tmp_path / "scripts")
    assert info.value.file == str(src)
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Thông báo về việc đăng ký", "thong-bao-ve-viec-dang-ky"), ("ĐƯỜNG Đất", "duong-dat"), ("!!!", "notice")],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese editors write it: base letters, then combining tone marks."""
    import unicodedata

    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            for index, mark in enumerate(marks):  # the mark that makes a precomposed cp1258 letter (ă, ê, ơ...)
                letter = unicodedata.normalize("NFC", base + mark)
                rest = "".join(marks[:index] + marks[index + 1 :])
                try:
                    out += letter.encode("cp1258") + rest.encode("cp1258")
                    break
                except UnicodeEncodeError:
                    continue
            else:
                out += (base + "".join(marks)).encode("cp1258")
    return out


def test_reimporting_a_script_in_an_old_encoding_keeps_its_settings(tmp_path: Path) -> None:
    from announcer.script import parse_script

    script = tmp_path / "cp.md"
    script.write_bytes(to_cp1258("---\ntitle: Thông báo cắt điện\nslots: [sang]\n---\nKính thưa bà con.\n"))
    result = import_notice(script, tmp_path, dest=script, force=True)
    assert result.encoding == "windows-1258" and result.title == "Thông báo cắt điện"
    parsed = parse_script(script)
    assert parsed.title == "Thông báo cắt điện"
    assert parsed.slots == ["sang"]
    assert parsed.body == "Kính thưa bà con.\n"
