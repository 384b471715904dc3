"""Number words: cardinals, decimals, digits, ordinals, Roman numerals, dialects."""

from __future__ import annotations

import pytest

from announcer.textnorm import normalize
from announcer.textnorm.numbers import cardinal, digits, ordinal, roman_value


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "không"), (1, "một"), (4, "bốn"), (5, "năm"), (10, "mười"), (11, "mười một"), (14, "mười bốn"),
        (15, "mười lăm"), (20, "hai mươi"), (21, "hai mươi mốt"), (24, "hai mươi tư"), (25, "hai mươi lăm"),
        (55, "năm mươi lăm"), (101, "một trăm linh một"), (105, "một trăm linh năm"),
        (110, "một trăm mười"), (115, "một trăm mười lăm"), (999, "chín trăm chín mươi chín"),
        (1000, "một nghìn"), (1001, "một nghìn không trăm linh một"), (1020, "một nghìn không trăm hai mươi"),
        (2021, "hai nghìn không trăm hai mươi mốt"), (15000, "mười lăm nghìn"),
        (1001001, "một triệu một nghìn không trăm linh một"), (15_000_000, "mười lăm triệu"),
        (1_000_000_001, "một tỷ không trăm linh một"), (2_500_000_000, "hai tỷ năm trăm triệu"),
        (-25, "âm hai mươi lăm"),
    ],
)
def test_cardinal(n: int, spoken: str) -> None:
    assert cardinal(n) == spoken


@pytest.mark.parametrize(
    ("n", "north", "south"),
    [(105, "một trăm linh năm", "một trăm lẻ năm"), (3000, "ba nghìn", "ba ngàn"),
     (2005, "hai nghìn không trăm linh năm", "hai ngàn không trăm lẻ năm")],
)
def test_dialects(n: int, north: str, south: str) -> None:
    assert cardinal(n, "north") == north
    assert cardinal(n, "south") == south
    assert normalize(str(n), dialect="south") == south


def test_digits_and_ordinals() -> None:
    assert digits("0256") == "không hai năm sáu"
    assert [ordinal(n) for n in (1, 2, 4, 14)] == ["nhất", "hai", "tư", "mười bốn"]


@pytest.mark.parametrize(("token", "value"), [("IV", 4), ("XIV", 14), ("xxi", 21), ("MCMXCIX", 1999),
                                              ("IIII", None), ("VX", None), ("", None)])
def test_roman_value(token: str, value: int | None) -> None:
    assert roman_value(token) == value


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("15.000.000", "mười lăm triệu"),
        ("2,5", "hai phẩy năm"),
        ("0,007", "không phẩy không không bảy"),
        ("-12,5", "âm mười hai phẩy năm"),
        ("-3", "âm ba"),
        ("1,5 triệu", "một phẩy năm triệu"),
        ("3 tỷ", "ba tỷ"),
        ("1,000,000", "một triệu"),
        ("05 hộ", "năm hộ"),
        ("0256", "không hai năm sáu"),
        ("mục 1.2", "mục một chấm hai"),
        ("2x3", "hai nhân ba"),
        ("thứ 1", "thứ nhất"),
        ("Thứ 2", "Thứ hai"),
        ("thứ 4", "thứ tư"),
        ("đứng thứ 15", "đứng thứ mười lăm"),
        ("trưởng 11 khu phố", "trưởng mười một khu phố"),
        ("12345678901234567890", "một hai ba bốn năm sáu bảy tám chín không một hai ba bốn năm sáu bảy tám chín không"),
    ],
)
def test_numbers_in_text(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
