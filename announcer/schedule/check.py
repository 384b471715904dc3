"""``announcer check``: every problem of station.toml, the scripts and the schedule, at once.

Each problem names the file and, where there is one, the line; says what is
wrong and how to fix it. Errors make ``check`` fail; warnings (a missing or
stale render, a script that never airs) do not.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from announcer.approval import approved_only, book_for, waiting_message
from announcer.config import STATION_FILE, KeyLines, Station, read_station_source, station_problems
from announcer.errors import AnnouncerError, ConfigError, ScriptError
from announcer.guards import inside_station, judge_length, minimum_program_s, pause_problems, require_program_length
from announcer.i18n import ENGLISH, Translator, _
from announcer.schedule import renders
from announcer.schedule.model import is_none, jingle_path
from announcer.schedule.sinks import Clock, utc_now
from announcer.script import Script, checked_script, scan_scripts, shown

ERROR, WARNING = "error", "warning"
_SEVERITY = {ERROR: _("error"), WARNING: _("warning")}
_HEADER = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class Problem:
    severity: str
    file: str | None
    line: int | None
    message: str
    hint: str | None = None

    @classmethod
    def from_error(cls, exc: AnnouncerError, severity: str = ERROR) -> Problem:
        return cls(severity, exc.file, exc.line, exc.message, exc.hint)

    def format(self, tr: Translator = ENGLISH) -> str:
        """One line: ``error: file:line: message — hint``, in ``tr``'s language."""
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        severity = tr(_SEVERITY[self.severity])
        message = tr(self.message)
        text = f"{severity}: {where}: {message}" if where else f"{severity}: {message}"
        return f"{text} — {tr(self.hint)}" if self.hint else text


# --- station.toml ------------------------------------------------------------------------------------------


def _key_line(lines: list[str], key: str, start: int = 0, stop: int | None = None) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for index in range(start, len(lines) if stop is None else stop):
        if pattern.match(lines[index]):
            return index + 1
    return None


def _slot_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, stop) line indexes of each [[slot]] table."""
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[slot]]"]
    blocks = []
    for start in starts:
        stop = next((j for j in range(start + 1, len(lines)) if _HEADER.match(lines[j])), len(lines))
        blocks.append((start, stop))
    return blocks


def _top_level_stop(lines: list[str]) -> int:
    return next((i for i, line in enumerate(lines) if _HEADER.match(line)), len(lines))


def check_station(root: Path) -> tuple[Station | None, set[str], list[Problem], str]:
    """Load station.toml with the config's own rules, reporting every problem; returns the usable part too."""
    path = root / STATION_FILE
    if not path.exists():
        problem = Problem(
            ERROR, str(path), None, _("station.toml not found"),
            _("create a station with: announcer init {root}", root=root)
        )
        return None, set(), [problem], ""
    station, errors = station_problems(root)
    try:
        source = read_station_source(path)
    except ConfigError:
        source = ""
    problems = [Problem.from_error(exc) for exc in errors]
    if errors and not source:
        return None, set(), problems, ""
    return station, {s.name for s in station.slots} | _declared_names(source), problems, source


def _declared_names(source: str) -> set[str]:
    """Slot names written in station.toml, valid or not (a script naming a broken slot is not 'unknown')."""
    try:
        data = tomllib.loads(source)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return set()
    raw = data.get("slot", [])
    if not isinstance(raw, list):
        return set()
    return {t["name"].strip() for t in raw if isinstance(t, dict) and isinstance(t.get("name"), str)}


# --- jingles, scripts and the schedule ---------------------------------------------------------------------


def _check_jingles(station: Station, scripts: list[Script], source: str) -> list[Problem]:
    """Every jingle a render or a slot will use: inside the station, there, and not hours long."""
    problems: list[Problem] = []
    config = str(station.config_path)
    lines = source.splitlines()
    top = _top_level_stop(lines)
    checked: dict[Path, Any] = {}

    def length(target: Path, file: str, line: int | None, what: str) -> None:
        if target not in checked:
            checked[target] = judge_length(target, station.limits, what)
        verdict = checked[target]
        if verdict.error:
            problems.append(Problem(ERROR, file, line, _("{problem}: {file}", problem=verdict.error, file=target),
                                    _("use a short chime, or raise [limits] max_jingle_s in station.toml")))
        elif verdict.warning:
            problems.append(Problem(WARNING, file, line, _("{problem} ({file})", problem=verdict.warning,
                                                           file=target),
                                    _("a jingle is usually a few seconds long")))

    for key in ("intro", "outro"):
        value = getattr(station, key)
        target = jingle_path(station, value)
        what = _("opening") if key == "intro" else _("closing")
        line = _key_line(lines, key, 0, top)
        if target is None:
            continue
        users = [s for s in scripts if getattr(s, key) is None]
        if target.is_file():
            if users:
                length(target, config, line, _("default {what} jingle", what=what))
            continue
        problems.append(
            Problem(
                ERROR if users else WARNING,
                config,
                line,
                _("the station's default {what} jingle {value!r} does not exist (used by {n} script(s))",
                  what=what, value=value, n=len(users)) if users else
                _("the station's default {what} jingle {value!r} does not exist (no script uses it)",
                  what=what, value=value),
                _('put the file at {target}, fix the path, or set {key} = "" for none', target=target, key=key),
            )
        )
    blocks = {start + 1: (start, stop) for start, stop in _slot_blocks(lines)}
    for slot in station.slots:
        for key in ("intro", "outro"):
            value = getattr(slot, key)
            target = jingle_path(station, value)
            if target is None:
                continue
            start, stop = blocks.get(slot.line or 0, (0, len(lines)))
            line = _key_line(lines, key, start, stop) or slot.line
            if target.is_file():
                length(target, config, line, _("slot {name!r} {key} jingle", name=slot.name, key=key))
                continue
            problems.append(
                Problem(
                    ERROR,
                    config,
                    line,
                    _("slot {name!r}: {key} jingle {value!r} does not exist", name=slot.name, key=key, value=value),
                    _("put the file at {target}, or remove the {key} line", target=target, key=key),
                )
            )
    for script in scripts:
        for key in ("intro", "outro"):
            value = getattr(script, key)
            if value is None or is_none(value):
                continue
            try:
                target = inside_station(station, Path(value.strip()), f"{key} jingle", script.path,
                                        script.line_of(key))
            except ConfigError as exc:
                problems.append(Problem.from_error(exc))
                continue
            if target.is_file():
                length(target, str(script.path), script.line_of(key), _("{key} jingle", key=key))
                continue
            problems.append(
                Problem(
                    ERROR,
                    str(script.path),
                    script.line_of(key),
                    _("{key} jingle {value!r} does not exist", key=key, value=value),
                    _("put the file at {target} (paths are relative to the station folder), or write {key}: none",
                      target=target, key=key),
                )
            )
    return problems


def _check_engines(station: Station, scripts: list[Script], source: str) -> list[Problem]:
    """Engine and voice names, by the engines' own registry (what ``build`` will ask for)."""
    from announcer.engines import ENGINES

    problems: list[Problem] = []
    config = str(station.config_path)
    keys = KeyLines(source)
    known = ", ".join(ENGINES)
    for name in station.engines:
        if name not in ENGINES:
            problems.append(Problem(ERROR, config, keys.line("engines"), _("unknown engine {name}", name=shown(name)),
                                    _("use one of: {names}", names=known)))
    espeak_voices = ENGINES["espeak"].voices if "espeak" in ENGINES else ()
    if espeak_voices and station.espeak.voice not in espeak_voices:
        problems.append(Problem(ERROR, config, keys.line("espeak.voice"),
                                _("unknown espeak voice {name}", name=shown(station.espeak.voice)),
                                _("use one of: {names}", names=", ".join(espeak_voices))))
    for script in scripts:
        file = str(script.path)
        if script.engine is not None and script.engine.strip().lower() not in ENGINES:
            problems.append(Problem(ERROR, file, script.line_of("engine"),
                                    _("unknown engine {name}", name=shown(script.engine)),
                                    _("use one of: {names}, or remove the engine line", names=known)))
            continue
        if script.voice is None:
            continue
        names = [script.engine.strip().lower()] if script.engine else [n for n in station.engines if n in ENGINES]
        from announcer.voices import voice_problem_for_chain

        message = voice_problem_for_chain(script.voice, names)
        if message:
            voices = [v for n in names for v in ENGINES[n].voices]
            problems.append(Problem(ERROR, file, script.line_of("voice"), message,
                                    f"write e.g. voice: trung-nu; voices of {', '.join(names) or 'the chain'}: "
                                    f"{', '.join(voices) or 'none'}"))
    return problems


def _check_clips(station: Station, scripts: list[Script]) -> list[Problem]:
    """Every [clip: ...] and intro_voice: a plain name, in clips/, not hours long."""
    from announcer.clips import clip_problems

    return [Problem.from_error(exc) for script in scripts for exc in clip_problems(station, script)]


def _check_lexicon(station: Station) -> list[Problem]:
    from announcer.textnorm import load_lexicon

    try:
        lexicon = load_lexicon(station.lexicon_path)
    except ConfigError as exc:
        return [Problem.from_error(exc)]
    from announcer.textnorm.engine_forms import form_problems, load_engine_forms

    forms = load_engine_forms(station.lexicon_path)
    if not forms:  # most stations: no engine forms, so no text to read (the reader takes a while to import)
        return []
    from announcer.engines import ENGINES
    from announcer.textnorm import normalize

    read = {f.written: normalize(f.written, dialect=station.dialect, lexicon=lexicon) for f in forms}
    return [Problem.from_error(exc) for exc in form_problems(forms, station.lexicon_path, ENGINES, read)]


def _check_lengths(station: Station, scripts: list[Script]) -> list[Problem]:
    """Pauses and program length, from the text alone (what ``build`` refuses before synthesizing)."""
    problems: list[Problem] = []
    for script in scripts:
        problems.extend(Problem.from_error(exc) for exc in pause_problems(script, station.limits))
        try:
            require_program_length(script, station, minimum_program_s(script, station), estimate=True)
        except ScriptError as exc:
            problems.append(Problem.from_error(exc))
    return problems


def _check_schedule(station: Station, scripts: list[Script], declared: set[str], today: date) -> list[Problem]:
    problems: list[Problem] = []
    known = ", ".join(sorted(declared)) or _("none (add [[slot]] tables to station.toml)")
    for script in scripts:
        for name in script.slots:
            if name not in declared:
                problems.append(
                    Problem(
                        ERROR,
                        str(script.path),
                        script.line_of("slots"),
                        _("unknown slot {name!r}", name=name),
                        _("known slots: {names}", names=known),
                    )
                )
        problems.extend(_unknown_zones(station, script))
        if not script.slots and not script.times and not script.every_minutes:
            problems.append(
                Problem(
                    WARNING,
                    str(script.path),
                    None,
                    _("never airs: no slots, times or every"),
                    _("add e.g. slots: [sang] to its front matter"),
                )
            )
        if script.every_minutes and not script.between:
            problems.append(
                Problem(
                    WARNING,
                    str(script.path),
                    script.line_of("every"),
                    _("'every' without 'between' repeats around the clock"),
                    _('add e.g. between: "06:00-20:00"'),
                )
            )
        if script.date_until and script.date_until < today:
            problems.append(
                Problem(
                    WARNING,
                    str(script.path),
                    script.line_of("until"),
                    _("the campaign ended on {day}; it no longer airs", day=f"{script.date_until:%d/%m/%Y}"),
                    _("move it out of scripts/ or change until"),
                )
            )
    return problems


def _check_renders(station: Station, scripts: list[Script], today: date, status_fn: renders.StatusFn) -> list[Problem]:
    problems: list[Problem] = []
    for script in scripts:
        scheduled = script.slots or script.times or script.every_minutes
        if not scheduled or (script.date_until and script.date_until < today):
            continue
        status = status_fn(station, script)
        rel = script.path.name
        if status == renders.MISSING:
            problems.append(
                Problem(
                    WARNING,
                    str(script.path),
                    None,
                    _("has no render yet"),
                    _("run: announcer build scripts/{name}", name=rel),
                )
            )
        elif status == renders.STALE:
            problems.append(
                Problem(
                    WARNING,
                    str(script.path),
                    None,
                    _("its render is out of date"),
                    _("run: announcer build scripts/{name}", name=rel),
                )
            )
    return problems


def script_rules(station: Station, script: Script, declared: set[str], today: date, source: str = "") -> list[Problem]:
    """check's rules for one parsed script (its jingles, engine and voice, lengths, schedule): what the
    console's editor asks before it saves. Only the script's own problems; renders are not judged."""
    problems = (_check_jingles(station, [script], source) + _check_engines(station, [script], source)
                + _check_lengths(station, [script]) + _check_schedule(station, [script], declared, today))
    return [p for p in problems if p.file == str(script.path)]


def _check_icecast_passwords(station: Station, source: str) -> list[Problem]:
    """Each Icecast sink (``[player] sink``, the zones') needs a password, from the environment or
    secrets.toml: said here rather than by a silent stream at the first item. Never quotes it."""
    keys = KeyLines(source) if source else None
    sinks = [(station.player.sink, keys.lines.get("player.sink") if keys is not None else None)]
    sinks += [(zone.sink, (keys.lines.get(f"zone.{index}.sink") if keys is not None else None) or zone.line)
              for index, zone in enumerate(station.zones)]
    out = []
    for spec, line in sinks:
        if not spec.strip().lower().startswith("icecast:"):
            continue
        from announcer.schedule.icecast import parse_icecast  # only for a station that streams

        try:
            parse_icecast(spec, root=station.root)
        except ConfigError as exc:
            out.append(Problem(ERROR, str(station.config_path), line, exc.message, exc.hint))
    return out


def _unknown_zones(station: Station, script: Script) -> list[Problem]:
    """A zone a script names must be a [[zone]] of station.toml (the player would air it everywhere)."""
    zones = [z.name for z in station.zones]
    known = ", ".join(zones) or "none (add [[zone]] tables to station.toml, or remove zones:)"
    return [Problem(ERROR, str(script.path), script.line_of("zones"), f"unknown zone {name!r}",
                    f"known zones: {known}") for name in script.zones if name not in zones]


def _check_approvals(station: Station, scripts: list[Script]) -> list[Problem]:
    """With require_approval: each script that waits for approval (it will not air)."""
    try:
        _airing, waiting = approved_only(scripts, book_for(station))
    except ConfigError as exc:
        return [Problem.from_error(exc)]
    return [Problem.from_error(waiting_message(station, script), WARNING) for script in waiting]


def _check_relays(station: Station, scripts: list[Script], source: str) -> list[Problem]:
    """Missing fallbacks, windows over slots or own times, relays at once (announcer.schedule.relay)."""
    if not station.relays:
        return []
    from announcer.schedule.relay import relay_problems

    keys = KeyLines(source) if source else None
    own = [(t, s.days, f"{s.path.name} (own time)") for s in scripts for t in s.times]
    out = []
    for problem in relay_problems(station, own):
        index = station.relays.index(problem.relay)
        line = keys.lines.get(f"relay.{index}.{problem.key}") if keys is not None and problem.key else None
        out.append(Problem(problem.severity, str(station.config_path), line or problem.relay.line,
                           problem.message, problem.hint))
    return out


def run_checks(
    root: Path,
    today: date | None = None,
    clock: Clock = utc_now,
    status_fn: renders.StatusFn = renders.render_status,
) -> list[Problem]:
    station, declared, problems, source = check_station(root)
    usable = station or Station(root=root)
    if today is None:
        try:
            today = clock().astimezone(usable.tz).date()
        except Exception:  # noqa: BLE001 - a bad time zone is already reported
            today = clock().date()
    scripts: list[Script] = []
    max_bytes = usable.limits.max_script_kb * 1024
    paths, unreadable = scan_scripts(usable.scripts_dir) if usable.scripts_dir.is_dir() else ([], [])
    problems.extend(Problem.from_error(exc) for exc in unreadable)
    for path in paths:
        script, every = checked_script(path, max_bytes)  # a script with one mistake may have more: list them all
        if script is None:
            problems.extend(Problem.from_error(exc) for exc in every)
        else:
            scripts.append(script)
    problems.extend(_check_jingles(usable, scripts, source))
    problems.extend(_check_clips(usable, scripts))
    problems.extend(_check_engines(usable, scripts, source))
    problems.extend(_check_lexicon(usable))
    problems.extend(_check_lengths(usable, scripts))
    if station is not None:
        problems.extend(_check_schedule(usable, scripts, declared, today))
        problems.extend(_check_relays(usable, scripts, source))
        problems.extend(_check_icecast_passwords(usable, source))
        problems.extend(_check_renders(usable, scripts, today, status_fn))
        problems.extend(_check_approvals(usable, scripts))
    return problems


def format_report(root: Path, problems: list[Problem], tr: Translator = ENGLISH) -> tuple[str, bool]:
    errors = [p for p in problems if p.severity == ERROR]
    warnings = [p for p in problems if p.severity == WARNING]
    ordered = sorted(problems, key=lambda p: (p.severity != ERROR, p.file or "", p.line or 0, p.message))
    lines = [p.format(tr) for p in ordered]
    if errors:
        lines.append(tr(_("{errors} error(s), {warnings} warning(s) in {root}", errors=len(errors),
                          warnings=len(warnings), root=root)))
    elif warnings:
        lines.append(tr(_("no errors, {warnings} warning(s) in {root}", warnings=len(warnings), root=root)))
    else:
        lines.append(tr(_("all good: {root}", root=root)))
    return "\n".join(lines), not errors


def check_command(station_dir: Path | str, clock: Clock = utc_now, tr: Translator = ENGLISH) -> tuple[str, bool]:
    root = Path(station_dir)
    return format_report(root, run_checks(root, clock=clock), tr)
