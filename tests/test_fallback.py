"""End to end: the chain ["gtts", "espeak"] with the real espeak, the real render and encoder,
and Google either unreachable (the network guard) or faked with ``responses``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from announcer.config import Station, load_station
from announcer.engines.base import Availability
from announcer.engines.gtts_engine import GttsEngine
from announcer.errors import EngineError, SynthesisError
from announcer.render import build_station, plan_script
from announcer.script import parse_script
from announcer.speech import Speech
from tests.gtts_fake import URL, batchexecute_answer, body_text, fake_mp3, sent_text
from tests.stations import make_station, run_cli

CHAIN = '["gtts", "espeak"]'


@pytest.fixture(autouse=True)
def announcer_logs() -> Iterator[None]:
    """Records of the "announcer" loggers reach caplog, whatever an earlier CLI run set up
    (the CLI gives that logger its own stderr handler and stops propagation)."""
    logger = logging.getLogger("announcer")
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers[:] = []
    logger.propagate = True
    logger.setLevel(logging.NOTSET)
    yield
    logger.handlers[:], logger.propagate = saved[0], saved[1]
    logger.setLevel(saved[2])


@pytest.fixture
def station(tmp_path: Path) -> Station:
    return load_station(make_station(tmp_path, engines=CHAIN))


@pytest.fixture
def google_reachable(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The gTTS engine believes Google is reachable (its TCP probe would fail under the guard),
    and waits (pace, backoff) are recorded instead of slept. Returns the recorded waits."""
    waits: list[float] = []

    def from_station(cls: type[GttsEngine], station: Station, voice: str | None = None) -> GttsEngine:
        return cls(station.gtts, voice, sleep=waits.append)

    monkeypatch.setattr(GttsEngine, "availability", lambda self: Availability(True, "faked Google"))
    monkeypatch.setattr(GttsEngine, "from_station", classmethod(from_station))
    return waits


def manifest(station: Station) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((station.audio_out / "thu.json").read_text(encoding="utf-8"))
    return data


def speech_segments(station: Station) -> list[dict[str, Any]]:
    segments = [s for s in manifest(station)["segments"] if s["kind"] == "speech"]
    assert segments
    return segments


def sentences(station: Station) -> list[str]:
    """The normalized sentences of scripts/thu.md, as the engines receive them."""
    pieces = plan_script(station, parse_script(station.scripts_dir / "thu.md"))
    return [p.text for p in pieces if isinstance(p, Speech)]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


Reply = tuple[int, dict[str, str], str]


def answer_except(failing: str, status: int = 500) -> Callable[[requests.PreparedRequest], Reply]:
    """A fake Google that answers every sentence with audio, except ``failing`` (matched on the body)."""
    answer = batchexecute_answer(fake_mp3())

    def reply(request: requests.PreparedRequest) -> Reply:
        if body_text(request.body) == failing:
            return status, {}, ""
        return 200, {"Content-Type": "application/json; charset=utf-8"}, answer

    return reply


# --- 1. offline: espeak reads everything, one warning --------------------------------------------------


def test_offline_build_falls_back_to_espeak_with_one_clear_warning(
    station: Station, caplog: pytest.LogCaptureFixture
) -> None:
    count = len(sentences(station))
    assert count == 3
    with caplog.at_level(logging.INFO, logger="announcer"):
        [result] = build_station(station, [])

    assert result.error is None and result.output is not None and result.output.is_file()
    assert result.engines == ["espeak"]
    data = manifest(station)
    assert data["engines"] == {"espeak": count * data["repeat"]}
    assert all(s["engine"] == "espeak" for s in speech_segments(station))

    [warning] = warnings_of(caplog)
    assert warning.startswith(f"gtts could not read {count} sentences (no internet connection: ")
    assert "translate.google.com.vn" in warning
    assert warning.endswith("; espeak read them instead")
    assert result.warnings == [warning]
    assert data["fallbacks"] == [warning]


def test_offline_build_through_the_cli_warns_once_and_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_station(tmp_path, engines=CHAIN)
    code, out, err = run_cli(["--station", str(root), "build"], capsys)
    assert code == 0, err
    assert err.count("could not read") == 1
    assert "WARNING: gtts could not read 3 sentences (no internet connection: " in err
    assert "espeak read them instead" in err
    assert "error" not in err.lower()
    assert "thu.md" in out and "espeak" in out
    assert (root / "audio_out" / "thu.mp3").is_file()


# --- 2. Google answers: gtts reads everything; a rebuild is served from the cache ----------------------


@responses.activate
def test_online_build_uses_gtts_and_an_unchanged_rebuild_makes_no_request(
    station: Station, google_reachable: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    responses.add(responses.POST, URL, body=batchexecute_answer(fake_mp3()))
    expected = sentences(station)

    with caplog.at_level(logging.INFO, logger="announcer"):
        [first] = build_station(station, [])
    assert sorted(sent_text(call) for call in responses.calls) == sorted(expected)  # one request each
    assert first.engines == ["gtts"] and first.engine_calls == len(expected)
    assert all(s["engine"] == "gtts" for s in speech_segments(station))
    assert manifest(station)["fallbacks"] == [] and first.warnings == []
    assert warnings_of(caplog) == []
    # Certificates checked: True, or the CA bundle the environment names (REQUESTS_CA_BUNDLE), never False.
    verify = {call.request.req_kwargs["verify"] for call in responses.calls}  # type: ignore[attr-defined]
    assert verify and all(v is True or (isinstance(v, str) and v) for v in verify)

    responses.calls.reset()
    built_at = manifest(station)["built_at"]
    [second] = build_station(station, [], force=True)
    assert len(responses.calls) == 0
    assert second.engine_calls == 0
    assert not second.skipped and second.engines == ["gtts"]
    assert all(s["engine"] == "gtts" for s in speech_segments(station))
    assert manifest(station)["built_at"] >= built_at


# --- 3. Google fails one sentence for good: espeak reads that one --------------------------------------


@responses.activate
def test_a_persistent_server_error_for_one_sentence_falls_back_for_that_sentence_only(
    station: Station, google_reachable: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    expected = sentences(station)
    failing = expected[1]
    responses.add_callback(responses.POST, URL, callback=answer_except(failing, 500))

    with caplog.at_level(logging.INFO, logger="announcer"):
        [result] = build_station(station, [])

    asked = [sent_text(call) for call in responses.calls]
    retries = station.gtts.retries
    assert asked.count(failing) == 1 + retries  # retried, then given up
    assert all(asked.count(text) == 1 for text in expected if text != failing)
    assert sorted(w for w in google_reachable if w >= 1.0) == [1.0, 2.0, 4.0][:retries]  # backoff, not slept

    by_text: dict[str, set[str]] = {}
    for segment in speech_segments(station):
        by_text.setdefault(segment["text"], set()).add(segment["engine"])
    assert by_text[failing] == {"espeak"}
    assert all(by_text[text] == {"gtts"} for text in expected if text != failing)
    repeat = manifest(station)["repeat"]
    assert manifest(station)["engines"] == {"gtts": (len(expected) - 1) * repeat, "espeak": repeat}
    assert result.engines == ["espeak", "gtts"]

    [warning] = warnings_of(caplog)
    assert warning.startswith("gtts could not read 1 sentence (Google TTS server error (HTTP 500")
    assert f"after {1 + retries} attempts" in warning
    assert warning.endswith("; espeak read it instead")


# --- 4. --engine gtts offline: a clear error, no fallback, the last render untouched -------------------


def test_forced_gtts_offline_fails_clearly_and_keeps_the_last_render(
    station: Station, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    build_station(station, [], engine="espeak")
    before = {p.name: p.read_bytes() for p in station.audio_out.iterdir() if p.is_file()}
    assert {"thu.mp3", "thu.json", "thu.txt"} <= set(before)
    caplog.clear()

    with caplog.at_level(logging.INFO, logger="announcer"), pytest.raises(EngineError) as info:
        build_station(station, [], engine="gtts", force=True)
    error = info.value
    assert isinstance(error, SynthesisError)
    assert error.message.startswith("gtts could not read ")
    assert "no internet connection: Google TTS could not be reached (translate.google.com.vn" in error.message
    assert "espeak" not in error.message  # nothing else was tried
    assert error.hint and "internet" in error.hint
    assert not any("instead" in w for w in warnings_of(caplog))

    after = {p.name: p.read_bytes() for p in station.audio_out.iterdir() if p.is_file()}
    assert after == before
    assert not list(station.audio_out.glob(".build-*"))

    code, _, err = run_cli(["--station", str(station.root), "build", "--engine", "gtts", "--force"], capsys)
    assert code != 0
    assert "error: gtts could not read " in err and "no internet connection" in err
    assert "Traceback" not in err and "instead" not in err
    assert {p.name: p.read_bytes() for p in station.audio_out.iterdir() if p.is_file()} == before


def test_fallback_render_is_redone_when_the_first_engine_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydub.generators import Sine

    def fake_clip() -> Any:
        return Sine(440, sample_rate=24000).to_audio_segment(duration=600, volume=-12).set_sample_width(2)

    station = load_station(make_station(tmp_path, engines=CHAIN))
    [offline] = build_station(station, [])
    assert offline.engines == ["espeak"]
    [still_offline] = build_station(station, [])
    assert still_offline.skipped

    monkeypatch.setattr(GttsEngine, "availability", lambda self: Availability(True))
    monkeypatch.setattr(GttsEngine, "synthesize", lambda self, text: fake_clip())
    [online] = build_station(station, [])
    assert not online.skipped and online.engines == ["gtts"]


# --- 6. any exception from an engine falls back for that sentence; an interrupt still stops ------------


def test_a_gtts_release_without_its_private_request_builder_falls_back_with_one_warning(
    station: Station, google_reachable: list[float], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a gTTS update renaming ``gTTS._prepare_requests`` does: AttributeError inside the engine."""
    import gtts

    monkeypatch.delattr(gtts.gTTS, "_prepare_requests")
    with caplog.at_level(logging.INFO, logger="announcer"):
        [result] = build_station(station, [])
    assert result.error is None and result.engines == ["espeak"]
    assert all(s["engine"] == "espeak" for s in speech_segments(station))
    [warning] = warnings_of(caplog)
    assert warning.startswith("gtts could not read 3 sentences (internal error AttributeError")
    assert "_prepare_requests" in warning and warning.endswith("; espeak read them instead")


def test_an_engine_failing_on_one_sentence_only_falls_back_for_that_sentence(
    station: Station, google_reachable: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = sentences(station)
    real_fetch = GttsEngine._fetch

    def fetch(self: GttsEngine, piece: str) -> bytes:
        if piece == expected[1]:
            raise TypeError("unexpected keyword argument 'tokenizer_func'")
        return real_fetch(self, piece)

    monkeypatch.setattr(GttsEngine, "_fetch", fetch)
    with responses.RequestsMock() as fake:
        fake.add_callback(responses.POST, URL, callback=answer_except("never"))
        [result] = build_station(station, [])
    engines = {s["text"]: s["engine"] for s in speech_segments(station)}
    assert engines[expected[1]] == "espeak"
    assert all(engines[text] == "gtts" for text in expected if text != expected[1])
    assert result.warnings == ["gtts could not read 1 sentence (internal error TypeError: unexpected keyword "
                               "argument 'tokenizer_func'; a changed library version?); espeak read it instead"]


def test_a_crashing_availability_check_falls_back(station: Station, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: GttsEngine) -> Availability:
        raise AttributeError("module 'gtts.lang' has no attribute 'tts_langs'")

    monkeypatch.setattr(GttsEngine, "availability", broken)
    [result] = build_station(station, [])
    assert result.error is None and result.engines == ["espeak"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_inside_an_engine_is_never_swallowed(
    station: Station, google_reachable: list[float], monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    def interrupted(self: GttsEngine, text: str) -> None:
        raise stop()

    monkeypatch.setattr(GttsEngine, "synthesize", interrupted)
    with pytest.raises(stop):
        build_station(station, [])
    assert not (station.audio_out / "thu.mp3").exists()


def test_engine_libraries_we_reach_into_are_pinned_below_their_next_release_line() -> None:
    import tomllib

    deps = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {d.split(">")[0].split("<")[0].strip().lower(): d for d in deps["project"]["dependencies"]}
    assert "<" in pins["gtts"], "gTTS: we call its private _prepare_requests"
    assert "<" in pins["espeakng-loader"], "espeakng-loader: we call the C API through ctypes"
