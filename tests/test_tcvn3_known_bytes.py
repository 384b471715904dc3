"""TCVN3 (ABC, TCVN 5712:1993 VN3) decoding against byte values known independently of our table.

A round trip through an encoder built from the decoder's own table passes with any
table, right or wrong. Here the bytes are written out by hand from the published code
chart (and checked against glibc's `iconv -f TCVN5712-1` when these tests were written),
so a wrong entry in announcer's table fails.
"""

from __future__ import annotations

import pytest

from announcer.importer import decode_notice
from announcer.textnorm.encodings import decode_tcvn3

# Byte -> letter, the Vietnamese part of the chart (ABC documents use these lowercase codes;
# capitals with tone marks come from a separate ".VnTimeH" font, not from other bytes).
CHART = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}


@pytest.mark.parametrize(("byte", "letter"), sorted(CHART.items()))
def test_each_vietnamese_byte_of_the_chart(byte: int, letter: str) -> None:
    assert decode_tcvn3(b"x" + bytes([byte]) + b"x") == f"x{letter}x"


# Notice phrases of our own, as an ABC-era word processor would have saved them, byte by byte.
PHRASES = [
    (b"Th\xabng b\xb8o", "Thông báo"),
    (b"v\xd2 vi\xd6c ti\xaam ph\xdfng d\xb9i cho ch\xe3, m\xcco",
     "về việc tiêm phòng dại cho chó, mèo"),
    (b"\xa7\xd2 ngh\xde b\xb5 con \xae\xd5n nh\xb5 v\xa8n h\xe3a khu ph\xe8 s\xe8 3",
     "Đề nghị bà con đến nhà văn hóa khu phố số 3"),
    (b"l\xf3c 7 gi\xea 30 ph\xf3t s\xb8ng th\xf8 B\xb6y", "lúc 7 giờ 30 phút sáng thứ Bảy"),
    (b"\xf1y ban nh\xa9n d\xa9n ph\xad\xeang y\xaau c\xc7u ng\xad\xeai d\xa9n th\xf9c hi\xd6n",
     "ủy ban nhân dân phường yêu cầu người dân thực hiện"),
]


@pytest.mark.parametrize(("raw", "text"), PHRASES)
def test_known_tcvn3_phrases_decode(raw: bytes, text: str) -> None:
    assert decode_tcvn3(raw) == text


def test_a_tcvn3_notice_is_detected_and_decoded() -> None:
    raw = b"\r\n".join(raw for raw, _ in PHRASES[1:]) + b"\r\n"
    decoded, encoding = decode_notice(raw)
    assert encoding == "tcvn3"
    assert decoded.split() == " ".join(text for _, text in PHRASES[1:]).split()
