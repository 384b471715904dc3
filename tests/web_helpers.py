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
                 config: WebOptions | None = None, station: Path | None = None, **station_kw: Any) -> Any:
    """(app, clock) for a fresh station; ``users`` maps name -> role (password PASSWORD)."""
    root = station or make_station(tmp_path / "station", **station_kw)
    clock = clock or SetClock()
    book = fast_book(root / ".state", clock)
    for name, role in (users or {}).items():
        book.add(name, PASSWORD, role, by="test")
    app = create_app(root, clock=clock, config=config, accounts=book)
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
