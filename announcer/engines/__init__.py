"""Speech engines: the registry, a factory, and the table behind ``announcer engines``."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Callable
from typing import Any

from announcer.config import Station
from announcer.engines.base import Availability, Engine
from announcer.engines.edge import EdgeEngine
from announcer.engines.espeak import EspeakEngine
from announcer.engines.fpt import FptEngine
from announcer.engines.gtts_engine import GttsEngine
from announcer.engines.piper import PiperEngine
from announcer.engines.viettel import ViettelEngine
from announcer.errors import EngineError
from announcer.i18n import Msg, _, message_of
from announcer.voices import VoiceChoice, VoiceInfo, parse_voice, pick

log = logging.getLogger(__name__)

ENGINES: dict[str, type[Engine]] = {"espeak": EspeakEngine, "gtts": GttsEngine, "fpt": FptEngine,
                                     "viettel": ViettelEngine, "edge": EdgeEngine, "piper": PiperEngine}

__all__ = [
    "ENGINES", "Availability", "EdgeEngine", "Engine", "EspeakEngine", "FptEngine", "GttsEngine", "PiperEngine",
    "ViettelEngine", "chain_engines", "create_engine", "describe_engines",
]


def _espeak_speed(station: Station, speed: float) -> Station:
    from announcer.engines.espeak import RATE_RANGE

    rate = min(max(round(station.espeak.rate * speed), RATE_RANGE[0]), RATE_RANGE[1])
    return dataclasses.replace(station, espeak=dataclasses.replace(station.espeak, rate=rate))


def _gtts_speed(station: Station, speed: float) -> Station:
    # Google has two speeds: normal and slow (about 0.7).
    return dataclasses.replace(station, gtts=dataclasses.replace(station.gtts, slow=station.gtts.slow or speed <= 0.8))


_SPEED: dict[str, Callable[[Station, float], Station]] = {"espeak": _espeak_speed, "gtts": _gtts_speed}
"""How the speed factor reaches engines whose options predate it (the others take ``speed=``)."""


def create_engine(name: str, station: Station, voice: str | None = None, speed: float | None = None) -> Engine:
    """A ready engine named ``name``, configured from ``station``; ``voice`` overrides the station's,
    ``speed`` (a factor, 1 = normal) the station's ``speed``.

    Raises EngineError for an unknown engine or voice (nothing is loaded or contacted here).
    """
    key = (name or "").strip().lower()
    cls = ENGINES.get(key)
    if cls is None:
        raise EngineError(_("unknown engine {name!r}", name=name),
                          hint=_("known engines: {names}", names=", ".join(ENGINES)))
    factory: Any = getattr(cls, "from_station", None)
    if factory is None:
        return cls()
    factor = station.speed if speed is None else speed
    if "speed" in inspect.signature(factory).parameters:
        engine: Engine = factory(station, voice, speed=factor)
    else:
        adapt = _SPEED.get(key)
        engine = factory(adapt(station, factor) if adapt and factor != 1.0 else station, voice)
    return engine


def chain_engines(station: Station, names: list[str], voice: str | None, speed: float | None = None,
                  *, forced: bool = False) -> list[Engine]:
    """The engines of a chain for the voice asked (a script's ``voice``, else the station's).

    A choice in the station's terms (region, sex) keeps only the engines that have a
    matching voice, each speaking its first match, in chain order; the build falls back
    along them. An engine's own voice name keeps today's rule: engines that have it speak
    it, the others their default. Raises EngineError when no engine can serve the choice.
    """
    text = voice if voice is not None and voice.strip() else station.voice
    from announcer.voices import known_names

    try:
        choice = parse_voice(text or "", known_names())
    except ValueError as exc:
        inner = message_of(exc)
        raise EngineError(inner if isinstance(inner, Msg) else str(exc),
                          hint=_("`announcer engines` lists every voice")) from None
    factor = choice.speed if choice.speed is not None else (station.speed if speed is None else speed)
    if choice.empty:
        return [create_engine(n, station, None, factor) for n in names]
    if choice.name is not None:
        engines = []
        for name in names:
            has = choice.name.lower() in (v.lower() for v in ENGINES[name].voices)
            engines.append(create_engine(name, station, choice.name.lower() if has or forced else None, factor))
        if not any(e.voice.lower() == choice.name.lower() for e in engines):
            raise EngineError(_("unknown voice {name!r}", name=choice.name),
                              hint=_("`announcer engines` lists the voices"))
        return engines
    engines = []
    for name in names:
        match = pick(choice, ENGINES[name].catalog)
        if match is not None:
            engines.append(create_engine(name, station, match.name, factor))
    if not engines and forced and not (voice is not None and voice.strip()):
        # The station's voice is a preference; a script or --engine naming one engine is explicit.
        log.warning("%s has no %s (the station's voice); it reads with its default voice",
                    ", ".join(names), choice.describe())
        return [create_engine(n, station, None, factor) for n in names]
    if not engines:
        raise EngineError(_("no engine of the chain ({names}) has {voice}", names=", ".join(names),
                            voice=choice.describe()),
                          hint=_("add an engine that has it (espeak has every region), or choose another voice; "
                                 "`announcer engines` lists every voice"))
    return engines


def chosen_voice(station: Station, cls: type[Engine]) -> VoiceInfo | None:
    """The voice of ``cls`` the station's ``voice`` picks (None: no choice, or no match)."""
    try:
        choice = parse_voice(station.voice, [v.name for v in cls.catalog])
    except ValueError:
        return None
    return None if choice.empty else pick(choice, cls.catalog) if choice.name is None else pick(
        VoiceChoice(name=choice.name), cls.catalog)


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
                               "voice": cls.voices[0] if cls.voices else "", "available": False, "reason": "",
                               "catalog": list(cls.catalog), "chosen": chosen_voice(station, cls),
                               "needs": getattr(cls, "needs", "")}
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
