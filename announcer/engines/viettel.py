"""Viettel AI text-to-speech: Northern, Central and Southern voices, with a key (token).

One JSON POST per piece: ``text``, ``voice``, ``speed`` (0.7-1.3, 1 normal),
``tts_return_option`` (3 = MP3) and ``token``; the answer is the audio itself, or JSON
saying what went wrong. The token travels in the body, so no error message, log line or
file of ours repeats a body or a service message without scrubbing it (``cloud.scrub``).

Viettel does not publish a per-request limit we could find; we keep each request under
``MAX_CHARS`` characters, cut at sentence and clause boundaries (``textsplit``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from announcer.config import Station, ViettelOptions
from announcer.engines.cloud import CloudEngine, Probe, excerpt
from announcer.errors import ConfigError, SynthesisError
from announcer.i18n import _
from announcer.secrets import Key, read_key
from announcer.voices import VoiceInfo

ENGINE_REVISION = 1
URL = "https://viettelai.vn/tts/speech_synthesis"
MAX_CHARS = 500
SPEED_RANGE = (0.7, 1.3)
RETURN_MP3 = 3

CATALOG = (
    VoiceInfo("hn-quynhanh", "bac", "nu", "Quỳnh Anh"),
    VoiceInfo("hn-thanhtung", "bac", "nam", "Thanh Tùng"),
    VoiceInfo("hn-phuongtrang", "bac", "nu", "Phương Trang"),
    VoiceInfo("hn-namkhanh", "bac", "nam", "Nam Khánh"),
    VoiceInfo("hue-maingoc", "trung", "nu", "Mai Ngọc"),
    VoiceInfo("hue-baoquoc", "trung", "nam", "Bảo Quốc"),
    VoiceInfo("hcm-diemmy", "nam", "nu", "Diễm My"),
    VoiceInfo("hcm-minhquan", "nam", "nam", "Minh Quân"),
    VoiceInfo("hcm-phuongly", "nam", "nu", "Phương Ly"),
)


class ViettelEngine(CloudEngine):
    """Viettel AI's cloud voices: natural, every region, needs a key and the internet."""

    name = "viettel"
    service = "Viettel AI"
    host = "viettelai.vn"
    env_name = "VIETTEL_TTS_KEY"
    secrets_table = "viettel"
    needs = "key (VIETTEL_TTS_KEY), internet"
    max_chars = MAX_CHARS
    voices = tuple(v.name for v in CATALOG)
    catalog = CATALOG

    def __init__(self, key: Key | None, options: ViettelOptions | None = None, voice: str | None = None,
                 speed: float = 1.0, *, key_problem: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 probe: Probe | None = None, backoff_base: float = 1.0) -> None:
        options = options or ViettelOptions()
        super().__init__(key, key_problem, timeout=options.timeout, retries=options.retries, sleep=sleep,
                         clock=clock, probe=probe, backoff_base=backoff_base)
        self._voice = self._choose_voice(voice)
        self.speed_factor = speed
        self.speed = round(min(max(speed, SPEED_RANGE[0]), SPEED_RANGE[1]), 2)

    @classmethod
    def from_station(cls, station: Station, voice: str | None = None, speed: float = 1.0) -> ViettelEngine:
        try:
            key, problem = read_key(station.root, "viettel", cls.env_name), None
        except ConfigError as exc:
            key, problem = None, str(exc)
        return cls(key, station.viettel, voice, speed, key_problem=problem)

    @property
    def voice(self) -> str:
        return self._voice

    def fingerprint(self) -> str:
        # Never the key: the cache key must not depend on (or reveal) it.
        return f"viettel/r{ENGINE_REVISION}|voice={self._voice}|speed={self.speed:g}"

    def _speak_piece(self, piece: str) -> bytes:
        body = {"text": piece, "voice": self._voice, "speed": self.speed, "tts_return_option": RETURN_MP3,
                "token": self.key, "without_filter": False}
        response = self._send("POST", URL, json=body, headers={"Accept": "*/*"})
        if response.status_code != 200:
            raise self._http_error(response, piece)
        if "json" in response.headers.get("Content-Type", ""):
            raise self._http_error(response, piece)  # an error said in a 200, e.g. a bad token
        if not response.content:
            raise SynthesisError(_("{who} answered with no audio for {text}", who="Viettel AI", text=excerpt(piece)))
        return response.content
