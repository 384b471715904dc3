"""Document numbers (3102/UBND-KSTT, 100/2019/NĐ-CP) and phone numbers / short codes."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context
from announcer.textnorm.lexicon import spell

_ANY_DIGIT = re.compile(r"\d")

# Codes that only mean this inside a document number (elsewhere they are too ambiguous).
CODE_WORDS = {
    "TB": "thông báo", "KH": "kế hoạch", "CV": "công văn", "CT": "chỉ thị", "TT": "thông tư",
    "TTr": "tờ trình", "BC": "báo cáo", "HD": "hướng dẫn", "GM": "giấy mời", "BB": "biên bản",
    "CP": "chính phủ", "TU": "tỉnh ủy", "HU": "huyện ủy", "ĐU": "đảng ủy", "QĐ": "quyết định",
    "NĐ": "nghị định", "NQ": "nghị quyết", "CĐ": "công điện", "KL": "kết luận", "QC": "quy chế",
    "QH": "quốc hội", "PA": "phương án", "ĐA": "đề án", "TTLT": "thông tư liên tịch",
    "BTC": "bộ tài chính", "BYT": "bộ y tế", "UBND": "ủy ban nhân dân",
}
_PART = r"[A-ZĐ][A-ZĐ&]+[a-z]?\d*"
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
    ctx.note(f"{part}: unknown abbreviation, read letter by letter as '{spelled}' (add it to lexicon.tsv)",
             written=part, said=spelled)
    return spelled


# A document type named before the number: its code is not read again ('Quyết định số 12/QĐ-UBND').
_TYPE_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:quyết định|nghị định|nghị quyết|thông báo|kế hoạch|công văn|chỉ thị|thông tư|"
    r"thông tư liên tịch|tờ trình|báo cáo|hướng dẫn|giấy mời|công điện|kết luận|quy chế|quy định|phương án|"
    r"đề án|luật|văn bản|hợp đồng|lệnh|chương trình|văn bản hợp nhất|pháp lệnh|biên bản)"
    r"(?:\s+(?:số|liên tịch))?\s*:?\s*$"
)


def document_numbers(text: str, ctx: Context) -> str:
    """'1234/QĐ-UBND' -> 'một nghìn hai trăm ba mươi tư, quyết định ủy ban nhân dân';
    'Quyết định số 12/2024/QĐ-UBND' -> 'Quyết định số mười hai, năm hai nghìn không trăm hai mươi tư'."""
    def replace(m: re.Match[str]) -> str:
        said = []
        if m.group("num"):
            said.append(numbers.number(m.group("num"), ctx.dialect))
        if m.group("year"):
            said.append("năm " + numbers.number(m.group("year")[1:], ctx.dialect))
        if said and _TYPE_BEFORE.search(text[max(0, m.start() - 40):m.start()]):
            return " " + ", ".join(said) + " "
        parts = re.split(r"\s*[-–/]\s*", m.group("code"))
        said.append(" ".join(_code_words(p, ctx) for p in parts if p))
        return " " + ", ".join(said) + " "

    if "/" not in text:
        return text
    return _DOC.sub(replace, text)


_PHONE = re.compile(r"(?<![\w.,/:])(0\d{2,4}(?:\.\d(?=\.)|[ .-]?\d{2,4}){1,3})(?![\w]|[.,]\d)")
_SERVICE = re.compile(r"(?<![\w.,])(1[89]00[ .]?\d{3,4}(?:[ .]?\d{2,4})?)(?![\w]|[.,]\d)")
_EMERGENCY = re.compile(
    r"(?i)(?<![^\W\d_])((?:cứu hỏa|cứu hoả|cấp cứu|cứu nạn|khẩn cấp|báo cháy|chữa cháy|công an|cảnh sát)"
    r"\s*(?:số\s*)?:?\s*\(?\s*)(11[1-5])(?![\w]|[.,]\d)"
)
_AFTER_KEYWORD = re.compile(
    r"(?i)(?<![^\W\d_])((?:gửi|gọi|nhắn|nhắn tin|tổng đài|hotline|đường dây nóng|điện thoại|số máy|fax)"
    r"\s*(?:số\s*)?:?\s*)(\d{3,5})(?![\w]|[.,]\d)"
)


_LANDLINE = re.compile(
    r"(?:\(\s*(0\d{2,3})\s*\)\s?[.-]?\s?|(?<![\w.,/])(0\d{2,3})\s[-–]\s)(\d{2,4}(?:[ .-]?\d{2,4}){0,3})(?![\w]|[.,]\d)"
)
_INTERNATIONAL = re.compile(r"(?<![\w+])\+84\s?(\d{2,3}(?:[ .-]?\d{2,4}){1,3})(?![\w]|[.,]\d)")


def _read_phone(text: str) -> str:
    """Every digit, no pause inside: the dots and spaces only help the eye."""
    return numbers.digits(re.sub(r"\D", "", text))


def phone_numbers(text: str, ctx: Context) -> str:
    """Phone numbers and SMS short codes, digit by digit, a pause between written groups."""
    def phone(m: re.Match[str]) -> str:
        count = sum(c.isdigit() for c in m.group(1))
        if not 9 <= count <= 11:
            return m.group(0)
        said = _read_phone(m.group(1))
        ctx.guessed(m.group(1), said, "a phone number, read digit by digit")
        return " " + said + " "

    def landline(m: re.Match[str]) -> str:
        area, rest = m.group(1) or m.group(2), m.group(3)
        if not 9 <= len(area) + sum(c.isdigit() for c in rest) <= 11:
            return m.group(0)
        return " " + _read_phone(area + rest) + " "

    text = _LANDLINE.sub(landline, text)
    if "+" in text:
        text = _INTERNATIONAL.sub(lambda m: " cộng tám tư " + _read_phone(m.group(1)) + " ", text)
    text = _PHONE.sub(phone, text)
    text = _SERVICE.sub(lambda m: " " + _read_phone(m.group(1)) + " ", text)
    text = _EMERGENCY.sub(lambda m: m.group(1) + numbers.digits(m.group(2)) + " ", text)
    return _AFTER_KEYWORD.sub(lambda m: m.group(1) + numbers.digits(m.group(2)) + " ", text)


# Codes glued to a number with a leading zero ('C06', 'PA03'): the digits are read one by one.
_ZERO_CODE = re.compile(r"(?<![\w])([A-ZĐ]{1,3})(0\d{1,3})(?![\w])")
# Number plates: '43A-123.45' -> 'bốn mươi ba a, một hai ba bốn năm'.
_PLATE = re.compile(r"(?<![\w.])(\d{2})([A-ZĐ]{1,2}\d?)\s?-\s?(\d{3})\.?(\d{2})(?![\w]|[.,]\d)")


def codes_with_digits(text: str, ctx: Context) -> str:
    """Number plates and letter codes whose digits start with 0, read the way they are spelled."""
    if not _ANY_DIGIT.search(text):
        return text

    def plate(m: re.Match[str]) -> str:
        said = (f"{numbers.number(m.group(1), ctx.dialect)} {spell(m.group(2)) if m.group(2).isalpha() else ''}"
                f" {_series(m.group(2))}, {numbers.digits(m.group(3) + m.group(4))}")
        said = " ".join(said.split())
        ctx.guessed(m.group(0), said, "a number plate")
        return f" {said} "

    text = _PLATE.sub(plate, text)
    return _ZERO_CODE.sub(lambda m: f" {m.group(1)} {numbers.digits(m.group(2))} ", text)


def _series(series: str) -> str:
    """The letters and digit after the province number: '43A' -> A is spelled, 'A1' -> 'a một'."""
    if series.isalpha():
        return ""
    letters = "".join(c for c in series if c.isalpha())
    digits = "".join(c for c in series if c.isdigit())
    return f"{spell(letters)} {numbers.digits(digits)}"


# Disease and virus names: the number belongs to the name ('COVID-19' is not 'minus nineteen').
_COVID = re.compile(r"(?i)(?<![^\W\d_])covid\s?-?\s?(\d{1,2})(?![\w])")
_SARS = re.compile(r"(?i)(?<![^\W\d_])sars\s?-\s?cov\s?-\s?(\d)(?![\w])")
_FLU = re.compile(r"(?<![\w])(?:(A)\s?[/(]\s?)?H(\d{1,2})N(\d{1,2})\)?(?![\w])")
_EV = re.compile(r"(?<![\w])EV\s?-?\s?(71)(?![\w])")


def disease_names(text: str, ctx: Context) -> str:
    """COVID-19 -> 'cô vít mười chín', H5N1 -> 'hát năm en một', A/H1N1 -> 'a hát một en một'."""
    if not _ANY_DIGIT.search(text):
        return text

    def flu(m: re.Match[str]) -> str:
        said = f"hát {numbers.number(m.group(2), ctx.dialect)} en {numbers.number(m.group(3), ctx.dialect)}"
        return f" {'a ' if m.group(1) else ''}{said} "

    text = _COVID.sub(lambda m: f" cô vít {numbers.number(m.group(1), ctx.dialect)} ", text)
    text = _SARS.sub(lambda m: f" sát cô vi {numbers.number(m.group(1), ctx.dialect)} ", text)
    text = _EV.sub(lambda m: f" e vê {numbers.number(m.group(1), ctx.dialect)} ", text)
    return _FLU.sub(flu, text)
