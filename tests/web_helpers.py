"""Helpers for the console's HTTP tests: a station, an app on a settable clock, logged-in clients."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from announcer.accounts import AccountBook
from announcer.config import WebOptions
from announcer.web.app import create_app
from tests.stations import make_station

PASSWORD = "mat-khau-thu-1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class SetClock:
    """A wall clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 15, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def fast_book(state_dir: Path, clock: Any = None) -> AccountBook:
    """Real argon2id, with the smallest cost (a test logs in hundreds of times)."""
    return AccountBook(state_dir, clock=clock,
                       hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def make_console(tmp_path: Path, *, users: dict[str, str] | None = None, clock: SetClock | None = None,
                 config: WebOptions | None = None, station: Path | None = None, language: str | None = "vi",
                 **station_kw: Any) -> Any:
    """(app, clock) for a fresh station; ``users`` maps name -> role (password PASSWORD); the pages in
    Vietnamese unless ``language`` says otherwise (None: as the CLI chooses, and tests set ANNOUNCER_LANG=en)."""
    root = station or make_station(tmp_path / "station", **station_kw)
    clock = clock or SetClock()
    book = fast_book(root / ".state", clock)
    for name, role in (users or {}).items():
        if book.get(name) is None:  # a station shared by a module's tests keeps its accounts
            book.add(name, PASSWORD, role, by="test")
    app = create_app(root, clock=clock, config=config, accounts=book, language=language)
    app.config["TESTING"] = True
    return app, clock


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: Any, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def token(client: Any, path: str = "/account") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


NOTICE = """\
---
title: Lịch tiêm chủng vắc-xin sởi tháng 12
slots: [sang, chieu]
---
Kính thưa bà con, trạm y tế phường tổ chức tiêm vắc-xin sởi cho trẻ từ 9 tháng tuổi.
"""

ROAD = """\
---
title: Thông báo tạm dừng cấp nước
times: ["09:30"]
---
Công ty cấp nước tạm dừng cấp nước từ 8 giờ đến 11 giờ ngày 16/12/2026.
"""


def slotted_station(tmp_path: Path, *, build: bool = False, scripts: dict[str, str] | None = None) -> Path:
    """A station with the two slots of `announcer init` (sang 06:00, chieu 17:00) and two notices:
    one in both slots, one at its own time 09:30; rendered for real when ``build``."""
    root = make_station(tmp_path / "station", script=None)
    for name, text in (scripts if scripts is not None else {"tiem-chung.md": NOTICE, "cap-nuoc.md": ROAD}).items():
        (root / "scripts" / name).write_text(text, encoding="utf-8")
    if build:
        from announcer.config import load_station
        from announcer.render import build_station

        results = build_station(load_station(root), [], jobs=1)
        assert not [r for r in results if r.error], results
    return root


def aired(root: Path, key: str, record: dict[str, Any], *, started_only: bool = False) -> None:
    """Write one record into the station's player database, as the player does."""
    from announcer.schedule.store import PlayerStore

    store = PlayerStore(root / ".state")
    store.open()
    try:
        if started_only:
            store.start(key, record)
        else:
            store.finish(key, record)
    finally:
        store.close()


def record(day: str, hhmm: str, script: str | None, status: str, *, slot: str | None = None,
           seconds: float = 30.0, error: str | None = None, title: str = "") -> tuple[str, dict[str, Any]]:
    """(key, as-run record) of one item, keyed as the player keys it (Occurrence.item_key)."""
    at = datetime.fromisoformat(f"{day}T{hhmm}:00+07:00")
    tag = f"slot:{slot}" if slot else "time"
    ident = script.rsplit("/", 1)[-1].removesuffix(".md") if script else "intro"
    started = None if status == "missed" else at
    ended = started + timedelta(seconds=seconds) if started is not None else None
    return f"{at:%Y-%m-%dT%H:%M}|{tag}|{ident}", {
        "scheduled": at.isoformat(timespec="seconds"),
        "started": started.isoformat(timespec="milliseconds") if started else None,
        "ended": ended.isoformat(timespec="milliseconds") if ended else None,
        "slot": slot, "source": "slot" if slot else "time", "script": script,
        "file": f"audio_out/{ident}.mp3", "status": status, "error": error, "title": title or ident,
    }
