"""Microsoft Edge's free online neural voices (through the ``edge-tts`` package): Hoài My (female)
and Nam Minh (male), both reading with the standard Northern accent.

The service is the browser's read-aloud feature, not a product with a contract: it has changed
its handshake, blocked voices and answered with nothing, without notice, several times a year
(edge-tts #265, #356, #433). So any failure at all (no connection, a refused handshake, an error
mid-stream, no audio, audio too short for the text or silent) takes edge out for the rest of
the build with one message, and the next engine of the chain reads. A clip that cannot be what
was asked for (too short for its syllables: another language, a cut stream; or silent) is never
aired.

Speed goes as edge's ``rate``, a signed percentage ("+10%").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from announcer.audio.pydub_compat import AudioSegment
from announcer.config import Station
from announcer.engines.base import Availability, Engine, excerpt
from announcer.engines.cloud import PROBE_TIMEOUT, Probe, decode_audio, refuse_bad_clip
from announcer.errors import EngineError, EngineUnavailable, SynthesisError
from announcer.i18n import _
from announcer.voices import VoiceInfo

log = logging.getLogger(__name__)

ENGINE_REVISION = 1
HOST = "speech.platform.bing.com"
CONNECT_TIMEOUT_S = 10
RECEIVE_TIMEOUT_S = 30
SENTENCE_DEADLINE_S = 90.0
"""The service sometimes takes minutes to answer (edge-tts #473): a build does not wait that long."""
RATE_RANGE = (-50, 100)
"""edge's rate in percent: half speed to double speed."""

CATALOG = (
    VoiceInfo("vi-VN-HoaiMyNeural", "bac", "nu", "Hoài My"),
    VoiceInfo("vi-VN-NamMinhNeural", "bac", "nam", "Nam Minh"),
)


def rate_for(speed: float) -> str:
    """Our speed factor as edge's rate: 1.1 -> "+10%", 0.85 -> "-15%"."""
    percent = max(RATE_RANGE[0], min(RATE_RANGE[1], round((speed - 1.0) * 100)))
    return f"{percent:+d}%"


class EdgeEngine(Engine):
    """Free neural voices over the internet, no key; the chain's fallback covers its bad days."""

    name = "edge"
    online = True
    needs = "internet (no key)"
    voices = tuple(v.name for v in CATALOG)
    catalog = CATALOG

    def __init__(self, voice: str | None = None, speed: float = 1.0, *, probe: Probe | None = None,
                 deadline_s: float = SENTENCE_DEADLINE_S,
                 communicate: Callable[..., Any] | None = None) -> None:
        by_lower = {v.lower(): v for v in self.voices}
        chosen = (voice or self.voices[0]).strip()
        if chosen.lower() not in by_lower:
            raise EngineError(_("{engine} has no voice {voice!r}", engine="edge", voice=voice),
                              hint=_("choose one of: {names}", names=", ".join(self.voices)))
        self._voice = by_lower[chosen.lower()]
        self.speed_factor = speed
        self.rate = rate_for(speed)
        self._probe = probe
        self._deadline = deadline_s
        self._communicate = communicate
        self._dead: EngineUnavailable | None = None
        self.requests_made = 0

    @classmethod
    def from_station(cls, station: Station, voice: str | None = None, speed: float = 1.0) -> EdgeEngine:
        return cls(voice, speed)

    @property
    def voice(self) -> str:
        return self._voice

    def fingerprint(self) -> str:
        return f"edge/r{ENGINE_REVISION}|voice={self._voice}|rate={self.rate}"

    def availability(self) -> Availability:
        if self._dead is not None:
            return Availability(False, self._dead.message)
        try:
            self._library()
        except EngineUnavailable as exc:
            return Availability(False, exc.message)
        from announcer.engines.gtts_engine import probe_tcp

        why = (self._probe or probe_tcp)(HOST, 443, PROBE_TIMEOUT)
        if why:
            return Availability(False, _("no internet connection: {why}", why=why))
        return Availability(True, _("{host} reachable", host=HOST))

    def _library(self) -> Callable[..., Any]:
        if self._communicate is not None:
            return self._communicate
        try:
            import edge_tts
        except ImportError as exc:
            raise EngineUnavailable(_("the {package} package is not installed", package="edge-tts"),
                                    hint=_("reinstall announcer: python -m pip install -e .")) from exc
        return edge_tts.Communicate

    def synthesize(self, text: str) -> AudioSegment:
        if self._dead is not None:
            raise EngineUnavailable(self._dead.message, hint=self._dead.hint)
        if not text.strip():
            raise SynthesisError(_("nothing to say: the text is empty"))
        try:
            data = self._fetch(text)
            clip = decode_audio(data, "edge", text).set_channels(1).set_sample_width(2)
            refuse_bad_clip(clip, text, self.speed_factor, "edge")
        except EngineUnavailable as exc:
            raise self._died(exc.message, exc.hint) from exc
        except SynthesisError as exc:
            raise self._died(exc.message, _("the next engine reads instead")) from exc
        except Exception as exc:  # noqa: BLE001 - any failure of this service: out for the build
            log.debug("edge failed", exc_info=True)
            detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
            raise self._died(_("the Edge voice service failed ({problem})",
                               problem=f"{type(exc).__name__}{': ' + detail if detail else ''}"),
                             _("it changes without notice; `python -m pip install -U edge-tts` may fix it")) from exc
        return clip

    def _died(self, message: str, hint: str | None) -> EngineUnavailable:
        self._dead = EngineUnavailable(_("{message}; {engine} is left out for this build", message=message,
                                         engine="edge"),
                                       hint=hint)
        return self._dead

    def _fetch(self, text: str) -> bytes:
        communicate = self._library()
        self.requests_made += 1

        async def collect() -> bytes:
            talk = communicate(text, self._voice, rate=self.rate, connect_timeout=CONNECT_TIMEOUT_S,
                               receive_timeout=RECEIVE_TIMEOUT_S)
            audio = bytearray()
            async for chunk in talk.stream():
                if chunk.get("type") == "audio":
                    audio.extend(chunk.get("data") or b"")
            return bytes(audio)

        async def bounded() -> bytes:
            import asyncio

            try:
                return await asyncio.wait_for(collect(), self._deadline)
            except TimeoutError:
                raise SynthesisError(_("the Edge voice service did not finish {text} within {seconds} s",
                                       text=excerpt(text), seconds=f"{self._deadline:g}")) from None

        data = _run(bounded())
        if not data:
            raise SynthesisError(_("the Edge voice service sent no audio for {text}", text=excerpt(text)))
        return data


def _run(coro: Any) -> Any:
    """Run a coroutine to its end from synchronous code, also when the caller's thread already runs
    an event loop (a web server): then on a thread of its own."""
    import asyncio  # here: asyncio (and ssl with it) would cost every build's start-up

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="edge-tts", daemon=True)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
