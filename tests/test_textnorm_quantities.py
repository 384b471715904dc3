"""Money, units, percentages, phone numbers, document numbers, web addresses."""

from __future__ import annotations

import pytest

from announcer.textnorm import normalize


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("45.000đ/kg", "bốn mươi lăm nghìn đồng một ki lô gam"),
        ("200.000 đồng/người", "hai trăm nghìn đồng một người"),
        ("1.234.567₫", "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đồng"),
        ("50.000 VNĐ", "năm mươi nghìn đồng"),
        ("10k VND", "mười nghìn đồng"),
        ("1tr5", "một triệu năm trăm nghìn"),
        ("$10", "mười đô la"),
        ("10$", "mười đô la"),
        ("2 tỷ đồng", "hai tỷ đồng"),
        ("50.000đ-100.000đ", "năm mươi nghìn đồng đến một trăm nghìn đồng"),
        ("50%", "năm mươi phần trăm"),
        ("2,5%", "hai phẩy năm phần trăm"),
        ("5km", "năm ki lô mét"),
        ("2 ha", "hai héc ta"),
        ("3kg-6kg", "ba ki lô gam đến sáu ki lô gam"),
        ("500mg", "năm trăm mi li gam"),
        ("100m²", "một trăm mét vuông"),
        ("8,5m2", "tám phẩy năm mét vuông"),
        ("60km/h", "sáu mươi ki lô mét một giờ"),
        ("37°C", "ba mươi bảy độ xê"),
        ("5 tấn", "năm tấn"),
        ("220V", "hai trăm hai mươi vôn"),
    ],
)
def test_money_and_units(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("0256.3861.234", "không hai năm sáu ba tám sáu một hai ba bốn"),
        ("0912 345 678", "không chín một hai ba bốn năm sáu bảy tám"),
        ("gọi 0912345678", "gọi không chín một hai ba bốn năm sáu bảy tám"),
        ("soạn tin gửi 1414", "soạn tin gửi một bốn một bốn"),
        ("tổng đài 1900 1234", "tổng đài một chín không không một hai ba bốn"),
        ("gọi 113", "gọi một một ba"),
    ],
)
def test_phone_numbers(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("căn cứ 3102/UBND-KSTT", "căn cứ ba nghìn một trăm linh hai, ủy ban nhân dân kiểm soát thủ tục"),
        ("theo 1234/QĐ-UBND", "theo một nghìn hai trăm ba mươi tư, quyết định ủy ban nhân dân"),
        ("Nghị định 100/2019/NĐ-CP", "Nghị định một trăm, năm hai nghìn không trăm mười chín"),
        ("số 919/UBND – VP", "số chín trăm mười chín, ủy ban nhân dân văn phòng"),
        ("số 15/CT-TTg", "số mười lăm, chỉ thị thủ tướng"),
        ("số 12/TB-XYZ", "số mười hai, thông báo ích i dài dét"),
    ],
)
def test_document_numbers(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
    assert "gạch chéo" not in normalize(written)


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("http://dichvucong.binhdinh.gov.vn", "dịch vụ công chấm bình định chấm gờ o vê chấm vê en"),
        ("https://www.example.com/", "vê kép vê kép vê kép chấm e ích a em pê e lờ e chấm com"),
        ("ninhbinh-hanoi.binhdinh.gov.vn", "ninh bình gạch ngang hà nội chấm bình định chấm gờ o vê chấm vê en"),
        ("dichvucong.gov.vn/p/tintuc", "dịch vụ công chấm gờ o vê chấm vê en gạch chéo pê gạch chéo tin tức"),
        ("ubnd@gmail.com", "u bê en đê a còng gờ meo chấm com"),
        ("xem tại abc.vn.", "xem tại a bê xê chấm vê en."),
    ],
)
def test_web_addresses(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
