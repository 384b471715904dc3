"""Station configuration: typed dataclasses, layered as code defaults, then
``station.toml``, then CLI flags, and validated on load.

The rules live here once: each field's type comes from its annotation and each
number's allowed range from its ``metadata`` (documented in its docstring).
``load_station`` raises the first problem; ``station_problems`` (used by
``announcer check``) returns all of them. Every problem names ``station.toml`` and
the line of the setting, found by its table (``[espeak] rate`` is not ``sample_rate``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from announcer.errors import ConfigError
from announcer.i18n import _

STATION_FILE = "station.toml"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{d: d for d in DAY_NAMES},
    **dict(zip(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), DAY_NAMES,
               strict=True)),
    **{f"t{n}": DAY_NAMES[n - 2] for n in range(2, 8)},
    **{f"thứ {n}": DAY_NAMES[n - 2] for n in range(2, 8)},
    "cn": "sun", "chủ nhật": "sun",
}
_HHMM = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
MAX_STATION_BYTES = 1_000_000
"""station.toml larger than this is not a settings file (checked before parsing)."""


def _range(low: float, high: float) -> dict[str, Any]:
    return {"range": (low, high)}


def _choices(*values: Any) -> dict[str, Any]:
    return {"choices": values}


@dataclass
class EspeakOptions:
    voice: str = "vi"
    """espeak-ng voice: vi, vi-vn-x-central or vi-vn-x-south."""
    rate: int = field(default=150, metadata=_range(80, 450))
    """Speaking rate in words per minute (80-450)."""
    pitch: int = field(default=50, metadata=_range(0, 99))
    """Base pitch, 0-99."""


@dataclass
class GttsOptions:
    tld: str = "com.vn"
    """Google Translate host suffix, e.g. com.vn or com."""
    timeout: float = field(default=10.0, metadata=_range(1, 120))
    """Seconds before one HTTP request is abandoned (gTTS itself has no limit); 1-120."""
    retries: int = field(default=3, metadata=_range(0, 10))
    """Retries on 429 and 5xx answers, with exponential backoff; 0-10."""
    pace: float = field(default=0.3, metadata=_range(0, 10))
    """Seconds to wait between two requests, to stay under the rate limit; 0-10."""
    slow: bool = False
    """Ask Google for the slow reading."""


@dataclass
class FptOptions:
    timeout: float = field(default=10.0, metadata=_range(1, 120))
    """Seconds before one HTTP request to FPT.AI is abandoned; 1-120."""
    retries: int = field(default=2, metadata=_range(0, 10))
    """Retries on 429 and 5xx answers, with exponential backoff; 0-10."""
    poll_deadline: float = field(default=60.0, metadata=_range(5, 600))
    """Longest wait for FPT.AI's audio link to become ready, seconds per request; 5-600."""
    poll_interval: float = field(default=1.0, metadata=_range(0.2, 30))
    """Seconds between two looks at the audio link; 0.2-30."""


@dataclass
class ViettelOptions:
    timeout: float = field(default=20.0, metadata=_range(1, 120))
    """Seconds before one HTTP request to Viettel AI is abandoned (it answers with the audio); 1-120."""
    retries: int = field(default=2, metadata=_range(0, 10))
    """Retries on 429 and 5xx answers, with exponential backoff; 0-10."""


@dataclass
class PiperOptions:
    model: str = "voices/vi_VN-vais1000-medium.onnx"
    """The Piper voice file, relative to the station folder, with its .onnx.json beside it; downloaded
    once by hand (`announcer engines` says from where), never at run time."""


@dataclass
class AudioOptions:
    loudness_lufs: float = field(default=-16.0, metadata=_range(-31.0, -9.0))
    """Integrated loudness target of every rendered file, LUFS; -31 to -9 (broadcast -23, loudspeakers -16)."""
    true_peak_db: float = field(default=-1.5, metadata=_range(-9.0, 0.0))
    """Highest allowed true peak, dBTP; -9 to 0 (usually -1 to -2)."""
    bitrate_kbps: int = field(default=128, metadata=_choices(64, 80, 96, 112, 128, 160, 192, 224, 256, 320))
    """MP3 bitrate: 64, 80, 96, 112, 128, 160, 192, 224, 256 or 320."""
    sample_rate: int = field(default=44100, metadata=_choices(32000, 44100, 48000))
    """Output sample rate in Hz: 32000, 44100 or 48000 (the MP3 rates every bitrate above works with)."""
    write_wav: bool = False
    """Also write a WAV beside each MP3."""
    sentence_pause_ms: int = field(default=450, metadata=_range(0, 5_000))
    """Silence after each sentence, 0-5000 ms."""
    paragraph_pause_ms: int = field(default=1000, metadata=_range(0, 10_000))
    """Silence at a blank line, 0-10000 ms."""
    interlude_ms: int = field(default=2500, metadata=_range(0, 30_000))
    """Silence between two readings of a repeated script, 0-30000 ms."""
    jingle_gap_ms: int = field(default=600, metadata=_range(0, 10_000))
    """Silence between a jingle and the speech, 0-10000 ms."""


@dataclass
class Limits:
    """What one input may cost; each is checked before the heavy work starts."""

    max_script_kb: int = field(default=512, metadata=_range(4, 4096))
    """Largest script file, KB (4-4096); a notice is a few KB, an hour of reading about 80."""
    max_docx_mb: int = field(default=25, metadata=_range(1, 200))
    """Largest .docx to import, counted uncompressed (all its parts), MB (1-200)."""
    max_docx_entries: int = field(default=2000, metadata=_range(10, 20_000))
    """Most parts (files) inside a .docx to import (10-20000)."""
    jingle_warn_s: float = field(default=120.0, metadata=_range(5, 3600))
    """A jingle or clip longer than this is reported by ``check`` as a warning, seconds (5-3600)."""
    max_jingle_s: float = field(default=300.0, metadata=_range(5, 1800))
    """A jingle or clip longer than this is an error, seconds (5-1800); never decoded past it."""
    max_pause_s: float = field(default=60.0, metadata=_range(1, 600))
    """Longest silence between two sentences, after adjacent pause markers add up, seconds (1-600)."""
    max_pause_total_s: float = field(default=300.0, metadata=_range(10, 3600))
    """Most pause-marker silence in one script (one reading), seconds (10-3600)."""
    max_program_min: float = field(default=60.0, metadata=_range(1, 240))
    """Longest render (jingles, every reading and pauses), minutes (1-240)."""


@dataclass
class Slot:
    name: str
    """Slot name used by scripts' ``slots:`` list, e.g. sang, chieu."""
    at: str
    """Local start time, HH:MM."""
    days: list[str] = field(default_factory=lambda: list(DAY_NAMES))
    """Days the slot airs (mon..sun)."""
    intro: str | None = None
    """Opening jingle for the slot, relative to the station folder."""
    outro: str | None = None
    """Closing jingle for the slot."""
    line: int | None = None
    """Line in station.toml where the slot is declared (for messages)."""


@dataclass
class Zone:
    """A speaker cluster ("cụm loa") with its own sink and its own timeline (announcer.schedule.zones)."""

    name: str
    """Zone name used by scripts' ``zones:`` list, e.g. cho, khu-pho-3."""
    sink: str
    """Where its audio goes: icecast://USER@HOST:PORT/MOUNT, soundcard, command:ARGV or file:DIR."""
    line: int | None = None
    """Line in station.toml where the zone is declared (for messages)."""


@dataclass
class Relay:
    """One scheduled relay ("tiếp âm") of an upstream station, from a [[relay]] table."""

    name: str
    """Name in the plan and the as-run log, e.g. "vov1" or "dai-tinh"."""
    url: str
    """Stream address: http(s) Icecast/Shoutcast MP3 or AAC, an HLS .m3u8, or anything else ffmpeg reads
    (rtmp, rtsp, srt, udp)."""
    at: str
    """Local start of the window, HH:MM."""
    duration_s: float
    """Length of the window in seconds, from ``duration`` ("30m", "1h", "45s", or minutes as a number)
    or from ``end`` ("06:30"; an end before ``at`` is on the next day). Up to 24 hours."""
    days: list[str] = field(default_factory=lambda: list(DAY_NAMES))
    """Days the window opens (mon..sun), like a slot's."""
    date_from: date | None = None
    """First day of the relay (``from``, 17/6/2021 or 2021-06-17), inclusive; None: no start."""
    date_until: date | None = None
    """Last day of the relay (``until``), inclusive; None: no end."""
    fallback: str | None = None
    """Played while the stream is down: an audio file or a playlist (.m3u/.m3u8/.txt, one file a line),
    inside the station folder or media_dirs. None: silence."""
    gain_db: float | None = field(default=None, metadata=_range(-30, 30))
    """Fixed gain for the stream, dB (-30 to 30). None (default): one-pass loudness levelling to the
    station's [audio] loudness and true peak."""
    start_timeout_s: float = field(default=8.0, metadata=_range(1, 120))
    """How long the stream may take to send audio before the fallback plays, seconds (1-120)."""
    stall_timeout_s: float = field(default=8.0, metadata=_range(1, 120))
    """How long the stream may send nothing before it counts as dropped and is reopened, seconds (1-120)."""
    retry_max_s: float = field(default=30.0, metadata=_range(1, 600))
    """Longest wait between two attempts to reopen a stream (the wait doubles from 1 s), seconds (1-600)."""
    segment_s: float = field(default=2.0, metadata=_range(0.5, 30))
    """The stream goes to the output in pieces this long, seconds (0.5-30): shorter reacts faster,
    longer has fewer seams on a sound card."""
    zones: list[str] = field(default_factory=list)
    """The [[zone]]s the relay airs in, by name; empty (default): every zone."""
    line: int | None = None
    """Line in station.toml where the relay is declared (for messages)."""


@dataclass
class PlayerOptions:
    sink: str = "soundcard"
    """Default sink: soundcard, command:ARGV or file:DIR."""
    grace_minutes: int = field(default=10, metadata=_range(0, 1440))
    """A slot missed by at most this much still plays late; older misses are skipped (0-1440)."""
    asrun_log: str = "asrun.jsonl"
    """As-run log file, inside the station folder."""


@dataclass
class WebOptions:
    """The staff console (``announcer serve``)."""

    host: str = "127.0.0.1"
    """Address to listen on; 127.0.0.1 keeps the console on this machine, 0.0.0.0 opens it to the office network."""
    port: int = field(default=8080, metadata=_range(1, 65535))
    """TCP port to listen on (1-65535)."""
    session_minutes: int = field(default=480, metadata=_range(5, 10080))
    """A login ends after this many minutes without a page being opened (5-10080)."""
    login_attempts: int = field(default=5, metadata=_range(1, 100))
    """Wrong passwords allowed for one name from one address before logins pause (1-100)."""
    login_window_minutes: int = field(default=5, metadata=_range(1, 1440))
    """How long wrong passwords are counted, and how long logins pause after too many (1-1440 minutes)."""
    threads: int = field(default=4, metadata=_range(1, 64))
    """Requests served at once (1-64)."""


@dataclass
class Station:
    root: Path
    """Station folder (holds station.toml, scripts/, jingles/, audio_out/)."""
    name: str = "Đài truyền thanh"
    """Station name, written into ID3 tags."""
    timezone: str = "Asia/Ho_Chi_Minh"
    """IANA time zone of the schedule; the machine clock may be UTC."""
    dialect: str = "north"
    """Number reading: north (linh, nghìn) or south (lẻ, ngàn)."""
    engines: list[str] = field(default_factory=lambda: ["gtts", "espeak"])
    """Engine chain, first choice first; the last should be espeak (always works)."""
    voice: str = ""
    """Voice in the station's terms: region bac/trung/nam and sex nu/nam, e.g. "trung-nu" or "miền Trung, nữ";
    or one engine's voice name (vi-vn-x-south, banmai). Empty: each engine's default voice."""
    speed: float = field(default=1.0, metadata=_range(0.5, 2.0))
    """Reading speed, 1 = normal (0.5-2.0); each engine turns it into its own unit."""
    intro: str | None = "jingles/intro.wav"
    """Default opening jingle for every script."""
    outro: str | None = "jingles/outro.wav"
    """Default closing jingle for every script."""
    media_dirs: list[str] = field(default_factory=list)
    """Folders outside the station that jingles and clips may also come from."""
    espeak: EspeakOptions = field(default_factory=EspeakOptions)
    """Options of the offline espeak-ng voice."""
    gtts: GttsOptions = field(default_factory=GttsOptions)
    """Options of the online gTTS voice."""
    fpt: FptOptions = field(default_factory=FptOptions)
    """Options of the FPT.AI cloud voices (key: FPT_TTS_KEY or secrets.toml)."""
    piper: PiperOptions = field(default_factory=PiperOptions)
    """The offline neural voice (engine ``piper``)."""
    viettel: ViettelOptions = field(default_factory=ViettelOptions)
    """Options of the Viettel AI cloud voices (key: VIETTEL_TTS_KEY or secrets.toml)."""
    audio: AudioOptions = field(default_factory=AudioOptions)
    """Pauses, loudness and output format."""
    limits: Limits = field(default_factory=Limits)
    """What one input may cost (sizes and lengths)."""
    player: PlayerOptions = field(default_factory=PlayerOptions)
    """Unattended playback."""
    web: WebOptions = field(default_factory=WebOptions)
    """The staff console (``announcer serve``)."""
    language: str = field(default="en", metadata=_choices("en", "vi"))
    """Language of announcer's own messages (errors, hints, check/plan/build output): "vi" or "en".
    ``announcer init`` writes "vi"; a station.toml without it keeps English, so older stations see no
    change. ``--lang`` or ANNOUNCER_LANG overrides it for one command."""
    require_approval: bool = False
    """Only approved scripts air (``announcer approve``, or the web console's phê duyệt); an edit of an
    approved script's text or air dates sends it back to draft. Default false: every valid script airs."""
    slots: list[Slot] = field(default_factory=list)
    """Daily broadcast slots."""
    zones: list[Zone] = field(default_factory=list)
    """Speaker clusters, each with its own sink; none: one timeline on ``player.sink``."""
    relays: list[Relay] = field(default_factory=list)
    """Scheduled relays ("tiếp âm") of an upstream station, from [[relay]] tables."""

    # Derived locations; not configurable, so every station looks the same.
    @property
    def config_path(self) -> Path:
        return self.root / STATION_FILE

    @property
    def scripts_dir(self) -> Path:
        return self.root / "scripts"

    @property
    def audio_out(self) -> Path:
        return self.root / "audio_out"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache"

    @property
    def lexicon_path(self) -> Path:
        return self.root / "lexicon.tsv"

    @property
    def asrun_path(self) -> Path:
        return self.root / self.player.asrun_log

    @property
    def state_dir(self) -> Path:
        return self.root / ".state"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def resolve(self, relative: str | Path) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.root / path

    def allowed_roots(self) -> list[Path]:
        """Folders that station files may live in (after following links): the station, media_dirs."""
        return [self.root.resolve(), *(self.resolve(d).resolve() for d in self.media_dirs)]

    def outside(self, relative: str | Path) -> Path | None:
        """Where ``relative`` really leads when that is outside the station (and media_dirs), else None."""
        real = self.resolve(relative).resolve()
        if any(real == root or real.is_relative_to(root) for root in self.allowed_roots()):
            return None
        return real

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)


NO_JINGLE_WORDS = frozenset({"none", "no", "false", "off", "không", ""})
"""What staff may write where a jingle path goes, to mean 'no jingle'."""


def is_no_jingle(value: str | None) -> bool:
    """True when a jingle setting is present and says 'none' (unset is None: use the default)."""
    return value is not None and value.strip().lower() in NO_JINGLE_WORDS


def parse_hhmm(text: str) -> tuple[int, int]:
    """'06:30' -> (6, 30); raises ValueError on anything else (ASCII digits only)."""
    match = _HHMM.match(str(text).strip())
    if not match:
        raise ValueError(_("{text!r} is not a time of the form HH:MM", text=text))
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(_("{text!r} is not a valid time of day (00:00 to 23:59)", text=text))
    return hour, minute


def parse_days(value: Any) -> list[str]:
    """'daily' | 'weekdays' | 'weekend' | list of mon..sun -> list of day names."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in ("daily", "everyday", "hằng ngày", "hàng ngày"):
            return list(DAY_NAMES)
        if key == "weekdays":
            return list(DAY_NAMES[:5])
        if key == "weekend":
            return list(DAY_NAMES[5:])
        value = [part.strip() for part in key.split(",")]
    if not isinstance(value, list) or not value:
        raise ValueError(_("days must be 'daily', 'weekdays', 'weekend' or a list such as [mon, wed, fri]"))
    days = []
    for item in value:
        name = _DAY_ALIASES.get(str(item).strip().lower())
        if name is None:
            raise ValueError(_("unknown day {day!r}; use mon, tue, wed, thu, fri, sat, sun (or t2..t7, cn)",
                               day=str(item)[:40]))
        days.append(name)
    return days


def find_line(text: str, *needles: str) -> int | None:
    """First line (1-based) that contains every needle; for pointing at a TOML value."""
    for number, line in enumerate(text.splitlines(), 1):
        if all(needle in line for needle in needles):
            return number
    return None


# --- where each setting is written ------------------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _unquote_key(dotted: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in dotted.split("."))


class KeyLines:
    """The line of each key of a TOML text, by dotted path: ``espeak.rate``, ``slot.1.at`` (slots from 0).

    A light scan, not a parser: it only has to find where a setting parsed by tomllib was written.
    """

    def __init__(self, source: str) -> None:
        self.lines: dict[str, int] = {}
        self.array_lines: dict[str, list[int]] = {}
        """Header line of each [[name]] table, in order, by array name."""
        prefix = ""
        in_string: str | None = None
        depth = 0
        for number, line in enumerate(source.splitlines(), 1):
            if in_string is not None:  # inside a multi-line string: no keys here
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            if depth > 0:  # inside a multi-line array
                depth += line.count("[") - line.count("]")
                continue
            array = _ARRAY_TABLE.match(line)
            if array:
                name = _unquote_key(array.group(1))
                # Each [[table]] of an array has its own keys: slot.1.at, relay.0.url.
                heads = self.array_lines.setdefault(name, [])
                heads.append(number)
                prefix = f"{name}.{len(heads) - 1}."
                self.lines.setdefault(name, number)
                continue
            table = _TABLE.match(line)
            if table:
                name = _unquote_key(table.group(1))
                prefix = name + "."
                self.lines.setdefault(name, number)
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault(prefix + _unquote_key(key.group(1)), number)
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
                value = re.sub(r"\"[^\"]*\"|'[^']*'", "", rest.split("#", 1)[0])
                depth = max(0, value.count("[") - value.count("]"))

    @property
    def slot_lines(self) -> list[int]:
        return self.array_lines.get("slot", [])

    def line(self, dotted: str) -> int | None:
        """Line of ``dotted``, else of the nearest table that holds it."""
        parts = dotted.split(".")
        while parts:
            found = self.lines.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return None


# --- reading and checking ---------------------------------------------------------------------------------


class _Problems:
    """Collects every problem of one station.toml, each at the line of its setting."""

    def __init__(self, path: Path, keys: KeyLines | None) -> None:
        self.path = path
        self.keys = keys
        self.found: list[ConfigError] = []

    def add(self, message: str, key: str | None = None, hint: str | None = None, line: int | None = None) -> None:
        if line is None and key is not None and self.keys is not None:
            line = self.keys.line(key)
        self.found.append(ConfigError(message, file=self.path, line=line, hint=hint))


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(hint) if arg is not type(None))
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if hint is Any:
        return True
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        return _("a list of {kind}", kind=_type_name(item))
    if typing.get_args(hint):
        first, *rest = (_type_name(a) for a in typing.get_args(hint) if a is not type(None))
        for other in rest:
            first = _("{first} or {second}", first=first, second=other)
        return first
    names = {str: _("text in quotes"), int: _("a whole number"), float: _("a number"), bool: _("true or false")}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _apply(target: Any, table: dict[str, Any], where: str, problems: _Problems) -> None:
    """Overlay a TOML table onto a dataclass, checking names, types and ranges; a bad value keeps its default."""
    skip = ("root", "slots", "relays", "zones", "line")
    fields = {f.name: f for f in dataclasses.fields(target) if f.name not in skip}
    hints = _field_types(type(target))
    for key, value in table.items():
        dotted = f"{where}{key}"
        if key not in fields:
            problems.add(_("unknown setting {name!r}", name=dotted), dotted,
                         _("check the spelling; known settings in [{table}]: {names}", table=where[:-1],
                           names=", ".join(fields)) if where else
                         _("check the spelling; known settings: {names}", names=", ".join(fields)))
            continue
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                problems.add(_("[{key}] must be a table", key=key), dotted, _("write it as a [{key}] section", key=key))
                continue
            _apply(current, value, f"{dotted}.", problems)
            continue
        hint = hints[key]
        if not _type_ok(value, hint):
            shown = repr(value)
            problems.add(_("{name} should be {kind}, not {given} ({value})", name=dotted, kind=_type_name(hint),
                           given=type(value).__name__, value=f"{shown[:60]}{'…' if len(shown) > 60 else ''}"), dotted,
                         _("fix the value type (numbers unquoted, text in quotes, lists in [ ])"))
            continue
        try:
            value = float(value) if hint is float else value
        except OverflowError:  # an integer with hundreds of digits
            value = math.inf
        message = _out_of_range(fields[key], value)
        if message:
            problems.add(_("{name} = {value!r} is out of range: {why}", name=dotted, value=value, why=message),
                         dotted, _("the default is {default!r}", default=fields[key].default))
            continue
        setattr(target, key, value)


def _out_of_range(spec: dataclasses.Field[Any], value: Any) -> str | None:
    if "range" in spec.metadata:
        low, high = spec.metadata["range"]
        if not low <= value <= high:  # NaN fails this too
            return _("it must be from {low:g} to {high:g}", low=low, high=high)
    if "choices" in spec.metadata and value not in spec.metadata["choices"]:
        return _("use one of {choices}", choices=", ".join(str(c) for c in spec.metadata["choices"]))
    return None


def require_station(root: Path) -> Path:
    """``root`` if it is a station folder (has station.toml), else a ConfigError saying what to do."""
    if not (root / STATION_FILE).is_file():
        where = _("this folder") if str(root) in (".", "") else str(root)
        raise ConfigError(
            _("{where} is not a station: it has no {file}", where=where, file=STATION_FILE),
            hint=_("run the command in the station folder, give it with --station DIR, "
                   "or create a station with: announcer init DIR"),
        )
    return root


def read_station_source(path: Path) -> str:
    """The text of station.toml (size-checked first), or a ConfigError."""
    try:
        size = path.stat().st_size
        if size > MAX_STATION_BYTES:
            raise ConfigError(_("station.toml is {size:,} bytes: too large for a settings file", size=size),
                              file=path, hint=_("station.toml holds settings only; restore it from a backup"))
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_("station.toml is not UTF-8 text"), file=path,
                          hint=_("save it as UTF-8 in your editor")) from exc
    except OSError as exc:
        raise ConfigError(_("cannot read station.toml: {reason}", reason=exc.strerror), file=path) from exc


def station_problems(root: Path | str, overrides: dict[str, Any] | None = None) -> tuple[Station, list[ConfigError]]:
    """Read ``root/station.toml`` over the code defaults, then CLI overrides; every problem found.

    The station returned keeps the default for each bad value (and every valid slot),
    so a caller can go on checking the rest. A folder without station.toml gets the defaults.
    """
    root = Path(root)
    station = Station(root=root)
    path = root / STATION_FILE
    problems = _Problems(path, None)
    if path.exists():
        try:
            source = read_station_source(path)
            data = tomllib.loads(source)
        except ConfigError as exc:
            return station, [exc]
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            return station, [ConfigError(_("station.toml is not valid TOML: {reason}", reason=str(exc)), file=path,
                                         line=int(match.group(1)) if match else None,
                                         hint=_("check quotes, = signs and [brackets] on that line"))]
        except (RecursionError, ValueError) as exc:  # absurd nesting or numbers tomllib cannot hold
            return station, [ConfigError(_("station.toml cannot be read: {reason}", reason=type(exc).__name__),
                                         file=path,
                                         hint=_("station.toml holds settings only; restore it from a backup"))]
        problems.keys = KeyLines(source)
        raw_slots = data.pop("slot", [])
        raw_relays = data.pop("relay", [])
        raw_zones = data.pop("zone", [])
        _apply(station, data, "", problems)
        station.slots = _parse_slots(raw_slots, problems, _roots_only(station))
        station.zones = _parse_zones(raw_zones, problems)  # before the relays: a relay names its zones
        station.relays = _parse_relays(raw_relays, problems, _roots_only(station), [z.name for z in station.zones])
    if overrides:
        _apply(station, overrides, "", _Problems(path, None) if not problems.keys else problems)
    _validate(station, problems)
    return station, problems.found


def load_station(root: Path | str, overrides: dict[str, Any] | None = None) -> Station:
    """Read ``root/station.toml`` over the code defaults, then apply CLI overrides; raise its first problem.

    A folder without station.toml gets the defaults (useful for ``say``/``normalize``).
    """
    station, problems = station_problems(root, overrides)
    if problems:
        raise problems[0]
    return station


def _parse_slots(raw: Any, problems: _Problems, station: Station) -> list[Slot]:
    """Each [[slot]] on its own, so every bad slot is reported; the valid ones are kept."""
    if not isinstance(raw, list):
        problems.add(_("slots must be written as [[slot]] tables"), "slot", _("write each slot as a [[slot]] table"))
        return []
    keys = problems.keys
    slots: list[Slot] = []
    for index, table in enumerate(raw):
        head = keys.slot_lines[index] if keys is not None and index < len(keys.slot_lines) else None
        at_key = f"slot.{index}."

        def add(message: str, key: str | None = None, hint: str | None = None, _p: str = at_key,
                _h: int | None = head) -> None:
            line = (keys.lines.get(_p + key) if keys is not None and key else None) or _h
            problems.add(message, hint=hint, line=line)

        if not isinstance(table, dict):
            add(_("a slot must be a [[slot]] table"))
            continue
        raw_name = table.get("name", "")
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        label = _("slot {name!r}", name=name) if name else _("slot #{number}", number=index + 1)
        count = len(problems.found)
        if not isinstance(raw_name, str):
            add(_("{label}: name must be text in quotes", label=label), "name", _('write name = "sang"'))
        elif not name:
            add(_("a [[slot]] has no name"), "name", _('add name = "sang"'))
        for key in sorted(set(table) - {"name", "at", "days", "intro", "outro"}):
            add(_("{label} has an unknown setting {key!r}", label=label, key=key), key,
                _("a slot takes name, at, days, intro, outro"))
        at = table.get("at")
        if not isinstance(at, str):
            add(_('{label}: at must be a quoted time such as "06:00"', label=label), "at", _('write at = "06:00"'))
        else:
            try:
                parse_hhmm(at)
            except ValueError as exc:
                add(_("{label}: {problem}", label=label, problem=exc), "at", _('write it as "06:00" (00:00 to 23:59)'))
        days: list[str] = []
        try:
            days = parse_days(table.get("days", "daily"))
        except ValueError as exc:
            add(_("{label}: {problem}", label=label, problem=exc), "days",
                _('use "daily", "weekdays" or a list such as ["mon", "thu"]'))
        for key in ("intro", "outro"):
            if key in table and not isinstance(table[key], str):
                add(_("{label}: {key} must be a file name in quotes", label=label, key=key), key,
                    _('write {key} = "jingles/x.wav"', key=key))
            elif isinstance(table.get(key), str) and not is_no_jingle(table[key]):
                _check_inside(problems, table[key], _("{label}: {key} jingle", label=label, key=key), key,
                              station=station, line=(keys.lines.get(at_key + key) if keys is not None else None)
                              or head)
        if name and any(s.name == name for s in slots):
            add(_("slot {name!r} is declared twice", name=name), hint=_("rename one of them"))
        if len(problems.found) == count:
            slots.append(Slot(name=name, at=str(at), days=days, intro=table.get("intro"),
                              outro=table.get("outro"), line=head))
    return slots


def _parse_zones(raw: Any, problems: _Problems) -> list[Zone]:
    """Each [[zone]] on its own; a zone with a problem is left out (and reported)."""
    from announcer.schedule.sinks import sink_spec_problem

    if not isinstance(raw, list):
        problems.add("zones must be written as [[zone]] tables", "zone", "write each zone as a [[zone]] table")
        return []
    keys = problems.keys
    zones: list[Zone] = []
    for index, table in enumerate(raw):
        heads = keys.array_lines.get("zone", []) if keys is not None else []
        head = heads[index] if index < len(heads) else None

        def line_of(key: str, _i: int = index, _h: int | None = head) -> int | None:
            return (keys.lines.get(f"zone.{_i}.{key}") if keys is not None else None) or _h

        if not isinstance(table, dict):
            problems.add("a zone must be a [[zone]] table", line=head)
            continue
        name, sink = table.get("name", ""), table.get("sink", "")
        count = len(problems.found)
        if not isinstance(name, str) or not name.strip():
            problems.add("a [[zone]] has no name", hint='add name = "cho" (the speaker cluster)', line=line_of("name"))
            name = ""
        label = f"zone {name.strip()!r}" if name else f"zone #{index + 1}"
        for key in sorted(set(table) - {"name", "sink"}):
            problems.add(f"{label} has an unknown setting {key!r}", hint="a zone takes name and sink",
                         line=line_of(key))
        problem = sink_spec_problem(sink) if isinstance(sink, str) and sink.strip() else "it has no sink"
        if problem:
            problems.add(f"{label}: {problem}", line=line_of("sink"),
                         hint='write e.g. sink = "icecast://source@127.0.0.1:8000/cho" or sink = "soundcard"')
        if name and any(z.name == name.strip() for z in zones):
            problems.add(f"zone {name.strip()!r} is declared twice", hint="rename one of them", line=head)
        if len(problems.found) == count:
            zones.append(Zone(name=name.strip(), sink=sink.strip(), line=head))
    return zones


RELAY_SCHEMES = ("http", "https", "rtmp", "rtmps", "rtsp", "srt", "udp", "rtp", "mmsh")
"""Stream address schemes a relay may use (what ffmpeg opens as a network stream)."""
_RELAY_KEYS = ("name", "url", "at", "duration", "end", "days", "from", "until", "fallback", "gain_db",
               "start_timeout_s", "stall_timeout_s", "retry_max_s", "segment_s", "zones")
_DURATION = re.compile(r"^(?:([0-9]{1,2})\s*(?:giờ|h|g))?\s*(?:([0-9]{1,4})\s*(?:phút|min|m|p))?\s*"
                       r"(?:([0-9]{1,5})\s*(?:giây|s))?$")


def parse_duration(value: Any) -> float:
    """A relay's ``duration``: minutes as a number, or "30m", "1h", "1h30m", "45s", "90 phút" -> seconds."""
    if isinstance(value, bool):
        raise ValueError("duration must be a length such as \"30m\"")
    if isinstance(value, int | float):
        seconds = float(value) * 60
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        if re.fullmatch(r"[0-9]{1,4}", text):
            text += "m"
        match = _DURATION.match(text)
        if not match or not any(match.groups()):
            raise ValueError(f"{value[:30]!r} is not a length; write e.g. \"30m\", \"1h30m\" or \"45s\"")
        hours, mins, secs = (int(g) if g else 0 for g in match.groups())
        seconds = float(hours * 3600 + mins * 60 + secs)
    else:
        raise ValueError("duration must be a length such as \"30m\"")
    if not 1 <= seconds <= 24 * 3600:  # NaN fails this too
        raise ValueError("duration must be from 1 second to 24 hours")
    return seconds


def relay_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a relay's stream address (None when it can)."""
    from urllib.parse import urlsplit

    text = url.strip()
    if not text:
        return "the stream address is empty"
    if any(c.isspace() for c in text) or any(ord(c) < 32 for c in text):
        return f"the stream address {text[:80]!r} has spaces or control characters in it"
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"the stream address {text[:80]!r} does not read: {exc}"
    if parts.scheme.lower() not in RELAY_SCHEMES:
        return (f"the stream address {text[:80]!r} is not a network stream (it must start with "
                f"{', '.join(s + '://' for s in RELAY_SCHEMES[:3])}...)")
    if not host:
        return f"the stream address {text[:80]!r} names no server"
    return None


def _parse_relays(raw: Any, problems: _Problems, station: Station, zones: Sequence[str] = ()) -> list[Relay]:
    """Each [[relay]] on its own, so every bad relay is reported; the valid ones are kept.
    ``zones``: the names of the station's [[zone]]s, which a relay's ``zones`` must be among."""
    from announcer.script import parse_date  # script.py imports this module

    if not isinstance(raw, list):
        problems.add("relays must be written as [[relay]] tables", "relay", "write each relay as a [[relay]] table")
        return []
    keys = problems.keys
    heads = keys.array_lines.get("relay", []) if keys is not None else []
    relays: list[Relay] = []
    defaults = {f.name: f for f in dataclasses.fields(Relay)}
    for index, table in enumerate(raw):
        head = heads[index] if index < len(heads) else None
        prefix = f"relay.{index}."

        def add(message: str, key: str | None = None, hint: str | None = None, _p: str = prefix,
                _h: int | None = head) -> None:
            line = (keys.lines.get(_p + key) if keys is not None and key else None) or _h
            problems.add(message, hint=hint, line=line)

        if not isinstance(table, dict):
            add("a relay must be a [[relay]] table")
            continue
        count = len(problems.found)
        raw_name = table.get("name", "")
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        label = f"relay {name!r}" if name else f"relay #{index + 1}"
        if not isinstance(raw_name, str):
            add(f"{label}: name must be text in quotes", "name", 'write name = "vov1"')
        elif not name:
            add("a [[relay]] has no name", "name", 'add name = "vov1"')
        for key in sorted(set(table) - set(_RELAY_KEYS)):
            add(f"{label} has an unknown setting {key!r}", key, "a relay takes " + ", ".join(_RELAY_KEYS))
        url = table.get("url")
        if not isinstance(url, str):
            add(f"{label}: url must be a stream address in quotes", "url",
                'write url = "http://server:8000/mount" (or an HLS .m3u8 address)')
        else:
            why = relay_url_problem(url)
            if why:
                add(f"{label}: {why}", "url", 'write url = "http://server:8000/mount" (or an HLS .m3u8 address)')
        at = table.get("at")
        if not isinstance(at, str):
            add(f'{label}: at must be a quoted time such as "06:00"', "at", 'write at = "06:00"')
            at = None
        else:
            try:
                parse_hhmm(at)
            except ValueError as exc:
                add(f"{label}: {exc}", "at", 'write it as "06:00" (00:00 to 23:59)')
                at = None
        duration_s = 0.0
        if ("duration" in table) == ("end" in table):
            add(f"{label}: give the window's length as duration or its end as end (one of them)",
                "duration" if "duration" in table else None, 'write duration = "30m" or end = "06:30"')
        elif "duration" in table:
            try:
                duration_s = parse_duration(table["duration"])
            except ValueError as exc:
                add(f"{label}: {exc}", "duration", 'write duration = "30m"')
        else:
            end = table["end"]
            try:
                if not isinstance(end, str):
                    raise ValueError('end must be a quoted time such as "06:30"')
                end_h, end_m = parse_hhmm(end)
                if at is not None:
                    start_h, start_m = parse_hhmm(at)
                    minutes = (end_h * 60 + end_m - start_h * 60 - start_m) % (24 * 60)
                    if minutes == 0:
                        raise ValueError("end is the same time as at")
                    duration_s = minutes * 60.0
            except ValueError as exc:
                add(f"{label}: {exc}", "end", 'write end = "06:30" (an end before at is on the next day)')
        days: list[str] = []
        try:
            days = parse_days(table.get("days", "daily"))
        except ValueError as exc:
            add(f"{label}: {exc}", "days", 'use "daily", "weekdays" or a list such as ["mon", "thu"]')
        dates: dict[str, date | None] = {"from": None, "until": None}
        for key in ("from", "until"):
            if key not in table:
                continue
            value = table[key]
            try:
                dates[key] = value if isinstance(value, date) else parse_date(value if isinstance(value, str) else "?")
            except ValueError:
                add(f"{label}: {key} {str(value)[:30]!r} is not a date", key, "write 17/6/2021 or 2021-06-17")
        if dates["from"] and dates["until"] and dates["until"] < dates["from"]:
            add(f"{label}: until is before from", "until", "swap the two dates or correct the year")
        fallback = table.get("fallback")
        if fallback is not None and (not isinstance(fallback, str) or not fallback.strip()):
            add(f"{label}: fallback must be a file name in quotes", "fallback",
                'write fallback = "media/nhac-cho.mp3" (or a playlist .m3u)')
            fallback = None
        elif isinstance(fallback, str) and not _check_inside(
                problems, fallback, f"{label}: fallback", "fallback", station=station,
                line=(keys.lines.get(prefix + "fallback") if keys is not None else None) or head):
            fallback = None
        numbers: dict[str, float | None] = {}
        for key in ("gain_db", "start_timeout_s", "stall_timeout_s", "retry_max_s", "segment_s"):
            if key not in table:
                continue
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                add(f"{label}: {key} must be a number", key, f"the default is {defaults[key].default!r}")
                continue
            message = _out_of_range(defaults[key], float(value))
            if message:
                add(f"{label}: {key} = {value!r} is out of range: {message}", key,
                    f"the default is {defaults[key].default!r}")
                continue
            numbers[key] = float(value)
        relay_zones = _relay_zones(table.get("zones", []), label, zones, add)
        if name and any(r.name == name for r in relays):
            add(f"relay {name!r} is declared twice", "name", "rename one of them")
        if len(problems.found) == count and isinstance(url, str) and at is not None:
            relays.append(Relay(name=name, url=url.strip(), at=at, duration_s=duration_s, days=days,
                                date_from=dates["from"], date_until=dates["until"],
                                fallback=fallback.strip() if isinstance(fallback, str) else None,
                                zones=relay_zones, line=head, **numbers))  # type: ignore[arg-type]
    return relays


def _relay_zones(value: Any, label: str, known: Sequence[str], add: Callable[..., None]) -> list[str]:
    """A relay's ``zones``: a list of [[zone]] names (one name alone is taken as a list of one)."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        add(_("{label}: zones must be a list of zone names in quotes", label=label), "zones",
            _('write zones = ["cho", "truong"], or leave zones out to air in every zone'))
        return []
    out = list(dict.fromkeys(n.strip() for n in names))
    for name in out:
        if name not in known:
            add(_("{label}: unknown zone {zone!r}", label=label, zone=name[:60]), "zones",
                _("known zones: {names}", names=", ".join(known) or _("none (add [[zone]] tables to station.toml)")))
    return out


def _check_inside(problems: _Problems, value: str, what: str, key: str, line: int | None = None,
                  station: Station | None = None) -> bool:
    """A file setting must stay inside the station folder (or media_dirs), links followed."""
    root = station.root if station is not None else problems.path.parent
    probe = station or Station(root=root)
    try:
        leads = probe.outside(value.strip())
        usable(probe.resolve(value.strip()))
    except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a NUL byte, a name too long...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.add(_("{what} {value!r} cannot be used: {reason}", what=what, value=value[:80], reason=reason), key,
                     _("fix the path or the link"), line=line)
        return False
    if leads is not None:
        problems.add(_("{what} {value!r} leads outside the station folder (to {leads})", what=what,
                       value=value[:80], leads=str(leads)), key,
                     _("keep the file inside the station folder, or add its folder to media_dirs"), line=line)
        return False
    return True


def usable(path: Path) -> None:
    """Raise the OSError that would stop ``path`` from being opened, other than its absence
    (a name too long, a loop, a NUL byte): ``Path.is_file()`` raises those instead of answering."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc)) from None


def _validate(station: Station, problems: _Problems) -> None:
    """Rules that involve more than one value's type and range."""
    try:
        ZoneInfo(station.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.add(_("unknown time zone {zone!r}", zone=station.timezone[:60]), "timezone",
                     _('use an IANA name such as "Asia/Ho_Chi_Minh"'))
        station.timezone = Station.timezone
    if station.dialect not in ("north", "south"):
        problems.add(_("dialect must be north or south, not {value!r}", value=station.dialect[:40]), "dialect")
        station.dialect = Station.dialect
    if not station.web.host.strip():
        problems.add(_("web.host is empty"), "web.host", _('write host = "127.0.0.1" (this machine only)'))
        station.web.host = WebOptions.host
    if not station.engines:
        problems.add(_("the engine chain is empty"), "engines", _('write engines = ["gtts", "espeak"]'))
        station.engines = ["gtts", "espeak"]
    _validate_voice(station, problems)
    if station.limits.jingle_warn_s > station.limits.max_jingle_s:
        problems.add(_("limits.jingle_warn_s is above limits.max_jingle_s"), "limits.jingle_warn_s",
                     _("the warning must come before the limit"))
    for key in ("intro", "outro"):
        value = getattr(station, key)
        if isinstance(value, str) and not is_no_jingle(value) and not _check_inside(
                problems, value, _("the default {key} jingle", key=key), key, station=_roots_only(station)):
            setattr(station, key, "")  # refused: no jingle rather than a file outside
    log_name = station.player.asrun_log
    if not log_name.strip() or log_name.strip().endswith(("/", "\\")):
        problems.add(_("player.asrun_log must name a file"), "player.asrun_log", _('write asrun_log = "asrun.jsonl"'))
        station.player.asrun_log = PlayerOptions.asrun_log
    else:
        inside = Station(root=station.root)  # the log never goes to media_dirs
        if not _check_inside(problems, log_name, "player.asrun_log", "player.asrun_log", station=inside):
            station.player.asrun_log = PlayerOptions.asrun_log
    for index, folder in enumerate(station.media_dirs):
        if not station.resolve(folder).is_dir():
            problems.add(_("media_dirs[{index}] {folder!r} is not a folder", index=index, folder=folder[:80]),
                         "media_dirs", _("create it or remove it from media_dirs"))


def _validate_voice(station: Station, problems: _Problems) -> None:
    """The station's voice must read, and some engine of the chain must have it (announcer.voices)."""
    if not station.voice.strip():
        return
    from announcer.voices import voice_problem_for_chain

    message = voice_problem_for_chain(station.voice, station.engines)
    if message:
        problems.add(message, "voice", _('write e.g. voice = "trung-nu" (region bac/trung/nam, sex nu/nam); '
                                         "`announcer engines` lists every voice"))
        station.voice = ""


def _roots_only(station: Station) -> Station:
    """A copy that knows only the folders (for path checks before the station is complete)."""
    probe = Station(root=station.root)
    probe.media_dirs = [d for d in station.media_dirs if os.path.isdir(station.resolve(d))]
    return probe
