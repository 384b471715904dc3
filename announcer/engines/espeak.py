"""Offline Vietnamese speech with espeak-ng, called in-process through ctypes.

The shared library and its data come from the ``espeakng-loader`` wheel, so there
is nothing to install system-wide and no subprocess per sentence. The C library
keeps global state (one voice, one callback), so this module keeps one lazily
initialized handle and serializes every call to it with a lock.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
import threading
from typing import Any

from announcer.audio.pydub_compat import AudioSegment
from announcer.config import EspeakOptions, Station
from announcer.engines.base import Availability, Engine, excerpt
from announcer.errors import EngineError, EngineUnavailable, SynthesisError
from announcer.i18n import _
from announcer.voices import VoiceInfo

log = logging.getLogger(__name__)

# Bump when a change here alters the audio for the same text and options (part of the cache key).
ENGINE_REVISION = 1

# Our voice names -> espeak-ng voice names (espeak-ng-data/lang/aav/...).
VOICE_NAMES: dict[str, str] = {
    "vi": "vi",
    "vi-vn-x-central": "vi-VN-x-central",
    "vi-vn-x-south": "vi-VN-x-south",
}
RATE_RANGE = (80, 450)
PITCH_RANGE = (0, 99)

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EE_OK = 0
_BUFFER_MS = 500  # size of the blocks handed to the callback; larger = fewer Python calls

# int callback(short *wav, int numsamples, espeak_EVENT *events)
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

_lock = threading.Lock()
_library: _EspeakLibrary | None = None
_library_error: EngineUnavailable | None = None


class _EspeakLibrary:
    """The process-wide libespeak-ng handle. Use only while holding ``_lock``."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EngineUnavailable(
                _("espeak-ng is not installed (the espeakng-loader package is missing)"),
                hint="pip install espeakng-loader",
            ) from exc
        lib_path = espeakng_loader.get_library_path()
        try:
            data_path = espeakng_loader.get_data_path()
        except RuntimeError as exc:
            raise EngineUnavailable(
                _("espeak-ng voice data is missing ({problem})", problem=exc),
                hint="pip install --force-reinstall espeakng-loader",
            ) from exc
        try:
            lib = ctypes.CDLL(lib_path)
        except OSError as exc:
            raise EngineUnavailable(
                _("the espeak-ng library could not be loaded from {path} ({problem})", path=lib_path, problem=exc),
                hint="pip install --force-reinstall espeakng-loader",
            ) from exc
        _declare(lib)
        self._lib = lib
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, _c_path(data_path),
                                     _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise EngineUnavailable(
                _("espeak-ng could not start with the voice data in {path}", path=data_path),
                hint="pip install --force-reinstall espeakng-loader",
            )
        self.sample_rate: int = rate
        self.version: str = (lib.espeak_Info(None) or b"?").decode("ascii", "replace")
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._collect)  # keep a reference: C holds only the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None
        log.debug("espeak-ng %s ready (%d Hz, data %s)", self.version, rate, data_path)

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        # Never let an exception escape into C; an abort (1) ends the synthesis early instead.
        try:
            if wav and count > 0:
                self._chunks.append(ctypes.string_at(wav, count * 2))
            return 0
        except Exception:  # noqa: BLE001
            log.exception("espeak-ng callback failed")
            return 1

    def synthesize(self, text: str, voice: str, rate: int, pitch: int) -> bytes:
        lib = self._lib
        if voice != self._voice:
            if lib.espeak_SetVoiceByName(voice.encode("ascii")) != _EE_OK:
                self._voice = None
                raise EngineUnavailable(_("espeak-ng has no voice {voice!r} in its data", voice=voice),
                                        hint="pip install --force-reinstall espeakng-loader")
            self._voice = voice
        lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        data = text.encode("utf-8") + b"\0"
        self._chunks = []
        try:
            status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            pcm = b"".join(self._chunks)
        finally:
            self._chunks = []
        if status != _EE_OK:
            raise SynthesisError(_("espeak-ng failed on {text} (error {status})", text=excerpt(text), status=status))
        return pcm


def _declare(lib: ctypes.CDLL) -> None:
    c = ctypes
    lib.espeak_Initialize.argtypes = [c.c_int, c.c_int, c.c_char_p, c.c_int]
    lib.espeak_Initialize.restype = c.c_int
    lib.espeak_Info.argtypes = [c.c_void_p]
    lib.espeak_Info.restype = c.c_char_p
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [c.c_char_p]
    lib.espeak_SetVoiceByName.restype = c.c_int
    lib.espeak_SetParameter.argtypes = [c.c_int, c.c_int, c.c_int]
    lib.espeak_SetParameter.restype = c.c_int
    lib.espeak_Synth.argtypes = [c.c_char_p, c.c_size_t, c.c_uint, c.c_int, c.c_uint, c.c_uint,
                                 c.c_void_p, c.c_void_p]
    lib.espeak_Synth.restype = c.c_int


def _c_path(path: str) -> bytes:
    """A path as the C library's fopen() wants it (the ANSI code page on Windows)."""
    if sys.platform != "win32":
        return os.fsencode(path)
    try:
        return path.encode("mbcs", "strict")
    except UnicodeEncodeError:
        # e.g. a user folder named in Vietnamese: fall back to the 8.3 short name, which is ASCII.
        buffer = ctypes.create_unicode_buffer(32768)
        kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009 - windll exists only on Windows
        if kernel32.GetShortPathNameW(path, buffer, len(buffer)):
            return buffer.value.encode("mbcs", "replace")
        return path.encode("mbcs", "replace")


def _get_library() -> _EspeakLibrary:
    """The initialized library; call with ``_lock`` held. A failure is remembered for the process."""
    global _library, _library_error
    if _library is None:
        if _library_error is not None:
            raise _library_error
        try:
            _library = _EspeakLibrary()
        except EngineUnavailable as exc:
            _library_error = exc
            raise
    return _library



@functools.cache
def _loader_version() -> str:
    """espeakng-loader's version (it ships the library and the voices), as its dist-info folder
    beside the package names it: importlib.metadata would cost every build ~40 ms to import."""
    try:
        import espeakng_loader

        site = os.path.dirname(os.path.dirname(os.path.abspath(espeakng_loader.__file__ or "")))
        found = [name for name in os.listdir(site)
                 if name.startswith("espeakng_loader-") and name.endswith(".dist-info")]
        if len(found) == 1:
            return found[0][len("espeakng_loader-"):-len(".dist-info")]
    except (ImportError, OSError):
        pass
    from importlib import metadata

    try:
        return metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        return "unknown"


class EspeakEngine(Engine):
    """espeak-ng through ctypes: offline, robotic, about a thousand times faster than real time."""

    name = "espeak"
    online = False
    voices = tuple(VOICE_NAMES)
    catalog = (VoiceInfo("vi", "bac", None, "espeak Bắc"), VoiceInfo("vi-vn-x-central", "trung", None, "espeak Trung"),
               VoiceInfo("vi-vn-x-south", "nam", None, "espeak Nam"))

    def __init__(self, options: EspeakOptions | None = None, voice: str | None = None) -> None:
        options = options or EspeakOptions()
        chosen = (voice or options.voice or "vi").strip().lower()
        if chosen not in VOICE_NAMES:
            raise EngineError(
                _("{engine} has no voice {voice!r}", engine="espeak", voice=voice or options.voice),
                hint=_("choose one of: {names}", names=", ".join(VOICE_NAMES)),
            )
        if not RATE_RANGE[0] <= options.rate <= RATE_RANGE[1]:
            raise EngineError(_("espeak rate {rate} is out of range", rate=options.rate),
                              hint=_("use {low} to {high} words per minute", low=RATE_RANGE[0], high=RATE_RANGE[1]))
        if not PITCH_RANGE[0] <= options.pitch <= PITCH_RANGE[1]:
            raise EngineError(_("espeak pitch {pitch} is out of range", pitch=options.pitch),
                              hint=_("use {low} to {high}", low=PITCH_RANGE[0], high=PITCH_RANGE[1]))
        self._voice = chosen
        self.rate = options.rate
        self.pitch = options.pitch

    @classmethod
    def from_station(cls, station: Station, voice: str | None = None) -> EspeakEngine:
        return cls(station.espeak, voice)

    @property
    def voice(self) -> str:
        return self._voice

    def availability(self) -> Availability:
        try:
            with _lock:
                library = _get_library()
        except EngineUnavailable as exc:
            return Availability(False, exc.message)
        return Availability(True, _("espeak-ng {version}, offline", version=library.version))

    def fingerprint(self) -> str:
        return (f"espeak-ng/{_loader_version()}/r{ENGINE_REVISION}"
                f"|voice={self._voice}|rate={self.rate}|pitch={self.pitch}")

    def synthesize(self, text: str) -> AudioSegment:
        clean = text.replace("\0", " ").strip()
        if not clean:
            raise SynthesisError(_("nothing to say: the text is empty"))
        with _lock:
            library = _get_library()
            pcm = library.synthesize(clean, VOICE_NAMES[self._voice], self.rate, self.pitch)
            sample_rate = library.sample_rate
        if not pcm:
            raise SynthesisError(_("{engine} produced no audio for {text}", engine="espeak-ng", text=excerpt(clean)))
        return AudioSegment(data=pcm, sample_width=2, frame_rate=sample_rate, channels=1)
