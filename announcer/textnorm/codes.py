"""Document numbers (3102/UBND-KSTT, 100/2019/NĐ-CP) and phone numbers / short codes."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context
from announcer.textnorm.lexicon import spell

# Codes that only mean this inside a document number (elsewhere they are too ambiguous).
CODE_WORDS = {
    "TB": "thông báo", "KH": "kế hoạch", "CV": "công văn", "CT": "chỉ thị", "TT": "thông tư",
    "TTr": "tờ trình", "BC": "báo cáo", "HD": "hướng dẫn", "GM": "giấy mời", "BB": "biên bản",
    "CP": "chính phủ", "TU": "tỉnh ủy", "HU": "huyện ủy", "ĐU": "đảng ủy", "QĐ": "quyết định",
    "NĐ": "nghị định", "NQ": "nghị quyết", "CĐ": "công điện", "KL": "kết luận", "QC": "quy chế",
    "QH": "quốc hội", "PA": "phương án", "ĐA": "đề án", "TTLT": "thông tư liên tịch",
    "BTC": "bộ tài chính", "BYT": "bộ y tế", "UBND": "ủy ban nhân dân",
}
_PART = r"[A-ZĐ][A-ZĐ&]+[a-z]?"
_PARTS = rf"{_PART}(?:(?:-|\s[-–]\s|–){_PART}(?![\w]))*"
_DOC = re.compile(
    rf"(?<![\w/.,])(?P<num>\d+)?(?P<year>/\d{{4}})?(?:/|-(?={_PARTS}/))"
    rf"(?P<code>{_PARTS}(?:/{_PARTS})?)(?![\w])"
)


def _code_words(part: str, ctx: Context) -> str:
    found = ctx.lexicon.get(part) or CODE_WORDS.get(part)
    if found:
        return found
    if "&" in part:
        return " và ".join(_code_words(p, ctx) for p in part.split("&") if p)
    spelled = spell(part)
    ctx.note(f"{part}: unknown abbreviation, read letter by letter as '{spelled}' (add it to lexicon.tsv)")
    return spelled


def document_numbers(text: str, ctx: Context) -> str:
    """'1234/QĐ-UBND' -> 'một nghìn hai trăm ba mươi tư, quyết định ủy ban nhân dân'."""
    def replace(m: re.Match[str]) -> str:
        said = []
        if m.group("num"):
            said.append(numbers.number(m.group("num"), ctx.dialect))
        if m.group("year"):
            said.append("năm " + numbers.number(m.group("year")[1:], ctx.dialect))
        parts = re.split(r"\s*[-–/]\s*", m.group("code"))
        said.append(" ".join(_code_words(p, ctx) for p in parts if p))
        return " " + ", ".join(said) + " "

    if "/" not in text:
        return text
    return _DOC.sub(replace, text)


_PHONE = re.compile(r"(?<![\w.,/:])(0\d{2,4}(?:[ .-]?\d{2,4}){1,3})(?![\w]|[.,]\d)")
_SERVICE = re.compile(r"(?<![\w.,])(1[89]00[ .]?\d{3,4}(?:[ .]?\d{2,4})?)(?![\w]|[.,]\d)")
_AFTER_KEYWORD = re.compile(
    r"(?i)(?<![^\W\d_])((?:gửi|gọi|nhắn|nhắn tin|tổng đài|hotline|đường dây nóng|điện thoại|số máy|fax)"
    r"\s*(?:số\s*)?:?\s*)(\d{3,5})(?![\w]|[.,]\d)"
)


def _read_phone(text: str) -> str:
    groups = [g for g in re.split(r"[ .-]", text) if g]
    return ", ".join(numbers.digits(g) for g in groups)


def phone_numbers(text: str, ctx: Context) -> str:
    """Phone numbers and SMS short codes, digit by digit, a pause between written groups."""
    def phone(m: re.Match[str]) -> str:
        count = sum(c.isdigit() for c in m.group(1))
        if not 9 <= count <= 11:
            return m.group(0)
        return " " + _read_phone(m.group(1)) + " "

    text = _PHONE.sub(phone, text)
    text = _SERVICE.sub(lambda m: " " + _read_phone(m.group(1)) + " ", text)
    return _AFTER_KEYWORD.sub(lambda m: m.group(1) + numbers.digits(m.group(2)) + " ", text)
