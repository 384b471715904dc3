"""The console's words: English message ids, shown in the station's language (Vietnamese for new stations).

Views call ``tr("Today")`` and templates ``_("Today")``. The translations are gettext .po files read
by ``announcer.i18n.parse_po`` — the CLI's catalogue format — kept as the web's own domain in
``announcer/web/locale/<lang>.po`` (the CLI's ``announcer/locale/vi.po`` holds only messages its code
marks with ``_()``). Messages from the library (errors, hints, check's findings) are translated by
the CLI's own catalogue (``announcer.i18n``), so the web and the CLI say the same thing.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from announcer.errors import AnnouncerError
from announcer.i18n import parse_po, translator

DEFAULT_LANGUAGE = "vi"

VI: dict[str, str] = {}
"""Vietnamese words a page module adds when it registers (``text.VI.setdefault(msgid, words)``);
the console's catalogue (announcer/web/locale/vi.po) wins over them."""


@functools.cache
def web_catalogue(language: str) -> dict[str, str]:
    """The console's own translations into ``language`` (empty when there are none)."""
    try:
        source = resources.files("announcer.web").joinpath("locale", f"{language}.po").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return parse_po(source, f"web/locale/{language}.po")


def tr(msgid: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """``msgid`` in ``language``: the console's catalogue, else the CLI's, else the msgid itself."""
    text = web_catalogue(language).get(msgid)
    if text is None and language == "vi":
        text = VI.get(msgid)
    if text is None:
        text = translator(language).gettext(msgid)
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation must never hide the message
        return msgid.format(**values)


def N_(msgid: str) -> str:
    """Mark a msgid translated later (gettext_noop): kept in a session, chosen among two, ..."""
    return msgid


def say(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A library message (plain text, or a marked message of ``announcer.i18n``) in ``language``."""
    return str(translator(language)(value))


def _relative(path: str, root: Any) -> str:
    """A file inside the station as the staff know it (scripts/x.md), not the machine's full path."""
    from pathlib import Path

    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return path


def error_text(exc: AnnouncerError, language: str = DEFAULT_LANGUAGE, root: Any = None) -> tuple[str, str | None]:
    """(message with its place, hint) of an error, in the language the CLI would use for it."""
    tr_ = translator(language)
    message = tr_(exc.message)
    hint = tr_(exc.hint) if exc.hint else None
    where = exc.location()
    if root is not None and exc.file:
        where = _relative(exc.file, root) + (f":{exc.line}" if exc.line else "")
    return (f"{where}: {message}" if where else message), hint


def problem_text(problem: Any, language: str, root: Any = None) -> str:
    """One finding of ``check`` as a line: place, message and hint, in ``language``."""
    where = str(problem.file or "")
    if where and root is not None:
        where = _relative(where, root)
    if where and problem.line:
        where = f"{where}:{problem.line}"
    text = say(problem.message, language)
    text = f"{where}: {text}" if where else text
    return f"{text} — {say(problem.hint, language)}" if problem.hint else text


def station_language(root: Any) -> str:
    """The station's language, as the CLI chooses it without --lang (ANNOUNCER_LANG, then station.toml)."""
    from announcer.i18n import choose_language

    return choose_language(None, root)
