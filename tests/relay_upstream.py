"""An upstream radio for the relay tests: a loopback HTTP server sending MP3 at real pace, the way an
Icecast mount does (a short burst at connect, then the bitrate), with the faults seen in the field."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import imageio_ffmpeg

BITRATE = 64_000
"""CBR MP3, so bytes per second are known."""
BURST_S = 0.5


def make_mp3(path: Path, seconds: float, freq: int, bitrate: int = BITRATE) -> Path:
    """A tone of ``freq`` Hz (lavfi's sine: peak 1/8, about -22 LUFS), CBR MP3, mono 44.1 kHz."""
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={freq}:sample_rate=44100:duration={seconds}", "-ac", "1",
         "-c:a", "libmp3lame", "-b:a", str(bitrate), str(path)],
        check=True, capture_output=True,
    )
    return path


def make_wav(path: Path, seconds: float, freq: int) -> Path:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={freq}:sample_rate=44100:duration={seconds}", "-ac", "1", str(path)],
        check=True, capture_output=True,
    )
    return path


class Upstream:
    """``mode``: 'normal' (sends the file in a loop), 'silent' (accepts and never answers),
    'drop' (the first connection sends ``drop_after`` s then breaks; connections within ``down_s``
    after it are refused with 503; later ones are served normally)."""

    def __init__(self, mp3: Path, mode: str = "normal", *, drop_after: float = 2.0, down_s: float = 3.0) -> None:
        self.data = mp3.read_bytes()
        self.mode = mode
        self.drop_after = drop_after
        self.down_s = down_s
        self.connections = 0
        self.dropped_at: float | None = None
        self._closing = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
                pass

            def do_GET(self) -> None:  # noqa: N802 - the base's name
                upstream.serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/live.mp3"

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        self.connections += 1
        number = self.connections
        if self.mode == "silent":
            self._closing.wait(60)  # a server that takes the connection and never says a word
            return
        limit: float | None = None
        if self.mode == "drop":
            if number == 1:
                limit = self.drop_after
            elif self.dropped_at is not None and time.monotonic() - self.dropped_at < self.down_s:
                handler.send_error(503, "Service Unavailable")
                return
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.send_header("icy-name", "Dai phat thanh thu")
        handler.end_headers()
        self._pace(handler, limit)
        if limit is not None:
            self.dropped_at = time.monotonic()
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _pace(self, handler: BaseHTTPRequestHandler, limit: float | None) -> None:
        per_second = BITRATE // 8
        sent = 0
        started = time.monotonic()
        step = per_second // 10
        burst = int(per_second * BURST_S)
        while not self._closing.is_set():
            elapsed = time.monotonic() - started
            if limit is not None and elapsed >= limit:
                return
            due = burst + int(elapsed * per_second)
            if sent < due:
                chunk = bytearray()
                while len(chunk) < min(step, due - sent):
                    offset = (sent + len(chunk)) % len(self.data)
                    chunk += self.data[offset: offset + min(step, due - sent) - len(chunk)]
                try:
                    handler.wfile.write(bytes(chunk))
                    handler.wfile.flush()
                except OSError:
                    return
                sent += len(chunk)
            time.sleep(0.05)
