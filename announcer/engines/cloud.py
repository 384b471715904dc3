"""What the paid Vietnamese cloud voices (FPT.AI, Viettel AI) share: the key, HTTPS with
certificate checking, retries with backoff, the mapping of HTTP answers to the chain's
errors, decoding, and refusing a clip that cannot be what was asked for.

Errors: a refused key or a used-up quota is ``EngineUnavailable`` (no other sentence
would work either: the chain stops asking for this run); a rate limit or a server error
that outlasts the retries, an empty, too short or silent clip is ``SynthesisError``
(this sentence falls back). Messages never hold the key: every text that came from the
service passes through ``scrub`` first.
"""

from __future__ import annotations

import io
import json
import logging
import time
import wave
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

from announcer.audio.pydub_compat import AudioSegment
from announcer.engines.base import Availability, Engine, excerpt
from announcer.errors import EngineError, EngineUnavailable, RenderError, SynthesisError
from announcer.i18n import _
from announcer.secrets import Key

if TYPE_CHECKING:  # requests is imported when a request is made: `announcer engines` stays light
    import requests

log = logging.getLogger(__name__)

DECODE_RATE = 22050
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0
PROBE_TIMEOUT = 1.5
MIN_SECONDS_PER_SYLLABLE = 0.07
"""Fastest plausible reading (about 14 syllables a second at speed 1): anything shorter
is a truncated or wrong answer."""
SILENCE_DBFS = -55.0

Probe = Callable[[str, int, float], str]


def scrub(text: str, key: str | None) -> str:
    """``text`` with the key (if it appears at all) blanked out, cut to a readable length."""
    text = " ".join(str(text).split())
    if key:
        text = text.replace(key, "***")
    return text[:160]



def status_text(response: requests.Response) -> str:
    reason = response.reason
    if not reason:
        try:
            reason = HTTPStatus(response.status_code).phrase
        except ValueError:
            reason = ""
    return f"HTTP {response.status_code} {reason}".strip()


def decode_audio(data: bytes, who: str, piece: str) -> AudioSegment:
    """A WAV or MP3 answer as 16-bit mono; SynthesisError when it is neither."""
    if data[:4] == b"RIFF":
        try:
            with wave.open(io.BytesIO(data), "rb") as src:
                frames = src.readframes(src.getnframes())
                clip = AudioSegment(data=frames, sample_width=src.getsampwidth(), frame_rate=src.getframerate(),
                                    channels=src.getnchannels())
        except (wave.Error, EOFError, ValueError) as exc:
            raise SynthesisError(_("{who} sent a broken WAV for {text} ({problem})", who=who, text=excerpt(piece),
                                   problem=exc)) from exc
        return clip.set_channels(1).set_sample_width(2)
    from announcer.audio.ffmpeg import decode_mp3_bytes, ffmpeg_exe

    try:
        ffmpeg_exe()
    except RenderError as exc:
        raise EngineUnavailable(_("cannot decode {who}'s audio: {problem}", who=who, problem=exc.message),
                                hint=exc.hint) from exc
    try:
        pcm = decode_mp3_bytes(data, DECODE_RATE, f"decoding {who}'s audio for {excerpt(piece)}")
    except (RenderError, OSError) as exc:
        raise SynthesisError(_("{who}'s audio for {text} could not be decoded", who=who, text=excerpt(piece))) from exc
    return AudioSegment(data=pcm, sample_width=2, frame_rate=DECODE_RATE, channels=1)


def syllables(text: str) -> int:
    """Vietnamese is written a syllable a word: the words are the syllables."""
    return sum(1 for word in text.split() if any(c.isalnum() for c in word))


def refuse_bad_clip(clip: AudioSegment, piece: str, speed: float, who: str) -> None:
    """SynthesisError when ``clip`` is empty, too short for ``piece`` or silent: never aired."""
    seconds = len(clip) / 1000.0
    if seconds <= 0:
        raise SynthesisError(_("{who} answered with no audio for {text}", who=who, text=excerpt(piece)))
    shortest = syllables(piece) * MIN_SECONDS_PER_SYLLABLE / max(speed, 0.5)
    if seconds < shortest:
        raise SynthesisError(_("{who} answered with {seconds} s of audio for {count} syllables ({text}): too short "
                               "to be the text, not aired", who=who, seconds=f"{seconds:.2f}", count=syllables(piece),
                               text=excerpt(piece)))
    if clip.max_dBFS < SILENCE_DBFS:
        raise SynthesisError(_("{who} answered with silence for {text}: not aired", who=who, text=excerpt(piece)))


class CloudEngine(Engine):
    """An HTTPS text-to-speech service with a key. Subclasses send one piece in ``_speak_piece``."""

    online = True
    service = ""
    """Human name of the service, for messages."""
    host = ""
    env_name = ""
    secrets_table = ""
    max_chars = 1000

    def __init__(self, key: Key | None, key_problem: str | None, *, timeout: float, retries: int,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 probe: Probe | None = None, backoff_base: float = BACKOFF_BASE) -> None:
        self._key = key
        self._key_problem = key_problem
        self.timeout = float(timeout)
        self.retries = int(retries)
        self._sleep = sleep
        self._clock = clock
        self._probe = probe
        self._backoff_base = backoff_base
        self._session: requests.Session | None = None
        self._dead: EngineUnavailable | None = None
        self.requests_made = 0

    # --- availability ---------------------------------------------------------------------------------

    def _choose_voice(self, voice: str | None) -> str:
        """One of this engine's voices (the first when none is asked for), or EngineError."""
        chosen = (voice or self.voices[0]).strip().lower()
        if chosen not in self.voices:
            raise EngineError(_("{engine} has no voice {voice!r}", engine=self.name, voice=voice),
                              hint=_("choose one of: {names}", names=", ".join(self.voices)))
        return chosen

    def _no_key(self) -> EngineUnavailable | None:
        if self._key_problem:
            return EngineUnavailable(_("{service}: {problem}", service=self.service, problem=self._key_problem),
                                     hint=_("fix secrets.toml"))
        if self._key is None:
            return EngineUnavailable(
                _('{service} needs a key: set {env} or write [{table}] key = "..." in the station\'s secrets.toml',
                  service=self.service, env=self.env_name, table=self.secrets_table),
                hint=_("get a key from {service}'s console; other engines read meanwhile", service=self.service))
        return None

    def availability(self) -> Availability:
        problem = self._dead or self._no_key()
        if problem is not None:
            return Availability(False, problem.message)
        from announcer.engines.gtts_engine import probe_tcp

        why = (self._probe or probe_tcp)(self.host, 443, PROBE_TIMEOUT)
        if why:
            return Availability(False, _("no internet connection: {why}", why=why))
        return Availability(True, _("{host} reachable, key from {source}", host=self.host,
                                    source=self._key.source))  # type: ignore[union-attr]

    # --- synthesis ------------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        return self._key.value if self._key is not None else ""

    def synthesize(self, text: str) -> AudioSegment:
        if self._dead is not None:
            raise EngineUnavailable(self._dead.message, hint=self._dead.hint)
        missing = self._no_key()
        if missing is not None:
            self._dead = missing
            raise missing
        from announcer.engines.textsplit import split_text

        pieces = split_text(text, self.max_chars)
        if not pieces:
            raise SynthesisError(_("nothing to say: the text is empty"))
        audio = AudioSegment.empty()
        for piece in pieces:
            clip = decode_audio(self._speak_piece(piece), self.service, piece).set_channels(1).set_sample_width(2)
            refuse_bad_clip(clip, piece, self.speed_factor, self.service)
            audio += clip if not len(audio) or clip.frame_rate == audio.frame_rate else clip.set_frame_rate(
                audio.frame_rate)
        return audio

    speed_factor: float = 1.0

    def _speak_piece(self, piece: str) -> bytes:
        raise NotImplementedError

    # --- HTTP -----------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, retry: bool = True, **kwargs: object) -> requests.Response:
        """One request with certificate checking and our timeout; 429/5xx retried with backoff.

        Returns the response of the last attempt (the caller maps its status)."""
        if not url.startswith("https://"):
            raise SynthesisError(_("{service} gave a link that is not HTTPS; not followed", service=self.service))
        import requests

        if self._session is None:
            self._session = requests.Session()
        attempt = 0
        while True:
            settings = self._session.merge_environment_settings(url, {}, None, True, None)
            verify = settings["verify"] if settings["verify"] not in (False, None, "") else True
            self.requests_made += 1
            try:
                response = self._session.request(method, url, timeout=self.timeout, verify=verify,
                                                 proxies=settings["proxies"], allow_redirects=True,
                                                 **kwargs)  # type: ignore[arg-type]
            except requests.exceptions.SSLError as exc:
                raise self._died(_("{service} at {host} could not be reached securely (certificate not trusted)",
                                   service=self.service, host=self.host),
                                 _("if this network uses a proxy with its own certificate, set REQUESTS_CA_BUNDLE "
                                   "to that CA file")) from exc
            except requests.Timeout as exc:
                raise self._died(_("no internet connection: {host} did not answer within {seconds} s", host=self.host,
                                   seconds=f"{self.timeout:g}"), _("check the internet connection")) from exc
            except requests.RequestException as exc:
                raise self._died(_("no internet connection: {host} could not be reached", host=self.host),
                                 _("check the internet connection")) from exc
            status = response.status_code
            if retry and (status == 429 or status >= 500) and attempt < self.retries:
                delay = min(self._backoff_base * 2**attempt, BACKOFF_MAX)
                after = str(response.headers.get("Retry-After") or "").strip()
                if after.isdigit():
                    delay = max(delay, min(float(after), BACKOFF_MAX))
                log.info("%s: %s; retry %d of %d in %.1f s", self.service, status_text(response), attempt + 1,
                         self.retries, delay)
                self._sleep(delay)
                attempt += 1
                continue
            return response

    def _died(self, message: str, hint: str) -> EngineUnavailable:
        scrubbed = scrub(message, self.key)  # a message that held the key is kept only scrubbed, untranslated
        self._dead = EngineUnavailable(message if scrubbed == message else scrubbed, hint=hint)
        return self._dead

    def _service_message(self, response: requests.Response) -> str:
        """The service's own words about an error, key scrubbed (never the raw body when it is audio)."""
        kind = response.headers.get("Content-Type", "")
        if "json" not in kind and "text" not in kind:
            return ""
        try:
            data = response.json()
        except ValueError:
            return scrub(response.text, self.key)
        if isinstance(data, dict):
            for field in ("en_message", "message", "msg", "vi_message", "error_message", "detail", "error"):
                value = data.get(field)
                if isinstance(value, str) and value.strip():
                    return scrub(value, self.key)
        return scrub(json.dumps(data, ensure_ascii=False), self.key)

    def _http_error(self, response: requests.Response, piece: str) -> Exception:
        """The chain's error for a failed answer (after retries)."""
        status = response.status_code
        said = self._service_message(response)
        detail = f"{status_text(response)}" + (f": {said}" if said else "")
        lowered = said.lower()
        if status in (401, 403) or any(w in lowered for w in ("invalid token", "invalid key", "invalid api",
                                                               "unauthori")):
            return self._died(_("{service} refused the key from {source} ({detail})", service=self.service,
                                source=self._key.source if self._key else "?", detail=detail),
                              _("check {env} or [{table}] in secrets.toml; other engines read meanwhile",
                                env=self.env_name, table=self.secrets_table))
        if status == 402 or any(w in lowered for w in ("quota", "balance", "credit")):
            return self._died(_("{service}: the account's quota is used up ({detail})", service=self.service,
                                detail=detail),
                              _("top up the {service} account; other engines read meanwhile",
                                service=self.service))
        if status == 429:
            return SynthesisError(_("{service} is rate-limiting this station ({detail}) for {text}",
                                    service=self.service, detail=detail, text=excerpt(piece)),
                                  hint=_("raise [{table}] retries, or build again later", table=self.secrets_table))
        if status >= 500:
            return SynthesisError(_("{service} server error ({detail}) for {text}", service=self.service, detail=detail,
                                    text=excerpt(piece)), hint=_("try again later"))
        return SynthesisError(_("{service} rejected {text} ({detail})", service=self.service, text=excerpt(piece),
                                detail=detail))
