"""Checks that run before heavy work, so bad input costs a message, not memory or the user's files.

Sizes and lengths come from ``[limits]`` in station.toml (``config.Limits``); paths
must stay inside the station folder (or ``media_dirs``). Everything here only
looks (stat, a file header, a zip directory): nothing is decoded or parsed whole.
"""

from __future__ import annotations

import logging
import re
import subprocess
import wave
import zipfile
from dataclasses import dataclass
from pathlib import Path

from announcer.config import Limits, Station, usable
from announcer.errors import AnnouncerError, ConfigError, NoticeImportError, RenderError, ScriptError
from announcer.i18n import _
from announcer.script import Script, shown
from announcer.speech import _MARKER, MAX_MARKER_MS, marker_ms

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wma"})
"""What ``play`` accepts besides a script, and what a jingle may be."""
SAY_SUFFIXES = frozenset({".mp3", ".wav"})
"""What ``say`` writes."""
PROBE_TIMEOUT_S = 20
FAST_SYLLABLES_PER_S = 6.0
"""Faster than any announcer reads; a length estimate from it is a lower bound."""


# --- audio length, from the header -------------------------------------------------------------------------


def probe_duration(path: Path) -> float | None:
    """Length of an audio file in seconds from its header (WAV, then mutagen, then ffmpeg's header
    read), without decoding it; None when it cannot be told."""
    if path.suffix.lower() == ".wav":
        try:
            with wave.open(str(path), "rb") as handle:
                rate = handle.getframerate()
                if rate > 0:
                    return handle.getnframes() / float(rate)
        except (wave.Error, EOFError, OSError):
            pass
    try:
        import mutagen

        info = mutagen.File(str(path))
        length = getattr(getattr(info, "info", None), "length", None)
        if length:
            return float(length)
    except Exception:  # noqa: BLE001 - mutagen raises many kinds of errors on odd files
        pass
    return _ffmpeg_header_duration(path)


_DURATION = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


def _ffmpeg_header_duration(path: Path) -> float | None:
    from announcer.audio.ffmpeg import ffmpeg_exe

    try:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True,
                              timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired, AnnouncerError):
        return None
    match = _DURATION.search(proc.stderr)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class LengthVerdict:
    seconds: float | None
    """The length found in the header (None: unknown)."""
    warning: str | None = None
    error: str | None = None


def judge_length(path: Path, limits: Limits, what: str = "jingle") -> LengthVerdict:
    """A jingle or clip's length against ``limits``: over ``max_jingle_s`` is an error,
    over ``jingle_warn_s`` a warning."""
    seconds = probe_duration(path)
    if seconds is None:
        return LengthVerdict(None)
    if seconds > limits.max_jingle_s:
        return LengthVerdict(seconds, error=_("the {what} is {length} long, over the limit of {limit} "
                                              "([limits] max_jingle_s)", what=what, length=_clock(seconds),
                                              limit=_clock(limits.max_jingle_s)))
    if seconds > limits.jingle_warn_s:
        return LengthVerdict(seconds, warning=_("the {what} is {length} long; is that the right file?", what=what,
                                                length=_clock(seconds)))
    return LengthVerdict(seconds)


def require_short_audio(path: Path, limits: Limits, what: str, file: Path | str | None, line: int | None) -> None:
    """Raise a RenderError naming the setting's file and line when ``path`` is over the limit."""
    verdict = judge_length(path, limits, what)
    if verdict.error:
        raise RenderError(_("{problem}: {file}", problem=verdict.error, file=path), file=file, line=line,
                          hint=_("use a short chime, or raise [limits] max_jingle_s in station.toml"))


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


# --- pauses and program length --------------------------------------------------------------------------------


def pause_problems(script: Script, limits: Limits) -> list[ScriptError]:
    """Pause markers that add up past the limits: one gap (markers with only blanks between them,
    which the reading plan merges into one silence) or the whole script."""
    problems: list[ScriptError] = []
    body = script.body
    gap_ms, gap_line, total_ms = 0.0, 0, 0.0
    previous_end: int | None = None
    start_of_line = 0
    for offset, line in enumerate(body.split("\n")):
        for match in _MARKER.finditer(line):
            start, end = start_of_line + match.start(), start_of_line + match.end()
            ms = float(marker_ms(match.group(1), match.group(2)))
            if previous_end is not None and not body[previous_end:start].strip():
                gap_ms += ms
            else:
                _close_gap(problems, script, gap_ms, gap_line, limits)
                gap_ms, gap_line = ms, script.body_line + offset
            before = total_ms
            total_ms += ms
            if before <= limits.max_pause_total_s * 1000 < total_ms:
                problems.append(ScriptError(
                    _("the pause markers add up to more than {limit:g} s of silence ([limits] max_pause_total_s)",
                      limit=limits.max_pause_total_s), file=script.path, line=script.body_line + offset,
                    hint=_("remove some [nghỉ …] markers")))
            previous_end = end
        start_of_line += len(line) + 1
    _close_gap(problems, script, gap_ms, gap_line, limits)
    return sorted(problems, key=lambda p: p.line or 0)


def _close_gap(problems: list[ScriptError], script: Script, gap_ms: float, line: int, limits: Limits) -> None:
    if gap_ms > limits.max_pause_s * 1000:
        problems.append(ScriptError(
            _("pause markers in a row add up to {total:g} s of silence, over the limit of {limit:g} s "
              "([limits] max_pause_s)", total=gap_ms / 1000, limit=limits.max_pause_s), file=script.path, line=line,
            hint=_("write one marker of at most {most:g} s", most=min(limits.max_pause_s, MAX_MARKER_MS / 1000))))


def minimum_program_s(script: Script, station: Station, jingles_s: float = 0.0) -> float:
    """A lower bound of the render's length, before anything is synthesized: the words read faster
    than anyone reads, plus the pauses the markers ask for, times the readings, plus the jingles."""
    words = len(script.body.split())
    markers = sum(marker_ms(m.group(1), m.group(2)) for m in _MARKER.finditer(script.body)) / 1000
    one_reading = words / FAST_SYLLABLES_PER_S + markers
    interludes = (script.repeat - 1) * station.audio.interlude_ms / 1000
    return one_reading * script.repeat + interludes + jingles_s


def require_program_length(script: Script, station: Station, seconds: float, estimate: bool) -> None:
    limit = station.limits.max_program_min * 60
    if seconds > limit:
        message = (_("the render would last at least {length}, over the limit of {limit} ([limits] max_program_min)",
                     length=_clock(seconds), limit=_clock(limit)) if estimate else
                   _("the render has reached {length}, over the limit of {limit} ([limits] max_program_min)",
                     length=_clock(seconds), limit=_clock(limit)))
        raise ScriptError(
            message, file=script.path, line=script.line_of("repeat") or script.body_line,
            hint=_("shorten the text, lower repeat, or split it into several scripts"))


# --- the station as a boundary ---------------------------------------------------------------------------------


def inside_station(station: Station, path: Path, what: str, file: Path | str | None = None,
                   line: int | None = None) -> Path:
    """``path`` (absolute or station-relative) when it really lies in the station or media_dirs, links
    followed; otherwise a ConfigError naming where it leads."""
    try:
        leads = station.outside(path)
        usable(station.resolve(path))
    except (OSError, RuntimeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(_("{what} {value} cannot be used: {reason}", what=what, value=shown(str(path), 80),
                            reason=reason), file=file, line=line, hint=_("fix the path or the link")) from None
    if leads is not None:
        raise ConfigError(_("{what} {value} leads outside the station folder (to {leads})", what=what,
                            value=shown(str(path), 80), leads=str(leads)), file=file, line=line,
                          hint=_("keep the file inside the station folder, or add its folder to media_dirs"))
    return station.resolve(path)


def find_script(root: Path, named: Path) -> Path:
    """A script named on the command line: in the station folder first, then from the current
    folder, then in scripts/; ``named`` itself when none exists (for the "not found" message)."""
    if named.is_absolute():
        return named
    candidates = [root / named, named, root / "scripts" / named.name]
    return next((c for c in candidates if _there(c)), named)


def _there(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:  # a name too long for the system is not there
        return False


def station_script(station: Station, named: Path) -> Path:
    """A script named on the command line, as a path inside the station's scripts/ folder.

    A relative name is looked up in the station first (``--station DIR build scripts/x.md``),
    then from the current folder, then in scripts/. A script outside scripts/ is refused:
    its render would take the place of the station's own render of the same name.
    """
    path = find_script(station.root, named)
    if not _there(path):
        raise ScriptError(_("script not found"), file=named,
                          hint=_("check the name; scripts live in {folder}", folder=station.scripts_dir))
    try:
        real, scripts = path.resolve(strict=True), station.scripts_dir.resolve()
    except (OSError, RuntimeError) as exc:
        raise ScriptError(_("cannot follow this path ({reason})", reason=type(exc).__name__), file=path,
                          hint=_("remove the link and put the script itself in scripts/")) from None
    if not real.is_relative_to(scripts):
        message = (_("is a link to {target}, outside the station's scripts/ folder; its render would replace "
                     "audio_out/{name}.mp3", target=real, name=path.stem) if real != path.absolute() else
                   _("is outside the station's scripts/ folder; its render would replace audio_out/{name}.mp3",
                     name=path.stem))
        raise ScriptError(message, file=named, hint=_("copy it in first: announcer import {named}", named=named))
    return path


def check_play_target(station: Station, target: Path) -> None:
    """``play`` plays a script's render or an audio file inside the station, nothing else."""
    candidates = [target, station.root / target, station.scripts_dir / target.name]
    if target.suffix.lower() != ".md":
        candidates.append(station.audio_out / target.name)
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        return  # the player says "not found" itself
    if path.suffix.lower() == ".md":
        return
    inside_station(station, path, _("the file to play"))
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        raise ConfigError(_("{path} is not an audio file", path=path), file=path,
                          hint=_("play a script (scripts/x.md) or its render (audio_out/x.mp3)"))
    seconds = probe_duration(path)
    if not seconds:
        raise ConfigError(_("this file holds no audio that can be played"), file=path,
                          hint=_("play a script (scripts/x.md) or its render (audio_out/x.mp3)"))


def check_say_output(output: Path, force: bool, station_root: Path | None) -> None:
    """``say`` writes a new .mp3 or .wav into an existing folder, never into scripts/ and never
    over an existing file unless --force."""
    suffix = output.suffix.lower()
    if suffix not in SAY_SUFFIXES:
        raise ConfigError(_("say writes .mp3 or .wav files, not {suffix}", suffix=suffix) if suffix else
                          _("say writes .mp3 or .wav files, not a file without extension"),
                          file=output, hint=_("name the output x.mp3 or x.wav"))
    parent = output.parent
    if not parent.is_dir():
        raise ConfigError(_("the folder {folder} does not exist", folder=parent), file=output,
                          hint=_("create it first, or write into an existing folder"))
    if station_root is not None:
        scripts = (station_root / "scripts").resolve()
        if parent.resolve() == scripts or parent.resolve().is_relative_to(scripts):
            raise ConfigError(_("say does not write into scripts/ (that folder holds the station's scripts)"),
                              file=output, hint=_("write the audio elsewhere, e.g. -o thu.mp3"))
    if output.is_dir():
        raise ConfigError(_("the output is a folder"), file=output, hint=_("name a file, e.g. -o thu.mp3"))
    if (output.exists() or output.is_symlink()) and not force:
        raise ConfigError(_("the file already exists"), file=output,
                          hint=_("choose another name, or add --force to replace it"))


def import_destination(station: Station, output: Path, anywhere: bool) -> Path:
    """Where ``import -o`` may write: a .md script under scripts/ (anywhere else only with --anywhere).
    A relative name is taken from the station folder."""
    dest = output if output.is_absolute() else station.root / output
    if dest.suffix.lower() != ".md":
        raise NoticeImportError(_("import writes scripts (.md files), not {name}", name=dest.name), file=dest,
                                hint=_("name the script e.g. -o scripts/thong-bao.md"))
    if dest.is_dir():
        raise NoticeImportError(_("the output is a folder"), file=dest, hint=_("name a .md file"))
    if not anywhere:
        scripts = station.scripts_dir.resolve()
        try:
            real_parent = dest.parent.resolve()
        except (OSError, RuntimeError):
            real_parent = dest.parent
        if real_parent != scripts:
            raise NoticeImportError(
                _("import writes scripts into the station's scripts/ folder only"), file=dest,
                hint=_("name it scripts/NAME.md, or add --anywhere to write a .md file elsewhere"))
    return dest


# --- Word files ---------------------------------------------------------------------------------------------


def check_docx(path: Path, limits: Limits) -> None:
    """Refuse a .docx whose parts are too many or too big once uncompressed (a zip bomb), or whose
    text uses XML entities (python-docx would silently leave that text out)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_docx_entries:
                raise NoticeImportError(
                    _("the Word file has {count:,} parts inside, over the limit of {limit:,}", count=len(entries),
                      limit=limits.max_docx_entries), file=path,
                    hint=_("open it in Word or LibreOffice and save it again as .docx"))
            total = sum(e.file_size for e in entries)
            limit = limits.max_docx_mb * 1024 * 1024
            if total > limit:
                raise NoticeImportError(
                    _("the Word file unpacks to {size:,.0f} MB, over the limit of {limit} MB ([limits] max_docx_mb)",
                      size=total / 1024 / 1024, limit=limits.max_docx_mb), file=path,
                    hint=_("save the notice text alone as .docx or .txt (no large pictures)"))
            for entry in entries:
                if entry.filename.endswith(".xml") and entry.filename.startswith("word/"):
                    with archive.open(entry) as handle:
                        head = handle.read(64 * 1024)
                    if b"<!ENTITY" in head or b"<!DOCTYPE" in head:
                        raise NoticeImportError(
                            _("the Word file declares XML entities in {part}; the text that uses them would be "
                              "left out", part=entry.filename), file=path,
                            hint=_("open it in Word or LibreOffice and save it again as .docx"))
    except zipfile.BadZipFile:
        raise NoticeImportError(_("this .docx is not a Word file (it is not a zip archive)"), file=path,
                                hint=_("open it in Word or LibreOffice and save it again as .docx")) from None
    except (OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise NoticeImportError(_("cannot open the Word file ({reason})", reason=type(exc).__name__), file=path,
                                hint=_("open it in Word or LibreOffice and save it again as .docx")) from None


def check_notice_source(src: Path, limits: Limits) -> None:
    """Before ``import`` reads a notice: a regular file, not too big; a .docx passes ``check_docx``."""
    try:
        info = src.stat()
    except OSError:
        return  # the importer says "not found" itself
    if src.is_dir():
        return
    import stat as stat_module

    if not stat_module.S_ISREG(info.st_mode):
        raise NoticeImportError(_("this is not a regular file (a device, pipe or socket)"), file=src,
                                hint=_("import a .docx or .txt file"))
    if src.suffix.lower() == ".docx":
        if info.st_size > limits.max_docx_mb * 1024 * 1024:
            raise NoticeImportError(_("the Word file is {size:,.0f} MB, over the limit of {limit} MB "
                                      "([limits] max_docx_mb)", size=info.st_size / 1024 / 1024,
                                      limit=limits.max_docx_mb), file=src,
                                    hint=_("save the notice text alone as .docx or .txt (no large pictures)"))
        check_docx(src, limits)
    elif info.st_size > limits.max_script_kb * 1024:
        raise NoticeImportError(_("the notice is {size:,} bytes, over the limit of {limit:,} KB "
                                  "([limits] max_script_kb)", size=info.st_size, limit=limits.max_script_kb), file=src,
                                hint=_("split it into several notices"))
