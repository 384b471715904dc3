"""gTTS engine against a fake Google (the ``responses`` library), and the text splitter."""

from __future__ import annotations

import ssl
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

from announcer.config import GttsOptions, Station
from announcer.engines import ENGINES, create_engine, gtts_engine
from announcer.engines.gtts_engine import GttsEngine, audio_from_answer
from announcer.engines.textsplit import split_text
from announcer.errors import EngineError, EngineUnavailable, SynthesisError
from tests.gtts_fake import PIECE_SECONDS, URL, batchexecute_answer, fake_mp3, sent_speed, sent_text

NOTICE = (
    "Ủy ban nhân dân phường Bến Nghé thông báo: bà con có thể nộp hồ sơ trực tuyến trên Cổng Dịch vụ công "
    "quốc gia tại địa chỉ http://dichvucong.gov.vn/p/home/dvc-trang-chu.html hoặc đến trực tiếp bộ phận "
    "một cửa của phường từ thứ hai đến thứ sáu, buổi sáng từ 7:30 đến 11:30, buổi chiều từ 13:30 đến 17:00. "
    "Nơi nhận: như trên; Lưu: VT."
)


# --- fake Google (tests/gtts_fake.py) ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_mp3() -> bytes:
    """0.3 s of a 440 Hz sine as a real MP3, like one piece of Google's answer (24 kHz mono)."""
    return fake_mp3()


class FakeClock:
    """Injected sleep + clock: records the waits and advances time without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_engine(clock: FakeClock, **options: object) -> GttsEngine:
    return GttsEngine(GttsOptions(**options), sleep=clock.sleep, clock=clock.clock)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- splitting -----------------------------------------------------------------------------------------


@responses.activate
def test_every_request_is_at_most_100_chars_and_cut_at_natural_boundaries(tiny_mp3: bytes,
                                                                          clock: FakeClock) -> None:
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    audio = make_engine(clock).synthesize(NOTICE)

    texts = [sent_text(call) for call in responses.calls]
    assert len(texts) >= 4
    assert all(0 < len(t) <= 100 for t in texts)
    assert " ".join(texts) == NOTICE  # nothing lost, every cut between two words
    assert any("http://dichvucong.gov.vn/p/home/dvc-trang-chu.html" in t for t in texts)
    assert any("Cổng Dịch vụ công" in t for t in texts)
    assert texts[-1].endswith("Lưu: VT.") and "Nơi nhận: như trên; Lưu: VT." in texts[-1]
    assert texts[0] == "Ủy ban nhân dân phường Bến Nghé thông báo:"  # the colon beats later spaces
    assert texts[-2].endswith("17:00.")  # the sentence end beats the "Nơi nhận:" colon and spaces
    assert audio.channels == 1 and audio.sample_width == 2 and audio.frame_rate == 24000
    # MP3 encoder padding adds a few frames to each 0.3 s piece.
    assert audio.duration_seconds == pytest.approx(PIECE_SECONDS * len(texts), abs=0.1 * len(texts))
    assert audio.rms > 300


def test_split_prefers_sentence_then_clause_then_space() -> None:
    words = "một hai ba bốn năm sáu bảy tám chín mười " * 2
    text = f"Câu đầu ngắn. {words.strip()}, rồi thêm {words.strip()}"
    pieces = split_text(text, 100)
    assert pieces[0] == "Câu đầu ngắn."
    assert pieces[1].endswith(",")
    assert all(len(p) <= 100 for p in pieces)
    assert " ".join(pieces) == " ".join(text.split())


def test_split_keeps_short_text_whole_and_urls_and_times_intact() -> None:
    assert split_text("Lưu: VT.") == ["Lưu: VT."]
    assert split_text("  Xin   chào\tbà con.  ") == ["Xin chào bà con."]
    assert split_text("") == [] and split_text(" . , ") == []
    url = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001234"
    pieces = split_text(f"Truy cập {url} lúc 7:30, ngày 1.000 người. " * 3)
    assert all(len(p) <= 100 for p in pieces)
    assert sum(p.count(url) for p in pieces) == 3


def test_split_cuts_an_overlong_word_after_a_separator() -> None:
    url = "http://example.gov.vn/" + "a" * 60 + "/" + "b" * 60
    pieces = split_text(url)
    assert all(len(p) <= 100 for p in pieces)
    assert "".join(pieces) == url
    assert pieces[0].endswith("/")


def test_split_treats_short_capitalized_abbreviations_as_word_boundaries() -> None:
    text = "Tại TP. Hồ Chí Minh và Q. Một, " + "bà con " * 12 + "đến đông đủ."
    pieces = split_text(text, 60)
    assert not any(p.endswith("TP.") for p in pieces)
    assert all(len(p) <= 60 for p in pieces)


# --- retries, pacing, errors -------------------------------------------------------------------------------


@responses.activate
def test_429_then_success_is_retried_with_backoff(tiny_mp3: bytes, clock: FakeClock) -> None:
    responses.add(responses.POST, URL, status=429)
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    audio = make_engine(clock, retries=3, pace=0.0).synthesize("Xin chào bà con.")
    assert len(responses.calls) == 2
    assert clock.sleeps == [1.0]
    assert audio.duration_seconds == pytest.approx(PIECE_SECONDS, abs=0.1)


@responses.activate
def test_retry_after_header_is_honoured(tiny_mp3: bytes, clock: FakeClock) -> None:
    responses.add(responses.POST, URL, status=503, headers={"Retry-After": "7"})
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    make_engine(clock, pace=0.0).synthesize("Xin chào.")
    assert clock.sleeps == [7.0]


@responses.activate
def test_persistent_429_is_a_synthesis_error_after_all_retries(clock: FakeClock) -> None:
    responses.add(responses.POST, URL, status=429)
    engine = make_engine(clock, retries=3, pace=0.0)
    with pytest.raises(SynthesisError) as info:
        engine.synthesize("Xin chào bà con.")
    assert len(responses.calls) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert "rate-limiting" in info.value.message and "429" in info.value.message
    assert not isinstance(info.value, EngineUnavailable)
    with pytest.raises(SynthesisError):  # the engine is still asked for the next sentence
        engine.synthesize("Câu tiếp theo.")
    assert len(responses.calls) == 8


@responses.activate
def test_persistent_server_error_is_a_synthesis_error(clock: FakeClock) -> None:
    responses.add(responses.POST, URL, status=500)
    with pytest.raises(SynthesisError) as info:
        make_engine(clock, retries=1, pace=0.0).synthesize("Xin chào.")
    assert len(responses.calls) == 2
    assert "server error" in info.value.message and "500" in info.value.message


@responses.activate
def test_answer_without_audio_is_a_synthesis_error(clock: FakeClock) -> None:
    responses.add(responses.POST, URL, body=")]}'\n\n25\n[[\"wrb.fr\",\"jQ1olc\",null]]\n")
    with pytest.raises(SynthesisError) as info:
        make_engine(clock).synthesize("Xin chào.")
    assert "without audio" in info.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_undecodable_audio_is_a_synthesis_error(clock: FakeClock) -> None:
    responses.add(responses.POST, URL, body=batchexecute_answer(b"this is not an mp3" * 10))
    with pytest.raises(SynthesisError) as info:
        make_engine(clock).synthesize("Xin chào.")
    assert "could not be decoded" in info.value.message


@responses.activate
def test_unsupported_tld_makes_the_engine_unavailable(clock: FakeClock) -> None:
    responses.add(responses.POST, "https://translate.google.xx/_/TranslateWebserverUi/data/batchexecute",
                  status=404)
    with pytest.raises(EngineUnavailable) as info:
        make_engine(clock, tld="xx").synthesize("Xin chào.")
    assert "translate.google.xx" in info.value.message
    assert "tld" in (info.value.hint or "")


@pytest.mark.parametrize(
    "failure, words",
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), "no answer within 10 s"),
        (requests.exceptions.ReadTimeout("read timed out"), "no answer within 10 s"),
        (requests.exceptions.ConnectionError("Failed to resolve 'translate.google.com.vn' "
                                             "(NameResolutionError)"), "could not be resolved"),
    ],
)
@responses.activate
def test_timeouts_and_connection_failures_make_the_engine_unavailable(
    failure: Exception, words: str, clock: FakeClock
) -> None:
    responses.add(responses.POST, URL, body=failure)
    engine = make_engine(clock, timeout=10.0)
    with pytest.raises(EngineUnavailable) as info:
        engine.synthesize("Xin chào bà con.")
    message = info.value.message
    assert message.startswith("no internet connection: Google TTS could not be reached (")
    assert words in message
    assert len(responses.calls) == 1  # no retries against a dead network
    # The engine is out for the rest of the run: no further requests, same verdict.
    with pytest.raises(EngineUnavailable):
        engine.synthesize("Câu tiếp theo.")
    assert len(responses.calls) == 1
    assert engine.availability().ok is False


@responses.activate
def test_every_request_carries_the_configured_timeout(tiny_mp3: bytes, clock: FakeClock) -> None:
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    make_engine(clock, timeout=4.5).synthesize(NOTICE)
    assert responses.calls
    assert all(call.request.req_kwargs["timeout"] == 4.5 for call in responses.calls)  # type: ignore[attr-defined]


@responses.activate
def test_requests_are_paced(tiny_mp3: bytes, clock: FakeClock) -> None:
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    make_engine(clock, pace=0.5).synthesize(NOTICE)
    assert len(clock.sleeps) == len(responses.calls) - 1
    assert all(s == pytest.approx(0.5) for s in clock.sleeps)


@responses.activate
def test_slow_flag_and_tld_reach_the_request(tiny_mp3: bytes, clock: FakeClock) -> None:
    url = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
    responses.add(responses.POST, url, body=batchexecute_answer(tiny_mp3))
    make_engine(clock, tld="com", slow=True).synthesize("Xin chào.")
    assert sent_speed(responses.calls[0]) is True


def test_empty_text_is_a_synthesis_error(clock: FakeClock) -> None:
    with pytest.raises(SynthesisError):
        make_engine(clock).synthesize("  ")


# --- TLS: requests are sent with certificate verification --------------------------------------------


PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
              "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _insecure_filters() -> int:
    from urllib3.exceptions import InsecureRequestWarning

    return sum(1 for f in warnings.filters if f[0] == "ignore" and f[2] is InsecureRequestWarning)


@responses.activate
def test_requests_are_sent_with_certificate_verification(tiny_mp3: bytes, clock: FakeClock,
                                                         clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    filters_before = _insecure_filters()
    make_engine(clock, timeout=4.5).synthesize(NOTICE)
    assert len(responses.calls) >= 4
    for call in responses.calls:
        sent = call.request.req_kwargs  # type: ignore[attr-defined]  # what the HTTP adapter was given
        assert sent["verify"] is True
        assert sent["timeout"] == 4.5
        assert sent["proxies"].get("https") == "http://proxy.example:3128"
        assert call.request.url == URL
        assert str(call.request.headers["Content-Type"]).startswith("application/x-www-form-urlencoded")
    # gTTS's stream() would have silenced urllib3's InsecureRequestWarning for the whole process.
    assert _insecure_filters() == filters_before


@responses.activate
def test_a_ca_bundle_from_the_environment_is_used_but_verification_is_never_off(
    tiny_mp3: bytes, clock: FakeClock, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    responses.add(responses.POST, URL, body=batchexecute_answer(tiny_mp3))
    bundle = tmp_path / "office-proxy-ca.pem"
    bundle.write_text("not read: the HTTP adapter is faked\n")
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    make_engine(clock).synthesize("Xin chào.")
    clean_env.delenv("REQUESTS_CA_BUNDLE")
    clean_env.setenv("CURL_CA_BUNDLE", "")  # empty: requests would otherwise treat it as "no bundle"
    make_engine(clock).synthesize("Xin chào.")
    verify = [call.request.req_kwargs["verify"] for call in responses.calls]  # type: ignore[attr-defined]
    assert verify == [str(bundle), True]


@responses.activate
def test_an_untrusted_certificate_makes_the_engine_unavailable(clock: FakeClock) -> None:
    failure = requests.exceptions.SSLError("HTTPSConnectionPool: Max retries exceeded (SSLError)")
    failure.__cause__ = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                                        "verify failed: self-signed certificate (_ssl.c:1006)")
    responses.add(responses.POST, URL, body=failure)
    engine = make_engine(clock)
    with pytest.raises(EngineUnavailable) as info:
        engine.synthesize("Xin chào bà con.")
    message = info.value.message
    assert "translate.google.com.vn could not be reached securely" in message
    assert "certificate could not be verified" in message
    assert "no internet connection" not in message
    assert "REQUESTS_CA_BUNDLE" in (info.value.hint or "")
    with pytest.raises(EngineUnavailable):  # out for the run, no second attempt
        engine.synthesize("Câu tiếp theo.")
    assert len(responses.calls) == 1


def test_a_missing_ca_bundle_makes_the_engine_unavailable(clock: FakeClock, clean_env: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(EngineUnavailable) as info:  # requests refuses before any connection is opened
        make_engine(clock).synthesize("Xin chào.")
    assert "could not be reached securely" in info.value.message
    assert "REQUESTS_CA_BUNDLE" in (info.value.hint or "")


@pytest.fixture
def self_signed_server(tmp_path: Path, tiny_mp3: bytes) -> Iterator[tuple[str, Path]]:
    """A local HTTPS server answering like Google, with a self-signed certificate for 127.0.0.1."""
    import http.server
    import shutil
    import subprocess
    import threading

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", str(key), "-out", str(cert)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a test certificate: {made.stderr.decode(errors='replace')}")
    answer = batchexecute_answer(tiny_mp3).encode()

    class Google(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Google)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_tls_server_with_an_untrusted_certificate_is_refused(
    self_signed_server: tuple[str, Path], clock: FakeClock, clean_env: pytest.MonkeyPatch
) -> None:
    """No fakes below requests: the handshake with a self-signed server must fail (gTTS 2.5.4 accepts it),
    and succeed once its certificate is trusted, so the failure is the verification and nothing else."""
    base, cert = self_signed_server
    clean_env.setattr("gtts.tts._translate_url", lambda tld="com", path="": f"{base}/{path}")
    with pytest.raises(EngineUnavailable) as info:
        make_engine(clock, timeout=5.0).synthesize("Xin chào.")
    assert "could not be reached securely: its certificate could not be verified" in info.value.message

    clean_env.setenv("REQUESTS_CA_BUNDLE", str(cert))
    audio = make_engine(clock, timeout=5.0).synthesize("Xin chào.")
    assert audio.duration_seconds == pytest.approx(PIECE_SECONDS, abs=0.1)


def test_audio_is_read_from_the_batchexecute_answer(tiny_mp3: bytes) -> None:
    assert audio_from_answer(batchexecute_answer(tiny_mp3), "jQ1olc") == tiny_mp3
    assert audio_from_answer(batchexecute_answer(b""), "jQ1olc") == b""
    assert audio_from_answer(")]}'\n\n25\n[[\"wrb.fr\",\"jQ1olc\",null]]\n", "jQ1olc") is None
    assert audio_from_answer(")]}'\n[[\"wrb.fr\",\"jQ1olc\",\"[\\\"not base64!\\\"]\"]]", "jQ1olc") is None
    assert audio_from_answer("<html>captive portal</html>", "jQ1olc") is None
    assert audio_from_answer(batchexecute_answer(tiny_mp3), "other") is None


# --- construction, fingerprint, availability -------------------------------------------------------------


def test_unknown_voice_and_bad_options_are_engine_errors(tmp_path: Path) -> None:
    station = Station(root=tmp_path)
    assert isinstance(create_engine("gtts", station), GttsEngine)
    assert ENGINES["gtts"] is GttsEngine
    with pytest.raises(EngineError):
        create_engine("gtts", station, "vi-vn-x-south")
    with pytest.raises(EngineError):
        GttsEngine(GttsOptions(tld="https://google.com"))
    with pytest.raises(EngineError):
        GttsEngine(GttsOptions(timeout=0))


def test_fingerprint_changes_with_tld_and_slow() -> None:
    base = GttsEngine().fingerprint()
    assert base == GttsEngine().fingerprint()
    assert GttsEngine(GttsOptions(tld="com")).fingerprint() != base
    assert GttsEngine(GttsOptions(slow=True)).fingerprint() != base
    assert GttsEngine(GttsOptions(timeout=3, pace=1, retries=0)).fingerprint() == base  # not audio-relevant


def test_availability_offline_is_fast_and_says_why() -> None:
    start = time.perf_counter()
    state = GttsEngine().availability()
    assert time.perf_counter() - start < 10.0  # refused at once, not a hang
    assert state.ok is False
    assert state.reason.startswith("no internet connection")
    assert "translate.google.com.vn" in state.reason


def test_availability_when_the_host_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gtts_engine, "probe_tcp", lambda host, port, timeout: "")
    state = GttsEngine().availability()
    assert state.ok and "translate.google.com.vn" in state.reason


def test_availability_gives_up_on_a_hanging_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(*args: object, **kwargs: object) -> None:
        time.sleep(5)

    monkeypatch.setattr(gtts_engine.socket, "create_connection", hang)
    start = time.perf_counter()
    state = GttsEngine(probe_timeout=0.3).availability()
    assert time.perf_counter() - start < 4.0  # the resolver hangs 5 s: the probe's own timeout ended it
    assert not state.ok and "did not answer" in state.reason


def test_network_guard_blocks_real_connections() -> None:
    import socket

    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("translate.google.com.vn", 443)
    with pytest.raises(pytest.fail.Exception):
        socket.create_connection(("192.0.2.1", 443), timeout=0.1)
