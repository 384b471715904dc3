"""Pages: log in, log out, first run (the first administrator), and the account page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from announcer.accounts import ADMIN, MIN_PASSWORD, ROLES, AccountError
from announcer.web import security
from announcer.web.security import audit, console, require_role, tr
from announcer.web.text import N_, error_text

bp = Blueprint("auth", __name__)


def _client() -> str:
    return request.remote_addr or "?"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    c = console()
    if c.accounts.is_empty():
        return redirect(url_for("auth.first_run"))
    notice = session.pop("notice", None)
    error = None
    name = ""
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "")[:80]
        password = request.form.get("password", "")
        wait = c.limiter.blocked_for(name, _client())
        if wait is not None:
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            error = tr("Too many wrong passwords. Please try again in {minutes} minutes.", minutes=minutes)
            status = 429
        else:
            user = c.accounts.verify(name, password)
            if user is None:
                c.limiter.failed(name, _client())
                c.audit.record(name.strip()[:40] or "-", "login-failed", "", address=_client())
                error = tr("Wrong user name or password.")
                status = 401
            else:
                c.limiter.succeeded(name, _client())
                security.log_in(user)
                c.audit.record(user.name, "login", "", address=_client())
                return redirect(security.safe_next(request.args.get("next")))
    return render_template("login.html", error=error, notice=tr(notice) if notice else None, name=name,
                           next=request.args.get("next", "")), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    user = security.current_user()
    if user is not None:
        audit("logout")
    security.log_out()
    session["notice"] = N_("You have logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/first-run", methods=["GET", "POST"])
def first_run() -> Any:
    c = console()
    if not c.accounts.is_empty():
        return redirect(url_for("auth.login"))
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "")[:80]
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = tr("The two passwords are not the same.")
        else:
            try:
                user = c.accounts.add(name, password, ADMIN, by="(first run)", first=True)
            except AccountError as exc:
                error = " — ".join(p for p in error_text(exc, c.language) if p)
            else:
                c.audit.record(user.name, "account-created", user.name, role=user.role, first_run=True)
                security.log_in(user)
                return redirect(url_for("dashboard.today"))
    return render_template("first_run.html", error=error, name=name, min_password=MIN_PASSWORD), \
        (200 if error is None else 400)


@bp.route("/account", methods=["GET"])
def account() -> Any:
    return _account_page()


def _account_page(message: str | None = None, error: str | None = None, status: int = 200) -> Any:
    c = console()
    user = g.user
    admin = user.role == ADMIN
    return render_template(
        "account.html", message=message, error=error, min_password=MIN_PASSWORD,
        users=c.accounts.users() if admin else [], changes=c.audit.entries(50) if admin else [],
        role_choices=ROLES,
    ), status


@bp.route("/account/password", methods=["POST"])
def change_password() -> Any:
    c = console()
    user = g.user
    if c.accounts.verify(user.name, request.form.get("current", "")) is None:
        return _account_page(error=tr("The current password is wrong."), status=400)
    new = request.form.get("password", "")
    if new != request.form.get("password2", ""):
        return _account_page(error=tr("The two passwords are not the same."), status=400)
    try:
        c.accounts.set_password(user.name, new)
    except AccountError as exc:
        return _account_page(error=" — ".join(p for p in error_text(exc, c.language) if p), status=400)
    audit("password-changed", user.name)
    return _account_page(message=tr("Password changed."))


@bp.route("/account/users", methods=["POST"])
@require_role(ADMIN)
def add_user() -> Any:
    c = console()
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return _account_page(error=tr("The two passwords are not the same."), status=400)
    try:
        created = c.accounts.add(name, password, request.form.get("role", ""), by=g.user.name)
    except AccountError as exc:
        return _account_page(error=" — ".join(p for p in error_text(exc, c.language) if p), status=400)
    audit("account-created", created.name, role=created.role)
    return _account_page(message=tr("Account {name} created.", name=created.name))
