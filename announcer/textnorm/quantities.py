"""Ranges, money, units and percentages, then every number still written in digits."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context

_ANY_DIGIT = re.compile(r"\d")

# Unit words after a number. Glued-only units are ambiguous when they stand alone.
UNITS = {
    "km²": "ki lô mét vuông", "km2": "ki lô mét vuông", "m²": "mét vuông", "m2": "mét vuông",
    "cm²": "xăng ti mét vuông", "cm2": "xăng ti mét vuông", "m³": "mét khối", "m3": "mét khối",
    "km/h": "ki lô mét một giờ", "km": "ki lô mét", "cm": "xăng ti mét", "mm": "mi li mét", "m": "mét",
    "ha": "héc ta", "kg": "ki lô gam", "g": "gam", "mg": "mi li gam", "ml": "mi li lít", "l": "lít",
    "°C": "độ xê", "oC": "độ xê", "độ C": "độ xê", "°c": "độ xê", "°F": "độ ép", "°": "độ", "%": "phần trăm",
    "kwh": "ki lô oát giờ", "kWh": "ki lô oát giờ", "kw": "ki lô oát", "kW": "ki lô oát", "KW": "ki lô oát",
    "kV": "ki lô vôn", "kVA": "ki lô vôn am pe",
    "w": "oát", "W": "oát", "v": "vôn", "V": "vôn", "hz": "hẹc", "Hz": "hẹc", "mhz": "mê ga hẹc",
    "MHz": "mê ga hẹc", "mmHg": "mi li mét thủy ngân", "GB": "gi ga bai", "MB": "mê ga bai",
    "p": "phút", "ph": "phút", "s": "giây",
    "đ": "đồng", "đồng": "đồng", "vnđ": "đồng", "VNĐ": "đồng", "VND": "đồng", "vnd": "đồng", "Vnđ": "đồng",
    "₫": "đồng", "$": "đô la", "usd": "đô la", "USD": "đô la", "€": "ơ rô", "eur": "ơ rô", "EUR": "ơ rô",
    "k": "nghìn", "K": "nghìn", "tr": "triệu",
}
GLUED_ONLY = {"p", "s", "k", "K", "v", "w", "tr", "°", "ph"}
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3}){2,}|\d+(?:[.,]\d+)?"
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<cur>[$€])?(?P<num>{_NUM})(?P<sp>\s?)(?P<unit>{_UNIT_ALT})(?![^\W\d_])"
    rf"(?:(?P<per>\s?/\s?)(?P<den>{_UNIT_ALT}|[^\W\d_]+)(?![^\W\d_]))?"
)
_PREFIX_CURRENCY = re.compile(rf"(?<![\w.,])(?P<cur>[$€])\s?(?P<num>{_NUM})(?![\w]|[.,]\d)")
_MIN_SEC = re.compile(r"(?<![\w.,])(\d{1,3})\s?(?:p|ph)\s?(\d{1,2})\s?s(?![\w])")
_MILLION_SHORT = re.compile(r"(?<![\w.,])(\d+)\s?tr(\d{1,3})(?![\w])")
_RANGE = re.compile(r"(?<![\w.,])([$€]?\d[\w.,:%$€₫°/']*?)\s*[-–—~]\s*(?=[$€]?\d)")
_COULD_BE_DATE = re.compile(r"0?[1-9]|[12]\d|3[01]")
_RANGE_END = re.compile(r"[$€]?\d[\w.,:%$€₫°/']*?(?=[.,;:]?(?:\s|$))")
_NUMBER_OVER_NUMBER = re.compile(r"(?<=\d)\s?/\s?(?=\d)")
_NEGATIVE = re.compile(r"(?:^|(?<=[\s(\[:;=]))-(?=\d)")
_NUMBER = re.compile(rf"(?<![\d])(?:{_NUM})")
_BETWEEN = re.compile(r"(?<=\d)\s*([x×*+=:/])\s*(?=\d)")
_BETWEEN_WORDS = {"x": " nhân ", "×": " nhân ", "*": " nhân ", "+": " cộng ", "=": " bằng ", ":": " trên ",
                  "/": " trên "}
_WORD_DASH_DIGIT = re.compile(r"(?<=[^\W\d_])-(?=\d)")
_ORDINAL = re.compile(r"(?i)(?<![^\W\d_])(thứ)\s+(\d{1,6})(?![\w]|[.,]\d)")


# A slash after a counted or measured thing means 'per', said 'một': 20.000 đồng/người/tháng,
# 3 lần/tuần, 60 km/h. Only after these words (elsewhere 'Ông/Bà' and 'và/hoặc' are choices).
_PER_LEFT = (
    "đồng", "đ", "vnđ", "nghìn", "ngàn", "triệu", "tỷ", "lần", "buổi", "ca", "suất", "chuyến", "ngày", "giờ",
    "tiếng", "phút", "tiết", "bữa", "lượt", "kg", "g", "tấn", "tạ", "yến", "lít", "l", "m", "m2", "m3", "km", "ha",
    "kwh", "số", "khối", "liều", "mũi", "viên", "cái", "con", "bao", "túi", "chiếc", "bộ", "hộp", "người", "hộ",
    "học sinh", "em", "cháu", "trẻ", "xe", "sào", "mẫu", "công", "gói", "thùng", "chai", "bình", "usd", "đô la",
    "km2", "tháng", "năm", "tuần", "đêm",
)
_PER_WORDS = {"h": "giờ", "g": "giờ", "ng": "người", "th": "tháng", "kg": "ki lô gam", "m2": "mét vuông",
              "m3": "mét khối", "km": "ki lô mét", "m": "mét", "l": "lít", "ha": "héc ta"}
_NOT_PER = {"hoặc", "và", "hay", "bà", "chị", "ông", "anh", "em", "cô", "chú", "với", "hoac"}
_PER = re.compile(
    rf"(?i)(?<![\w.,/])(?P<lead>(?:{_NUM})\s?(?:[^\W\d_]+\s)?(?:"
    + "|".join(sorted(map(re.escape, _PER_LEFT), key=len, reverse=True))
    + r"))(?P<tail>(?:\s?/\s?[^\W\d_]+\d?(?![\w])(?:\sđêm(?![\w]))?)+)(?![\w/])"
)
# '80 miligam/100 mililít', '0,25 mg/1 lít khí thở': a measure over an amount is read 'trên'.
_PER_AMOUNT = re.compile(r"(?<=\d)(\s?[^\W\d_]+)\s?/\s?(?=\d)")
_PER_PART = re.compile(r"\s?/\s?([^\W\d_]+\d?(?:\sđêm(?![\w]))?)")
_PLUS_LIST = re.compile(r"(?<![\w.,+])(\d{1,4})((?:\s?\+\s?\d{1,4})+)(?![\w+=]|\s*=|[.,]\d)")


def road_posts(text: str, ctx: Context) -> str:
    """'Km15+200' (a post on a road) -> 'ki lô mét mười lăm cộng hai trăm'."""
    if "m" not in text and "M" not in text:
        return text

    def replace(m: re.Match[str]) -> str:
        said = "ki lô mét " + numbers.number(m.group(1), ctx.dialect)
        if m.group(2):
            said += " cộng " + numbers.number(m.group(2), ctx.dialect)
        return f" {said} "

    return _KM_POST.sub(replace, text)


def per_units(text: str, ctx: Context) -> str:
    """'20.000 đồng/người/tháng' -> '20.000 đồng một người một tháng'; '3 lần/tuần' -> '3 lần một tuần'."""
    if "/" not in text:
        return text

    def replace(m: re.Match[str]) -> str:
        parts = _PER_PART.findall(m.group("tail"))
        if any(p.lower() in _NOT_PER for p in parts):
            return m.group(0)
        words = [_PER_WORDS.get(p, UNITS.get(p, p)) for p in parts]
        return m.group("lead") + "".join(f" một {w}" for w in words) + " "

    text = _PER.sub(replace, text)
    return _PER_AMOUNT.sub(r"\1 trên ", text)


def plus_lists(text: str, ctx: Context) -> str:
    """'tổ 4+5+6' -> 'tổ bốn, năm và sáu': a '+' between numbers in a notice joins a list."""
    if "+" not in text:
        return text

    def replace(m: re.Match[str]) -> str:
        items = [numbers.number(n, ctx.dialect) for n in [m.group(1), *re.findall(r"\d+", m.group(2))]]
        said = ", ".join(items[:-1]) + " và " + items[-1]
        ctx.guessed(m.group(0), said, "a list, not a sum")
        return f" {said} "

    return _PLUS_LIST.sub(replace, text)


def read_number(written: str, dialect: str = "north", decimal_dot: bool = False) -> str:
    """Read one written number: 15.000.000, 2,5, 0256, 1,000,000 (English grouping), 1.5."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", written):
        integer, _, fraction = written.replace(".", "").partition(",")
        return numbers.decimal(integer, fraction, dialect) if fraction else numbers.number(integer, dialect)
    if re.fullmatch(r"\d{1,3}(?:,\d{3}){2,}", written):
        return numbers.number(written.replace(",", ""), dialect)
    if "," in written:
        integer, _, fraction = written.partition(",")
        return numbers.decimal(integer, fraction, dialect)
    if "." in written:
        integer, _, fraction = written.partition(".")
        if decimal_dot:
            return numbers.decimal(integer, fraction, dialect)
        return f"{read_number(integer, dialect)} chấm {read_number(fraction, dialect)}"
    if len(written) >= 3 and written.startswith("0"):
        return numbers.digits(written)  # area codes, account numbers
    return numbers.number(written, dialect)


_WEEKDAY_DASH = re.compile(
    r"(?i)(?<![^\W\d_])((?:thứ\s*(?:[2-7]|hai|ba|tư|năm|sáu|bảy))|chủ nhật)\s*[-–—]\s*(?=thứ|chủ nhật)"
)
_KM_POST = re.compile(r"(?<![\w])[Kk][Mm]\s?(\d{1,4})(?:\s?\+\s?(\d{1,3}))?(?![\w]|[.,]\d)")


def ranges(text: str, ctx: Context) -> str:
    """'10:00-11:00', '3kg-6kg', '50.000đ-100.000đ', '2020-2025', 'thứ 2 - thứ 6' -> '... đến ...'."""
    if not any(c in text for c in "-–—~"):
        return text
    text = _WEEKDAY_DASH.sub(r"\1 đến ", text)
    def to(m: re.Match[str]) -> str:
        right = _RANGE_END.match(text, m.end())
        end = right.group(0) if right else ""
        if _COULD_BE_DATE.fullmatch(m.group(1)) and _COULD_BE_DATE.fullmatch(end) and int(end) <= 12:
            ctx.guessed(m.group(0) + end, f"{m.group(1)} đến {end}", "a range, not a day and month")
        return m.group(1) + " đến "

    text = _RANGE.sub(to, text)
    return _WORD_DASH_DIGIT.sub(" ", text)


def quantities(text: str, ctx: Context) -> str:
    """Money, units and percentages: 45.000đ/kg, 1tr5, 10k, $10, 25°C, 50%, 8,5m2."""
    def million_short(m: re.Match[str]) -> str:
        rest = int(m.group(2).ljust(3, "0"))
        said = f" {numbers.number(m.group(1), ctx.dialect)} triệu"
        if rest:
            said += f" {numbers.cardinal(rest, ctx.dialect)} {'ngàn' if ctx.dialect == 'south' else 'nghìn'}"
        return said + " "

    def quantity(m: re.Match[str]) -> str:
        unit = m.group("unit")
        if m.group("sp") and unit in GLUED_ONLY:
            return m.group(0)
        said = read_number(m.group("num"), ctx.dialect, decimal_dot=True) + " " + UNITS[unit]
        if m.group("cur"):
            said += " " + UNITS[m.group("cur")]
        if m.group("den"):
            den = m.group("den")
            said += " một " + _PER_WORDS.get(den, UNITS.get(den, den))
        return f" {said} "

    def prefix_currency(m: re.Match[str]) -> str:
        return f" {read_number(m.group('num'), ctx.dialect, decimal_dot=True)} {UNITS[m.group('cur')]} "

    if "/" in text:  # a number over a number left by the date reader: '120/80 mmHg'
        text = _NUMBER_OVER_NUMBER.sub(" trên ", text)
    text = _MIN_SEC.sub(lambda m: f" {numbers.number(m.group(1), ctx.dialect)} phút"
                        f" {numbers.number(m.group(2), ctx.dialect)} giây ", text)
    text = _MILLION_SHORT.sub(million_short, text)
    text = _QUANTITY.sub(quantity, text)
    return _PREFIX_CURRENCY.sub(prefix_currency, text)


def ordinals(text: str, ctx: Context) -> str:
    """'thứ 2' -> 'thứ hai', 'thứ 1' -> 'thứ nhất', 'thứ 4' -> 'thứ tư'."""
    return _ORDINAL.sub(lambda m: f"{m.group(1)} {numbers.ordinal(int(m.group(2)), ctx.dialect)}", text)


def plain_numbers(text: str, ctx: Context) -> str:
    """Every number still in digits: negatives, 'x' and '/' between numbers, then the number."""
    if not _ANY_DIGIT.search(text):
        return text
    text = _NEGATIVE.sub("âm ", text)
    text = _BETWEEN.sub(lambda m: _BETWEEN_WORDS[m.group(1)], text)
    def number(m: re.Match[str]) -> str:
        written = m.group(0)
        said = read_number(written, ctx.dialect)
        if written.isdigit() and ((len(written) >= 3 and written.startswith("0"))
                                  or len(written.lstrip("0")) > numbers.MAX_CARDINAL_DIGITS):
            ctx.guessed(written, said, "a long number read digit by digit")
        return f" {said} "

    return _NUMBER.sub(number, text)
