"""The console's words: English message ids, shown in the station's language (Vietnamese by default).

Templates and views call ``tr("Today")``; errors go through ``error_text`` so the web shows the
same message and hint as the CLI. When ``announcer.i18n`` (the station-wide catalogue) is
installed, it is asked first and this table only fills what it does not know yet.
"""

from __future__ import annotations

import importlib
from typing import Any

from announcer.errors import AnnouncerError

DEFAULT_LANGUAGE = "vi"

VI: dict[str, str] = {
    # navigation and frame
    "Ward radio console": "Bàn điều khiển đài truyền thanh",
    "Today": "Hôm nay",
    "Broadcast now": "Phát ngay",
    "Notices": "Bản tin",
    "Import text": "Nhập văn bản",
    "Schedule": "Lịch phát",
    "Broadcast log": "Nhật ký phát sóng",
    "Account": "Tài khoản",
    "Log out": "Đăng xuất",
    "Logged in as": "Đang đăng nhập:",
    "Skip to content": "Bỏ qua, tới nội dung",
    # roles
    "bien-tap": "Biên tập",
    "phe-duyet": "Phê duyệt",
    "quan-tri": "Quản trị",
    # login and first run
    "Log in": "Đăng nhập",
    "User name": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Password again": "Nhập lại mật khẩu",
    "Wrong user name or password.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Too many wrong passwords. Please try again in {minutes} minutes.":
        "Bạn đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
    "Your session has ended. Please log in again.":
        "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
    "Please log in to continue.": "Vui lòng đăng nhập để tiếp tục.",
    "You have logged out.": "Bạn đã đăng xuất.",
    "First use: create the administrator account": "Lần đầu sử dụng: tạo tài khoản quản trị",
    "This console has no accounts yet. Create the first one: it will be the administrator "
    "(quản trị), who can add the other staff.":
        "Bàn điều khiển chưa có tài khoản nào. Hãy tạo tài khoản đầu tiên: đây sẽ là tài khoản "
        "quản trị, dùng để thêm tài khoản cho các cán bộ khác.",
    "Create account": "Tạo tài khoản",
    "The two passwords are not the same.": "Hai lần nhập mật khẩu không giống nhau.",
    "At least {n} characters.": "Ít nhất {n} ký tự.",
    # security refusals
    "The form has expired or did not come from this console. Reload the page and try again.":
        "Biểu mẫu đã hết hạn hoặc không gửi từ bàn điều khiển này. Hãy tải lại trang rồi thử lại.",
    "You do not have the right to do this.": "Bạn không có quyền thực hiện thao tác này.",
    "This needs the role: {roles}.": "Việc này cần vai trò: {roles}.",
    "Page not found.": "Không tìm thấy trang.",
    "Something went wrong": "Có lỗi xảy ra",
    "Back to today's page": "Quay về trang Hôm nay",
    "What to do:": "Cách khắc phục:",
    # account page
    "Your account": "Tài khoản của bạn",
    "Role": "Vai trò",
    "Change password": "Đổi mật khẩu",
    "Current password": "Mật khẩu hiện tại",
    "New password": "Mật khẩu mới",
    "The current password is wrong.": "Mật khẩu hiện tại không đúng.",
    "Password changed.": "Đã đổi mật khẩu.",
    "Staff accounts": "Tài khoản cán bộ",
    "Created": "Ngày tạo",
    "Created by": "Người tạo",
    "Add an account": "Thêm tài khoản",
    "Account {name} created.": "Đã tạo tài khoản {name}.",
    "Recent changes": "Thay đổi gần đây",
    "Time": "Thời gian",
    "Who": "Người thực hiện",
    "What": "Nội dung",
    "Save": "Lưu",
    # as-run, render and block words
    "status:played": "Đã phát",
    "status:late": "Phát muộn",
    "status:missed": "Bị lỡ",
    "status:failed": "Lỗi, không phát được",
    "status:cut": "Bị ngắt giữa chừng",
    "status:started": "Đang phát",
    "status:upcoming": "Chưa đến giờ",
    "status:no-record": "Không có ghi nhận",
    "render:missing": "(chưa có bản thu)",
    "render:stale": "(bản thu đã cũ)",
    "render:fallback": "(đọc bằng giọng dự phòng)",
    "Slot {name}": "Buổi {name}",
    "Urgent repeat": "Phát lặp khẩn",
    "Own time": "Giờ riêng",
    "Opening jingle": "Nhạc hiệu mở đầu",
    "Closing jingle": "Nhạc hiệu kết thúc",
    # dashboard
    "On air now": "Đang phát",
    "since {time}": "từ {time}",
    "Nothing is on air.": "Không có gì đang phát.",
    "Next": "Sắp phát",
    "Nothing is scheduled in the next days.": "Mấy ngày tới chưa có lịch phát.",
    "Player": "Máy phát",
    "Running": "Đang chạy",
    "Not answering": "Không phản hồi",
    "Not running": "Chưa chạy",
    "Last sign of life:": "Hoạt động gần nhất:",
    "none yet": "chưa có",
    "{n} item(s) handed over, waiting for the player.": "{n} bản tin đã chuyển, đang chờ máy phát nhận.",
    "Warnings": "Cảnh báo",
    "No warnings.": "Không có cảnh báo nào.",
    "Today's rundown": "Lịch phát hôm nay",
    "Block": "Buổi phát",
    "Item": "Nội dung",
    "Length": "Thời lượng",
    "Aired": "Tình trạng phát",
    "runs over by {s} s": "lấn sang buổi sau {s} giây",
    "Nothing is scheduled today.": "Hôm nay không có lịch phát.",
    "station.toml has a mistake; the player uses its last valid version: {message}":
        "Tệp station.toml có lỗi; máy phát đang dùng bản hợp lệ gần nhất: {message}",
    "The player is not running: nothing airs on schedule. Start it with announcer run.":
        "Máy phát chưa chạy nên sẽ không có gì được phát theo lịch. Hãy khởi động bằng lệnh announcer run.",
    "The player has not answered since {when}.": "Máy phát không phản hồi từ {when}.",
    "{name}: no recording yet.": "{name}: chưa có bản thu.",
    "{name}: the recording is out of date.": "{name}: bản thu đã cũ, cần dựng lại.",
    "Jingle file not found: {name}.": "Không tìm thấy tệp nhạc hiệu: {name}.",
    "The {at} block runs {seconds} s into the next one.": "Buổi phát {at} lấn sang buổi sau {seconds} giây.",
    "{name} is waiting for approval.": "{name} đang chờ phê duyệt.",
    "Check: {problem}": "Kiểm tra: {problem}",
    # lịch phát
    "{value} is not a date.": "{value} không phải là ngày hợp lệ.",
    "Write the date as YYYY-MM-DD, e.g. 2026-12-15.": "Hãy ghi ngày theo dạng năm-tháng-ngày, ví dụ 2026-12-15.",
    "Schedule for the week of {first} to {last}": "Lịch phát tuần từ {first} đến {last}",
    "Previous week": "Tuần trước",
    "This week": "Tuần này",
    "Next week": "Tuần sau",
    "day:mon": "Thứ Hai",
    "day:tue": "Thứ Ba",
    "day:wed": "Thứ Tư",
    "day:thu": "Thứ Năm",
    "day:fri": "Thứ Sáu",
    "day:sat": "Thứ Bảy",
    "day:sun": "Chủ Nhật",
    "until {time}": "đến {time}",
    "then {gap} without broadcast": "sau đó nghỉ {gap}",
    "{h} h {m} min": "{h} giờ {m} phút",
    "{m} min": "{m} phút",
    "Airtime": "Tổng thời lượng",
    "Nothing is scheduled this week.": "Tuần này không có lịch phát.",
    "Not on the schedule: waiting for approval": "Chưa lên lịch vì đang chờ phê duyệt",
    # nhật ký phát sóng
    "Day": "Ngày",
    "Show": "Xem",
    "Previous day": "Ngày trước",
    "Next day": "Ngày sau",
    "Download CSV": "Tải tệp CSV",
    "Monthly report": "Báo cáo tháng",
    "Scheduled": "Giờ theo lịch",
    "Started": "Bắt đầu",
    "Ended": "Kết thúc",
    "Note": "Ghi chú",
    "Nothing was recorded on this day.": "Ngày này không có ghi nhận phát sóng nào.",
    "{value} is not a month.": "{value} không phải là tháng hợp lệ.",
    "Write the month as YYYY-MM, e.g. 2026-12.": "Hãy ghi tháng theo dạng năm-tháng, ví dụ 2026-12.",
    "Monthly broadcast report": "Báo cáo phát sóng tháng",
    "Broadcast report, month {month}/{year}": "Báo cáo phát sóng tháng {month}/{year}",
    "Printed at {time}": "In lúc {time}",
    "Previous month": "Tháng trước",
    "Next month": "Tháng sau",
    "of which late": "trong đó phát muộn",
    "Missed": "Bị lỡ",
    "Failed": "Lỗi",
    "Cut off": "Bị ngắt",
    "Total": "Tổng cộng",
    "Prepared by": "Người lập báo cáo",
    # phát ngay
    "The notice plays as soon as you confirm, cutting into what is on air.":
        "Bản tin được phát ngay khi bạn xác nhận, ngắt nội dung đang phát.",
    "1. What to broadcast": "1. Nội dung cần phát",
    "A notice from the list": "Chọn bản tin có sẵn",
    "Notice": "Bản tin",
    "— choose —": "— chọn bản tin —",
    "waiting for approval": "đang chờ phê duyệt",
    "no recording yet": "chưa có bản thu",
    "Or type a short text": "Hoặc gõ một thông báo ngắn",
    "Text to read": "Nội dung cần đọc",
    "At most {n} characters.": "Tối đa {n} ký tự.",
    "2. Level": "2. Mức độ",
    "level:thuong": "Thông thường",
    "level:uu-tien": "Ưu tiên",
    "level:khan-cap": "Khẩn cấp",
    "Continue": "Tiếp tục",
    "Confirm: broadcast now": "Xác nhận phát ngay",
    "Level": "Mức độ",
    "The recording is made first; this can take a minute.":
        "Hệ thống sẽ dựng bản thu trước, có thể mất khoảng một phút.",
    "The text is read into a recording first; this can take a minute.":
        "Nội dung sẽ được đọc thành bản thu trước, có thể mất khoảng một phút.",
    "The player is running: it plays this next, cutting into what is on air.":
        "Máy phát đang chạy: bản tin này sẽ được phát tiếp theo, ngắt nội dung đang phát.",
    "The player is not running: this computer plays it now.":
        "Máy phát chưa chạy: máy tính này sẽ phát ngay bản tin.",
    "Cancel": "Hủy",
    "job:preparing": "Đang chuẩn bị bản thu…",
    "job:handed": "Đã chuyển cho máy phát, đang chờ phát…",
    "job:playing": "Đang phát.",
    "job:done": "Đã phát xong.",
    "job:cut": "Bị ngắt trước khi phát xong.",
    "job:failed": "Không phát được.",
    "Started at {time}.": "Bắt đầu phát lúc {time}.",
    "Ended at {time}.": "Kết thúc lúc {time}.",
    "Requested by {who} at {time}.": "Yêu cầu bởi {who} lúc {time}.",
    "Broadcast something else": "Phát bản tin khác",
    "Choose a level.": "Hãy chọn mức độ.",
    "Type the text to read.": "Hãy nhập nội dung cần đọc.",
    "The text is {n} characters; at most {max} can be read from here. Longer notices go in a script.":
        "Nội dung dài {n} ký tự; ở đây chỉ đọc được tối đa {max} ký tự. Thông báo dài hơn hãy tạo thành bản tin.",
    "This station airs only approved notices: a typed text needs an approver.":
        "Đài chỉ phát nội dung đã được phê duyệt: thông báo gõ tay cần người có quyền phê duyệt thực hiện.",
    "Choose a notice from the list.": "Hãy chọn một bản tin trong danh sách.",
    "{name} has not been approved yet, so it cannot air.": "{name} chưa được phê duyệt nên chưa thể phát.",
    "…and {n} more problems (announcer check lists them all).":
        "…và {n} lỗi khác (lệnh announcer check liệt kê đầy đủ).",
}

EN_OVERRIDES: dict[str, str] = {
    "bien-tap": "Editor",
    "phe-duyet": "Approver",
    "quan-tri": "Administrator",
}

TABLES: dict[str, dict[str, str]] = {"vi": VI, "en": EN_OVERRIDES}


def _translator(language: str) -> Any:
    """``announcer.i18n``'s translator when it is installed (it owns the station-wide catalogue), else None."""
    try:
        i18n = importlib.import_module("announcer.i18n")
    except ImportError:
        return None
    try:
        return i18n.translator(language)
    except Exception:  # noqa: BLE001 - a catalogue problem must not take a page down
        return None


def tr(msgid: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """``msgid`` in ``language``: from the station-wide catalogue, else from this module's table."""
    text = None
    translator = _translator(language)
    if translator is not None:
        found = translator.gettext(msgid)
        if found != msgid:
            text = found
    if text is None:
        text = TABLES.get(language, {}).get(msgid, msgid)
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation must never hide the message
        return msgid.format(**values)


def _relative(path: str, root: Any) -> str:
    """A file inside the station as the staff know it (scripts/x.md), not the machine's full path."""
    from pathlib import Path

    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return path


def error_text(exc: AnnouncerError, language: str = DEFAULT_LANGUAGE, root: Any = None) -> tuple[str, str | None]:
    """(message with its place, hint) of an error, in the language the CLI would use for it."""
    translator = _translator(language)
    message: str = exc.message
    hint = exc.hint
    if translator is not None:
        message = translator(exc.message)
        hint = translator(exc.hint) if exc.hint else None
    where = exc.location()
    if root is not None and exc.file:
        where = _relative(exc.file, root) + (f":{exc.line}" if exc.line else "")
    return (f"{where}: {message}" if where else message), hint


def say(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A library message (plain text, or a marked message of ``announcer.i18n``) in ``language``."""
    translator = _translator(language)
    return str(translator(value)) if translator is not None else str(value)


def problem_text(problem: Any, language: str, root: Any = None) -> str:
    """One finding of ``check`` as a line: place, message and hint, in ``language``."""
    where = str(problem.file or "")
    if where and root is not None:
        where = _relative(where, root)
    if where and problem.line:
        where = f"{where}:{problem.line}"
    text = say(problem.message, language)
    text = f"{where}: {text}" if where else text
    return f"{text} — {say(problem.hint, language)}" if problem.hint else text


def station_language(root: Any, station: Any) -> str:
    """The station's language, as the CLI would choose it (without --lang)."""
    try:
        i18n = importlib.import_module("announcer.i18n")
        return str(i18n.station_language(root))
    except (ImportError, AttributeError):
        return str(getattr(station, "language", DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE)
