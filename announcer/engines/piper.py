"""Piper: an offline neural voice (the ``piper-tts`` package, ``pip install "announcer[piper]"``).

Piper reads with a voice file the station downloads once: ``vi_VN-vais1000-medium.onnx`` (about
63 MB) and its ``.onnx.json``, put in the station's ``voices/`` folder (``[piper] model`` names
another place). Nothing is ever fetched at run time: without the file the engine is simply not
available, and ``announcer engines`` says which file is missing, where it goes and where to get it.

Speed goes as Piper's ``length_scale`` (the voice's own length scale divided by the speed factor:
below 1 reads faster).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from announcer.audio.pydub_compat import AudioSegment
from announcer.config import PiperOptions, Station
from announcer.engines.base import Availability, Engine, excerpt
from announcer.engines.cloud import refuse_bad_clip
from announcer.errors import EngineError, EngineUnavailable, SynthesisError
from announcer.i18n import _
from announcer.voices import VoiceInfo

log = logging.getLogger(__name__)

ENGINE_REVISION = 1
DEFAULT_VOICE = "vi_VN-vais1000-medium"
DOWNLOAD_PAGE = "https://huggingface.co/rhasspy/piper-voices/tree/main/vi/vi_VN/vais1000/medium"
"""Where the station gets the voice file (by hand, once)."""

CATALOG = (VoiceInfo(DEFAULT_VOICE, "bac", "nu", "VAIS1000"),)


def _list(items: list[str]) -> str:
    """``a; b; c``, each item still translatable where it is shown."""
    joined = items[0] if items else ""
    for item in items[1:]:
        joined = _("{first}; {then}", first=joined, then=item)
    return joined


class PiperEngine(Engine):
    """An offline neural voice: natural, no internet, needs the voice file downloaded once."""

    name = "piper"
    online = False
    needs = f"piper-tts (pip install \"announcer[piper]\") and the voice file {DEFAULT_VOICE}.onnx (+ .json)"
    voices = tuple(v.name for v in CATALOG)
    catalog = CATALOG

    def __init__(self, model: Path, voice: str | None = None, speed: float = 1.0) -> None:
        chosen = (voice or self.voices[0]).strip()
        if chosen.lower() not in (v.lower() for v in self.voices):
            raise EngineError(_("{engine} has no voice {voice!r}", engine="piper", voice=voice),
                              hint=_("choose one of: {names}", names=", ".join(self.voices)))
        self.model = Path(model)
        self.config_path = Path(f"{self.model}.json")
        self.speed_factor = speed
        self._base_length: float | None = None
        self._voice: Any = None
        self._dead: EngineUnavailable | None = None

    @classmethod
    def from_station(cls, station: Station, voice: str | None = None, speed: float = 1.0) -> PiperEngine:
        options = station.piper if isinstance(station.piper, PiperOptions) else PiperOptions()
        return cls(station.resolve(options.model), voice, speed)

    @property
    def voice(self) -> str:
        return self.model.name.removesuffix(".onnx") or DEFAULT_VOICE

    @property
    def length_scale(self) -> float:
        """What Piper is given: the voice's own length scale over our speed factor."""
        if self._base_length is None:
            self._base_length = 1.0
            try:
                inference = json.loads(self.config_path.read_text(encoding="utf-8")).get("inference", {})
                self._base_length = float(inference.get("length_scale", 1.0))
            except (OSError, ValueError, TypeError, AttributeError):
                pass
        return round(self._base_length / max(self.speed_factor, 0.1), 4)

    def fingerprint(self) -> str:
        return f"piper/r{ENGINE_REVISION}|voice={self.voice}|model={self._model_digest()}|length={self.length_scale}"

    def _model_digest(self) -> str:
        try:
            info = self.model.stat()
        except OSError:
            return "missing"
        return f"{info.st_size}-{info.st_mtime_ns}"

    def missing(self) -> list[str]:
        """What the station still has to put in place, in words."""
        problems: list[str] = []
        try:
            import piper  # noqa: F401
        except ImportError:
            problems.append(_('the piper-tts package (python -m pip install "announcer[piper]")'))
        for path in (self.model, self.config_path):
            if not path.is_file():
                problems.append(_("{name} in {folder}", name=path.name, folder=path.parent))
        return problems

    def availability(self) -> Availability:
        if self._dead is not None:
            return Availability(False, self._dead.message)
        missing = self.missing()
        if missing:
            return Availability(False, _("missing {what} (download the voice once from {page}; it is never fetched at "
                                         "run time)", what=_list(missing), page=DOWNLOAD_PAGE))
        return Availability(True, _("voice file {path}", path=self.model))

    def _load(self) -> Any:
        if self._dead is not None:
            raise EngineUnavailable(self._dead.message, hint=self._dead.hint)
        if self._voice is not None:
            return self._voice
        missing = self.missing()
        if missing:
            self._dead = EngineUnavailable(_("piper is missing {what}", what=_list(missing)),
                                           hint=_("download the voice once from {page}", page=DOWNLOAD_PAGE))
            raise self._dead
        try:
            from piper import PiperVoice

            self._voice = PiperVoice.load(self.model, config_path=self.config_path)
        except Exception as exc:  # noqa: BLE001 - a broken or foreign model file: out for this build
            log.debug("piper could not load %s", self.model, exc_info=True)
            self._dead = EngineUnavailable(_("piper could not load the voice file {name} ({problem})",
                                             name=self.model.name,
                                             problem=f"{type(exc).__name__}: {str(exc)[:100]}"),
                                           hint=_("download the .onnx and .onnx.json again, both of the same voice"))
            raise self._dead from exc
        return self._voice

    def synthesize(self, text: str) -> AudioSegment:
        if not text.strip():
            raise SynthesisError(_("nothing to say: the text is empty"))
        voice = self._load()
        from piper import SynthesisConfig

        pcm = bytearray()
        rate = 0
        try:
            for chunk in voice.synthesize(text, syn_config=SynthesisConfig(length_scale=self.length_scale)):
                rate = chunk.sample_rate
                pcm.extend(chunk.audio_int16_bytes)
        except Exception as exc:  # noqa: BLE001 - one sentence failing: the next engine reads it
            raise SynthesisError(_("piper could not read {text} ({problem})", text=excerpt(text),
                                   problem=type(exc).__name__)) from exc
        if not pcm or not rate:
            raise SynthesisError(_("{engine} produced no audio for {text}", engine="piper", text=excerpt(text)))
        clip = AudioSegment(data=bytes(pcm), sample_width=2, frame_rate=rate, channels=1)
        refuse_bad_clip(clip, text, self.speed_factor, "piper")
        return clip
