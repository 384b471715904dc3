"""Readings in the patterns of real notices (tests/readings/notices.txt), what preview flags,
and the station lexicon pinning any reading."""

from __future__ import annotations

import pytest

from announcer.textnorm import normalize, unresolved
from tests.readings_corpus import class_counts, load_cases, reads_as_expected

CASES = load_cases("notices.txt")


@pytest.mark.parametrize(("klass", "kind", "written", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_notice_phrase_reads_as_an_announcer_would(klass: str, kind: str, written: str, expected: str) -> None:
    assert reads_as_expected(kind, written, expected), (klass, normalize(written))


def test_every_class_of_the_issue_has_cases() -> None:
    counts = class_counts(CASES)
    assert len(counts) >= 15
    assert min(counts.values()) >= 4, counts


@pytest.mark.parametrize(
    ("text", "written", "said"),
    [
        ("Kết quả:\n7/9 thôn đã hoàn thành", "'7/9'", "bảy trên chín"),
        ("hạn chót 15/7", "'15/7'", "ngày mười lăm tháng bảy"),
        ("trẻ từ 5-11 tuổi", "'5-11", "đến"),
        ("tổ 4+5+6", "'4+5+6'", "bốn, năm và sáu"),
        ("gọi 0905.123.456", "'0905.123.456'", "không chín không năm một hai ba bốn năm sáu"),
        ("xem www.hanoi.gov.vn", "'www.hanoi.gov.vn'", "vê kép"),
        ("số nhà 12/5", "'12/5'", "mười hai trên năm"),
        ("từ 25-10 đến 30-10", "'25-10'", "ngày hai mươi lăm tháng mười"),
        ("số tài khoản 0123456", "'0123456'", "không một hai ba bốn năm sáu"),
        ("mã hồ sơ 12345678901234567890", "'12345678901234567890'", "một hai ba"),
    ],
)
def test_preview_flags_guessed_readings_with_line_and_reading(text: str, written: str, said: str) -> None:
    items = [item for item in unresolved(text) if written in item]
    assert items, unresolved(text)
    assert items[0].endswith(f"[line {text.count(chr(10)) + 1}]") and said in items[0] and "lexicon.tsv" in items[0]


def test_preview_lists_every_line_of_a_repeated_item() -> None:
    items = unresolved("gọi 0905.123.456\nnhắc lại\ngọi 0905.123.456, gửi TTTB\nTTTB")
    assert items[0].startswith("'0905.123.456' read as") and items[0].endswith("[lines 1, 3]")
    assert items[1].startswith("TTTB") and items[1].endswith("[lines 3, 4]")
    many = unresolved("gọi 0905.123.456\n" * 40)
    assert len(many) == 1 and many[0].endswith("[lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, …]")


def test_preview_is_quiet_when_the_words_decide() -> None:
    assert unresolved("Ngày ban hành: 12/5/2024, đường 3/2, lúc 07 giờ 00 phút, 3 lần/tuần.") == []
    assert unresolved("từ 7h30-11h30, giai đoạn 2021-2025, 50.000đ-100.000đ, 18-25 tuổi") == []


@pytest.mark.parametrize(
    ("entry", "spoken", "text", "out"),
    [
        ("7/9", "bảy phần chín", "7/9 thôn đã hoàn thành", "bảy phần chín thôn đã hoàn thành"),
        ("15/7", "rằm tháng bảy", "lễ 15/7", "lễ rằm tháng bảy"),
        ("0905.123.456", "số máy trực ban", "gọi 0905.123.456.", "gọi số máy trực ban."),
        ("COVID-19", "cô vi mười chín", "dịch COVID-19", "dịch cô vi mười chín"),
        ("www.hanoi.gov.vn", "cổng thông tin Hà Nội", "xem www.hanoi.gov.vn", "xem cổng thông tin Hà Nội"),
        ("4+5", "bốn cộng năm", "tổ 4+5", "tổ bốn cộng năm"),
        ("9g", "chín giờ sáng", "lúc 9g", "lúc chín giờ sáng"),
        ("12/2024/QĐ-UBND", "mười hai", "Quyết định số 12/2024/QĐ-UBND", "Quyết định số mười hai"),
    ],
)
def test_station_lexicon_overrides_any_reading(entry: str, spoken: str, text: str, out: str) -> None:
    lexicon = {entry: spoken}
    assert normalize(text, lexicon=lexicon) == out
    assert not any(repr(entry) in item for item in unresolved(text, lexicon=lexicon))


def test_a_copy_of_the_context_keeps_its_own_notes() -> None:
    import dataclasses

    from announcer.textnorm.context import Context

    ctx = Context(line=1)
    ctx.note("TTTB: unknown")
    copy = dataclasses.replace(ctx, notes=[], line=2)  # how a step reads a fragment on the side
    copy.note("TTTB: unknown")
    assert ctx.notes == ["TTTB: unknown [line 1]"] and copy.notes == ["TTTB: unknown [line 2]"]
