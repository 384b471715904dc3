"""The station's own recordings ("clips"): ``[clip: chao-buoi-sang]`` in a script's text, or
``intro_voice: chao-buoi-sang`` in its front matter, puts ``clips/chao-buoi-sang.wav`` (or .mp3,
.ogg... anything ffmpeg reads) into the reading at that place.

A clip is named, never pathed: the name is a plain file name looked up in the station's
``clips/`` folder only (no ``/``, no ``..``, links followed and checked to stay inside the
station), so a script cannot pull in an arbitrary file. A clip is put at the loudness of the
speech around it: its loudness is measured once (our BS.1770 meter, cached by the file's
content under ``.cache/clips``, as the jingle measurements are) and it gets the gain that
brings it to the speech's, so the mastering pass treats clip and voice alike.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from announcer.errors import AnnouncerError, RenderError, ScriptError
from announcer.i18n import _

if TYPE_CHECKING:
    import numpy as np

    from announcer.config import Station
    from announcer.script import Script

log = logging.getLogger(__name__)

CLIPS_DIR = "clips"
CLIP_MARKER = re.compile(r"\[\s*clip\s*:\s*([^\]\n]*?)\s*\]", re.IGNORECASE)
_NAME = re.compile(r"^[^\W_][\w.-]{0,79}$")
CLIP_SUFFIXES = (".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wma")
"""Looked for in this order when a name has no suffix."""
MAX_MATCH_GAIN_DB = 30.0
"""A clip needing more than this to meet the speech is a wrong file (near silence), not a quiet one."""
MEASURE_RATE = 48000


@dataclass(frozen=True)
class Clip:
    """A recording to insert in the reading (a piece of the reading plan, beside Speech and Pause)."""

    name: str
    """As written: a file name in clips/, with or without its suffix."""
    line: int
    """Script file line that asks for it."""


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a clip, or None."""
    if not name:
        return _("the clip has no name; write e.g. [clip: chao-buoi-sang]")
    if not _NAME.match(name) or ".." in name:
        return _("clip name {name!r} is not a plain file name in clips/ (letters, digits, '-', '_', '.'; no folders)",
                 name=name[:60])
    return None


def script_clips(script: Script) -> list[Clip]:
    """Every clip a script asks for, in reading order: its intro_voice, then the text's markers."""
    found = []
    intro_voice = getattr(script, "intro_voice", None)
    if intro_voice:
        found.append(Clip(intro_voice, script.line_of("intro_voice") or 1))
    for offset, line in enumerate(script.body.split("\n")):
        found.extend(Clip(m.group(1), script.body_line + offset) for m in CLIP_MARKER.finditer(line))
    return found


def _candidates(folder: Path, name: str) -> Iterator[Path]:
    if Path(name).suffix.lower() in CLIP_SUFFIXES:
        yield folder / name
    for suffix in CLIP_SUFFIXES:
        yield folder / f"{name}{suffix}"


def find_clip(station: Station, name: str) -> Path | None:
    """The file in clips/ for ``name`` (None when there is none); no guard here, see resolve_clip."""
    folder = station.root / CLIPS_DIR
    return next((path for path in _candidates(folder, name) if path.is_file()), None)


def available(station: Station) -> list[str]:
    folder = station.root / CLIPS_DIR
    try:
        return sorted(p.stem for p in folder.iterdir() if p.suffix.lower() in CLIP_SUFFIXES)
    except OSError:
        return []


def resolve_clip(station: Station, clip: Clip, script_path: Path) -> Path:
    """The checked file of ``clip``: a plain name, present, inside the station, not hours long.
    Raises the error naming the script file and line otherwise."""
    from announcer.guards import inside_station, require_short_audio

    problem = name_problem(clip.name)
    if problem:
        raise ScriptError(problem, file=script_path, line=clip.line,
                          hint=_("put the recording in the station's clips/ folder and write its name"))
    path = find_clip(station, clip.name)
    if path is None:
        have = available(station)
        raise RenderError(
            _("clip {name!r} not found in {folder}/", name=clip.name, folder=CLIPS_DIR),
            file=script_path, line=clip.line,
            hint=(_("put {name}.wav (or .mp3, .ogg) in {folder}; clips there: {clips}", name=clip.name,
                    folder=station.root / CLIPS_DIR, clips=", ".join(have[:12])) if have else
                  _("put {name}.wav (or .mp3, .ogg) in {folder}", name=clip.name, folder=station.root / CLIPS_DIR)))
    path = inside_station(station, path.relative_to(station.root), _("clip {name!r}", name=clip.name), script_path,
                          clip.line)
    require_short_audio(path, station.limits, _("clip {name!r}", name=clip.name), script_path, clip.line)
    return path


def clip_problems(station: Station, script: Script) -> list[AnnouncerError]:
    """What ``check`` says about a script's clips (what ``build`` would refuse)."""
    problems: list[AnnouncerError] = []
    for clip in script_clips(script):
        try:
            resolve_clip(station, clip, script.path)
        except AnnouncerError as exc:
            problems.append(exc)
    return problems


def file_digest(path: Path) -> str:
    """The content digest of a clip, computed once per version of the file (the player asks
    for every script's freshness often)."""
    info = path.stat()
    return _digest(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=128)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    from announcer.audio.memo import file_digest as digest

    return digest(Path(path))


def clips_digest(station: Station, script: Script) -> list[str]:
    """The content of every clip a script uses (for the render's fingerprint: a new recording re-renders)."""
    return names_digest(station, [clip.name for clip in script_clips(script)])


def names_digest(station: Station, names: list[str]) -> list[str]:
    """The content of the clips of these names (a render's freshness, known without parsing its script)."""
    out = []
    for name in names:
        path = find_clip(station, name) if name_problem(name) is None else None
        try:
            out.append(f"{name}:{file_digest(path) if path else 'missing'}")
        except OSError:
            out.append(f"{name}:unreadable")
    return out


class ClipStore:
    """Each clip's loudness, measured once per content (like the jingles' in audio/memo.py)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._known: dict[str, float] = {}

    def loudness(self, path: Path, max_seconds: float | None = None) -> float:
        """Integrated loudness of the clip in LUFS; RenderError when it is silent."""
        from announcer.audio.memo import _read, _write

        digest = file_digest(path)
        key = hashlib.sha256(json.dumps([digest, MEASURE_RATE, "clip-lufs/1"]).encode()).hexdigest()[:24]
        if key in self._known:
            return self._known[key]
        data = _read(self.folder / f"{key}.json")
        lufs: float | None = None
        if data is not None:
            try:
                lufs = float(data["lufs"])
            except (KeyError, TypeError, ValueError):
                lufs = None
        if lufs is None:
            from announcer.audio.meter import integrated_loudness
            from announcer.audio.mixer import decode_audio_file

            measured = integrated_loudness(decode_audio_file(path, MEASURE_RATE, max_seconds), MEASURE_RATE)
            if measured is None:
                raise RenderError(_("the clip is silent (or shorter than half a second)"), file=path,
                                  hint=_("record it again, or check that it plays in a media player"))
            lufs = round(measured, 3)
            _write(self.folder / f"{key}.json", {"lufs": lufs})
        self._known[key] = lufs
        return lufs


def matching_gain(speech_lufs: float, clip_lufs: float, path: Path) -> float:
    """The gain that brings a clip to the speech's loudness."""
    gain = speech_lufs - clip_lufs
    if abs(gain) > MAX_MATCH_GAIN_DB:
        raise RenderError(_("the clip is {clip} LUFS, {gap} dB away from the speech ({speech} LUFS): too far to match",
                            clip=f"{clip_lufs:.0f}", gap=f"{abs(gain):.0f}", speech=f"{speech_lufs:.0f}"), file=path,
                          hint=_("use a normal recording of the announcer's voice"))
    return round(gain, 3)


def clip_samples(path: Path, rate: int, max_seconds: float | None = None) -> np.ndarray:
    """The clip as mono float samples at ``rate`` (the speech track's)."""
    from announcer.audio.mixer import decode_audio_file

    return decode_audio_file(path, rate, max_seconds)
