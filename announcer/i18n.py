"""One message catalogue: announcer's own messages in English (the msgids) and Vietnamese.

How to use it (the CLI and the web app alike)::

    from announcer.i18n import _, translator

    raise ConfigError(_("unknown setting {name!r}", name=key), file=path, line=3,
                      hint=_("check the spelling"))        # library code: mark, do not translate

    tr = translator("vi")                                   # at the edge, once the language is known
    tr(exc.message)          # 'thiết lập không có: ...'   (a marked message, translated and filled in)
    tr.error(exc)            # 'station.toml:3: ... — Hãy ...'  (file:line: message — hint)
    tr("all good: {root}", root=path)                       # a msgid given directly
    tr.gettext("error")      # the bare translation of one msgid

``_(msgid, **fields)`` returns a ``Msg``: a ``str`` whose value is the English text with the fields
filled in (so logs, ``str(exc)`` and code that compares English texts are unchanged), and which
remembers its msgid and fields so that ``translator(lang)`` can give it in another language later.
A field may itself be a ``Msg`` (or an exception whose message is one); it is translated too.
Library code never needs to know the language: the message is translated where it is shown.

The Vietnamese texts live in ``announcer/locale/vi.po`` (gettext's format, read by the small loader
below: no compiled .mo, no new dependency). ``tests/test_i18n_catalogue.py`` fails when a msgid
marked with ``_()`` has no translation or a translation loses or invents a ``{field}``.

Which language: ``--lang vi|en``, else ``ANNOUNCER_LANG``, else station.toml's ``language``
(``announcer init`` writes "vi"); a station.toml without it keeps English.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "vi")
DEFAULT_LANGUAGE = "en"
ENV_VAR = "ANNOUNCER_LANG"


class Msg(str):
    """A marked message: English when used as a str; ``translator(lang)(msg)`` gives it in ``lang``."""

    msgid: str
    fields: dict[str, Any]

    def __new__(cls, msgid: str, fields: Mapping[str, Any] | None = None) -> Msg:
        values = dict(fields or {})
        text = msgid.format(**{k: _english(v) for k, v in values.items()}) if values else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.fields = values
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # exceptions cross process pools
        return (Msg, (self.msgid, self.fields))


def _(msgid: str, /, **fields: Any) -> Msg:
    """Mark ``msgid`` (English, with ``{field}`` places) for translation where it is shown."""
    return Msg(msgid, fields)


def _english(value: Any) -> Any:
    return value


def message_of(value: Any) -> Any:
    """The marked message inside ``value`` when it carries one (an exception raised with a Msg)."""
    if isinstance(value, BaseException):
        message = getattr(value, "message", None)
        if isinstance(message, Msg):
            return message
        if value.args and isinstance(value.args[0], Msg):
            return value.args[0]
    return value


# --- the catalogue ------------------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(token: str, where: str) -> str:
    token = token.strip()
    if len(token) < 2 or not token.startswith('"') or not token.endswith('"'):
        raise ValueError(f"{where}: expected a quoted string")
    if "\\" not in token:  # most lines: nothing to unescape (every start in Vietnamese reads them all)
        return token[1:-1]
    body, out, index = token[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(_ESCAPES.get(body[index + 1], body[index + 1]))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def parse_po(text: str, name: str = "catalogue") -> dict[str, str]:
    """msgid -> msgstr of a gettext .po text (no plurals, no contexts); untranslated entries are left out."""
    entries: dict[str, str] = {}
    key: str | None = None
    parts: dict[str, list[str]] = {}

    def flush() -> None:
        if "msgid" in parts:
            msgid, msgstr = "".join(parts["msgid"]), "".join(parts.get("msgstr", []))
            if msgid in entries:
                raise ValueError(f"{name}: msgid {msgid!r} appears twice")
            if msgid and msgstr:
                entries[msgid] = msgstr
        parts.clear()

    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        where = f"{name}:{number}"
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith(("msgid ", "msgstr ")):
            word, _sep, rest = stripped.partition(" ")
            if word == "msgid":
                flush()
            elif "msgid" not in parts:
                raise ValueError(f"{where}: msgstr without msgid")
            key = word
            parts[key] = [_unquote(rest, where)]
        elif stripped.startswith('"') and key is not None:
            parts[key].append(_unquote(stripped, where))
        else:
            raise ValueError(f"{where}: cannot read {stripped[:40]!r}")
    flush()
    return entries


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of ``lang`` (empty for English: the msgids are English)."""
    if lang == DEFAULT_LANGUAGE:
        return {}
    # Beside this module, as pip installs it (importlib.resources would cost every start-up its import).
    source = (Path(__file__).resolve().parent / "locale" / f"{lang}.po").read_text(encoding="utf-8")
    return parse_po(source, f"locale/{lang}.po")


# --- translating --------------------------------------------------------------------------------------------


class Translator:
    """Messages in one language: call it with a ``Msg`` (or a msgid and fields)."""

    def __init__(self, lang: str, messages: Mapping[str, str]) -> None:
        self.lang = lang
        self._messages = messages

    def gettext(self, msgid: str) -> str:
        return self._messages.get(msgid, msgid)

    def __call__(self, message: Any, /, **fields: Any) -> str:
        """``message`` translated: a Msg with its own fields, or a msgid with ``fields``; other text as is."""
        if isinstance(message, Msg):
            msgid, values = message.msgid, {**message.fields, **fields}
        elif isinstance(message, BaseException):
            inner = message_of(message)
            return self(inner) if isinstance(inner, Msg) else str(message)
        elif fields or isinstance(message, str) and message in self._messages:
            msgid, values = str(message), fields
        else:
            return str(message)
        template = self.gettext(msgid)
        if not values:
            return template
        shown = {k: self._field(v) for k, v in values.items()}
        try:
            return template.format(**shown)
        except (KeyError, IndexError, ValueError):  # a broken translation must never hide the message
            return msgid.format(**shown)

    def _field(self, value: Any) -> Any:
        inner = message_of(value)
        return self(inner) if isinstance(inner, Msg) else value

    def error(self, exc: Any) -> str:
        """An AnnouncerError as one line: ``file:line: message — hint``, in this language."""
        text = self(exc.message)
        where = exc.location() if hasattr(exc, "location") else ""
        if where:
            text = f"{where}: {text}"
        if getattr(exc, "hint", None):
            text = f"{text} — {self(exc.hint)}"
        return text


@functools.cache
def translator(lang: str | None = None) -> Translator:
    """The messages of ``lang`` ("vi" or "en"; anything else is English)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return Translator(lang, catalogue(lang))


ENGLISH = Translator(DEFAULT_LANGUAGE, {})
"""Messages as written in the code (no catalogue to read)."""


# --- which language -----------------------------------------------------------------------------------------

_LANGUAGE_LINE = re.compile(r"""^\s*language\s*=\s*(".*?"|'.*?')""", re.MULTILINE)


def station_language(root: Path | str) -> str:
    """station.toml's ``language`` (English when it is not set, or the file cannot be read).

    Read on its own, without the full validation, so a station.toml with a mistake elsewhere
    still gets its messages, about that mistake, in its own language.
    """
    path = Path(root) / "station.toml"
    try:
        text = path.read_bytes()[:1_000_000].decode("utf-8-sig", errors="replace")
    except OSError:
        return DEFAULT_LANGUAGE
    try:
        value = tomllib.loads(text).get("language", DEFAULT_LANGUAGE)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        head = text.split("\n[", 1)[0]  # only top-level keys, before the first [table]
        match = _LANGUAGE_LINE.search(head)
        try:
            value = ast.literal_eval(match.group(1)) if match else DEFAULT_LANGUAGE
        except (ValueError, SyntaxError):
            value = DEFAULT_LANGUAGE
    value = str(value).strip().lower() if isinstance(value, str) else DEFAULT_LANGUAGE
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def choose_language(flag: str | None, station_root: Path | str | None,
                    environ: Mapping[str, str] | None = None) -> str:
    """``--lang``, else ANNOUNCER_LANG, else the station's ``language``, else English."""
    if flag:
        return flag if flag in LANGUAGES else DEFAULT_LANGUAGE
    env = (os.environ if environ is None else environ).get(ENV_VAR, "").strip().lower()
    if env in LANGUAGES:
        return env
    return station_language(station_root) if station_root is not None else DEFAULT_LANGUAGE
