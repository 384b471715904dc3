"""Where a script's render lives, whether it is usable, and how long it lasts.

This is the scheduler's only door into ``announcer.render``. The render module is
imported lazily and may be absent (or older than this code): then an existing
MP3 counts as fresh and rendering ahead is skipped, so playback still works.
"""

from __future__ import annotations

import json
import logging
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from announcer.config import Station
from announcer.script import Script

log = logging.getLogger(__name__)

FRESH, STALE, MISSING = "fresh", "stale", "missing"
FALLBACK = "fallback"
"""Fresh, but read by a fallback engine: offered to the build now and then (it redoes it once the
first engine answers again)."""

Renderer = Callable[[Station, Sequence[Path]], Sequence[Any]]
"""(station, script paths) -> results with .script, .output, .error, .skipped (like render.BuildResult)."""

StatusFn = Callable[[Station, Script], str]


def render_file(station: Station, script: Script | Path) -> Path:
    stem = script.stem if isinstance(script, Script) else Path(script).stem
    return station.audio_out / f"{stem}.mp3"


def manifest_file(station: Station, script: Script | Path) -> Path:
    return render_file(station, script).with_suffix(".json")


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The render manifest, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def render_status(station: Station, script: Script) -> str:
    """fresh, stale or missing; asks announcer.render.render_status(station, script_path) when it is there."""
    try:
        from announcer import render as render_module
    except ImportError:
        render_module = None  # type: ignore[assignment]
    fn = getattr(render_module, "render_status", None)
    if fn is not None:
        try:
            status = str(fn(station, script.path))
            if status == FRESH:
                manifest = read_manifest(manifest_file(station, script))
                return FALLBACK if manifest and manifest.get("fallbacks") else FRESH
            if status in (STALE, MISSING):
                return status
            log.warning("render_status returned %r for %s; treating it as stale", status, script.path)
            return STALE if render_file(station, script).exists() else MISSING
        except Exception as exc:  # noqa: BLE001 - never let a status query stop the player
            log.warning("cannot tell whether %s is up to date (%s); using the file as it is", script.path, exc)
    return FRESH if render_file(station, script).exists() else MISSING


def warm_up() -> None:
    """Import the renderer now (seconds on a small box) rather than when the first item airs."""
    try:
        from announcer import render  # noqa: F401
    except ImportError:
        pass


def default_renderer(station: Station, scripts: Sequence[Path]) -> Sequence[Any]:
    """Rebuild scripts with announcer.render.build_station; nothing when that module is absent."""
    try:
        from announcer.render import build_station
    except ImportError:
        log.warning("announcer.render is not available; cannot rebuild %d script(s)", len(scripts))
        return []
    return build_station(station, list(scripts))


def audio_duration(path: Path) -> float | None:
    """Length of an audio file in seconds: manifest, then WAV header, then mutagen, then decoding."""
    manifest = read_manifest(path.with_suffix(".json"))
    if manifest is not None:
        try:
            return float(manifest["duration_s"])
        except (KeyError, TypeError, ValueError):
            pass
    if not path.is_file():
        return None
    suffix = path.suffix.lower()
    if suffix == ".wav":
        try:
            with wave.open(str(path), "rb") as handle:
                return handle.getnframes() / float(handle.getframerate())
        except (wave.Error, EOFError, OSError):
            pass
    try:
        import mutagen

        info = mutagen.File(str(path))
        if info is not None and getattr(info, "info", None) is not None and info.info.length:
            return float(info.info.length)
    except Exception:  # noqa: BLE001 - mutagen raises many kinds of errors on odd files
        pass
    try:
        from pydub import AudioSegment

        fmt = suffix.lstrip(".") or "mp3"
        return len(AudioSegment.from_file(str(path), format=fmt)) / 1000.0
    except Exception as exc:  # noqa: BLE001
        log.warning("cannot read the length of %s: %s", path, exc)
        return None


def render_title(station: Station, script: Script) -> str:
    manifest = read_manifest(manifest_file(station, script))
    if manifest and isinstance(manifest.get("title"), str) and manifest["title"].strip():
        return manifest["title"]
    return script.title
