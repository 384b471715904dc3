"""Dates, times and ranges."""

from __future__ import annotations

import pytest

from announcer.textnorm import normalize

Y2021 = "năm hai nghìn không trăm hai mươi mốt"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("24/6/2021", f"ngày hai mươi tư tháng sáu {Y2021}"),
        ("ngày 31/05/2021", f"ngày ba mươi mốt tháng năm {Y2021}"),
        ("Ngày 01/4/2021", f"Ngày một tháng tư {Y2021}"),
        ("25-03-1975", "ngày hai mươi lăm tháng ba năm một nghìn chín trăm bảy mươi lăm"),
        ("10.05.2000", "ngày mười tháng năm năm hai nghìn"),
        ("ngày 14/4 hằng năm", "ngày mười bốn tháng tư hằng năm"),
        ("trước 24/6", "trước ngày hai mươi tư tháng sáu"),
        ("mùng 5/6", "mùng năm tháng sáu"),
        ("tháng 10/2021", f"tháng mười {Y2021}"),
        ("tháng 04/1969", "tháng tư năm một nghìn chín trăm sáu mươi chín"),
        ("vào 4/2021", f"vào tháng tư {Y2021}"),
        ("ngày 24 tháng 6", "ngày hai mươi tư tháng sáu"),
        ("tháng 4", "tháng tư"),
        ("tháng 1 2024", "tháng một năm hai nghìn không trăm hai mươi tư"),
        ("17 - 24/6/2021", f"ngày mười bảy đến hai mươi tư tháng sáu {Y2021}"),
        ("từ ngày 01 - 05/7/2022", "từ ngày một đến năm tháng bảy năm hai nghìn không trăm hai mươi hai"),
        ("từ 28/6 - 2/7/2021", f"từ ngày hai mươi tám tháng sáu đến hai tháng bảy {Y2021}"),
        ("ngày     /6/2021", f"ngày tháng sáu {Y2021}"),
    ],
)
def test_dates(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_never_says_ngay_twice() -> None:
    for text in ("ngày 24/6/2021", "Ngày 24/6", "từ ngày 17 - 24/6/2021", "đến ngày 5/7"):
        assert "ngày ngày" not in normalize(text).lower()


def test_impossible_date_is_not_a_date() -> None:
    assert "tháng" not in normalize("45/13")


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("6h", "sáu giờ"),
        ("6h30", "sáu giờ ba mươi phút"),
        ("17h00", "mười bảy giờ"),
        ("14g30", "mười bốn giờ ba mươi phút"),
        ("06:00", "sáu giờ"),
        ("8:30", "tám giờ ba mươi phút"),
        ("8:05", "tám giờ năm phút"),
        ("5:20:35", "năm giờ hai mươi phút ba mươi lăm giây"),
        ("19 giờ 30 phút", "mười chín giờ ba mươi phút"),
        ("từ 7h - 11h30", "từ bảy giờ đến mười một giờ ba mươi phút"),
        ("10:00-11:00", "mười giờ đến mười một giờ"),
        ("3p20s", "ba phút hai mươi giây"),
        ("tỷ lệ 1:500", "tỷ lệ một trên năm trăm"),
    ],
)
def test_times(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
