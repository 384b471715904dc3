"""Approval (phê duyệt): which scripts an approver let on air, in ``.state/approvals.json``.

With ``require_approval = true`` in station.toml only approved scripts air: ``plan`` lists the
others as waiting, the runner and its render-ahead leave them out, ``check`` warns about them.

An approval covers a *fingerprint* of the script: its spoken text and when it airs (dates, days,
slots, own times, urgent repeat, repeat count) and its level (a khẩn cấp item cuts into relays).
Any edit of those makes the fingerprint differ, so the script is back to draft by itself; nobody
has to remember to revoke. Edits of the title, jingles, voice, engine or of the priority within a
level do not: they change how it sounds or its order, not what is said or when. The text is compared after
NFC normalisation and with CRLF read as LF, because a browser's textarea sends CRLF and editors on
Windows may save decomposed diacritics; those saves do not change what is read.

The file holds the current approval of each script (by file name) and a history of every approve
and revoke with the user's name. Writes are atomic and durable (``announcer.fsutil``).

Threads: one ``ApprovalBook`` may be shared by the web server's threads; ``_lock`` serialises its
read-modify-write. Another process (the CLI next to the web app) re-reads the file before each
change, so only two changes in the very same instant could race; the file is never torn.

Interface (for the web app and the CLI)::

    book = ApprovalBook(station.state_dir)
    book.status(script)               # "approved" | "draft"
    book.record(script)               # Approval | None  (None also when the fingerprint is old)
    book.approve(script, by="Nguyễn Văn A", now=aware_datetime, expected=None) -> Approval
                                      # expected: fingerprint shown to the approver (refused if changed)
    book.revoke(script, by="...", now=...) -> bool  (False: it was not approved)
    book.history(script=None)         # list of dicts: action, script, by, at, fingerprint
    approved_only(station, scripts, book) -> (airing, waiting)
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from announcer.errors import ConfigError, ScheduleError
from announcer.fsutil import atomic_write_text
from announcer.i18n import _
from announcer.script import Script

log = logging.getLogger(__name__)

APPROVALS_FILE = "approvals.json"
Status = Literal["approved", "draft"]
APPROVED: Status = "approved"
DRAFT: Status = "draft"
_VERSION = 1
MAX_NAME = 80


def _spoken(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def fingerprint(script: Script) -> str:
    """sha256 (hex) of what an approval covers: the spoken text and when it airs."""
    covered = {
        "text": _spoken(script.body),
        "repeat": script.repeat,
        "from": script.date_from.isoformat() if script.date_from else None,
        "until": script.date_until.isoformat() if script.date_until else None,
        "days": script.days,
        "slots": list(script.slots),
        "times": list(script.times),
        "every": script.every_minutes,
        "between": list(script.between) if script.between else None,
        "level": int(script.level),
    }
    data = json.dumps(covered, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Approval:
    script: str
    """The script's file name in scripts/, e.g. tiem-chung.md."""
    by: str
    """Who approved it (the user name)."""
    at: datetime
    """When (aware)."""
    fingerprint: str
    """``fingerprint(script)`` when it was approved."""


def script_key(script: Script | str | Path) -> str:
    """The name approvals are kept under: the file name in scripts/."""
    if isinstance(script, Script):
        return script.path.name
    return Path(script).name


class ApprovalBook:
    """The approvals of one station (``state_dir`` is ``station.state_dir``)."""

    def __init__(self, state_dir: Path | str) -> None:
        self.path = Path(state_dir) / APPROVALS_FILE
        self._lock = threading.RLock()

    # --- reading -----------------------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        """The file's content; an empty book when there is none; ConfigError when it is damaged."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"version": _VERSION, "approved": {}, "history": []}
        except OSError as exc:
            raise ConfigError(_("cannot read the approvals: {reason}", reason=exc.strerror or str(exc)),
                              file=self.path) from None
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("approved"), dict) or not isinstance(
                    data.get("history", []), list):
                raise ValueError("not an approvals file")
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ConfigError(_("the approvals file is damaged"), file=self.path,
                              hint=_("restore it from a backup, or delete it and approve the scripts again")
                              ) from None
        data.setdefault("history", [])
        return data

    def approvals(self) -> dict[str, Approval]:
        """Every recorded approval by script file name (whether or not the script changed since)."""
        out: dict[str, Approval] = {}
        for name, entry in self._read()["approved"].items():
            try:
                out[name] = Approval(name, str(entry["by"]), datetime.fromisoformat(entry["at"]),
                                     str(entry["fingerprint"]))
            except (KeyError, TypeError, ValueError):
                log.warning("%s: the approval of %s is unreadable; it counts as draft", self.path, name)
        return out

    def record(self, script: Script) -> Approval | None:
        """The approval that covers ``script`` as it is now; None when there is none or it was edited since."""
        found = self.approvals().get(script_key(script))
        if found is None or found.fingerprint != fingerprint(script):
            return None
        return found

    def status(self, script: Script) -> Status:
        """'approved' when an approval covers the script as it is now, else 'draft'."""
        return APPROVED if self.record(script) is not None else DRAFT

    def history(self, script: Script | str | None = None) -> list[dict[str, Any]]:
        """Every approve and revoke, oldest first (only ``script``'s when given)."""
        entries = [e for e in self._read()["history"] if isinstance(e, dict)]
        if script is None:
            return entries
        key = script_key(script)
        return [e for e in entries if e.get("script") == key]

    # --- changing ----------------------------------------------------------------------------------------

    def approve(self, script: Script, by: str, now: datetime, expected: str | None = None) -> Approval:
        """Approve ``script`` as it is now, by user ``by`` at ``now`` (aware).

        ``expected``: the fingerprint of the version the approver was shown (the web page keeps it in
        the form); when the script changed since, nothing is approved and a ConfigError says so, so
        nobody approves a text they have not read.
        """
        who = _user(by)
        approval = Approval(script_key(script), who, now, fingerprint(script))
        if expected is not None and expected != approval.fingerprint:
            raise ConfigError(_("the script was changed after you opened it; nothing was approved"),
                              file=script.path, hint=_("read it again, then approve it"))
        with self._lock:
            data = self._read()
            data["approved"][approval.script] = {"by": who, "at": now.isoformat(), "fingerprint": approval.fingerprint}
            data["history"].append({"action": "approve", "script": approval.script, "by": who,
                                    "at": now.isoformat(), "fingerprint": approval.fingerprint})
            self._write(data)
        log.info("%s approved by %s", approval.script, who)
        return approval

    def revoke(self, script: Script | str, by: str, now: datetime) -> bool:
        """Take the approval away (the script is a draft again); False when there was none to take."""
        who = _user(by)
        key = script_key(script)
        with self._lock:
            data = self._read()
            old = data["approved"].pop(key, None)
            if old is None:
                return False
            data["history"].append({"action": "revoke", "script": key, "by": who, "at": now.isoformat(),
                                    "fingerprint": old.get("fingerprint") if isinstance(old, dict) else None})
            self._write(data)
        log.info("%s: approval revoked by %s", key, who)
        return True

    def _write(self, data: dict[str, Any]) -> None:
        data["version"] = _VERSION
        try:
            atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        except OSError as exc:
            raise ConfigError(_("cannot save the approval: {reason}", reason=exc.strerror or str(exc)),
                              file=self.path, hint=_("check the disk and the folder's permissions")) from None


def _user(by: str) -> str:
    who = " ".join(str(by).split())
    if not who or len(who) > MAX_NAME or any(unicodedata.category(c).startswith("C") for c in who):
        raise ConfigError(_("who approves must be given by name (at most {n} characters)", n=MAX_NAME),
                          hint=_("write e.g. --by \"Nguyễn Văn A\""))
    return who


def approved_only(
    scripts: Iterable[Script], book: ApprovalBook | None
) -> tuple[list[Script], list[Script]]:
    """(airing, waiting): with ``book`` None (approval not required) every script airs.

    A damaged approvals file approves nothing (raises ConfigError, for the caller to report).
    """
    items = list(scripts)
    if book is None:
        return items, []
    approved = book.approvals()
    airing: list[Script] = []
    waiting: list[Script] = []
    for script in items:
        found = approved.get(script_key(script))
        (airing if found is not None and found.fingerprint == fingerprint(script) else waiting).append(script)
    return airing, waiting


def book_for(station: Any) -> ApprovalBook | None:
    """The station's approval book when it requires approval, else None (everything airs)."""
    if not getattr(station, "require_approval", False):
        return None
    return ApprovalBook(station.state_dir)


def waiting_message(station: Any, script: Script) -> ConfigError:
    """What ``plan`` and ``check`` say about a script that waits for approval."""
    return ConfigError(_("waiting for approval: it does not air until it is approved"), file=script.path,
                       hint=_("approve it in the web console, or run: announcer approve scripts/{name} --by NAME",
                              name=script.path.name))


@dataclass(frozen=True)
class Row:
    """One script in the approvals listing (``announcer approvals``, the web's script list)."""

    script: Script
    status: Status
    approval: Approval | None
    """The recorded approval, also when the script was edited since (then ``status`` is draft)."""

    @property
    def edited_since(self) -> bool:
        return self.approval is not None and self.status == DRAFT


def listing(scripts: Iterable[Script], book: ApprovalBook) -> list[Row]:
    """Every script with its approval status, by file name."""
    approved = book.approvals()
    rows = []
    for script in sorted(scripts, key=lambda s: s.path.name):
        found = approved.get(script_key(script))
        ok = found is not None and found.fingerprint == fingerprint(script)
        rows.append(Row(script, APPROVED if ok else DRAFT, found))
    return rows


def require_approved(station: Any, script: Script | None, path: Path) -> None:
    """For playing now (``announcer play``, the web's phát ngay): a script must be approved where the
    station requires it; ``script`` None (it does not parse) cannot be shown to be, so it is refused too."""
    book = book_for(station)
    if book is None:
        return
    if script is None or book.status(script) != APPROVED:
        raise ScheduleError(_("{name} is waiting for approval: only approved scripts air at this station",
                              name=path.name), file=path,
                            hint=_("approve it in the web console, or run: announcer approve scripts/{name} --by NAME",
                                   name=path.name))
