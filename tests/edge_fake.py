"""A fake of Microsoft's Edge read-aloud service on loopback, speaking its WebSocket protocol.

The client sends two text frames (``Path:speech.config`` with the output format, then
``Path:ssml`` with the SSML and an ``X-RequestId``). The service answers with text frames
``Path:turn.start``, ``Path:audio.metadata`` (sentence boundaries), binary frames (2-byte
big-endian header length, the header lines ``X-RequestId``, ``Content-Type:audio/mpeg``,
``Path:audio``, then MP3 bytes), an empty closing binary frame and ``Path:turn.end``.

``install`` points the edge-tts library's endpoint constant at this server.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
from aiohttp import WSMsgType, web

from announcer.audio.jingles import write_wav

CHUNK = 4096


def mp3_of(samples: np.ndarray, rate: int, folder: Path, name: str) -> bytes:
    """MP3 bytes of some samples, as the service sends them (24 kHz mono, 48 kbps)."""
    wav = folder / f"{name}.wav"
    write_wav(wav, samples, rate)
    mp3 = folder / f"{name}.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav), "-ar", "24000", "-ac",
                    "1", "-b:a", "48k", str(mp3)], check=True)
    return mp3.read_bytes()


def voice_like(seconds: float, rate: int = 24000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * 180 * k * t) / k for k in range(1, 6))
    return 0.4 * tone * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)) / 2.3


@dataclass
class FakeEdge:
    """What the fake answers: ``mode`` is normal, midstream (drops the connection after the first
    audio frame), empty (turn.end without audio), short (0.2 s of audio whatever the text),
    silent, or refuse (403 at the handshake, as when Microsoft changes the token)."""

    audio_for: Any
    """text -> MP3 bytes to answer with."""
    mode: str = "normal"
    delay_s: float = 0.0
    """Latency added before each answer (the bench's 300 ms)."""
    requests: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "refuse":
            return web.Response(status=403, text="Forbidden")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        config = ssml = ""
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            if "Path:speech.config" in msg.data:
                config = msg.data
            elif "Path:ssml" in msg.data:
                ssml = msg.data
                break
        request_id = re.search(r"X-RequestId:([0-9a-f]+)", ssml)
        rid = request_id.group(1) if request_id else "0"
        voice = re.search(r"<voice name='([^']+)'>", ssml)
        rate = re.search(r"rate='([^']+)'", ssml)
        text = re.sub(r"<[^>]+>", "", ssml.split("\r\n\r\n", 1)[-1]).strip()
        self.requests.append({"config": config, "voice": voice.group(1) if voice else "",
                              "rate": rate.group(1) if rate else "", "text": text,
                              "query": request.query_string})
        if self.delay_s:
            await asyncio.sleep(self.delay_s)

        def head(path: str, kind: str = "application/json; charset=utf-8") -> str:
            return f"X-RequestId:{rid}\r\nContent-Type:{kind}\r\nPath:{path}\r\n\r\n"

        await ws.send_str(head("turn.start") + json.dumps({"context": {"serviceTag": "fake"}}))
        await ws.send_str(head("response") + json.dumps({"context": {"serviceTag": "fake"}, "audio": {
            "type": "inline", "streamId": "fake"}}))
        audio = b"" if self.mode == "empty" else self.audio_for(text, self.mode)
        meta = {"Metadata": [{"Type": "SentenceBoundary", "Data": {"Offset": 1_000_000, "Duration": 20_000_000,
                                                                    "text": {"Text": text, "Length": len(text),
                                                                             "BoundaryType": "SentenceBoundary"}}}]}
        await ws.send_str(head("audio.metadata") + json.dumps(meta))
        for start in range(0, len(audio), CHUNK):
            await ws.send_bytes(binary_frame(rid, audio[start:start + CHUNK]))
            if self.mode == "midstream":
                assert request.transport is not None
                request.transport.abort()  # the connection drops in the middle of the answer
                return ws
        await ws.send_bytes(binary_frame(rid, b"", closing=True))
        await ws.send_str(head("turn.end") + "{}")
        await ws.close()
        return ws

    def start(self) -> FakeEdge:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_get("/consumer/speech/synthesize/readaloud/edge/v1", self._handle)
            runner = web.AppRunner(app)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = runner.addresses[0][1]
            self._runner = runner
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    @property
    def url(self) -> str:
        return (f"ws://127.0.0.1:{self.port}/consumer/speech/synthesize/readaloud/edge/v1"
                "?TrustedClientToken=6A5AA1D4EAFF4E9FB37E23D68491D6F4")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point edge-tts at this server (its one endpoint constant), with no proxy in between."""
        import edge_tts.communicate

        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", self.url)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "WS_PROXY", "WSS_PROXY", "ALL_PROXY", "http_proxy",
                     "https_proxy", "ws_proxy", "wss_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)


def binary_frame(request_id: str, audio: bytes, closing: bool = False) -> bytes:
    """One binary frame: header length (2 bytes, big-endian), header lines, audio."""
    lines = f"X-RequestId:{request_id}\r\n"
    if not closing:
        lines += "Content-Type:audio/mpeg\r\n"
    lines += "X-StreamId:fake\r\nPath:audio\r\n"
    header = lines.encode("ascii")
    return len(header).to_bytes(2, "big") + header + audio
