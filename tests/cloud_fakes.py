"""Fake FPT.AI and Viettel AI services for ``responses``, in their documented formats.

FPT.AI v5: POST https://api.fpt.ai/hmi/tts/v5, the text as the raw body, ``api-key``, ``voice``
and ``speed`` headers; JSON ``{"async": link, "error": 0, "message": ..., "request_id": ...}``;
the MP3 appears at the link later (404 until then).
Viettel AI: POST https://viettelai.vn/tts/speech_synthesis, JSON ``text, voice, speed,
tts_return_option, token, without_filter``; the answer is the audio bytes.
"""

from __future__ import annotations

import functools
import io
import json
import subprocess
import uuid
import wave
from typing import Any

import requests
import responses

from announcer.audio.ffmpeg import ffmpeg_exe
from announcer.engines import fpt, viettel

FPT_KEY = "fpt-KEY-7f3a9c1e5b"
VIETTEL_KEY = "vt-TOKEN-42d8e6b0aa"
FILE_HOST = "https://file01.fpt.ai/text2speech-v5/short/2026-11-29"


@functools.cache
def speech_mp3(seconds: float = 2.0, frequency: int = 330) -> bytes:
    """A tone as a real MP3 (22.05 kHz mono), standing in for a spoken sentence."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
         "-i", f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-ar", "22050",
         "-b:a", "32k", "-f", "mp3", "-"], capture_output=True, check=True)
    return done.stdout


@functools.cache
def silent_mp3(seconds: float = 2.0) -> bytes:
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
         "-i", f"anullsrc=r=22050:cl=mono:d={seconds}", "-b:a", "32k", "-f", "mp3", "-"],
        capture_output=True, check=True)
    return done.stdout


def tone_wav(seconds: float = 2.0, rate: int = 22050) -> bytes:
    import math

    frames = bytearray()
    for i in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * 300 * i / rate))
        frames += value.to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def _body(request: requests.PreparedRequest) -> str:
    body = request.body
    return body.decode("utf-8") if isinstance(body, bytes) else str(body or "")


class FakeFpt:
    """FPT.AI: each POST makes a new async link, ready after ``ready_after`` looks."""

    def __init__(self, rsps: responses.RequestsMock, audio: bytes | None = None, ready_after: int = 1,
                 fail_when: str | None = None) -> None:
        self.rsps = rsps
        self.fail_when = fail_when
        """Text that makes a POST answer 500 (a server error for that sentence only)."""
        self.audio = speech_mp3() if audio is None else audio
        self.ready_after = ready_after
        self.posts: list[requests.PreparedRequest] = []
        self.looks: dict[str, int] = {}
        self.gets: list[requests.PreparedRequest] = []
        rsps.add_callback(responses.POST, fpt.URL, callback=self._post)

    def _post(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.posts.append(request)
        if self.fail_when and self.fail_when in _body(request):
            return 500, {"Content-Type": "application/json"}, json.dumps({"error": 500, "message": "busy"})
        link = f"{FILE_HOST}/{uuid.uuid4().hex}.mp3"
        self.looks[link] = 0
        self.rsps.add_callback(responses.GET, link, callback=self._get)
        answer = {"async": link, "error": 0, "message": "The content will be returned after a few seconds "
                  "under the async link.", "request_id": str(uuid.uuid4())}
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    def _get(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        self.gets.append(request)
        link = str(request.url)
        self.looks[link] += 1
        if self.looks[link] < self.ready_after:
            return 404, {"Content-Type": "application/xml"}, b"<Error><Code>NoSuchKey</Code></Error>"
        return 200, {"Content-Type": "audio/mpeg"}, self.audio

    def texts(self) -> list[str]:
        return [_body(p) for p in self.posts]


class FakeViettel:
    def __init__(self, rsps: responses.RequestsMock, audio: bytes | None = None) -> None:
        self.audio = speech_mp3() if audio is None else audio
        self.posts: list[dict[str, Any]] = []
        self.requests: list[requests.PreparedRequest] = []
        rsps.add_callback(responses.POST, viettel.URL, callback=self._post)

    def _post(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(request)
        self.posts.append(json.loads(_body(request) or "{}"))
        return 200, {"Content-Type": "audio/mpeg"}, self.audio
