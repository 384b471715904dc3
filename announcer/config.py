"""Station configuration: typed dataclasses, layered as code defaults, then
``station.toml``, then CLI flags, and validated on load.

Every validation error names ``station.toml`` and, where it can be found, the line.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from announcer.errors import ConfigError

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
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass
class EspeakOptions:
    voice: str = "vi"
    """espeak-ng voice: vi, vi-vn-x-central or vi-vn-x-south."""
    rate: int = 150
    """Speaking rate in words per minute (80-450)."""
    pitch: int = 50
    """Base pitch, 0-99."""


@dataclass
class GttsOptions:
    tld: str = "com.vn"
    """Google Translate host suffix, e.g. com.vn or com."""
    timeout: float = 10.0
    """Seconds before one HTTP request is abandoned (gTTS itself has no limit)."""
    retries: int = 3
    """Retries on 429 and 5xx answers, with exponential backoff."""
    pace: float = 0.3
    """Seconds to wait between two requests, to stay under the rate limit."""
    slow: bool = False
    """Ask Google for the slow reading."""


@dataclass
class AudioOptions:
    loudness_lufs: float = -16.0
    """Integrated loudness target of every rendered file."""
    true_peak_db: float = -1.5
    """Highest allowed true peak, dBTP."""
    bitrate_kbps: int = 128
    """MP3 bitrate; at least 64."""
    sample_rate: int = 44100
    """Output sample rate in Hz."""
    write_wav: bool = False
    """Also write a WAV beside each MP3."""
    sentence_pause_ms: int = 450
    """Silence after each sentence."""
    paragraph_pause_ms: int = 1000
    """Silence at a blank line."""
    interlude_ms: int = 2500
    """Silence between two readings of a repeated script."""
    jingle_gap_ms: int = 600
    """Silence between a jingle and the speech."""


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
class PlayerOptions:
    sink: str = "soundcard"
    """Default sink: soundcard, command:ARGV or file:DIR."""
    grace_minutes: int = 10
    """A slot missed by at most this much still plays late; older misses are skipped."""
    asrun_log: str = "asrun.jsonl"
    """As-run log file, relative to the station folder."""


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
    intro: str | None = "jingles/intro.wav"
    """Default opening jingle for every script."""
    outro: str | None = "jingles/outro.wav"
    """Default closing jingle for every script."""
    espeak: EspeakOptions = field(default_factory=EspeakOptions)
    """Options of the offline espeak-ng voice."""
    gtts: GttsOptions = field(default_factory=GttsOptions)
    """Options of the online gTTS voice."""
    audio: AudioOptions = field(default_factory=AudioOptions)
    """Pauses, loudness and output format."""
    player: PlayerOptions = field(default_factory=PlayerOptions)
    """Unattended playback."""
    slots: list[Slot] = field(default_factory=list)
    """Daily broadcast slots."""

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

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)


NO_JINGLE_WORDS = frozenset({"none", "no", "false", "off", "không", ""})
"""What staff may write where a jingle path goes, to mean 'no jingle'."""


def is_no_jingle(value: str | None) -> bool:
    """True when a jingle setting is present and says 'none' (unset is None: use the default)."""
    return value is not None and value.strip().lower() in NO_JINGLE_WORDS


def parse_hhmm(text: str) -> tuple[int, int]:
    """'06:30' -> (6, 30); raises ValueError on anything else."""
    match = _HHMM.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of the form HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a valid time of day (00:00 to 23:59)")
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
        raise ValueError("days must be 'daily', 'weekdays', 'weekend' or a list such as [mon, wed, fri]")
    days = []
    for item in value:
        name = _DAY_ALIASES.get(str(item).strip().lower())
        if name is None:
            raise ValueError(f"unknown day {item!r}; use mon, tue, wed, thu, fri, sat, sun (or t2..t7, cn)")
        days.append(name)
    return days


def find_line(text: str, *needles: str) -> int | None:
    """First line (1-based) that contains every needle; for pointing at a TOML value."""
    for number, line in enumerate(text.splitlines(), 1):
        if all(needle in line for needle in needles):
            return number
    return None


def _apply(target: Any, table: dict[str, Any], where: str, source: str, path: Path) -> None:
    """Overlay a TOML table onto a dataclass, checking names and types."""
    known = {f.name: f for f in dataclasses.fields(target)}
    for key, value in table.items():
        if key not in known or key in ("root", "slots", "line"):
            line = find_line(source, key)
            raise ConfigError(
                f"unknown setting {where}{key!r}",
                file=path,
                line=line,
                hint=f"check the spelling; known settings: {', '.join(k for k in known if k != 'root')}",
            )
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"[{key}] must be a table", file=path, line=find_line(source, key))
            _apply(current, value, f"{key}.", source, path)
            continue
        expected = type(current) if current is not None else str
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if isinstance(value, bool) and expected is not bool:
            ok = False
        if not ok:
            raise ConfigError(
                f"{where}{key} should be {expected.__name__}, not {type(value).__name__} ({value!r})",
                file=path,
                line=find_line(source, key),
                hint="fix the value type (numbers unquoted, text in quotes, lists in [ ])",
            )
        setattr(target, key, float(value) if expected is float else value)


def require_station(root: Path) -> Path:
    """``root`` if it is a station folder (has station.toml), else a ConfigError saying what to do."""
    if not (root / STATION_FILE).is_file():
        where = "this folder" if str(root) in (".", "") else str(root)
        raise ConfigError(
            f"{where} is not a station: it has no {STATION_FILE}",
            hint="run the command in the station folder, give it with --station DIR, "
                 "or create a station with: announcer init DIR",
        )
    return root


def load_station(root: Path | str, overrides: dict[str, Any] | None = None) -> Station:
    """Read ``root/station.toml`` over the code defaults, then apply CLI overrides.

    A folder without station.toml gets the defaults (useful for ``say``/``normalize``).
    """
    root = Path(root)
    station = Station(root=root)
    path = root / STATION_FILE
    if path.exists():
        try:
            source = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                "station.toml is not UTF-8 text", file=path, hint="save it as UTF-8 in your editor"
            ) from exc
        try:
            data = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            line = _toml_error_line(str(exc))
            raise ConfigError(
                f"station.toml is not valid TOML: {exc}",
                file=path,
                line=line,
                hint="check quotes, = signs and [brackets] on that line",
            ) from exc
        slots = data.pop("slot", [])
        _apply(station, data, "", source, path)
        station.slots = _parse_slots(slots, source, path)
    if overrides:
        _apply(station, overrides, "", "", path)
    validate_station(station, path, source if path.exists() else "")
    return station


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _parse_slots(raw: Any, source: str, path: Path) -> list[Slot]:
    if not isinstance(raw, list):
        raise ConfigError("slots must be written as [[slot]] tables", file=path, line=find_line(source, "slot"))
    slots: list[Slot] = []
    slot_lines = [n for n, line in enumerate(source.splitlines(), 1) if line.strip() == "[[slot]]"]
    for index, table in enumerate(raw):
        line = slot_lines[index] if index < len(slot_lines) else None
        name = str(table.get("name", "")).strip()
        if not name:
            raise ConfigError("a [[slot]] has no name", file=path, line=line, hint='add name = "sang"')
        unknown = set(table) - {"name", "at", "days", "intro", "outro"}
        if unknown:
            raise ConfigError(
                f"slot {name!r} has unknown setting(s) {', '.join(sorted(unknown))}",
                file=path,
                line=line,
                hint="a slot takes name, at, days, intro, outro",
            )
        at = table.get("at")
        at_line = find_line(source, "at", str(at)) if at is not None else line
        if not isinstance(at, str):
            raise ConfigError(
                f"slot {name!r}: at must be a quoted time such as \"06:00\"",
                file=path,
                line=at_line or line,
            )
        try:
            parse_hhmm(at)
        except ValueError as exc:
            raise ConfigError(
                f"slot {name!r}: {exc}", file=path, line=at_line or line, hint='write it as "06:00"'
            ) from None
        try:
            days = parse_days(table.get("days", "daily"))
        except ValueError as exc:
            raise ConfigError(
                f"slot {name!r}: {exc}", file=path, line=find_line(source, "days") or line
            ) from None
        if any(s.name == name for s in slots):
            raise ConfigError(f"slot {name!r} is declared twice", file=path, line=line, hint="rename one")
        slots.append(Slot(name=name, at=at, days=days, intro=table.get("intro"), outro=table.get("outro"),
                          line=line))
    return slots


def validate_station(station: Station, path: Path, source: str) -> None:
    def fail(message: str, key: str, hint: str | None = None) -> None:
        raise ConfigError(message, file=path, line=find_line(source, key) if source else None, hint=hint)

    try:
        ZoneInfo(station.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown time zone {station.timezone!r}", "timezone", 'use an IANA name such as "Asia/Ho_Chi_Minh"')
    if station.dialect not in ("north", "south"):
        fail(f"dialect must be north or south, not {station.dialect!r}", "dialect")
    if not station.engines:
        fail("the engine chain is empty", "engines", 'write engines = ["gtts", "espeak"]')
    if station.audio.bitrate_kbps < 64:
        fail("bitrate_kbps must be at least 64", "bitrate_kbps")
    if not -40.0 <= station.audio.loudness_lufs <= -5.0:
        fail("loudness_lufs must be between -40 and -5", "loudness_lufs")
    if station.audio.true_peak_db > 0:
        fail("true_peak_db must be at or below 0", "true_peak_db")
    if not 80 <= station.espeak.rate <= 450:
        fail("espeak rate must be between 80 and 450 words per minute", "rate")
    if station.player.grace_minutes < 0:
        fail("grace_minutes cannot be negative", "grace_minutes")
