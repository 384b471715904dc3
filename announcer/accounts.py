"""Staff accounts of the console: names, roles and password hashes, in the station's ``.state/users.json``.

Passwords are hashed with argon2id (argon2-cffi); only the hash is stored. The file is rewritten
whole, atomically and durably (``announcer.fsutil``), so a power cut leaves the old list or the new
one. Threads: one ``AccountBook`` may be shared by the web server's request threads; ``_lock``
serialises its read-modify-write, and every change re-reads the file first, so a user added by
``announcer user add`` while the server runs is kept.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from announcer.errors import AnnouncerError
from announcer.fsutil import atomic_write_text
from announcer.i18n import _

log = logging.getLogger(__name__)

USERS_FILE = "users.json"
EDITOR, APPROVER, ADMIN = "bien-tap", "phe-duyet", "quan-tri"
ROLES = (EDITOR, APPROVER, ADMIN)
"""bien-tap edits scripts; phe-duyet also approves them; quan-tri also manages accounts."""
MIN_PASSWORD = 8
MAX_PASSWORD = 256
_NAME = re.compile(r"^[\w.@-]{2,40}$")


class AccountError(AnnouncerError):
    """A user name, role or password that cannot be used, or an unreadable users file."""

    exit_code = 2


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created: str = ""
    created_by: str = ""


def normalize_name(name: str) -> str:
    """NFC, trimmed: the same name typed on two keyboards is one account."""
    return unicodedata.normalize("NFC", name).strip()


def check_name(name: str) -> str:
    name = normalize_name(name)
    if not _NAME.match(name):
        raise AccountError(_("the user name {name!r} cannot be used", name=name[:60]),
                           hint=_("use 2 to 40 letters, digits, dots, dashes or underscores, e.g. lan.nguyen"))
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(_("unknown role {role!r}", role=role[:40]),
                           hint=_("use one of {roles}", roles=", ".join(ROLES)))
    return role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(_("the password is too short (at least {n} characters)", n=MIN_PASSWORD),
                           hint=_("choose a longer password"))
    if len(password) > MAX_PASSWORD:
        raise AccountError(_("the password is too long (at most {n} characters)", n=MAX_PASSWORD))


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


class AccountBook:
    def __init__(self, state_dir: Path, *, clock: Callable[[], datetime] | None = None,
                 hasher: Any = None) -> None:
        self.path = Path(state_dir) / USERS_FILE
        self.clock = clock or (lambda: datetime.now(UTC))
        self.hasher = hasher or _hasher()
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int], dict[str, dict[str, Any]]] | None = None
        self._dummy: str | None = None

    # --- reading -------------------------------------------------------------------------------------------

    def _read(self) -> dict[str, dict[str, Any]]:
        """Users by folded name; re-read only when the file changed (every request asks)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise AccountError(_("cannot read the accounts: {reason}", reason=exc.strerror), file=self.path) from None
        signature = (stat.st_mtime_ns, stat.st_size)
        if self._cache is not None and self._cache[0] == signature:
            return self._cache[1]
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = {u["name"].casefold(): dict(u) for u in data["users"]}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AccountError(_("the accounts file cannot be read ({reason})", reason=type(exc).__name__),
                               file=self.path, hint=_("restore it from a backup, or move it away and create the "
                                                      "first account again")) from None
        self._cache = (signature, users)
        return users

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        text = json.dumps({"version": 1, "users": list(users.values())}, ensure_ascii=False, indent=1)
        atomic_write_text(self.path, text + "\n")
        try:
            os.chmod(self.path, 0o600)  # hashes are not for other users of the machine
        except OSError:
            pass
        self._cache = None

    def is_empty(self) -> bool:
        return not self._read()

    def users(self) -> list[User]:
        return [_user(u) for u in sorted(self._read().values(), key=lambda u: u["name"].casefold())]

    def get(self, name: str) -> User | None:
        found = self._read().get(normalize_name(name).casefold())
        return _user(found) if found else None

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right; None otherwise (in about the same time either way)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        found = self._read().get(normalize_name(name).casefold())
        if found is None or len(password) > MAX_PASSWORD:
            # Hash anyway, so the answer time does not tell which names exist.
            if self._dummy is None:
                self._dummy = self.hasher.hash("not a password of anyone")
            try:
                self.hasher.verify(self._dummy, password[:MAX_PASSWORD] + "x")
            except (VerificationError, InvalidHashError):
                pass
            return None
        try:
            self.hasher.verify(found["hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return _user(found)

    # --- changing ------------------------------------------------------------------------------------------

    def add(self, name: str, password: str, role: str, *, by: str, first: bool = False) -> User:
        """Create an account; ``first=True`` only while there is none (the first-run page)."""
        name = check_name(name)
        check_role(role)
        check_password(password)
        digest = self.hasher.hash(password)
        with self._lock:
            self._cache = None
            users = dict(self._read())
            if first and users:
                raise AccountError(_("the first account has already been created"),
                                   hint=_("log in with it; an administrator adds the others"))
            if name.casefold() in users:
                raise AccountError(_("the user {name!r} already exists", name=name),
                                   hint=_("choose another user name"))
            record = {"name": name, "role": role, "hash": digest,
                      "created": self.clock().isoformat(timespec="seconds"), "created_by": by}
            users[name.casefold()] = record
            self._write(users)
        return _user(record)

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        digest = self.hasher.hash(password)
        self._change(name, hash=digest)

    def set_role(self, name: str, role: str) -> None:
        check_role(role)
        with self._lock:
            self._cache = None
            users = self._read()
            admins = [u for u in users.values() if u["role"] == ADMIN]
            target = users.get(normalize_name(name).casefold())
            if target is not None and target["role"] == ADMIN and role != ADMIN and len(admins) == 1:
                raise AccountError(_("the last administrator cannot lose the role"),
                                   hint=_("make someone else quan-tri first"))
        self._change(name, role=role)

    def _change(self, name: str, **fields: Any) -> None:
        with self._lock:
            self._cache = None
            users = dict(self._read())
            key = normalize_name(name).casefold()
            if key not in users:
                raise AccountError(_("there is no user {name!r}", name=name[:40]))
            users[key] = {**users[key], **fields}
            self._write(users)


def _user(record: dict[str, Any]) -> User:
    return User(name=record["name"], role=record["role"], created=record.get("created", ""),
                created_by=record.get("created_by", ""))


def user_dict(user: User) -> dict[str, str]:
    return asdict(user)
