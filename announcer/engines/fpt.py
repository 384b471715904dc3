"""FPT.AI text-to-speech (v5): Northern, Central and Southern voices, with a key.

The service is asynchronous. A POST of the text (raw UTF-8 body; key, voice and speed in
headers) answers at once with JSON holding an ``async`` link; the MP3 appears at that
link some seconds later (until then the file host answers 404). We look at the link
every ``poll_interval`` seconds until ``poll_deadline``; a link still empty then is a
``SynthesisError`` (the sentence falls back). The key goes to api.fpt.ai only, never to
the file host.

A request holds 3 to 5,000 characters (FPT.AI's documented limits); longer sentences are
cut at sentence and clause boundaries (``textsplit``), shorter ones get a closing period.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from announcer.config import FptOptions, Station
from announcer.engines.cloud import CloudEngine, Probe, excerpt, status_text
from announcer.errors import ConfigError, SynthesisError
from announcer.i18n import _
from announcer.secrets import Key, read_key
from announcer.voices import VoiceInfo

log = logging.getLogger(__name__)

ENGINE_REVISION = 1
URL = "https://api.fpt.ai/hmi/tts/v5"
MAX_CHARS = 5000
MIN_CHARS = 3
NOT_READY = (403, 404)
"""What the file host answers while the MP3 is not written yet."""

CATALOG = (
    VoiceInfo("banmai", "bac", "nu", "Ban Mai"),
    VoiceInfo("leminh", "bac", "nam", "Lê Minh"),
    VoiceInfo("thuminh", "bac", "nu", "Thu Minh"),
    VoiceInfo("myan", "trung", "nu", "Mỹ An"),
    VoiceInfo("giahuy", "trung", "nam", "Gia Huy"),
    VoiceInfo("ngoclam", "trung", "nu", "Ngọc Lam"),
    VoiceInfo("lannhi", "nam", "nu", "Lan Nhi"),
    VoiceInfo("linhsan", "nam", "nu", "Linh San"),
    VoiceInfo("minhquang", "nam", "nam", "Minh Quang"),
    VoiceInfo("lianhnguyen", "nam", "nu", "Lê Anh Nguyên"),
)


def speed_header(factor: float) -> int:
    """Our speed factor as FPT.AI's -3..+3 (0 normal; a step is about a tenth)."""
    return max(-3, min(3, round((factor - 1.0) * 10)))


class FptEngine(CloudEngine):
    """FPT.AI's cloud voices: natural, every region, needs a key and the internet."""

    name = "fpt"
    service = "FPT.AI"
    host = "api.fpt.ai"
    env_name = "FPT_TTS_KEY"
    secrets_table = "fpt"
    needs = "key (FPT_TTS_KEY), internet"
    max_chars = MAX_CHARS
    voices = tuple(v.name for v in CATALOG)
    catalog = CATALOG

    def __init__(self, key: Key | None, options: FptOptions | None = None, voice: str | None = None,
                 speed: float = 1.0, *, key_problem: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 probe: Probe | None = None, backoff_base: float = 1.0) -> None:
        options = options or FptOptions()
        super().__init__(key, key_problem, timeout=options.timeout, retries=options.retries, sleep=sleep,
                         clock=clock, probe=probe, backoff_base=backoff_base)
        self._voice = self._choose_voice(voice)
        self.speed_factor = speed
        self.speed = speed_header(speed)
        self.poll_deadline = float(options.poll_deadline)
        self.poll_interval = float(options.poll_interval)

    @classmethod
    def from_station(cls, station: Station, voice: str | None = None, speed: float = 1.0) -> FptEngine:
        try:
            key, problem = read_key(station.root, "fpt", cls.env_name), None
        except ConfigError as exc:
            key, problem = None, str(exc)
        return cls(key, station.fpt, voice, speed, key_problem=problem)

    @property
    def voice(self) -> str:
        return self._voice

    def fingerprint(self) -> str:
        # Never the key: the cache key must not depend on (or reveal) it.
        return f"fpt/v5/r{ENGINE_REVISION}|voice={self._voice}|speed={self.speed}"

    def _speak_piece(self, piece: str) -> bytes:
        body = piece if len(piece) >= MIN_CHARS else piece + "." * (MIN_CHARS - len(piece))
        headers = {"api-key": self.key, "voice": self._voice, "speed": str(self.speed), "format": "mp3",
                   "Content-Type": "text/plain; charset=utf-8"}
        response = self._send("POST", URL, data=body.encode("utf-8"), headers=headers)
        if response.status_code != 200:
            raise self._http_error(response, piece)
        try:
            answer = response.json()
        except ValueError:
            raise SynthesisError(_("{service} answered without JSON for {text} ({detail})", service="FPT.AI",
                                   text=excerpt(piece), detail=status_text(response))) from None
        if not isinstance(answer, dict):
            raise SynthesisError(_("{service} answered with unexpected JSON for {text}", service="FPT.AI",
                                   text=excerpt(piece)))
        if answer.get("error") not in (0, "0", None):
            raise self._http_error(response, piece)
        link = answer.get("async")
        if not isinstance(link, str) or not link:
            raise SynthesisError(_("{service} answered without an audio link for {text}", service="FPT.AI",
                                   text=excerpt(piece)))
        return self._wait_for(link, piece)

    def _wait_for(self, link: str, piece: str) -> bytes:
        """The MP3 at ``link`` once it is ready, looking every poll_interval until poll_deadline."""
        deadline = self._clock() + self.poll_deadline
        looks = 0
        while True:
            looks += 1
            response = self._send("GET", link, retry=False)  # no key: the file host needs none
            if response.status_code == 200 and response.content:
                log.debug("fpt: audio ready after %d look(s)", looks)
                return response.content
            if response.status_code not in NOT_READY and response.status_code != 200 and \
                    response.status_code < 500:
                raise SynthesisError(_("{service}'s audio link answered {detail} for {text}", service="FPT.AI",
                                       detail=status_text(response), text=excerpt(piece)))
            if self._clock() + self.poll_interval > deadline:
                raise SynthesisError(
                    _("{service}'s audio for {text} was not ready within {seconds} s ({looks} looks)",
                      service="FPT.AI", text=excerpt(piece), seconds=f"{self.poll_deadline:g}", looks=looks),
                    hint=_("raise [fpt] poll_deadline, or try again later"))
            self._sleep(self.poll_interval)

