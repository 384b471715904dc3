"""Script files: ``scripts/*.md`` with YAML front matter, then the text to read.

Front matter is parsed with every scalar kept as text (PyYAML's BaseLoader), so
YAML 1.1's traps never apply: ``17:30`` is not the base-60 integer 1050 and
``2021-06-17`` is not a date object. We convert each field ourselves and every
error names the file and the line.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from announcer.config import is_no_jingle, parse_days, parse_hhmm
from announcer.errors import ScriptError
from announcer.i18n import _
from announcer.schedule.levels import Level, level_from_priority, parse_level

FIELDS = {
    "title": _("the title read in tags and listings"),
    "intro": _("opening jingle file, or 'none'"),
    "outro": _("closing jingle file, or 'none'"),
    "intro_voice": _("a recording in clips/ read before the text, e.g. chao-buoi-sang"),
    "repeat": _("how many times the text is read (1-10)"),
    "engine": _("speech engine: gtts or espeak"),
    "voice": _("a voice such as trung-nu, bac-nam, \"miền Nam, nữ\", or an engine's voice (vi-vn-x-south)"),
    "speed": _("reading speed, 1 is normal (0.5-2.0), e.g. 0.9"),
    "slots": _("slot names from station.toml, e.g. [sang, chieu]"),
    "times": _("own air times outside slots, e.g. [\"06:30\"]"),
    "from": _("first day of the campaign, e.g. 17/6/2021"),
    "until": _("last day of the campaign, e.g. 24/6/2021"),
    "days": _("daily, weekdays or a list such as [mon, wed]"),
    "level": _("thong-thuong, uu-tien or khan-cap (thông thường, ưu tiên, khẩn cấp)"),
    "priority": _("higher airs first within a slot (integer)"),
    "every": _("urgent repeat interval, e.g. 30m"),
    "between": _("window for 'every', e.g. \"06:00-20:00\""),
    "zones": _("speaker clusters ([[zone]] names in station.toml) it airs in, e.g. [cho, khu-3]; default: all"),
}
# ASCII digits only: str.isdigit() and \\d accept '²' or '٣', which int() then rejects or misreads.
_DATE_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_DATE_VN = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")
_EVERY = re.compile(r"^([0-9]{1,5})\s*(m|min|phút|h|giờ|g)?$")
DEFAULT_MAX_SCRIPT_BYTES = 512 * 1024
"""The size limit when no station says otherwise (``[limits] max_script_kb``)."""


_WHAT = {"script": _("script"), "text file": _("text file")}
"""What ``read_text_file`` calls the file it reads, in a message."""


def shown(value: object, width: int = 40) -> str:
    """A value quoted for a message, cut short: a message must stay one readable line."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…'"


@dataclass
class Script:
    path: Path
    """The script file."""
    title: str
    """Title for tags, listings and the as-run log."""
    body: str
    """The text to read, as written (not yet normalized)."""
    body_line: int = 1
    """File line of the body's first line, so body errors can name the file line."""
    intro: str | None = None
    """Jingle path; None means the station default; '' means no jingle."""
    outro: str | None = None
    """Closing jingle, same convention as intro."""
    intro_voice: str | None = None
    """A clip name (announcer.clips) read before the text, each time it is read."""
    repeat: int = 1
    """How many times the text is read."""
    engine: str | None = None
    """Engine override (no fallback); None uses the station chain."""
    voice: str | None = None
    """Voice override: region/sex in the station's terms or an engine's voice (announcer.voices)."""
    speed: float | None = None
    """Speed override, 1 = normal; None uses the station's."""
    slots: list[str] = field(default_factory=list)
    """Station slots the script airs in."""
    times: list[str] = field(default_factory=list)
    """Own air times, HH:MM."""
    date_from: date | None = None
    """First campaign day (inclusive)."""
    date_until: date | None = None
    """Last campaign day (inclusive)."""
    days: list[str] | None = None
    """Weekdays it airs; None means every day."""
    priority: int = 0
    """Order within a slot, higher first."""
    every_minutes: int | None = None
    """Urgent repeat interval in minutes."""
    between: tuple[str, str] | None = None
    """Window (HH:MM, HH:MM) for the urgent repeat."""
    zones: list[str] = field(default_factory=list)
    """Zones (speaker clusters) it airs in; empty: every zone."""
    explicit_level: Level | None = None
    """``level:`` as written; None when the script has none (see ``level``)."""
    lines: dict[str, int] = field(default_factory=dict)
    """Front matter key -> file line, for messages."""

    @property
    def level(self) -> Level:
        """The broadcast level: ``level:``, else derived from ``priority`` (announcer.schedule.levels)."""
        return self.explicit_level if self.explicit_level is not None else level_from_priority(self.priority)

    @property
    def stem(self) -> str:
        return self.path.stem

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


def read_text_file(path: Path, what: str = "script", max_bytes: int = DEFAULT_MAX_SCRIPT_BYTES) -> str:
    """Read UTF-8 text (UTF-16 with or without BOM allowed) or fail with a message staff can act on.

    The size is checked before reading, and only regular files are read (a FIFO or a
    device such as /dev/zero would block or never end).
    """
    what = _WHAT.get(what, what)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScriptError(_("{what} is a folder, not a file", what=what), file=path) from None
        if not stat.S_ISREG(info.st_mode):
            raise ScriptError(_("{what} is not a regular file (a device, pipe or socket)", what=what), file=path,
                              hint=_("name a text file"))
        if info.st_size > max_bytes:
            raise ScriptError(
                _("the {what} is {size:,} bytes, over the limit of {limit:,} KB", what=what, size=info.st_size,
                  limit=max_bytes // 1024),
                file=path,
                hint=_("split it into several scripts, or raise [limits] max_script_kb in station.toml"),
            )
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ScriptError(_("{what} not found", what=what), file=path,
                          hint=_("check the file name; scripts live in the scripts/ folder")) from None
    except IsADirectoryError:
        raise ScriptError(_("{what} is a folder, not a file", what=what), file=path) from None
    except OSError as exc:
        raise ScriptError(_("cannot read {what}: {reason}", what=what, reason=exc.strerror or str(exc)),
                          file=path) from None
    if len(raw) > max_bytes:
        raise ScriptError(_("the {what} grew over the limit of {limit:,} KB while being read", what=what,
                            limit=max_bytes // 1024), file=path, hint=_("split it into several scripts"))
    utf16 = utf16_encoding(raw)
    if utf16 is not None:
        raw_text = raw.decode(utf16, errors="replace").lstrip("\ufeff")
    else:
        try:
            raw_text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ScriptError(
                _("the file is not UTF-8 text"),
                file=path,
                line=line,
                hint=_("convert it with: announcer import {path} --force -o {path}  (or save it as UTF-8)",
                       path=path),
            ) from None
    text = raw_text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScriptError(
            _("the {what} contains NUL bytes (it is binary, or was damaged when saved)", what=what),
            file=path,
            line=line,
            hint=_("open it in a text editor, delete the odd characters on that line and save it as UTF-8"),
        )
    return unicodedata.normalize("NFC", text)


def utf16_encoding(raw: bytes) -> str | None:
    """'utf-16' (BOM), 'utf-16-le' or 'utf-16-be' (no BOM, told by where the zero bytes fall), else None.

    Vietnamese in UTF-16 has a zero high byte for every ASCII character (spaces, digits,
    punctuation, most letters), so one side of the byte pairs is mostly zeros.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = raw[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    zeros_even, zeros_odd = even.count(0), odd.count(0)
    if zeros_odd >= 0.3 * half and zeros_even <= 0.05 * half:
        encoding = "utf-16-le"
    elif zeros_even >= 0.3 * half and zeros_odd <= 0.05 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return None
    return encoding


def parse_script(path: Path, max_bytes: int = DEFAULT_MAX_SCRIPT_BYTES, text: str | None = None) -> Script:
    """Parse a script; raise the first problem found (``script_problems`` lists them all).
    ``text`` is the file's content when it is not (yet) on disk: the console checks an edit before saving it."""
    problems: list[ScriptError] = []
    script = _parse(path, problems, max_bytes, text)
    if problems:
        raise problems[0]
    return script


def script_problems(path: Path, max_bytes: int = DEFAULT_MAX_SCRIPT_BYTES, text: str | None = None
                    ) -> list[ScriptError]:
    """Every problem of a script file, for ``announcer check``; [] when it is valid (``text``: as parse_script)."""
    return checked_script(path, max_bytes, text)[1]


def checked_script(path: Path, max_bytes: int = DEFAULT_MAX_SCRIPT_BYTES, text: str | None = None
                   ) -> tuple[Script | None, list[ScriptError]]:
    """(the script, []) when it is valid, else (None, every problem): what ``parse_script`` and
    ``script_problems`` say, from one reading of the file (``check`` asks both of every script)."""
    problems: list[ScriptError] = []
    try:
        script = _parse(path, problems, max_bytes, text)
    except ScriptError as exc:  # the file cannot be read or its front matter cannot be parsed at all
        problems.append(exc)
        return None, problems
    return (None, problems) if problems else (script, [])


@dataclass
class ScriptSource:
    """A script's text split in two, before any field is converted: what the console's editor shows."""

    meta: dict[str, Any]
    """Known front-matter settings as written: a string, or a list of strings."""
    lines: dict[str, int]
    """Setting -> file line."""
    body: str
    """Everything after the front matter."""
    body_line: int
    """File line where ``body`` starts."""


def split_source(text: str, path: Path, problems: list[ScriptError]) -> ScriptSource:
    """Front matter and body; settings that are unknown or malformed go to ``problems`` (an unclosed or
    unreadable front matter raises)."""
    lines = text.split("\n")
    if not (lines and lines[0].strip() == "---"):
        return ScriptSource({}, {}, text, 1)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ScriptError(
            _("front matter starts with --- but never ends"),
            file=path,
            line=1,
            hint=_("add a line with --- after the last setting, before the text"),
        ) from None
    meta, key_lines = _parse_front_matter("\n".join(lines[1:end]), path, 2, problems)
    return ScriptSource(meta, key_lines, "\n".join(lines[end + 1 :]), end + 2)


def _parse(path: Path, problems: list[ScriptError], max_bytes: int = DEFAULT_MAX_SCRIPT_BYTES,
           text: str | None = None) -> Script:
    if text is None:
        text = read_text_file(path, max_bytes=max_bytes)
    source = split_source(text, path, problems)
    meta, key_lines, body, body_line = source.meta, source.lines, source.body, source.body_line
    if not body.strip():
        raise ScriptError(
            _("the script has no text to read"),
            file=path,
            line=body_line,
            hint=_("write the notice text after the closing --- line"),
        )
    # Strip leading blank lines but keep line numbers right.
    while body.startswith("\n"):
        body = body[1:]
        body_line += 1
    script = Script(path=path, title=path.stem, body=body.rstrip() + "\n", body_line=body_line, lines=key_lines)
    _fill_fields(script, meta, path, problems)
    return script


def _parse_front_matter(
    source: str, path: Path, first_line: int, problems: list[ScriptError]
) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(source, Loader=yaml.BaseLoader)
    except RecursionError:
        raise ScriptError(_("front matter is nested too deeply"), file=path, line=first_line,
                          hint=_("write one 'key: value' per line")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + mark.line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScriptError(
            _("front matter is not valid: {problem}", problem=problem),
            file=path,
            line=line,
            hint=_("write one 'key: value' per line; put text with ':' or '#' in quotes"),
        ) from None
    if node is None:
        return {}, {}
    if not isinstance(node, yaml.MappingNode):
        raise ScriptError(
            _("front matter must be 'key: value' lines"),
            file=path,
            line=first_line,
            hint=_("for example   title: Thông báo lịch tiêm chủng"),
        )
    meta: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = first_line + key_node.start_mark.line
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(ScriptError(_("a setting name must be a plain word"), file=path, line=line,
                                        hint=_("known settings: {names}", names=", ".join(FIELDS))))
            continue
        key = str(key_node.value).strip().lower()
        if key not in FIELDS:
            problems.append(ScriptError(_("unknown setting {name}", name=shown(key)), file=path, line=line,
                                        hint=_("known settings: {names}", names=", ".join(FIELDS))))
            continue
        if key in meta:
            problems.append(ScriptError(_("{key!r} is set twice", key=key), file=path, line=line,
                                        hint=_("keep only one")))
            continue
        try:
            meta[key] = _plain(value_node, path, line)
        except ScriptError as exc:
            problems.append(exc)
            continue
        key_lines[key] = line
    return meta, key_lines


def _plain(node: yaml.Node, path: Path, line: int) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                raise ScriptError(_("lists may hold only plain values"), file=path, line=line)
            items.append(str(item.value))
        return items
    raise ScriptError(_("this setting cannot hold 'key: value' pairs"), file=path, line=line,
                      hint=_("write it on one line, e.g. slots: [sang, chieu]"))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v.strip() for v in value if v.strip()]
    return [part.strip() for part in str(value).strip("[] ").split(",") if part.strip()]


def parse_date(text: str) -> date:
    """2021-06-17 or the Vietnamese 17/6/2021 (also 17-6-2021, 17.6.2021)."""
    value = text.strip()
    match = _DATE_ISO.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DATE_VN.match(value)
        if not match:
            raise ValueError(_("{value} is not a date; write 17/6/2021 or 2021-06-17", value=shown(text)))
        day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("{value} is not a real date", value=shown(text))) from None


def parse_every(text: str) -> int:
    match = _EVERY.match(text.strip().lower())
    if not match:
        raise ValueError(_("{value} is not an interval; write e.g. 30m or 1h", value=shown(text)))
    amount = int(match.group(1))
    minutes = amount * 60 if match.group(2) in ("h", "giờ", "g") else amount
    if minutes < 5:
        raise ValueError(_("the repeat interval must be at least 5 minutes"))
    return minutes


def _fill_fields(script: Script, meta: dict[str, Any], path: Path, problems: list[ScriptError]) -> None:
    """Convert each front-matter field; a bad field is recorded in ``problems`` and left
    at its default, so one pass finds every mistake in the file."""

    def fail(key: str, message: str) -> ScriptError:
        return ScriptError(_("{key}: {problem}", key=key, problem=message), file=path, line=script.lines.get(key),
                           hint=_("expected {what}", what=FIELDS[key]))

    def scalar(key: str) -> str | None:
        value = meta.get(key)
        if value is None:
            return None
        if isinstance(value, list):
            raise fail(key, _("must be a single value, not a list"))
        return str(value).strip()

    def title() -> None:
        value = scalar("title")
        if value:
            script.title = value

    def jingles() -> None:
        for key in ("intro", "outro"):
            value = scalar(key)
            if value is not None:
                setattr(script, key, "" if is_no_jingle(value) else value)
        value = scalar("intro_voice")
        if value and not is_no_jingle(value):
            from announcer.clips import name_problem

            problem = name_problem(value)
            if problem:
                raise fail("intro_voice", problem)
            script.intro_voice = value

    def repeat() -> None:
        value = scalar("repeat")
        if value is not None:
            if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= 10:
                raise fail("repeat", _("{value} is not a whole number from 1 to 10 (digits 0-9)", value=shown(value)))
            script.repeat = int(value)

    def engine() -> None:
        script.engine = scalar("engine") or None
        script.voice = scalar("voice") or None
        if script.voice is not None:
            from announcer.voices import known_names, parse_voice

            try:
                parse_voice(script.voice, known_names())
            except ValueError as exc:
                script.voice = None
                raise fail("voice", exc.args[0] if exc.args else str(exc)) from None
        value = scalar("speed")
        if value is not None:
            from announcer.voices import check_speed

            try:
                speed = float(value.replace(",", "."))
            except ValueError:
                raise fail("speed", _("{value} is not a number", value=shown(value))) from None
            problem = check_speed(speed)
            if problem:
                raise fail("speed", problem)
            script.speed = speed

    def slots() -> None:
        if "slots" in meta:
            script.slots = _as_list(meta["slots"])

    def zones() -> None:
        if "zones" in meta:
            script.zones = [z.strip() for z in _as_list(meta["zones"]) if z.strip()]

    def times() -> None:
        if "times" in meta:
            values = _as_list(meta["times"])
            for item in values:
                try:
                    parse_hhmm(item)
                except ValueError as exc:
                    raise fail("times", _('{problem}; write times in quotes, e.g. ["06:30"]', problem=exc)) from None
            script.times = values

    def dates() -> None:
        for key, attr in (("from", "date_from"), ("until", "date_until")):
            value = scalar(key)
            if value:
                try:
                    setattr(script, attr, parse_date(value))
                except ValueError as exc:
                    raise fail(key, exc.args[0]) from None
        if script.date_from and script.date_until and script.date_until < script.date_from:
            raise ScriptError(
                _("until ({until}) is before from ({start})", until=f"{script.date_until:%d/%m/%Y}",
                  start=f"{script.date_from:%d/%m/%Y}"),
                file=path,
                line=script.lines.get("until"),
                hint=_("swap the two dates or correct the year"),
            )

    def days() -> None:
        if "days" in meta:
            try:
                script.days = parse_days(meta["days"])
            except ValueError as exc:
                raise fail("days", exc.args[0]) from None

    def priority() -> None:
        value = scalar("priority")
        if value is not None:
            if not re.fullmatch(r"-?[0-9]{1,6}", value):
                raise fail("priority", _("{value} is not a whole number from -999999 to 999999", value=shown(value)))
            script.priority = int(value)

    def level() -> None:
        value = scalar("level")
        if value is not None:
            try:
                script.explicit_level = parse_level(value)
            except ValueError as exc:
                raise fail("level", str(exc)) from None

    def every() -> None:
        value = scalar("every")
        if value:
            try:
                script.every_minutes = parse_every(value)
            except ValueError as exc:
                raise fail("every", exc.args[0]) from None
        window = scalar("between")
        if window:
            parts = [p.strip() for p in window.replace("–", "-").split("-")]
            try:
                if len(parts) != 2:
                    raise ValueError(_("{value} is not a window like 06:00-20:00", value=shown(window)))
                if parse_hhmm(parts[1]) <= parse_hhmm(parts[0]):
                    raise ValueError(_("the window must end after it starts"))
            except ValueError as exc:
                raise fail("between", exc.args[0]) from None
            if not script.every_minutes:
                raise fail("between", _("'between' needs 'every', e.g. every: 30m"))
            script.between = (parts[0], parts[1])

    for step in (title, jingles, repeat, engine, slots, zones, times, dates, days, priority, level, every):
        try:
            step()
        except ScriptError as exc:
            problems.append(exc)


def list_scripts(scripts_dir: Path) -> list[Path]:
    """The station's scripts that can be read; ``scan_scripts`` also says what is wrong with the rest."""
    return scan_scripts(scripts_dir)[0]


def scan_scripts(scripts_dir: Path) -> tuple[list[Path], list[ScriptError]]:
    """``scripts/*.md`` split into readable scripts and problems: a link leaving the station
    (``scripts/passwd.md -> /etc/passwd``), a link loop or a broken link, a folder, a device."""
    paths: list[Path] = []
    problems: list[ScriptError] = []
    try:
        candidates = sorted(p for p in scripts_dir.glob("*.md") if not p.name.startswith("."))
    except OSError:
        return [], []
    station_root = scripts_dir.parent.resolve()
    for path in candidates:
        problem = _listing_problem(path, station_root)
        if problem is None:
            paths.append(path)
        else:
            problems.append(problem)
    return paths, problems


def _listing_problem(path: Path, station_root: Path) -> ScriptError | None:
    try:
        info = path.stat()
        real = path.resolve(strict=True)
    except FileNotFoundError:
        target = os.readlink(path) if path.is_symlink() else "?"
        return ScriptError(_("is a link to {target}, which does not exist", target=target), file=path,
                           hint=_("remove the link or restore the file it points to"))
    except (OSError, RuntimeError) as exc:  # ELOOP: a link that points back to itself
        return ScriptError(_("cannot be read: the link loops or is broken ({reason})", reason=exc.__class__.__name__),
                           file=path, hint=_("remove the link and put the script itself in scripts/"))
    if not real.is_relative_to(station_root):
        return ScriptError(_("is a link to {target}, outside the station folder: it is not read", target=str(real)),
                           file=path,
                           hint=_("copy the script into scripts/ (announcer import FILE) instead of linking to it"))
    if stat.S_ISDIR(info.st_mode):
        return ScriptError(_("is a folder (or a link to one), not a script"), file=path,
                           hint=_("rename the folder so its name does not end in .md, or move it out of scripts/"))
    if not stat.S_ISREG(info.st_mode):
        return ScriptError(_("is not a regular file (a device, pipe or socket)"), file=path,
                           hint=_("remove it from scripts/"))
    return None
