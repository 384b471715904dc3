"""Speech engines: the registry, a factory, and the table behind ``announcer engines``."""

from __future__ import annotations

import logging
from typing import Any

from announcer.config import Station
from announcer.engines.base import Availability, Engine
from announcer.engines.espeak import EspeakEngine
from announcer.engines.gtts_engine import GttsEngine
from announcer.errors import EngineError

log = logging.getLogger(__name__)

ENGINES: dict[str, type[Engine]] = {"espeak": EspeakEngine, "gtts": GttsEngine}

__all__ = [
    "ENGINES", "Availability", "Engine", "EspeakEngine", "GttsEngine", "create_engine", "describe_engines",
]


def create_engine(name: str, station: Station, voice: str | None = None) -> Engine:
    """A ready engine named ``name``, configured from ``station``; ``voice`` overrides the station's.

    Raises EngineError for an unknown engine or voice (nothing is loaded or contacted here).
    """
    key = (name or "").strip().lower()
    cls = ENGINES.get(key)
    if cls is None:
        raise EngineError(f"unknown engine {name!r}", hint=f"known engines: {', '.join(ENGINES)}")
    factory: Any = getattr(cls, "from_station", None)
    if factory is None:
        return cls()
    engine: Engine = factory(station, voice)
    return engine


def describe_engines(station: Station) -> list[dict[str, Any]]:
    """One row per known engine: name, online, voices, voice (the default), available, reason.

    Engines of the station's chain come first, in chain order. Offline this answers
    within about two seconds (the online check is one short TCP probe).
    """
    order = [n for n in station.engines if n in ENGINES] + [n for n in ENGINES if n not in station.engines]
    rows = []
    for name in order:
        cls = ENGINES[name]
        row: dict[str, Any] = {"name": name, "online": cls.online, "voices": list(cls.voices),
                               "voice": cls.voices[0] if cls.voices else "", "available": False, "reason": ""}
        try:
            engine = create_engine(name, station)
            row["voice"] = engine.voice
            state = engine.availability()
            row["available"], row["reason"] = state.ok, state.reason
        except EngineError as exc:
            row["reason"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a listing must not crash on one broken engine
            log.debug("availability check of %s failed", name, exc_info=True)
            row["reason"] = f"check failed: {exc}"
        rows.append(row)
    return rows
