"""Dates (24/6/2021, 25-03-1975, 10.05.2000, 14/4, tháng 10/2021, ranges) and times of day."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context

_D = r"\d{1,2}"
_DATE = rf"{_D}(?:/{_D}(?:/\d{{4}})?|-{_D}-\d{{4}}|\.{_D}\.\d{{4}})"
_FULL_OR_DAY = re.compile(
    rf"(?<![\w/.,:-])(?P<a>{_DATE}|{_D}(?=\s*[-–]\s*{_DATE}))"
    rf"(?:\s*(?:[-–—]|đến)\s*(?P<b>{_DATE}))?(?![\w/]|[.,:-]\d)"
)
_MONTH_YEAR = re.compile(r"(?<![\w/.,:-])(\d{1,2})/(\d{4})(?![\w/]|[.,]\d)")
_BLANK_DAY = re.compile(r"(?:(?<=\s)|^)/(\d{1,2})/(\d{4})(?![\w/]|[.,]\d)")
_MONTH_WORD = re.compile(r"(?i)(?<![^\W\d_])(tháng)\s+(\d{1,2})(?:\s+(\d{4}))?(?![\w]|[.,:/-]\d)")
_DAY_BEFORE = re.compile(r"(?i)(?:ngày|mùng|mồng)\s*$")
_MONTH_BEFORE = re.compile(r"(?i)tháng\s*$")


def _parse(date: str) -> tuple[int, int | None, int | None]:
    parts = [int(p) for p in re.split(r"[/.-]", date)]
    day = parts[0]
    mon = parts[1] if len(parts) > 1 else None
    year = parts[2] if len(parts) > 2 else None
    return day, mon, year


def _valid(day: int, mon: int | None) -> bool:
    return 1 <= day <= 31 and (mon is None or 1 <= mon <= 12)


def _say(day: int, mon: int | None, year: int | None, dialect: str, with_ngay: bool) -> str:
    words = (["ngày"] if with_ngay else []) + [numbers.cardinal(day, dialect)]
    if mon is not None:
        words += ["tháng", numbers.month(mon, dialect)]
    if year is not None:
        words += ["năm", numbers.cardinal(year, dialect)]
    return " ".join(words)


def dates(text: str, ctx: Context) -> str:
    """A bare d/m in a notice is a date. 'ngày' is added unless the text already says it."""
    if not any(c in text for c in "/.-") and "tháng" not in text.lower():
        return text

    def full(m: re.Match[str]) -> str:
        a_day, a_mon, a_year = _parse(m.group("a"))
        said_ngay = bool(_DAY_BEFORE.search(text, 0, m.start()))
        if m.group("b") is None:
            if a_mon is None or not _valid(a_day, a_mon):
                return m.group(0)
            return " " + _say(a_day, a_mon, a_year, ctx.dialect, not said_ngay) + " "
        b_day, b_mon, b_year = _parse(m.group("b"))
        if b_mon is None or not (_valid(a_day, a_mon) and _valid(b_day, b_mon)):
            return m.group(0)
        if a_mon is None or (a_mon == b_mon and a_year in (None, b_year)):
            first = _say(a_day, None, None, ctx.dialect, not said_ngay)
        elif a_year == b_year:
            first = _say(a_day, a_mon, None, ctx.dialect, not said_ngay)
        else:
            first = _say(a_day, a_mon, a_year, ctx.dialect, not said_ngay)
        return f" {first} đến {_say(b_day, b_mon, b_year, ctx.dialect, False)} "

    text = _FULL_OR_DAY.sub(full, text)

    def month_year(m: re.Match[str]) -> str:
        mon = int(m.group(1))
        if not 1 <= mon <= 12:
            return m.group(0)
        prefix = "" if _MONTH_BEFORE.search(text, 0, m.start()) else "tháng "
        return f" {prefix}{numbers.month(mon, ctx.dialect)} năm {numbers.number(m.group(2), ctx.dialect)} "

    text = _MONTH_YEAR.sub(month_year, text)
    text = _BLANK_DAY.sub(month_year, text)  # 'ngày     /6/2021': the day was left blank

    def month_word(m: re.Match[str]) -> str:
        mon = int(m.group(2))
        if not 1 <= mon <= 12:
            return m.group(0)
        said = f"{m.group(1)} {numbers.month(mon, ctx.dialect)}"
        if m.group(3):
            said += " năm " + numbers.number(m.group(3), ctx.dialect)
        return said

    return _MONTH_WORD.sub(month_word, text)


_CLOCK = re.compile(r"(?<![\w:.,])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\w:]|[.,]\d)")
_HOUR_MIN = re.compile(r"(?<![\w.,])(\d{1,2})\s?[hHg](\d{1,2})(?:\s?(?:ph|p|')(?![^\W\d_]))?(?![\w])")
_HOURS = re.compile(r"(?<![\w.,])(\d{1,3})\s?[hH](?![\w])")


def _clock(hour: int, minute: int, second: int, dialect: str) -> str:
    words = [numbers.cardinal(hour, dialect), "giờ"]
    if minute:
        words += [numbers.cardinal(minute, dialect), "phút"]
    if second:
        words += [numbers.cardinal(second, dialect), "giây"]
    return " ".join(words)


def times(text: str, ctx: Context) -> str:
    """06:00, 8:30, 5:20:35, 6h, 6h30, 17h00, 14g30 -> 'giờ ... phút'."""
    def clock(m: re.Match[str]) -> str:
        hour, minute = int(m.group(1)), int(m.group(2))
        second = int(m.group(3) or 0)
        if hour > 24 or minute > 59 or second > 59:
            return m.group(0)
        return " " + _clock(hour, minute, second, ctx.dialect) + " "

    def hour_min(m: re.Match[str]) -> str:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 24 or minute > 59:
            return m.group(0)
        return " " + _clock(hour, minute, 0, ctx.dialect) + " "

    if ":" in text:
        text = _CLOCK.sub(clock, text)
    text = _HOUR_MIN.sub(hour_min, text)
    return _HOURS.sub(lambda m: f" {numbers.number(m.group(1), ctx.dialect)} giờ ", text)
