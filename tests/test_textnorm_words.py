"""Abbreviations, acronyms, Roman numerals, punctuation, list markers, Unicode, line structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from announcer.errors import ConfigError
from announcer.textnorm import load_lexicon, normalize, unresolved


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("UBND phường", "ủy ban nhân dân phường"),
        ("UBNDphường Bồng Sơn", "ủy ban nhân dân phường Bồng Sơn"),
        ("HĐND xã", "hội đồng nhân dân xã"),
        ("Mặt trận TQVN", "Mặt trận tổ quốc Việt Nam"),
        ("mang CCCD, BHYT", "mang căn cước công dân, bảo hiểm y tế"),
        ("TP. Quy Nhơn", "thành phố Quy Nhơn"),
        ("TX. Hoài Nhơn", "thị xã Hoài Nhơn"),
        ("KP 3", "khu phố ba"),
        ("CBCC", "cán bộ công chức"),
        ("rau, củ, v.v.", "rau, củ, vân vân."),
        ("trường THCS và THPT", "trường trung học cơ sở và trung học phổ thông"),
        ("CA phường, CSGT", "công an phường, cảnh sát giao thông"),
        ("ứng dụng VNeID", "ứng dụng vê nờ e ai đi"),
        ("V/v tiêm chủng", "về việc tiêm chủng"),
        ("về việc V/v hỗ trợ", "về việc hỗ trợ"),
        ("mã OTP", "mã ô tê pê"),
        ("soạn tin TTTB", "soạn tin tê tê tê bê"),
        ("khu B", "khu bê"),
        ("THÔNG BÁO KHẨN", "THÔNG BÁO KHẨN"),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ],
)
def test_abbreviations_and_acronyms(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("chương III", "chương ba"),
        ("Phần IV", "Phần bốn"),
        ("mục XCIX", "mục chín mươi chín"),
        ("phần ix", "phần chín"),
        ("Điều II", "Điều hai"),
        ("khoản XIV", "khoản mười bốn"),
        ("phụ lục I", "phụ lục một"),
        ("khóa XV", "khóa mười lăm"),
        ("khoá VII", "khoá bảy"),
        ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
        ("thế kỉ XV", "thế kỉ mười lăm"),
        ("quý IV", "quý bốn"),
        ("lần thứ IV", "lần thứ tư"),
        ("phần C", "phần xê"),
        ("phạm vi rộng", "phạm vi rộng"),
    ],
)
def test_roman_numerals(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("- Đề nghị các hộ", "Đề nghị các hộ"),
        ("+ Niêm yết tại phường.", "Niêm yết tại phường."),
        ("· - Trang thông tin;", "Trang thông tin;"),
        ("• Mục tiêu", "Mục tiêu"),
        ("1. Nội dung", "một, Nội dung"),
        ("II. Tổ chức thực hiện", "hai, Tổ chức thực hiện"),
        ("Bước 5.Tiến hành nhập", "Bước năm. Tiến hành nhập"),
        ("mật khẩu.Sau đó bấm “Đăng ký”.", "mật khẩu. Sau đó bấm Đăng ký."),
        ("ông/bà", "ông, bà"),
        ("Độc lập - Tự do - Hạnh phúc", "Độc lập, Tự do, Hạnh phúc"),
        ("thực hiện./.", "thực hiện."),
        ("(có phụ lục kèm theo).", "có phụ lục kèm theo."),
        ("[image: ][bookmark: _GoBack]Xin chào", "Xin chào"),
        ("Bà Rịa–Vũng Tàu", "Bà Rịa, Vũng Tàu"),
        ("người H'Mông", "người HMông"),
        ("dấu & và @", "dấu và và a còng"),
    ],
)
def test_punctuation_and_markers(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_old_and_new_tone_placement_are_alike() -> None:
    assert normalize("Uỷ ban hoà giải") == "Uỷ ban hoà giải"  # ordinary words are kept as written
    assert normalize("khoá XV") == "khoá mười lăm"
    assert normalize("x", lexicon={"Hoà Nhơn": "hòa nhơn"}) == "x"
    assert normalize("xã Hòa Nhơn", lexicon={"Hoà Nhơn": "Hoà Nhơn mới"}) == "xã Hoà Nhơn mới"


def test_nfc_output() -> None:
    decomposed = "Tho\u0302ng ba\u0301o"
    assert normalize(decomposed) == "Thông báo"


def test_line_structure_is_kept() -> None:
    text = "THÔNG BÁO\n\nNgày 24/6/2021\r\n- Mục 1\n\n\n[image: ]\n"
    out = normalize(text)
    assert out.count("\n") == text.count("\n")
    assert out.split("\n")[1] == "" and out.split("\n")[-2] == ""


def test_station_lexicon_wins(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("# station words\nUBND\tủy ban\nTTTB\ttê tê tê bê\nHoài Nhơn\tHoài Nhơn\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert lexicon["UBND"] == "ủy ban"
    assert normalize("UBND phường, gửi TTTB", lexicon=lexicon) == "ủy ban phường, gửi tê tê tê bê"
    assert unresolved("gửi TTTB", lexicon=lexicon) == []


def test_missing_lexicon_is_empty(tmp_path: Path) -> None:
    assert load_lexicon(tmp_path / "lexicon.tsv") == {}


def test_bad_lexicon_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("UBND\tủy ban nhân dân\nHĐND hội đồng\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_lexicon(path)
    assert info.value.line == 2 and info.value.file == str(path) and info.value.hint


def test_unresolved_flags_spelled_acronyms_and_symbols() -> None:
    items = unresolved("Gửi TTTB § UBND")
    assert any(item.startswith("TTTB") for item in items)
    assert any("§" in item for item in items)
    assert not any(item.startswith("UBND") for item in items)
    assert unresolved("Người dân phường Bồng Sơn.") == []


def test_unknown_dialect_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        normalize("1", dialect="central")
