"""TCVN3 (ABC, TCVN 5712:1993 VN3) decoding against byte values known independently of our table.

A round trip through an encoder built from the decoder's own table passes with any
table, right or wrong. Here the bytes are written out by hand from the published code
chart (and checked against glibc's `iconv -f TCVN5712-1` when these tests were written),
so a wrong entry in announcer's table fails.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest

from announcer.importer import decode_notice
from announcer.textnorm.encodings import decode_tcvn3

ICONV = shutil.which("iconv")


def _iconv_chart() -> dict[int, str]:
    """Byte -> letter for the upper half of TCVN3, as glibc's converter (an independent table) has it."""
    chart = {}
    for byte in range(0xA1, 0x100):
        done = subprocess.run([ICONV or "iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes([byte]),
                              capture_output=True, check=False)
        letter = unicodedata.normalize("NFC", done.stdout.decode("utf-8", "replace"))
        # VN3, the ABC fonts' variant, has only the lowercase letters and seven plain capitals up
        # there; glibc's VN1 table puts capitals with tone marks in the remaining slots.
        if done.returncode == 0 and len(letter) == 1 and (letter.islower() or letter in "ĂÂÊÔƠƯĐ"):
            chart[byte] = letter
    return chart


@pytest.mark.skipif(ICONV is None, reason="glibc iconv is the independent reference")
def test_each_vietnamese_byte_agrees_with_glibc() -> None:
    chart = _iconv_chart()
    assert len(chart) == 74  # 67 lowercase letters and 7 plain capitals
    wrong = {hex(byte): (decode_tcvn3(b"x" + bytes([byte]) + b"x")[1:-1], letter)
             for byte, letter in chart.items() if decode_tcvn3(b"x" + bytes([byte]) + b"x") != f"x{letter}x"}
    assert not wrong


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
