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
}

EN_OVERRIDES: dict[str, str] = {
    "bien-tap": "Editor",
    "phe-duyet": "Approver",
    "quan-tri": "Administrator",
}

TABLES: dict[str, dict[str, str]] = {"vi": VI, "en": EN_OVERRIDES}


def _catalogue() -> Any:
    """``announcer.i18n`` when it is installed (it owns the station-wide catalogue), else None."""
    try:
        return importlib.import_module("announcer.i18n")
    except ImportError:
        return None


def tr(msgid: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    text = TABLES.get(language, {}).get(msgid)
    if text is None:
        catalogue = _catalogue()
        lookup = getattr(catalogue, "translate", None) if catalogue is not None else None
        if callable(lookup):
            try:
                text = lookup(msgid, language)
            except Exception:  # noqa: BLE001 - a catalogue problem must not take a page down
                text = None
        if text is None:
            text = msgid
    return text.format(**values) if values else text


def error_text(exc: AnnouncerError, language: str = DEFAULT_LANGUAGE) -> tuple[str, str | None]:
    """(message with its place, hint) of an error, in the language the CLI would use."""
    catalogue = _catalogue()
    render = getattr(catalogue, "error_parts", None) if catalogue is not None else None
    if callable(render):
        try:
            message, hint = render(exc, language)
            return str(message), hint
        except Exception:  # noqa: BLE001 - fall back to the error's own words
            pass
    where = exc.location()
    message = f"{where}: {exc.message}" if where else exc.message
    return message, exc.hint
