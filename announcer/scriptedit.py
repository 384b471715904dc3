"""Editing a script from the console: its name, its settings as a form, and a save that never
overwrites someone else's edit.

A draft is the script's front matter as written (a string, or a list of strings, for each setting
of ``announcer.script.FIELDS``) plus its text. A save composes the file, asks it the same rules as
``announcer check`` (``announcer.script`` for every setting, ``check.script_rules`` for slots,
jingles, voices and lengths) and writes it atomically and durably (``announcer.fsutil``), only
when no rule gives an error and the file on disk is still the version the editor opened: its
``version``, a digest of its bytes, travels in the form. A second person saving an older version
gets ``EditConflict`` and nothing is written.

Threads: one ``ScriptDesk`` is shared by the console's request threads; its lock makes a save's
compare-and-write (and the choice of a new script's name) one step. Another process writing the
same file in that very instant is the only race left; the file is never torn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from announcer.config import Station
from announcer.errors import AnnouncerError, NoticeImportError, ScriptError
from announcer.fsutil import atomic_write_text
from announcer.i18n import _
from announcer.script import FIELDS, read_text_file, script_problems, shown, split_source

log = logging.getLogger(__name__)

LIST_FIELDS = ("slots", "times", "days")
"""Settings written as YAML lists."""
BODY = "body"
"""The field name of the text, for problems that concern it."""
GENERAL = ""
"""The field name of problems that concern the whole file."""
MAX_NAME = 100
NEW = ""
"""The version of a script that does not exist yet."""
_YAML_UNSAFE = {"\x85", "\u2028", "\u2029", "\ufeff"}


class EditConflict(ScriptError):
    """The script changed on disk since the editor opened it."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    """A FIELDS key, BODY or GENERAL."""
    severity: str
    """'error' or 'warning' (as announcer check says)."""
    message: str
    hint: str | None = None
    line: int | None = None
    error: AnnouncerError | None = None
    """The library's error, for a translated message."""


@dataclass
class Draft:
    name: str
    """The script's name: its file name in scripts/ without .md."""
    meta: dict[str, Any]
    """Setting -> value as written (str or list of str)."""
    body: str
    version: str
    problems: list[FieldProblem] = field(default_factory=list)

    def value(self, key: str) -> str:
        """A setting as one line of text (lists joined with ', ')."""
        found = self.meta.get(key, "")
        return ", ".join(found) if isinstance(found, list) else str(found)

    def values(self, key: str) -> list[str]:
        found = self.meta.get(key, [])
        if isinstance(found, list):
            return found
        return [p.strip() for p in str(found).strip("[] ").split(",") if p.strip()]


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    version: str
    problems: list[FieldProblem]
    text: str


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


# --- names -----------------------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """``name`` when it can name a script in scripts/: no folder part, no '..', not absolute, not hidden."""
    bad = (
        not name
        or len(name) > MAX_NAME
        or name != name.strip()
        or any(c in name for c in "/\\:")
        or ".." in name
        or name.startswith(".")
        or any(unicodedata.category(c).startswith("C") for c in name)
        or Path(name).is_absolute()
    )
    if bad:
        raise ScriptError(_("{name} is not a script name: a name has no folder, no '..' and no '/'",
                            name=shown(name, 60)),
                          hint=_("use letters, digits and '-', e.g. thong-bao-tiem-chung"))
    return name


def stem_of(name: str) -> str:
    """A script's name without '.md' (links name it either way: tiem-chung or tiem-chung.md)."""
    return name[:-3] if name.lower().endswith(".md") and len(name) > 3 else name


def script_file(station: Station, name: str, must_exist: bool = True) -> Path:
    """The file of script ``name`` in the station's scripts/ (a link leading out of it is refused)."""
    path = station.scripts_dir / f"{check_name(stem_of(name))}.md"
    if not must_exist:
        return path
    try:
        real = path.resolve(strict=True)
        inside = real.parent == station.scripts_dir.resolve()
    except (OSError, RuntimeError):
        raise ScriptError(_("script not found"), file=path.name,
                          hint=_("check the name; scripts live in the scripts/ folder")) from None
    if not inside or not real.is_file():
        raise ScriptError(_("is not a script in the station's scripts/ folder"), file=path.name,
                          hint=_("copy it in first: announcer import FILE"))
    return path


# --- reading and writing a draft ----------------------------------------------------------------------------


def open_draft(station: Station, name: str) -> Draft:
    """The script as the editor shows it, with its version and its problems as the file is now."""
    path = script_file(station, name)
    max_bytes = station.limits.max_script_kb * 1024
    text = read_text_file(path, max_bytes=max_bytes)
    raw = path.read_bytes()
    errors: list[ScriptError] = []
    source = split_source(text, path, errors)
    body = source.body.strip("\n")
    draft = Draft(path.stem, dict(source.meta), body + "\n" if body else "", version_of(raw))
    by_line = {line: key for key, line in source.lines.items()}
    problems = [_field_problem(exc, by_line, source.body_line) for exc in script_problems(path, max_bytes, text)]
    draft.problems = problems
    return draft


def clean_value(key: str, value: Any) -> Any:
    """A form value as it goes into the file: text on one line, lists without blanks."""
    if key in LIST_FIELDS:
        items = value if isinstance(value, list) else str(value).split(",")
        return [" ".join(str(v).split()) for v in items if str(v).strip()]
    return " ".join(str(value).split())


def compose(meta: dict[str, Any], body: str) -> tuple[str, dict[str, int], int]:
    """(file text, setting -> line, first line of the text). Settings in FIELDS order, then others."""
    keys = [k for k in FIELDS if k in meta] + [k for k in meta if k not in FIELDS]
    lines = ["---"]
    where: dict[str, int] = {}
    for key in keys:
        value = clean_value(key, meta[key])
        if value in ("", []):
            continue
        where[key] = len(lines) + 1
        if isinstance(value, list):
            lines.append(f"{key}: [{', '.join(_quote(v) for v in value)}]")
        else:
            lines.append(f"{key}: {_quote(value)}")
    lines.append("---")
    text_body = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    body_line = len(lines) + 1  # the blank line after ---: the body as the parser counts it
    return "\n".join(lines) + "\n\n" + text_body + "\n", where, body_line


def _quote(value: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``value``."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if c in _YAML_UNSAFE or unicodedata.category(c) == "Cc" else c
                   for c in text)


def _field_problem(exc: AnnouncerError, by_line: dict[int, str], body_line: int, severity: str = "error",
                   ) -> FieldProblem:
    line = exc.line
    if line is not None and line in by_line:
        key = by_line[line]
    elif line is not None and line >= body_line:
        key = BODY
    else:
        key = GENERAL
    return FieldProblem(key, severity, str(exc.message), exc.hint, line, exc)


def validate(station: Station, path: Path, text: str, where: dict[str, int], body_line: int,
             today: date) -> list[FieldProblem]:
    """Every problem of ``text`` as the script at ``path``, by the rules of ``announcer check``."""
    from announcer.schedule.check import check_station, script_rules
    from announcer.script import parse_script

    by_line = {line: key for key, line in where.items()}
    max_bytes = station.limits.max_script_kb * 1024
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        exc = ScriptError(_("the script is {size} bytes, over the limit of {kb} KB", size=f"{size:,}",
                            kb=f"{max_bytes // 1024:,}"),
                          file=path.name, hint=_("split it into several scripts"))
        return [FieldProblem(BODY, "error", str(exc.message), exc.hint, None, exc)]
    problems = [_field_problem(exc, by_line, body_line) for exc in script_problems(path, max_bytes, text)]
    if problems:
        return problems
    script = parse_script(path, max_bytes, text)
    _station, declared, _errors, source = check_station(station.root)
    for problem in script_rules(station, script, declared, today, source):
        exc = ScriptError(problem.message, file=path.name, line=problem.line, hint=problem.hint)
        problems.append(_field_problem(exc, by_line, body_line, problem.severity))
    return problems


class ScriptDesk:
    """Saves, creations and imports of one station's scripts, one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def save(self, station: Station, name: str, meta: dict[str, Any], body: str, version: str,
             today: date, create: bool = False) -> SaveResult:
        """Check and write the script; nothing is written when a rule gives an error (``saved`` False).
        EditConflict when the file is no longer ``version`` (or exists already, with ``create``)."""
        path = script_file(station, name, must_exist=not create)
        text, where, body_line = compose(meta, body)
        problems = validate(station, path, text, where, body_line, today)
        if any(p.severity == "error" for p in problems):
            return SaveResult(False, version, problems, text)
        with self._lock:
            current = _current_version(path)
            if current != version:
                if create:
                    raise EditConflict(_("a script with this name exists already"), file=path.name,
                                       hint=_("choose another name"))
                raise EditConflict(
                    _("someone else saved this script after you opened it; your changes were not saved"),
                    file=path.name,
                    hint=_("copy your changes, reload the page to see theirs, then make your changes again"))
            atomic_write_text(path, text)
        log.info("saved %s", path)
        return SaveResult(True, version_of(text.encode("utf-8")), problems, text)

    def import_upload(self, station: Station, filename: str, data: bytes) -> tuple[str, Any]:
        """Import an uploaded notice as a new script (its name made free); (name, ImportResult).
        The upload is checked and read in a folder of its own: a refused file changes nothing."""
        from announcer.guards import check_notice_source
        from announcer.importer import import_notice

        suffix = Path(filename.replace("\\", "/")).suffix.lower()
        if suffix not in (".docx", ".txt"):
            raise NoticeImportError(_("only .docx and .txt notices can be imported"), file=_base(filename),
                                    hint=_("save the notice as .docx or .txt"))
        limits = station.limits
        limit = limits.max_docx_mb * 1024 * 1024 if suffix == ".docx" else limits.max_script_kb * 1024
        if len(data) > limit:
            raise NoticeImportError(
                _("the file is {size} KB, over the limit of {kb} KB", size=f"{len(data) // 1024:,}",
                  kb=f"{limit // 1024:,}"), file=_base(filename),
                hint=_("save the notice text alone as .docx or .txt (no large pictures)"))
        station.cache_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="import-", dir=station.cache_dir))
        try:
            src = work / f"notice{suffix}"
            src.write_bytes(data)
            staged = work / "scripts"
            staged.mkdir()
            try:
                check_notice_source(src, limits)
                result = import_notice(src, staged, limits=limits)
            except NoticeImportError as exc:  # named as the user knows it, not by our temporary copy
                raise NoticeImportError(exc.message, file=_base(filename), line=exc.line, hint=exc.hint) from None
            with self._lock:
                stem = result.dest.stem
                name, number = stem, 1
                while (station.scripts_dir / f"{name}.md").exists():
                    number += 1
                    name = f"{stem}-{number}"
                dest = station.scripts_dir / f"{name}.md"
                station.scripts_dir.mkdir(parents=True, exist_ok=True)
                atomic_write_text(dest, result.dest.read_text(encoding="utf-8"))
            result.dest = dest
            return name, result
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _base(filename: str) -> str:
    return Path(filename.replace("\\", "/")).name or "?"


def _current_version(path: Path) -> str:
    try:
        return version_of(path.read_bytes())
    except FileNotFoundError:
        return NEW
