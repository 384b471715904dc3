"""The app factory: ``create_app(station_root, clock=..., config=...)`` builds one console for one station.

Nothing happens at import. ``create_app`` reads the station once to learn its language and [web]
settings, loads (or creates once) the session signing key in ``.state/``, installs the security
hooks (``announcer.web.security``) and registers each page module named in ``PAGES``.

Threads: waitress serves requests on several threads. Shared state lives in the one ``Console``
object (``app.extensions["announcer"]``): its AccountBook and AuditLog lock their own files, the
login limiter locks its table, and the station cache is swapped whole under ``_lock``.
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from announcer.accounts import ROLES, AccountBook
from announcer.audit import AuditLog
from announcer.config import STATION_FILE, Station, WebOptions
from announcer.errors import AnnouncerError, ConfigError
from announcer.fsutil import atomic_write_bytes
from announcer.web import security
from announcer.web.desk import Desk
from announcer.web.text import DEFAULT_LANGUAGE, error_text, station_language, tr
from announcer.web.view import StationView

log = logging.getLogger(__name__)

PAGES: tuple[str, ...] = (
    "announcer.web.auth",
    "announcer.web.dashboard",
    "announcer.web.broadcast",
    "announcer.web.timetable",
    "announcer.web.asrunlog",
    "announcer.web.scripts",
    # Page modules of other parts add one line here, e.g. "announcer.web.scripts".
)
"""Modules that each expose a Flask blueprint ``bp`` (or a ``register(app)`` function)."""

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Today"),
    ("/play", "Broadcast now"),
    ("/scripts", "Notices"),
    ("/import", "Import text"),
    ("/schedule", "Schedule"),
    ("/log", "Broadcast log"),
    ("/account", "Account"),
)
"""The menu, in order: (path, label). An entry shows only when some page module serves its path."""

SECRET_FILE = "web-secret.key"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Console:
    """Everything the pages share: the station folder, clock, settings, accounts and audit log."""

    root: Path
    clock: Clock
    config: WebOptions
    accounts: AccountBook
    audit: AuditLog
    limiter: security.LoginLimiter
    language: str = DEFAULT_LANGUAGE
    sink_factory: Callable[[Station], Any] | None = None
    view: StationView = field(init=False)
    desk: Desk = field(init=False)
    _station: tuple[Any, Station, ConfigError | None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.view = StationView(self.root, self.clock)
        self.desk = Desk(self.root, self.clock, self.view, sink_factory=self.sink_factory)

    @property
    def state_dir(self) -> Path:
        return self.root / ".state"

    def station(self) -> Station:
        """The station as the player would see it: station.toml, or its last valid copy when it is broken."""
        return self.station_and_problem()[0]

    def station_and_problem(self) -> tuple[Station, ConfigError | None]:
        from announcer.schedule.state import load_station_or_last_valid

        try:
            stat = (self.root / STATION_FILE).stat()
            signature: Any = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            signature = None
        cached = self._station
        if cached is not None and cached[0] == signature and signature is not None:
            return cached[1], cached[2]
        station, problem = load_station_or_last_valid(self.root)
        with self._lock:
            self._station = (signature, station, problem)
        return station, problem


def secret_key(state_dir: Path) -> bytes:
    """The session signing key: made once per station, kept in ``.state/`` (never in git)."""
    path = state_dir / SECRET_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    atomic_write_bytes(path, secrets.token_bytes(48))
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return path.read_bytes()


def create_app(station_root: Path | str, *, clock: Clock | None = None, config: WebOptions | None = None,
               accounts: AccountBook | None = None, sink: Callable[[Station], Any] | None = None,
               language: str | None = None) -> Flask:
    """A console for the station in ``station_root``.

    ``clock`` (aware UTC) drives sessions, the login limit and every "now" on the pages;
    ``config`` replaces the station's [web] settings; ``accounts`` replaces the station's
    account book (tests pass one with a fast hasher); ``sink`` makes the sink Phát ngay plays on
    when no ``announcer run`` holds the station (default: the station's ``[player] sink``);
    ``language`` ("vi" or "en") replaces the one the CLI would choose (ANNOUNCER_LANG, station.toml).
    """
    from announcer.config import require_station
    from announcer.schedule.state import load_station_or_last_valid

    root = require_station(Path(station_root))
    station, _problem = load_station_or_last_valid(root)
    clock = clock or utc_now
    config = config or station.web
    state_dir = station.state_dir
    console = Console(
        root=root,
        clock=clock,
        config=config,
        accounts=accounts or AccountBook(state_dir, clock=clock),
        audit=AuditLog(state_dir, clock=clock),
        limiter=security.LoginLimiter(config.login_attempts, timedelta(minutes=config.login_window_minutes),
                                      clock),
        language=language or station_language(root),
        sink_factory=sink,
    )
    here = Path(__file__).parent
    app = Flask("announcer.web", root_path=str(here), template_folder="templates", static_folder="static")
    app.config.update(
        SECRET_KEY=secret_key(state_dir),
        SESSION_COOKIE_NAME="announcer_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.session_minutes),
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["announcer"] = console
    security.install(app)
    for name in PAGES:
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
        else:
            app.register_blueprint(module.bp)
    _install_frame(app)
    return app


def console_of(app: Flask) -> Console:
    console: Console = app.extensions["announcer"]
    return console


def _install_frame(app: Flask) -> None:
    """What every template may use: the menu, ``_``, the user, and the error pages."""
    console = console_of(app)
    adapter = app.url_map.bind("localhost")
    menu = []
    for path, label in NAV:
        try:
            adapter.match(path, method="GET")
        except Exception:  # noqa: BLE001 - NotFound, or a redirect: not served here
            continue
        menu.append((path, label))

    def translate(msgid: str, **values: Any) -> str:
        return tr(msgid, console.language, **values)

    def is_active(path: str) -> bool:
        return request.path == "/" if path == "/" else request.path.startswith(path)

    @app.context_processor
    def frame() -> dict[str, Any]:
        return {"menu": menu, "user": getattr(g, "user", None), "is_active": is_active,
                "station_name": console.station().name, "language": console.language}

    app.jinja_env.globals.update(_=translate, csrf_token=security.csrf_token, roles=ROLES)
    app.jinja_env.filters["hhmm"] = lambda moment: _local(console, moment, "%H:%M")
    app.jinja_env.filters["hhmmss"] = lambda moment: _local(console, moment, "%H:%M:%S")
    app.jinja_env.filters["when"] = lambda moment: _local(console, moment, "%H:%M %d/%m/%Y")
    app.jinja_env.filters["mmss"] = mmss
    app.jinja_env.filters["script_url"] = script_url
    app.jinja_env.filters["hours"] = lambda seconds: _hours(console, seconds)
    app.jinja_env.filters["ddmmyyyy"] = lambda day: day.strftime("%d/%m/%Y") if day else ""

    @app.errorhandler(AnnouncerError)
    def announcer_error(exc: AnnouncerError) -> tuple[str, int]:
        message, hint = error_text(exc, console.language)
        return security.error_page(message, hint, 400)

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> tuple[str, int]:
        return security.error_page(tr("Page not found.", console.language), None, 404)


def script_url(name: str) -> str:
    """The script page of ``x.md`` / ``scripts/x.md`` / ``x``: /scripts/x (the script pages take the name)."""
    from urllib.parse import quote

    stem = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem[:-3] if stem.lower().endswith(".md") else stem
    return "/scripts/" + quote(stem, safe="")


def mmss(seconds: float | None) -> str:
    """Seconds as m:ss ('?' when unknown): how a rundown shows a length."""
    if seconds is None:
        return "?"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _hours(console: Console, seconds: float) -> str:
    """A long span in words: '2 giờ 15 phút' / '2 h 15 min'."""
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return tr("{h} h {m} min", console.language, h=hours, m=minutes) if hours else \
        tr("{m} min", console.language, m=minutes)


def _local(console: Console, moment: Any, fmt: str) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        return str(moment.strftime(fmt))
    return str(moment.astimezone(console.station().tz).strftime(fmt))
