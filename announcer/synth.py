"""The engine chain: cache first, then each engine in order, falling back per sentence.

A ``SynthesisError`` is one sentence failing on one engine: the next engine reads
that sentence. ``EngineUnavailable`` means the engine cannot work here at all (no
network): it is not asked again during this run. Any other exception from an
engine (a library update that changed what we reach into, a bug) is one sentence
failing too: the next engine reads it, and the run goes on with one warning per
engine and kind of error (the build's fallback summary). Only KeyboardInterrupt/SystemExit (not ``Exception``s)
stop the chain. Every fallback is counted so the build can print one clear
warning instead of one per sentence.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from announcer.audio.pydub_compat import AudioSegment
from announcer.cache import SpeechCache
from announcer.engines.base import Engine
from announcer.errors import EngineUnavailable, SynthesisError
from announcer.i18n import _

log = logging.getLogger(__name__)


@dataclass
class Spoken:
    clip: AudioSegment
    engine: str
    voice: str
    cached: bool
    key: str
    """Cache key, to read the clip back without asking the chain again."""


@dataclass
class EngineChain:
    engines: list[Engine]
    cache: SpeechCache
    check_availability: bool = True
    dead: dict[str, str] = field(default_factory=dict)
    """Engines out for this run -> why."""
    fallbacks: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(engine, reason, engine that read them instead) -> sentences it could not read."""
    calls: int = 0
    """Engine synthesize() calls made (cache hits excluded)."""
    forms: Any = None
    """Each engine's own spoken forms (textnorm.engine_forms.EngineForms), applied just before it speaks."""
    _checked: bool = False
    _unexpected_reasons: dict[tuple[str, str], str] = field(default_factory=dict)

    def _check(self) -> None:
        if self._checked or not self.check_availability:
            return
        self._checked = True
        for engine in self.engines[:-1]:  # the last one is tried anyway: there is nothing after it
            try:
                state = engine.availability()
            except Exception as exc:  # noqa: BLE001 - a broken check must not stop the build
                self.dead[engine.name] = self._unexpected(engine.name, exc)
                continue
            if not state.ok:
                self.dead[engine.name] = state.reason

    def speak(self, text: str) -> Spoken:
        """The first engine in chain order that has the sentence cached or can read it.

        A later engine's cached clip is used only when the engines before it are out,
        so a sentence espeak read while offline is read by gTTS once it is back online.
        """
        failed: list[tuple[str, str]] = []
        hint: str | None = None
        for engine in self.engines:
            said = self.forms.apply(engine.name, text) if self.forms else text
            key = SpeechCache.key(engine.name, engine.fingerprint(), said)
            clip = self.cache.get(key)
            if clip is not None:
                self._count_fallbacks(failed, engine.name)
                return Spoken(clip, engine.name, engine.voice, cached=True, key=key)
            self._check()
            if engine.name in self.dead:
                failed.append((engine.name, self.dead[engine.name]))
                continue
            try:
                self.calls += 1
                clip = engine.synthesize(said)
            except EngineUnavailable as exc:
                self.dead[engine.name] = exc.message
                failed.append((engine.name, exc.message))
                hint = hint or exc.hint
                continue
            except SynthesisError as exc:
                failed.append((engine.name, exc.message))
                hint = hint or exc.hint
                continue
            except Exception as exc:  # noqa: BLE001 - any engine failure falls back (not KeyboardInterrupt)
                failed.append((engine.name, self._unexpected(engine.name, exc)))
                continue
            self.cache.put(key, clip)
            self._count_fallbacks(failed, engine.name)
            return Spoken(clip, engine.name, engine.voice, cached=False, key=key)
        if len(failed) == 1:  # one engine (--engine, or script `engine:`): no fallback to speak of
            name, reason = failed[0]
            raise SynthesisError(_("{engine} could not read {text!r}: {reason}", engine=name, text=text[:60],
                                   reason=reason),
                                 hint=hint or _("check the text in `announcer preview`, or try --engine espeak"))
        reasons = ""
        for name, reason in failed:
            one = _("{engine}: {reason}", engine=name, reason=reason)
            reasons = _("{first}; {then}", first=reasons, then=one) if reasons else one
        raise SynthesisError(
            _("no engine could read {text!r} ({reasons})", text=text[:60], reasons=reasons),
            hint=_("check the text in `announcer preview`, or try --engine espeak"),
        )

    def _unexpected(self, name: str, exc: Exception) -> str:
        """The fallback reason for an exception the engine did not mean to raise.

        The first message of each kind is kept, so all the sentences it hits add up to one
        line of the build's fallback warning; the traceback goes to the --debug log.
        """
        kind = (name, type(exc).__name__)
        if kind not in self._unexpected_reasons:
            detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
            self._unexpected_reasons[kind] = (f"internal error {type(exc).__name__}"
                                              + (f": {detail}" if detail else "") + "; a changed library version?")
            log.debug("%s raised %s", name, type(exc).__name__, exc_info=exc)
        return self._unexpected_reasons[kind]

    def clip_again(self, key: str, text: str) -> AudioSegment:
        """The clip of an already spoken sentence: from the cache, or spoken again if the
        cache could not keep it (an unwritable .cache only costs time)."""
        clip = self.cache.get(key)
        if clip is None:
            clip = self.speak(text).clip
        return clip

    def _count_fallbacks(self, failed: list[tuple[str, str]], reader: str) -> None:
        # Counted only when someone read the sentence: otherwise the error says it all.
        for name, reason in failed:
            self.fallbacks[(name, reason, reader)] += 1

    def fallback_summary(self, since: Counter[tuple[str, str, str]] | None = None) -> list[str]:
        """One line per (engine, reason) that made another engine take over, counting
        only what happened after the ``since`` snapshot of ``fallbacks``."""
        return describe_fallbacks(self.fallbacks - since if since is not None else self.fallbacks)


def describe_fallbacks(fallbacks: Counter[tuple[str, str, str]]) -> list[str]:
    """Lines a radio operator understands, e.g. "gtts could not read 3 sentences (no internet
    connection: ...); espeak read them instead"."""
    return [
        _("{engine} could not read 1 sentence ({reason}); {reader} read it instead", engine=engine, reason=reason,
          reader=reader) if count == 1 else
        _("{engine} could not read {count} sentences ({reason}); {reader} read them instead", engine=engine,
          count=count, reason=reason, reader=reader)
        for (engine, reason, reader), count in fallbacks.items()
    ]
