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
# 'ngày' already said: right before the number, or as a label ('Ngày ban hành:', 'ngày sinh').
_DAY_BEFORE = re.compile(
    r"(?i)(?:(?:ngày|mùng|mồng)(?:\s*\d{1,2}(?:\s*(?:,|và|-|–|đến|hoặc)\s*\d{1,2})*\s*(?:,|và|-|–|đến|hoặc))?|"
    r"ngày(?:\s+[^\W\d_]+){1,3}\s*:|"
    r"ngày\s+(?:sinh|cấp|ký|kí|ban hành|cập nhật|hiệu lực|có hiệu lực|hết hạn|đăng|nhận|nộp|thi|khai giảng))\s*$"
)
_MONTH_BEFORE = re.compile(r"(?i)tháng\s*$")
# The next date of a list whose first one was just read: '30/4 và 1/5' says 'ngày' once.
_LIST_AFTER_DATE = re.compile(
    r"(?i)(?:tháng\s+(?:một|hai|ba|tư|năm|sáu|bảy|tám|chín|mười(?:\s+một|\s+hai)?)|(?<![\w/.])\d{1,2}[/-]\d{1,2})"
    r"\s*(?:,|và|hoặc)\s*$"
)
# Places named after a date: 'đường 3/2', 'trường THCS 19/5', 'Quảng trường 2/9' (no 'ngày').
_NAME_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?<!yêu )(?<!nhu )(?<!thị )(?<!môi )(?<!thành )(?<!hiện )(?<!lập )(?<!con )"
    r"(?:đường|phố|trường|quảng trường|công viên|cầu|chợ|sân vận động|bến xe|"
    r"nhà văn hóa|nhà văn hoá|nhà thi đấu|bệnh viện|lâm trường|nông trường|khu|hồ|đập|kênh|"
    r"lễ|dịp|dịp lễ|quốc khánh|kỷ niệm|chào mừng|mừng|đại lễ)"
    r"(?:\s+(?:tiểu học|trung học cơ sở|trung học phổ thông|mầm non|mẫu giáo|th|thcs|thpt|mn|"
    r"đại học|cao đẳng|trung cấp|phổ thông|dân lập|tư thục))*\s*$"
)
# Address parts 'số 12/5', 'ngõ 354/159', 'kiệt 12/5': a number over a number, not a date.
_ADDRESS_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:số nhà|số|ngõ|ngách|hẻm|kiệt|hẻm số|lô|tổ|tổ dân phố|khu phố|thôn|ấp|xóm|khối|lớp|"
    r"phòng|căn hộ|căn|trụ|cột|nhà|tại|địa chỉ\s*:?)\s*$"
)
# A share: '7/9 thôn', 'đạt 18/19 tiêu chí' (the first never above the second).
_COUNTED = (
    "thôn", "xóm", "xã", "phường", "thị trấn", "hộ", "người", "em", "cháu", "học sinh", "đơn vị", "tổ", "khu phố",
    "ấp", "bản", "làng", "buôn", "trường", "tiêu chí", "chỉ tiêu", "câu", "điểm", "hồ sơ", "trường hợp", "lượt",
    "cơ sở", "doanh nghiệp", "công dân", "thanh niên", "khu dân cư", "cụm", "đội", "chi hội", "chi bộ", "nhà",
    "căn", "phòng", "lớp", "huyện", "tỉnh", "quận", "thành viên", "đại biểu", "cử tri", "phiếu", "xe", "tuyến",
    "mục", "nội dung", "thủ tục", "dự án", "công trình", "ca", "mẫu", "gia đình", "tập thể", "cá nhân", "ngành",
    "khối", "số", "bệnh nhân", "giáo viên", "chiến sĩ", "cán bộ", "tổ dân phố", "khu vực", "trạm", "điểm trường",
    "kg", "km", "m", "m2", "m3", "lít", "tấn", "ha", "mét", "cm", "phần",
)
_COUNTED_AFTER = re.compile(
    r"(?i)\s*(?:" + "|".join(sorted(map(re.escape, _COUNTED), key=len, reverse=True)) + r")(?![^\W\d_])"
)
_SHARE_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:đạt|chiếm|được|có|còn|hoàn thành|trên tổng số|tổng số|thị lực(?:\s+mắt\s+\w+)?|"
    r"mắt phải|mắt trái)\s*:?\s*$"
)
# 'số 15/2024' (a document numbered within its year, its code left out): 'số mười lăm năm hai nghìn...'.
_NUMBER_OF_YEAR = re.compile(r"(?i)(?<![^\W\d_])(số:?)\s*(\d{1,5})/((?:19|20)\d\d)(?![\w/]|[.,]\d)")
# 'Quý III/2024', 'đợt 2/2025': a period within a year.
_PERIOD_OF_YEAR = re.compile(
    r"(?i)(?<![^\W\d_])(quý|đợt|kỳ|kì|học kỳ|học kì|giai đoạn)\s+([IVX]{1,4}|\d{1,2})\s*[/-]\s*((?:19|20)\d\d)"
    r"(?![\w/]|[.,]\d)"
)
_ROUND_CLOCK = re.compile(r"(?<![\w/.,:-])24/(24|7)(h)?(?![\w/]|[.,]\d)")
# Day-month with a hyphen (15-7) or a dot (14.3): a date only where the words around say so.
_DAY_MONTH = re.compile(r"(?<![\w/.,:-])(\d{1,2})([-.])(\d{1,2})(?![\w/]|[.,:-]\d)")
_DAYTIME_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:hôm nay|hôm|(?:sáng|trưa|chiều|tối|đêm|rạng sáng)(?:\s+(?:nay|mai|qua))?|ngày mai|mai)\s*$"
)
_EDGE_BEFORE = re.compile(
    r"(?i)(?:(?<![^\W\d_])(?:từ|đến|tới|trước|sau|hết|vào|kể từ|đến hết|thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|"
    r"chủ nhật|cn)\s*,?|:|\()\s*$"
)
_ENDS_CLAUSE = re.compile(r"(?i)\s*(?:$|[.,;:)!?(]|(?:đến|tới|và|hoặc|năm|hằng|hàng|này|vừa qua|tới đây)(?![^\W\d_]))")
_MONTH_HYPHEN_YEAR = re.compile(r"(?i)(?<![^\W\d_])(tháng)\s*(\d{1,2})\s*[-.]\s*(\d{4})(?![\w]|[.,]\d)")


_WINDOW = 80  # characters before a number that can decide its reading (about fifteen words)


def _before(text: str, end: int) -> str:
    """The words just before a match; a bounded window keeps a line of many numbers linear."""
    return text[max(0, end - _WINDOW):end]


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


def _share(a: int, b: int, dialect: str) -> str:
    return f"{numbers.cardinal(a, dialect)} trên {numbers.cardinal(b, dialect)}"


def _slash_context(text: str, m: re.Match[str], day: int, mon: int) -> str | None:
    """Why a bare d/m is not a date, or None if it is one."""
    before = _before(text, m.start())
    if _DAY_BEFORE.search(before):
        return None
    if _NAME_BEFORE.search(before) or _LIST_AFTER_DATE.search(before):
        return "name"
    if _ADDRESS_BEFORE.search(before):
        return "address"
    if day <= mon and (_COUNTED_AFTER.match(text, m.end()) or _SHARE_BEFORE.search(before)):
        return "share"
    return None


def dates(text: str, ctx: Context) -> str:
    """A bare d/m in a notice is a date, unless the words around make it a name, an address or a share.
    'ngày' is added unless the text already says it."""
    if not any(c in text for c in "/.-") and "tháng" not in text.lower():
        return text
    text = _MONTH_HYPHEN_YEAR.sub(
        lambda m: f"{m.group(1)} {numbers.month(int(m.group(2)), ctx.dialect)} năm "
        f"{numbers.number(m.group(3), ctx.dialect)}" if 1 <= int(m.group(2)) <= 12 else m.group(0), text)

    def round_clock(m: re.Match[str]) -> str:
        if _DAY_BEFORE.search(_before(text, m.start())):
            return m.group(0)
        return " " + _share(24, int(m.group(1)), ctx.dialect) + (" giờ " if m.group(2) else " ")

    text = _ROUND_CLOCK.sub(round_clock, text)

    def full(m: re.Match[str]) -> str:
        a_day, a_mon, a_year = _parse(m.group("a"))
        said_ngay = bool(_DAY_BEFORE.search(_before(text, m.start())) or _NAME_BEFORE.search(_before(text, m.start())))
        if m.group("b") is None:
            if a_mon is None:
                return m.group(0)
            if a_year is None and "/" in m.group("a"):
                kind = _slash_context(text, m, a_day, a_mon)
                if kind in ("share", "address"):
                    said = _share(a_day, a_mon, ctx.dialect)
                    ctx.guessed(m.group(0), said, f"{'a share' if kind == 'share' else 'an address'}, not a date")
                    return f" {said} "
                if kind == "name" and _valid(a_day, a_mon):
                    return " " + _say(a_day, a_mon, None, ctx.dialect, False) + " "
            if not _valid(a_day, a_mon):
                return m.group(0)
            said = _say(a_day, a_mon, a_year, ctx.dialect, not said_ngay)
            if a_year is None and not said_ngay:
                ctx.guessed(m.group(0), said, "guessed to be a date")
            return " " + said + " "
        b_day, b_mon, b_year = _parse(m.group("b"))
        if b_mon is None or not (_valid(a_day, a_mon) and _valid(b_day, b_mon)):
            return m.group(0)
        if a_mon is None or (a_mon == b_mon and a_year in (None, b_year)):
            first = _say(a_day, None, None, ctx.dialect, not said_ngay)
        elif a_year == b_year:
            first = _say(a_day, a_mon, None, ctx.dialect, not said_ngay)
        else:
            first = _say(a_day, a_mon, a_year, ctx.dialect, not said_ngay)
        said = f"{first} đến {_say(b_day, b_mon, b_year, ctx.dialect, False)}"
        ctx.guessed(m.group(0), said, "a range of dates")
        return f" {said} "

    text = _FULL_OR_DAY.sub(full, text)

    def day_month(m: re.Match[str]) -> str:
        day, mon = int(m.group(1)), int(m.group(3))
        if not _valid(day, mon):
            return m.group(0)
        before = _before(text, m.start())
        if _DAY_BEFORE.search(before) or (m.group(2) == "-" and (_NAME_BEFORE.search(before)
                                                                  or _LIST_AFTER_DATE.search(before))):
            return " " + _say(day, mon, None, ctx.dialect, False) + " "
        if _DAYTIME_BEFORE.search(before) or (_EDGE_BEFORE.search(before) and _ENDS_CLAUSE.match(text, m.end())
                                               and m.group(2) == "-"):
            said = _say(day, mon, None, ctx.dialect, True)
            ctx.guessed(m.group(0), said, "guessed to be a date")
            return " " + said + " "
        return m.group(0)

    text = _DAY_MONTH.sub(day_month, text)

    text = _NUMBER_OF_YEAR.sub(lambda m: f"{m.group(1)} {numbers.number(m.group(2), ctx.dialect)} năm "
                               f"{numbers.number(m.group(3), ctx.dialect)} ", text)

    def period_of_year(m: re.Match[str]) -> str:
        token = m.group(2)
        value = int(token) if token.isdigit() else numbers.roman_value(token)
        if not value:
            return m.group(0)
        return f"{m.group(1)} {numbers.cardinal(value, ctx.dialect)} năm {numbers.number(m.group(3), ctx.dialect)} "

    def month_year(m: re.Match[str]) -> str:
        mon = int(m.group(1))
        if not 1 <= mon <= 12:
            return m.group(0)
        before = _before(text, m.start())
        prefix = "" if _MONTH_BEFORE.search(before) else "tháng "
        return f" {prefix}{numbers.month(mon, ctx.dialect)} năm {numbers.number(m.group(2), ctx.dialect)} "

    text = _PERIOD_OF_YEAR.sub(period_of_year, text)
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
# '9g' is nine o'clock only where a time is expected; elsewhere 'g' stays grams.
_HOURS_G = re.compile(r"(?<![\w.,])(\d{1,2})g(?![\w])")
_TIME_BEFORE = re.compile(r"(?i)(?<![^\W\d_])(?:lúc|từ|đến|tới|vào|khoảng|trước|sau|hồi|giờ)\s*$|[-–]\s*$")
_TIME_AFTER = re.compile(r"(?i)\s*(?:[-–]|(?:sáng|trưa|chiều|tối|đêm|ngày|hôm|đến|tới|và|cùng ngày)(?![^\W\d_]))")
# '07 giờ 00 phút', '7 giờ 00': an announcer says 'bảy giờ'.
_ZERO_MINUTES = re.compile(r"(?i)(?<![^\W\d_])(giờ)\s+0{1,2}(?:\s*(?:phút|ph|p)(?![^\W\d_]))?(?![\w])")


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

    def hours_g(m: re.Match[str]) -> str:
        timely = _TIME_BEFORE.search(_before(text, m.start())) or _TIME_AFTER.match(text, m.end())
        if int(m.group(1)) > 24 or not timely:
            return m.group(0)
        return f" {numbers.number(m.group(1), ctx.dialect)} giờ "

    if ":" in text:
        text = _CLOCK.sub(clock, text)
    if "giờ" in text:
        text = _ZERO_MINUTES.sub(r"\1", text)
    if "g" in text:
        text = _HOURS_G.sub(hours_g, text)
    text = _HOUR_MIN.sub(hour_min, text)
    return _HOURS.sub(lambda m: f" {numbers.number(m.group(1), ctx.dialect)} giờ ", text)
