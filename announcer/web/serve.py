"""``announcer serve`` and ``announcer user add``: the library side of the two commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from announcer.accounts import AccountBook
from announcer.audit import AuditLog
from announcer.config import load_station
from announcer.i18n import _, translator


def serve_command(root: Path, host: str | None, port: int | None, report: Callable[[str], None] = print,
                  *, serve: Callable[..., None] | None = None) -> None:
    """Serve the console with waitress until Ctrl+C; ``serve`` replaces waitress.serve in tests."""
    from announcer.web.app import create_app

    station = load_station(root)
    config = station.web
    host = host or config.host
    port = port or config.port
    app = create_app(root, config=config)
    shown = f"[{host}]" if ":" in host else host
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    first = app.extensions["announcer"].accounts.is_empty()
    tr = translator(app.extensions["announcer"].language)
    report(tr(_("Staff console: http://{address}:{port}/  (Ctrl+C stops it)", address=local, port=port)))
    if first:
        report(tr(_("There is no account yet: open the address above and create the administrator account "
                    "as the page says.")))
    if serve is None:
        from waitress import serve as waitress_serve

        serve = waitress_serve
    serve(app, host=host, port=port, threads=config.threads, ident="announcer")


def add_user_command(root: Path, name: str, role: str, read_password: Callable[[], str]) -> object:
    station = load_station(root)
    book = AccountBook(station.state_dir)
    password = read_password()
    user = book.add(name, password, role, by="(command line)")
    AuditLog(station.state_dir).record("(command line)", "account-created", user.name, role=user.role)
    return _("created account {name} ({role})", name=user.name, role=user.role)
