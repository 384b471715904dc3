"""FPT.AI engine against a fake FPT.AI in its documented v5 format (``responses``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from announcer.config import FptOptions
from announcer.engines.fpt import MAX_CHARS, URL, FptEngine, speed_header
from announcer.errors import EngineUnavailable, SynthesisError
from announcer.secrets import Key
from tests.cloud_fakes import FPT_KEY, FakeFpt, silent_mp3, speech_mp3

SENTENCE = "Ủy ban nhân dân phường thông báo lịch tiêm chủng mở rộng cho trẻ em dưới năm tuổi vào sáng thứ bảy."


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock() -> Clock:
    return Clock()


def engine(clock: Clock, voice: str | None = "myan", speed: float = 1.0, **options: float) -> FptEngine:
    return FptEngine(Key(FPT_KEY, "FPT_TTS_KEY"), FptOptions(**options), voice, speed,  # type: ignore[arg-type]
                     sleep=clock.sleep, clock=clock, probe=lambda *_: "")


def test_request_shape_key_voice_speed_in_headers_text_as_body_and_no_key_to_the_file_host(
        rsps: responses.RequestsMock, clock: Clock) -> None:
    fake = FakeFpt(rsps)
    clip = engine(clock, "giahuy", speed=1.2).synthesize(SENTENCE)
    assert len(clip) > 1500
    (post,) = fake.posts
    assert post.method == "POST" and post.url == URL
    assert post.headers["api-key"] == FPT_KEY
    assert post.headers["voice"] == "giahuy"
    assert post.headers["speed"] == "2"
    assert fake.texts() == [SENTENCE]
    (get,) = fake.gets
    assert str(get.url).startswith("https://file01.fpt.ai/")
    assert FPT_KEY not in json.dumps(dict(get.headers))


def test_speed_maps_to_fpts_minus_three_to_plus_three() -> None:
    assert [speed_header(s) for s in (0.5, 0.8, 1.0, 1.1, 1.3, 2.0)] == [-3, -2, 0, 1, 3, 3]


def test_audio_link_ready_after_three_looks_waits_twice(rsps: responses.RequestsMock, clock: Clock) -> None:
    fake = FakeFpt(rsps, ready_after=3)
    engine(clock, poll_interval=0.5).synthesize(SENTENCE)
    assert len(fake.gets) == 3
    assert clock.sleeps == [0.5, 0.5]


def test_audio_link_never_ready_stops_at_the_deadline(rsps: responses.RequestsMock, clock: Clock) -> None:
    fake = FakeFpt(rsps, ready_after=10_000)
    with pytest.raises(SynthesisError, match="not ready within 5 s"):
        engine(clock, poll_interval=1.0, poll_deadline=5.0).synthesize(SENTENCE)
    assert sum(clock.sleeps) <= 5.0
    assert 4 <= len(fake.gets) <= 6


def test_a_long_sentence_is_cut_at_clause_boundaries_under_the_limit(rsps: responses.RequestsMock,
                                                                    clock: Clock) -> None:
    fake = FakeFpt(rsps, audio=speech_mp3(seconds=90.0))
    clause = "các hộ gia đình ở tổ dân phố số {n} đăng ký tiêm chủng tại trạm y tế phường, "
    text = "".join(clause.format(n=n) for n in range(80)) + "xin cảm ơn."
    assert len(text) > MAX_CHARS
    engine(clock).synthesize(text)
    sent = fake.texts()
    assert len(sent) == 2
    assert all(len(piece) <= MAX_CHARS for piece in sent)
    assert sent[0].endswith(",")
    assert " ".join(sent) == text


def test_short_text_is_padded_to_the_three_character_minimum(rsps: responses.RequestsMock, clock: Clock) -> None:
    fake = FakeFpt(rsps, audio=speech_mp3(seconds=0.5))
    engine(clock).synthesize("Có")
    assert fake.texts() == ["Có."]


def test_401_is_a_refused_key_and_the_engine_is_out_for_the_run(rsps: responses.RequestsMock,
                                                                 clock: Clock) -> None:
    rsps.add(responses.POST, URL, status=401, json={"error": 401, "message": f"Invalid api key {FPT_KEY}"})
    fpt = engine(clock)
    with pytest.raises(EngineUnavailable, match="refused the key") as info:
        fpt.synthesize(SENTENCE)
    assert FPT_KEY not in str(info.value) + str(info.value.hint)
    with pytest.raises(EngineUnavailable):
        fpt.synthesize(SENTENCE)
    assert len(rsps.calls) == 1
    assert not fpt.availability().ok


def test_quota_used_up_is_said_so(rsps: responses.RequestsMock, clock: Clock) -> None:
    rsps.add(responses.POST, URL, status=200, json={"error": 1, "message": "Quota exceeded for this api key"})
    with pytest.raises(EngineUnavailable, match="quota is used up"):
        engine(clock).synthesize(SENTENCE)


def test_429_is_retried_with_backoff_then_falls_back(rsps: responses.RequestsMock, clock: Clock) -> None:
    rsps.add(responses.POST, URL, status=429, json={"error": 429, "message": "Too many requests"})
    with pytest.raises(SynthesisError, match="rate-limiting"):
        engine(clock, retries=2).synthesize(SENTENCE)
    assert len(rsps.calls) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_a_5xx_then_success_reads_the_sentence(rsps: responses.RequestsMock, clock: Clock) -> None:
    rsps.add(responses.POST, URL, status=503, body="busy")
    fake = FakeFpt(rsps)
    clip = engine(clock, retries=1).synthesize(SENTENCE)
    assert len(clip) > 1500 and len(fake.posts) == 1


def test_a_persistent_5xx_is_a_sentence_failure(rsps: responses.RequestsMock, clock: Clock) -> None:
    rsps.add(responses.POST, URL, status=500, body="Internal Server Error")
    with pytest.raises(SynthesisError, match="server error"):
        engine(clock, retries=1).synthesize(SENTENCE)


@pytest.mark.parametrize("audio", ["empty", "short", "silent"])
def test_an_empty_too_short_or_silent_clip_is_refused(rsps: responses.RequestsMock, clock: Clock,
                                                     audio: str) -> None:
    body = {"empty": b"", "short": speech_mp3(seconds=0.3), "silent": silent_mp3()}[audio]
    FakeFpt(rsps, audio=body)
    with pytest.raises(SynthesisError, match="not ready|too short|silence"):
        engine(clock, poll_deadline=5.0).synthesize(SENTENCE)


def test_without_a_key_it_is_unavailable_and_says_where_to_put_one(clock: Clock) -> None:
    fpt = FptEngine(None, FptOptions(), None, probe=lambda *_: "")
    state = fpt.availability()
    assert not state.ok and "FPT_TTS_KEY" in state.reason and "secrets.toml" in state.reason
    with pytest.raises(EngineUnavailable):
        fpt.synthesize(SENTENCE)


def test_the_fingerprint_holds_voice_and_speed_never_the_key(clock: Clock) -> None:
    fpt = engine(clock, "banmai", 0.9)
    assert "banmai" in fpt.fingerprint() and FPT_KEY not in fpt.fingerprint()
    assert fpt.fingerprint() != engine(clock, "banmai", 1.0).fingerprint()


def test_an_audio_link_that_is_not_https_is_not_followed(rsps: responses.RequestsMock, clock: Clock) -> None:
    rsps.add(responses.POST, URL, json={"async": "http://file01.fpt.ai/x.mp3", "error": 0, "message": "ok",
                                        "request_id": "r1"})
    with pytest.raises(SynthesisError, match="not HTTPS"):
        engine(clock).synthesize(SENTENCE)
    assert len(rsps.calls) == 1


def test_a_voice_the_service_does_not_have_is_refused_with_the_choices() -> None:
    from announcer.engines.viettel import ViettelEngine
    from announcer.errors import EngineError

    for engine, named in ((FptEngine, "banmai"), (ViettelEngine, None)):
        with pytest.raises(EngineError) as caught:
            engine(None, None, "giong-khong-co")
        assert "giong-khong-co" in caught.value.message
        if named:
            assert named in (caught.value.hint or "")
