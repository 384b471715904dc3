"""Number words: cardinals, digit strings, decimals, ordinals and Roman numerals.

Pure functions on Python ints and digit strings; the regex steps that find numbers in text
live in the other modules and call these.
"""

from __future__ import annotations

import re
import unicodedata

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu", "tỷ")
_ROMAN = re.compile(r"^M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
MAX_CARDINAL_DIGITS = 15


def _linh(dialect: str) -> str:
    return "lẻ" if dialect == "south" else "linh"


def _thousand(dialect: str) -> str:
    return "ngàn" if dialect == "south" else "nghìn"


def _tens_units(n: int, dialect: str, after_hundred: bool) -> list[str]:
    """0..99; after_hundred: a hundreds word precedes, so 1..9 take linh/lẻ."""
    tens, units = divmod(n, 10)
    if tens == 0:
        if units == 0:
            return []
        return [_linh(dialect), DIGITS[units]] if after_hundred else [DIGITS[units]]
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if units == 1:
        words.append("một" if tens == 1 else "mốt")
    elif units == 4:
        words.append("bốn" if tens == 1 else "tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def _group(n: int, dialect: str, inner: bool, last: bool) -> list[str]:
    """Read 1..999. inner: a larger group precedes (so 'không trăm' may be needed)."""
    hundreds, rest = divmod(n, 100)
    if hundreds:
        return [DIGITS[hundreds], "trăm", *_tens_units(rest, dialect, True)]
    if not inner:
        return _tens_units(rest, dialect, False)
    if rest < 10 and not last:
        # 1.001.000 -> "một triệu một nghìn": a lone unit inside reads plainly.
        return [DIGITS[rest]]
    return ["không", "trăm", *_tens_units(rest, dialect, True)]


def cardinal(n: int, dialect: str = "north") -> str:
    """Read an integer the Vietnamese way: 21 'hai mươi mốt', 105 'một trăm linh năm'."""
    if n < 0:
        return "âm " + cardinal(-n, dialect)
    if n == 0:
        return "không"
    if n >= 10**9:
        high, low = divmod(n, 10**9)
        words = cardinal(high, dialect) + " tỷ"
        if low:
            words += " " + _below_billion(low, dialect, inner=True)
        return words
    return _below_billion(n, dialect, inner=False)


def _below_billion(n: int, dialect: str, inner: bool) -> str:
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    words: list[str] = []
    started = inner
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            continue
        words += _group(g, dialect, inner=started, last=index == 0)
        scale = _SCALES[index]
        if scale:
            words.append(_thousand(dialect) if index == 1 else scale)
        started = True
    return " ".join(words)


def digits(text: str) -> str:
    """Read a digit string digit by digit: '1414' -> 'một bốn một bốn'."""
    values = (unicodedata.digit(c, None) for c in text)
    return " ".join(DIGITS[v] for v in values if v is not None)


def number(text: str, dialect: str = "north") -> str:
    """Read a written integer (ASCII digits, maybe with leading zeros)."""
    stripped = text.lstrip("0")
    if len(stripped) > MAX_CARDINAL_DIGITS:
        return digits(text)
    return cardinal(int(stripped or "0"), dialect)


def decimal(integer: str, fraction: str, dialect: str = "north") -> str:
    """'2', '5' -> 'hai phẩy năm'; the fraction is read digit by digit."""
    return f"{number(integer, dialect)} phẩy {digits(fraction)}"


def ordinal(n: int, dialect: str = "north") -> str:
    """The word after 'thứ': 1 nhất, 4 tư, others cardinal."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return cardinal(n, dialect)


def month(n: int, dialect: str = "north") -> str:
    """Month names: 4 is 'tư'."""
    return "tư" if n == 4 else cardinal(n, dialect)


def roman_value(token: str) -> int | None:
    """'XIV' -> 14; None if the token is not a well-formed Roman numeral."""
    up = token.upper()
    if not up or not _ROMAN.match(up):
        return None
    total = 0
    for i, ch in enumerate(up):
        value = _ROMAN_VALUES[ch]
        if i + 1 < len(up) and _ROMAN_VALUES[up[i + 1]] > value:
            total -= value
        else:
            total += value
    return total or None
