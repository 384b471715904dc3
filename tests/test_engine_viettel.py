"""Viettel AI engine against a fake Viettel AI in its documented JSON format (``responses``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from announcer.config import ViettelOptions
from announcer.engines.viettel import MAX_CHARS, URL, ViettelEngine
from announcer.errors import EngineUnavailable, SynthesisError
from announcer.secrets import Key
from tests.cloud_fakes import VIETTEL_KEY, FakeViettel, silent_mp3, speech_mp3, tone_wav

SENTENCE = "Đề nghị các hộ kinh doanh trên tuyến đường Nguyễn Huệ dọn dẹp vỉa hè trước ngày mười lăm tháng này."


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


sleeps: list[float] = []


def engine(voice: str | None = "hue-maingoc", speed: float = 1.0, **options: float) -> ViettelEngine:
    sleeps.clear()
    return ViettelEngine(Key(VIETTEL_KEY, "VIETTEL_TTS_KEY"), ViettelOptions(**options),  # type: ignore[arg-type]
                         voice, speed, sleep=sleeps.append, probe=lambda *_: "")


def test_request_shape_is_one_json_post_with_text_voice_speed_option_and_token(rsps: responses.RequestsMock) -> None:
    fake = FakeViettel(rsps)
    clip = engine("hcm-minhquan", speed=0.9).synthesize(SENTENCE)
    assert len(clip) > 1500
    (body,) = fake.posts
    assert body == {"text": SENTENCE, "voice": "hcm-minhquan", "speed": 0.9, "tts_return_option": 3,
                    "token": VIETTEL_KEY, "without_filter": False}
    assert fake.requests[0].headers["Content-Type"] == "application/json"


def test_speed_is_kept_inside_viettels_range() -> None:
    assert engine(speed=0.5).speed == 0.7 and engine(speed=2.0).speed == 1.3 and engine(speed=1.1).speed == 1.1


def test_a_wav_answer_is_read_too(rsps: responses.RequestsMock) -> None:
    FakeViettel(rsps, audio=tone_wav(3.0))
    assert abs(len(engine().synthesize(SENTENCE)) - 3000) < 5


def test_a_long_sentence_is_cut_at_clause_boundaries_under_the_limit(rsps: responses.RequestsMock) -> None:
    fake = FakeViettel(rsps, audio=speech_mp3(seconds=30.0))
    text = ", ".join(f"tổ dân phố số {n} họp vào tối thứ năm tại nhà văn hóa khu phố" for n in range(20)) + "."
    assert len(text) > MAX_CHARS
    engine().synthesize(text)
    sent = [post["text"] for post in fake.posts]
    assert len(sent) >= 2 and all(len(piece) <= MAX_CHARS for piece in sent)
    assert all(piece.endswith((",", ".")) for piece in sent)
    assert " ".join(sent) == text


def test_401_is_a_refused_key_never_quoted(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, URL, status=401, json={"code": 401, "message": f"token {VIETTEL_KEY} is invalid"})
    viettel = engine()
    with pytest.raises(EngineUnavailable, match="refused the key") as info:
        viettel.synthesize(SENTENCE)
    assert VIETTEL_KEY not in f"{info.value} {info.value.hint}"
    with pytest.raises(EngineUnavailable):
        viettel.synthesize(SENTENCE)
    assert len(rsps.calls) == 1


def test_an_error_said_in_a_200_json_is_mapped(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, URL, status=200, json={"code": 4, "en_message": "Invalid token"})
    with pytest.raises(EngineUnavailable, match="refused the key"):
        engine().synthesize(SENTENCE)


def test_429_is_retried_then_falls_back(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, URL, status=429, json={"message": "rate limit"}, headers={"Retry-After": "3"})
    with pytest.raises(SynthesisError, match="rate-limiting"):
        engine(retries=1).synthesize(SENTENCE)
    assert len(rsps.calls) == 2 and sleeps == [3.0]


def test_5xx_is_a_sentence_failure(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, URL, status=502, body="Bad Gateway")
    with pytest.raises(SynthesisError, match="server error"):
        engine(retries=0).synthesize(SENTENCE)


@pytest.mark.parametrize("kind", ["empty", "short", "silent"])
def test_an_empty_too_short_or_silent_answer_is_refused(rsps: responses.RequestsMock, kind: str) -> None:
    audio = {"empty": b"", "short": speech_mp3(seconds=0.3), "silent": silent_mp3()}[kind]
    FakeViettel(rsps, audio=audio)
    with pytest.raises(SynthesisError, match="no audio|too short|silence"):
        engine().synthesize(SENTENCE)


def test_the_fingerprint_never_holds_the_key() -> None:
    assert VIETTEL_KEY not in engine().fingerprint() and "hue-maingoc" in engine().fingerprint()


def test_a_used_up_quota_takes_the_engine_out_with_a_clear_message(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, URL, status=402, json={"code": 402, "en_message": "Your balance is not enough"})
    viettel = engine()
    with pytest.raises(EngineUnavailable, match="quota is used up"):
        viettel.synthesize(SENTENCE)
    assert not viettel.availability().ok
