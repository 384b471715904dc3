"""Properties of normalize() on any input (hypothesis)."""

from __future__ import annotations

import os
import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from announcer.textnorm import normalize, unresolved

ORDINARY = (
    "người dân phường thông báo tổ chức tiêm chủng cho trẻ em tại nhà văn hóa khu phố đề nghị các hộ gia "
    "đình chấp hành nghiêm quy định phòng chống dịch bệnh Nhân dân trên địa bàn đăng ký tài khoản hướng dẫn "
    "Ủy ban chiều sáng nay mai đường điện nước rác thải vệ sinh môi trường bảo hiểm y tế hoà thuỷ khoẻ "
    "Bồng Sơn Hoài Nhơn Bình Định Nguyễn Văn năm tháng ngày giờ phút một hai ba mười trăm nghìn"
).split()

NOTICE_ALPHABET = st.sampled_from(
    list("0123456789 ./-:,;%đĐhgkmx()“”+·•\t\r") + ["ngày ", "tháng ", "thứ ", "UBND", "TP.", "v.v.",
                                                  "km", "kg", "₫", "$", "m²", "°C", "chương ", "XIV",
                                                  "http://", "www.", ".gov.vn", "@", "OTP", "Về việc ",
                                                  # the context words the readers look at
                                                  "đồng/người", "lần/tuần", "(0236) ", "COVID-19", "H5N1",
                                                  "đường ", "thôn ", "24/24", "Quyết định số ", "giờ 00",
                                                  "lúc ", "sáng ", "(", ")", "+", "oC", "hanoi"]
)
notice_like = st.lists(NOTICE_ALPHABET, max_size=40).map("".join)
settings.register_profile(
    "textnorm",
    max_examples=int(os.environ.get("TEXTNORM_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # CI must not go red on a case found by chance; a long local run (TEXTNORM_EXAMPLES) explores.
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("textnorm")


@given(st.text(max_size=200))
def test_never_raises_and_keeps_lines_on_any_unicode(text: str) -> None:
    out = normalize(text)
    assert out.count("\n") == text.count("\n")
    unresolved(text)


@given(st.one_of(st.text(max_size=120), notice_like))
def test_never_emits_an_ascii_digit(text: str) -> None:
    assert not re.search(r"[0-9]", normalize(text))


@given(st.one_of(st.text(max_size=120), notice_like))
def test_idempotent_on_its_own_output(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.one_of(st.text(max_size=120), notice_like))
def test_output_is_nfc_with_only_pause_punctuation(text: str) -> None:
    out = normalize(text)
    assert unicodedata.is_normalized("NFC", out)
    assert all(ch.isalpha() or ch in " \n.,;:!?" or unicodedata.category(ch)[0] == "M" for ch in out)


@given(st.lists(st.sampled_from(ORDINARY), min_size=1, max_size=20))
def test_leaves_ordinary_vietnamese_words_unchanged(words: list[str]) -> None:
    text = " ".join(words)
    assert normalize(text) == text


@given(st.lists(st.one_of(notice_like, st.just("")), max_size=6))
def test_one_output_line_per_input_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert len(normalize(text).split("\n")) == len(text.split("\n"))
