"""Login, sessions, CSRF and roles: the gate every request passes.

- Nothing is served without a login except the login page, the first-run page (only while the
  station has no account) and static assets (``PUBLIC``).
- The session is Flask's signed cookie (HttpOnly, SameSite=Lax). It holds the user's name, a CSRF
  token and the time of the last request; it ends after ``[web] session_minutes`` without one,
  measured on the console's injected clock.
- Every POST (PUT, PATCH, DELETE) must carry the session's CSRF token, as the form field
  ``csrf_token`` or the ``X-CSRF-Token`` header (for scripts' fetch calls); otherwise 400.
- ``require_role("phe-duyet")`` admits that role and ``quan-tri``.
- ``LoginLimiter``: after ``login_attempts`` wrong passwords for one name from one address within
  ``login_window_minutes``, that pair may not log in until the window has passed.

Threads: ``LoginLimiter`` is shared by the request threads and locks its table.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for

from announcer.accounts import ADMIN, User
from announcer.web.text import N_

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = frozenset({"auth.login", "auth.first_run", "static"})
"""Endpoints served without a login."""
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginLimiter:
    def __init__(self, attempts: int, window: timedelta, clock: Callable[[], datetime],
                 max_keys: int = 10_000) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def blocked_for(self, name: str, address: str) -> timedelta | None:
        """How long this name may not log in from this address; None when it may."""
        key = (name.strip().casefold(), address)
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) >= self.attempts:
                return times[0] + self.window - now
        return None

    def failed(self, name: str, address: str) -> None:
        key = (name.strip().casefold(), address)
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.max_keys:  # a flood of names: forget the quiet ones
                for old in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[old]
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name.strip().casefold(), address), None)


def console() -> Any:
    return current_app.extensions["announcer"]


def tr(msgid: str, **values: Any) -> str:
    from announcer.web.text import tr as translate

    return translate(msgid, console().language, **values)


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return str(token)


def _csrf_ok() -> bool:
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    return bool(expected) and bool(sent) and hmac.compare_digest(str(expected), str(sent))


def current_user() -> User | None:
    return getattr(g, "user", None)


def error_page(message: str, hint: str | None, status: int) -> tuple[str, int]:
    return render_template("error.html", message=message, hint=hint, status=status), status


def safe_next(target: str | None) -> str:
    """Only a path on this console (no scheme, no host, no //evil.example)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def log_in(user: User) -> None:
    session.clear()  # a fresh session at login: no fixation
    session["user"] = user.name
    session["seen"] = console().clock().timestamp()
    session.permanent = True
    csrf_token()


def log_out() -> None:
    session.clear()


def _gate() -> Any:
    """before_request: CSRF on unsafe methods, then the login and its expiry."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return None
    if request.method in UNSAFE_METHODS and not _csrf_ok():
        return error_page(tr("The form has expired or did not come from this console. "
                             "Reload the page and try again."), None, 400)
    c = console()
    g.user = None
    if c.accounts.is_empty():
        if endpoint != "auth.first_run":
            return redirect(url_for("auth.first_run"))
        return None
    name = session.get("user")
    if name:
        now = c.clock().timestamp()
        seen = session.get("seen")
        user = c.accounts.get(name)
        if not isinstance(seen, int | float) or now - seen > c.config.session_minutes * 60 or user is None:
            session.clear()
            if endpoint in PUBLIC:
                return None
            session["notice"] = N_("Your session has ended. Please log in again.")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        session["seen"] = now
        g.user = user
        return None
    if endpoint in PUBLIC:
        return None
    if request.method in UNSAFE_METHODS or request.path.startswith("/api/"):
        return error_page(tr("Please log in to continue."), None, 401)
    session["notice"] = N_("Please log in to continue.")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _headers(response: Any) -> Any:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
                                "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
                                "form-action 'self'")
    if request.endpoint != "static" and not (request.endpoint or "").endswith(".static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def install(app: Flask) -> None:
    app.before_request(_gate)
    app.after_request(_headers)


def has_role(user: User | None, *roles: str) -> bool:
    return user is not None and (user.role in roles or user.role == ADMIN)


def require_role(*roles: str) -> Callable[[F], F]:
    """Refuse (403, in the station's language) unless the logged-in user has one of ``roles``;
    ``quan-tri`` has every role."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not has_role(current_user(), *roles):
                names = ", ".join(tr(r) for r in roles)
                return error_page(tr("You do not have the right to do this."),
                                  tr("This needs the role: {roles}.", roles=names), 403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def audit(action: str, target: str = "", **detail: Any) -> None:
    """Record a change with the logged-in user's name."""
    user = current_user()
    console().audit.record(user.name if user else "-", action, target, **detail)
