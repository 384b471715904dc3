"""The small interface every speech engine implements."""

from __future__ import annotations

import importlib.util
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass

from announcer.audio.pydub_compat import AudioSegment
from announcer.voices import VoiceInfo


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""


class Engine(ABC):
    """A text-to-speech engine. One instance serves one build.

    ``synthesize`` raises ``SynthesisError`` when one piece of text fails (the
    engine may still work for the next piece) and ``EngineUnavailable`` when the
    engine cannot work at all here (no network, no library): the chain then
    stops asking it for the rest of the run.
    """

    name: str = ""
    online: bool = False
    voices: tuple[str, ...] = ()
    catalog: tuple[VoiceInfo, ...] = ()
    """Each voice with its region and sex (announcer.voices), the default first."""

    @abstractmethod
    def availability(self) -> Availability:
        """Cheap check (no network round trip longer than a short timeout)."""

    @abstractmethod
    def synthesize(self, text: str) -> AudioSegment:
        """Speak one sentence-sized piece of already-normalized text."""

    @abstractmethod
    def fingerprint(self) -> str:
        """Everything besides the text that changes the audio (voice, rate, tld...).

        Part of the cache key: engine name + fingerprint + text.
        """

    @property
    def voice(self) -> str:
        return ""


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it: edge-tts and piper pull in
    aiohttp, onnxruntime and numpy (most of a second), which a listing of engines never needs."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def excerpt(text: str, width: int = 40) -> str:
    """The start of a sentence, quoted, for a message about it."""
    return repr(text if len(text) <= width else text[: width - 1] + "…")
