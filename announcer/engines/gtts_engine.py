"""Online Vietnamese speech from Google Translate, through gTTS.

We split the text ourselves (see ``textsplit``) so every request carries one
natural phrase of at most 100 characters; gTTS's own tokenizer would cut URLs,
"Lưu: VT" and phrases in the middle. Each request has a timeout, 429/5xx answers
are retried with exponential backoff, and requests are paced.

gTTS builds the requests (``gTTS._prepare_requests``), but we send them ourselves,
with TLS certificate verification on: gTTS 2.5 sends with ``verify=False`` and
silences urllib3's warning about it, which would let anyone on the network path
substitute the audio that goes out over the loudspeakers. Proxies and a custom CA
bundle (``REQUESTS_CA_BUNDLE``) come from the environment, as for any requests user.

A connection failure or timeout means the machine is offline: ``EngineUnavailable``,
and this engine instance refuses further work for the run without trying again.
So does a failed TLS handshake (certificate not trusted). A bad answer for one
piece (after retries) is a ``SynthesisError``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from announcer.audio.pydub_compat import AudioSegment
from announcer.config import GttsOptions, Station
from announcer.engines.base import Availability, Engine, excerpt
from announcer.engines.cloud import status_text
from announcer.engines.textsplit import split_text
from announcer.errors import EngineError, EngineUnavailable, RenderError, SynthesisError
from announcer.i18n import _
from announcer.voices import VoiceInfo

if TYPE_CHECKING:  # requests and gtts load only when Google is asked (0.15 s of start-up otherwise)
    import requests

log = logging.getLogger(__name__)

# Bump when a change here alters the audio for the same text and options (part of the cache key).
ENGINE_REVISION = 1
LANG = "vi"
MAX_CHARS = 100
GTTS_RATE = 24000
"""Google's voice is 24 kHz mono; decoded at that rate (so nothing is resampled)."""
PROBE_TIMEOUT = 1.5
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0
OFFLINE_HINT = _('check the internet connection, or put only "espeak" in engines')
TLS_HINT = _("something on the network may be intercepting secure connections; if this network uses a proxy "
             "with its own certificate, set REQUESTS_CA_BUNDLE to that CA file (espeak is used meanwhile)")

_TLD = re.compile(r"^[a-z]{2,}(\.[a-z]{2,})*$")


class GttsEngine(Engine):
    """Google Translate's Vietnamese voice: natural, needs the internet, rate-limited."""

    name = "gtts"
    online = True
    voices = (LANG,)
    catalog = (VoiceInfo(LANG, None, "nu", "Google"),)

    def __init__(
        self,
        options: GttsOptions | None = None,
        voice: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = BACKOFF_BASE,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        options = options or GttsOptions()
        chosen = (voice or LANG).strip().lower()
        if chosen not in self.voices:
            raise EngineError(_("{engine} has no voice {voice!r}", engine="gtts", voice=voice),
                              hint=_("choose one of: {names}", names=", ".join(self.voices)))
        tld = options.tld.strip().lower().lstrip(".")
        if not _TLD.match(tld):
            raise EngineError(_("gtts tld {tld!r} is not a domain suffix", tld=options.tld),
                              hint=_('write it like "com.vn" or "com"'))
        if options.timeout <= 0:
            raise EngineError(_("gtts timeout must be more than 0 seconds"), hint=_("e.g. timeout = 10"))
        if options.retries < 0 or options.pace < 0:
            raise EngineError(_("gtts retries and pace cannot be negative"))
        self.tld = tld
        self.timeout = float(options.timeout)
        self.retries = int(options.retries)
        self.pace = float(options.pace)
        self.slow = bool(options.slow)
        self._sleep = sleep
        self._clock = clock
        self._backoff_base = backoff_base
        self._probe_timeout = probe_timeout
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._last_request: float | None = None
        self._dead: EngineUnavailable | None = None

    @classmethod
    def from_station(cls, station: Station, voice: str | None = None) -> GttsEngine:
        return cls(station.gtts, voice)

    @property
    def voice(self) -> str:
        return LANG

    @property
    def host(self) -> str:
        return f"translate.google.{self.tld}"

    def fingerprint(self) -> str:
        return f"gtts/r{ENGINE_REVISION}|lang={LANG}|tld={self.tld}|slow={int(self.slow)}"

    # --- availability ---------------------------------------------------------------------------------

    def availability(self) -> Availability:
        if self._dead is not None:
            return Availability(False, self._dead.message)
        target, port = self.host, 443
        proxy = _https_proxy()
        if proxy is not None:  # gTTS goes through the proxy, so that is what must answer
            target, port = proxy
        problem = probe_tcp(target, port, self._probe_timeout)
        if problem:
            return Availability(False, _("no internet connection: {why}", why=problem))
        if proxy is not None:
            return Availability(True, _("{host} reachable through proxy {proxy}", host=self.host,
                                        proxy=f"{target}:{port}"))
        return Availability(True, _("{host} reachable", host=self.host))

    # --- synthesis ------------------------------------------------------------------------------------

    def synthesize(self, text: str) -> AudioSegment:
        if self._dead is not None:
            raise EngineUnavailable(self._dead.message, hint=self._dead.hint)
        pieces = split_text(text, MAX_CHARS)
        if not pieces:
            raise SynthesisError(_("nothing to say: the text is empty"))
        audio = AudioSegment.empty()
        for piece in pieces:
            audio += self._speak(piece)
        return audio.set_channels(1).set_sample_width(2)

    def _speak(self, piece: str) -> AudioSegment:
        import requests
        from gtts import gTTSError

        attempt = 0
        while True:
            self._wait_turn()
            try:
                mp3 = self._fetch(piece)
            except gTTSError as exc:
                response = exc.rsp
                if response is None:
                    raise self._went_offline(exc) from exc
                status = int(response.status_code)
                if (status == 429 or status >= 500) and attempt < self.retries:
                    delay = self._backoff(attempt, response)
                    log.info("gtts: %s for %s; retry %d of %d in %.1f s", status_text(response),
                             excerpt(piece), attempt + 1, self.retries, delay)
                    self._sleep(delay)
                    attempt += 1
                    continue
                log.debug("gtts: %s", exc.msg)
                raise self._bad_answer(response, piece, attempt + 1) from exc
            except requests.exceptions.SSLError as exc:
                raise self._insecure(exc) from exc
            except requests.RequestException as exc:
                raise self._went_offline(exc) from exc
            except AssertionError as exc:  # gTTS asserts there is something to send
                raise SynthesisError(_("gtts had nothing to send for {text}", text=excerpt(piece))) from exc
            if not mp3:
                raise SynthesisError(_("Google answered without audio for {text}", text=excerpt(piece)),
                                     hint=_("the unofficial API may have changed; try `pip install -U gTTS`"))
            return self._decode(mp3, piece)

    def _fetch(self, piece: str) -> bytes:
        """Google's MP3 for one piece (at most 100 characters: one request).

        Raises ``gTTSError`` with the response for an HTTP error status or an answer
        without audio, and ``requests.RequestException`` when the request fails.
        """
        from gtts import gTTS, gTTSError

        tts = gTTS(
            piece,
            tld=self.tld,
            lang=LANG,
            slow=self.slow,
            lang_check=False,
            pre_processor_funcs=[],
            tokenizer_func=_no_split,
            timeout=self.timeout,
        )
        audio = bytearray()
        for request in tts._prepare_requests():  # gTTS builds URL, headers and the f.req form
            response = self._send(request)
            if not response.ok:
                raise gTTSError(tts=tts, response=response)
            mp3 = audio_from_answer(response.content.decode("utf-8", "replace"), tts.GOOGLE_TTS_RPC)
            if mp3 is None:
                raise gTTSError(tts=tts, response=response)
            audio += mp3
        return bytes(audio)

    def _send(self, request: requests.PreparedRequest) -> requests.Response:
        """Send with certificate verification, our timeout and the environment's proxies."""
        import requests

        if self._session is None:
            self._session = requests.Session()
        session = self._session
        # Like Session.request(): proxies (honouring NO_PROXY) and REQUESTS_CA_BUNDLE from the
        # environment. verify starts as True, so it can only become a CA bundle path, never False.
        settings = session.merge_environment_settings(request.url or "", {}, None, True, None)
        verify = settings["verify"] if settings["verify"] not in (False, None, "") else True
        try:
            return session.send(request, verify=verify, proxies=settings["proxies"], timeout=self.timeout,
                                allow_redirects=True)
        except requests.RequestException:
            raise
        except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a file that is not there
            error = EngineUnavailable(_("Google TTS at {host} could not be reached securely: {problem}", host=self.host,
                                        problem=exc),
                                      hint=_("fix or unset REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE"))
            self._dead = error
            raise error from exc

    def _wait_turn(self) -> None:
        """Leave at least ``pace`` seconds between two requests of this engine."""
        with self._lock:
            if self._last_request is not None and self.pace > 0:
                wait = self.pace - (self._clock() - self._last_request)
                if wait > 0:
                    self._sleep(wait)
            self._last_request = self._clock()

    def _backoff(self, attempt: int, response: requests.Response) -> float:
        delay = min(self._backoff_base * (2**attempt), BACKOFF_MAX)
        retry_after = str(response.headers.get("Retry-After") or "")
        if retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), BACKOFF_MAX))
        return delay

    def _decode(self, mp3: bytes, piece: str) -> AudioSegment:
        # ffmpeg through announcer.procs (time limit, killed on stop), not pydub's untimed Popen.
        from announcer.audio.ffmpeg import decode_mp3_bytes, ffmpeg_exe

        try:
            ffmpeg_exe()
        except RenderError as exc:
            raise EngineUnavailable(_("cannot decode {who}'s audio: {problem}", who="Google", problem=exc.message),
                                    hint=exc.hint) from exc
        try:
            pcm = decode_mp3_bytes(mp3, GTTS_RATE, f"decoding Google's audio for {excerpt(piece)}")
        except RenderError as exc:
            raise SynthesisError(_("Google's audio for {text} could not be decoded ({problem})", text=excerpt(piece),
                                   problem=exc.message)) from exc
        except OSError as exc:
            raise SynthesisError(_("Google's audio for {text} could not be decoded ({problem})", text=excerpt(piece),
                                   problem=exc)) from exc
        if not pcm:
            raise SynthesisError(_("Google's audio for {text} could not be decoded (no audio in it)",
                                   text=excerpt(piece)))
        return AudioSegment(data=pcm, sample_width=2, frame_rate=GTTS_RATE, channels=1)

    # --- errors ---------------------------------------------------------------------------------------

    def _went_offline(self, exc: BaseException) -> EngineUnavailable:
        error = EngineUnavailable(
            _("no internet connection: Google TTS could not be reached ({why})", why=self._network_cause(exc)),
            hint=OFFLINE_HINT,
        )
        self._dead = error
        return error

    def _insecure(self, exc: BaseException) -> EngineUnavailable:
        import ssl  # here: ssl and urllib.request cost every build's start-up, and Google is often not asked

        chain = _exception_chain(exc)
        failed = next((e for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
        if failed is not None:
            why = getattr(failed, "verify_message", None) or getattr(failed, "reason", None)
            detail = (_("its certificate could not be verified ({why})", why=why) if why
                      else _("its certificate could not be verified"))
        elif any("CERTIFICATE_VERIFY_FAILED" in str(e) for e in chain):
            detail = _("its certificate could not be verified")
        else:
            detail = _("the secure (TLS) connection failed")
        error = EngineUnavailable(_("Google TTS at {host} could not be reached securely: {problem}", host=self.host,
                                    problem=detail),
                                  hint=TLS_HINT)
        self._dead = error
        return error

    def _network_cause(self, exc: BaseException) -> str:
        import requests

        chain = _exception_chain(exc)
        text = " ".join(str(e) for e in chain)
        if any(isinstance(e, requests.Timeout | socket.timeout) for e in chain):
            return _("{host}: no answer within {seconds} s", host=self.host, seconds=f"{self.timeout:g}")
        if any(isinstance(e, requests.exceptions.SSLError) for e in chain):
            return _("{host}: secure connection failed", host=self.host)
        if "NameResolution" in text or "getaddrinfo" in text or "Name or service not known" in text:
            return _("{host}: name could not be resolved", host=self.host)
        if any(isinstance(e, requests.exceptions.ProxyError) for e in chain):
            return _("{host}: the proxy refused the connection", host=self.host)
        if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text.lower():
            return _("{host}: connection refused", host=self.host)
        return _("{host}: connection failed", host=self.host)

    def _bad_answer(self, response: requests.Response, piece: str, attempts: int) -> EngineError:
        status = int(response.status_code)
        what = status_text(response)
        tries = _(" after {attempts} attempts", attempts=attempts) if attempts > 1 else ""
        if status == 429:
            return SynthesisError(
                _("Google TTS is rate-limiting this machine ({what}){tries} for {text}", what=what, tries=tries,
                  text=excerpt(piece)),
                hint=_("raise [gtts] pace or retries, or wait a while before building again"),
            )
        if status >= 500:
            return SynthesisError(_("Google TTS server error ({what}){tries} for {text}", what=what, tries=tries,
                                    text=excerpt(piece)), hint=_("try again later"))
        if status == 404:
            # The host does not serve the API at all: no other piece will work either.
            error = EngineUnavailable(_("{host} does not offer text-to-speech ({what})", host=self.host, what=what),
                                      hint=_('set tld = "com" in the [gtts] section of station.toml'))
            self._dead = error
            return error
        if status == 403:
            error = EngineUnavailable(
                _("Google TTS refused the request ({what}): the unofficial API may have changed, or this address "
                  "is blocked", what=what),
                hint=_("try `pip install -U gTTS`; espeak is used meanwhile"),
            )
            self._dead = error
            return error
        if status == 200:
            return SynthesisError(_("Google answered without audio ({what}) for {text}", what=what,
                                    text=excerpt(piece)),
                                  hint=_("the unofficial API may have changed; try `pip install -U gTTS`"))
        return SynthesisError(_("Google TTS rejected {text} ({what})", text=excerpt(piece), what=what))


def _no_split(text: str) -> list[str]:
    return [text]


def audio_from_answer(body: str, rpc_id: str) -> bytes | None:
    """The audio in a batchexecute answer, or None when it holds none.

    The answer is ``)]}'`` followed by length-prefixed JSON chunks, one per line. The
    chunk for our call holds ``[..., rpc_id, "[\\"<base64 MP3>\\"]", ...]``: the payload
    is itself JSON, a list whose first item is the base64 audio.
    """
    for line in body.splitlines():
        if rpc_id not in line or "[" not in line:
            continue
        try:
            chunk, _end = json.JSONDecoder().raw_decode(line[line.index("["):])
        except ValueError:
            continue
        for entry in chunk if isinstance(chunk, list) else []:
            if not (isinstance(entry, list) and rpc_id in entry[:2]):
                continue
            at = entry.index(rpc_id) + 1
            payload = entry[at] if at < len(entry) else None
            if not isinstance(payload, str):
                return None
            try:
                items = json.loads(payload)
            except ValueError:
                return None
            if not (isinstance(items, list) and items and isinstance(items[0], str)):
                return None
            try:
                return base64.b64decode(items[0], validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain




def _https_proxy() -> tuple[str, int] | None:
    import urllib.parse
    import urllib.request

    proxies = urllib.request.getproxies()
    url = proxies.get("https") or proxies.get("all")
    if not url:
        return None
    parsed = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        return None
    return parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)


def probe_tcp(host: str, port: int, timeout: float) -> str:
    """'' if a TCP connection to host:port opens within ``timeout`` seconds, else why not.

    Runs in a daemon thread so a hanging DNS resolver cannot hold the caller longer than
    ``timeout`` (getaddrinfo itself has no timeout).
    """
    result: list[str] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append("")
        except socket.gaierror:
            result.append(_("{host} could not be resolved", host=host))
        except TimeoutError:
            result.append(_("{host} did not answer within {seconds} s", host=f"{host}:{port}", seconds=f"{timeout:g}"))
        except OSError as exc:
            result.append(_("{host} could not be reached ({reason})", host=f"{host}:{port}",
                             reason=exc.strerror or exc))
        except Exception as exc:  # noqa: BLE001 - a probe must answer, never kill its thread
            result.append(_("{host} could not be probed ({reason})", host=f"{host}:{port}", reason=exc))

    thread = threading.Thread(target=attempt, name="gtts-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.1)
    if not result:
        return _("{host} did not answer within {seconds} s", host=host, seconds=f"{timeout:g}")
    return result[0]
