"""The Icecast sink: announcer as an Icecast source client (``icecast://USER@HOST:PORT/MOUNT``).

One long-lived ffmpeg encodes MP3 from raw PCM that this module feeds at real pace: the
items, and silence between them, so the mount never goes away and receivers never drop.
Our own small HTTP client sends the MP3 to the server (``PUT`` with Basic auth, Icecast
2.4's source protocol): the password never appears on a command line that ``ps`` shows,
and never in a log. Titles go to the server through ``/admin/metadata``.

When the server goes away (restart, network), the timeline goes on (items keep their
times; what is encoded meanwhile is dropped) and the sender reconnects with backoff. An
item that was partly lost raises ``SinkCut`` at its end, so the as-run log says what was cut.

Threads and who owns what:
- the playback thread calls ``play``: it starts one decoder per item and waits for the pump;
- ``icecast-pump`` owns the encoder's stdin and the pacing (``_written``); it takes PCM
  from the item handed over in ``_item`` (guarded by ``_lock``) or writes silence;
- ``icecast-decode`` (one per item) reads the item's decoder into the item's queue;
- ``icecast-send`` reads the encoder's output and writes it to the socket ``_sock``;
- ``icecast-connect`` (re)connects; ``_sock``, ``_outages`` and ``_connected`` are guarded by ``_lock``;
- metadata updates run in short-lived ``icecast-meta`` threads (a slow server never delays audio).
"""

from __future__ import annotations

import base64
import http.client
import logging
import os
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from announcer import procs
from announcer.errors import ConfigError
from announcer.i18n import _
from announcer.schedule.sinks import SinkCut, SinkError, overrun_limit

log = logging.getLogger(__name__)

PASSWORD_ENV = "ANNOUNCER_ICECAST_PASSWORD"
SECRETS_SERVICE = "icecast"
RATE = 44100
CHANNELS = 1
"""Mono, like the renders and the loudspeakers: ffmpeg's mono-to-stereo upmix would take 3 dB off
every render (its centre mix level), and a stereo stream of mono speech only costs bitrate."""
FRAME_BYTES = 2 * CHANNELS
CHUNK_FRAMES = RATE // 50
"""20 ms of audio per write: small enough for a quick cut-in, large enough to cost little CPU."""
LEAD_S = 0.5
"""How far the encoder is fed ahead of real time: the next item has this long to start decoding
before the stream would need silence, and a cut-in waits at most this long."""
SILENCE_MARGIN_S = 0.1
"""Silence is fed only this far ahead of real time (see ``_pump``)."""
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
CONNECT_TIMEOUT_S = 5.0
SEND_TIMEOUT_S = 10.0


@dataclass
class IcecastTarget:
    """Where the stream goes; the password is never printed (``repr`` leaves it out)."""

    host: str
    port: int
    mount: str
    user: str = "source"
    password: str = field(default="", repr=False)
    stream_name: str = "announcer"
    bitrate: int = 128
    filler: Path | None = None
    """Audio looped between items instead of silence (e.g. a quiet bed); None: silence."""

    @property
    def url(self) -> str:
        """The sink as written, without the password."""
        return f"icecast://{self.user}@{self.host}:{self.port}{self.mount}"


def parse_icecast(spec: str, *, root: Path | None = None, environ: Mapping[str, str] | None = None) -> IcecastTarget:
    """``icecast://USER@HOST:PORT/MOUNT[?name=...&bitrate=64&filler=jingles/bed.mp3]`` -> a target.

    The password comes from ``ANNOUNCER_ICECAST_PASSWORD`` or ``[icecast] key`` in the station's
    secrets.toml; one written into the sink is refused (it would show in ``ps`` and in logs).
    """
    from announcer.secrets import read_key

    target = split_icecast(spec, root)
    key = read_key(root or Path("."), SECRETS_SERVICE, PASSWORD_ENV, environ)
    if key is None:
        raise ConfigError(_("no Icecast password for {host}:{port}", host=target.host, port=target.port),
                          hint=_('set {env}, or write [icecast] then key = "..." in secrets.toml', env=PASSWORD_ENV))
    target.password = key.value
    return target


def split_icecast(spec: str, root: Path | None = None) -> IcecastTarget:
    """The parts of an Icecast sink (no password yet); ConfigError when it is badly written."""
    hint = _("write e.g. icecast://source@127.0.0.1:8000/phuong")
    parts = urlsplit(spec.strip())
    if parts.password is not None:
        raise ConfigError(_("the Icecast password must not be written in the sink"),
                          hint=_("remove it, and set {env} or [icecast] key in secrets.toml", env=PASSWORD_ENV))
    try:
        port = parts.port or 8000
    except ValueError:
        raise ConfigError(_("the Icecast port in {sink!r} is not a number", sink=spec), hint=hint) from None
    if not parts.hostname:
        raise ConfigError(_("the Icecast sink {sink!r} names no server", sink=spec), hint=hint)
    mount = parts.path
    if not mount or mount == "/":
        raise ConfigError(_("the Icecast sink {sink!r} names no mount", sink=spec), hint=hint)
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"name", "bitrate", "filler"})
    if unknown:
        raise ConfigError(_("unknown Icecast sink option {option!r}", option=unknown[0]),
                          hint=_("options: name, bitrate, filler"))
    bitrate = 128
    if "bitrate" in query:
        try:
            bitrate = int(query["bitrate"][-1])
        except ValueError:
            bitrate = 0
        if not 32 <= bitrate <= 320:
            raise ConfigError(_("the Icecast bitrate must be a number of kbit/s from 32 to 320"),
                              hint=_("write e.g. ?bitrate=64"))
    filler = None
    if "filler" in query:
        filler = Path(query["filler"][-1])
        if not filler.is_absolute() and root is not None:
            filler = root / filler
    return IcecastTarget(parts.hostname, port, mount, parts.username or "source", "",
                         query.get("name", ["announcer"])[-1], bitrate, filler)


class _Item:
    """One item's PCM on its way from its decoder to the pump."""

    def __init__(self, path: Path, title: str) -> None:
        self.path = path
        self.title = title
        self.chunks: deque[bytes] = deque()
        self.eof = threading.Event()
        self.done = threading.Event()
        self.first_at: float | None = None
        """Monotonic time its first PCM went to the encoder."""
        self.last_at: float | None = None
        self.starved = 0
        """Chunks of silence the pump had to put in because the decoder was behind."""


def _title_of(path: Path) -> str:
    """The render's ID3 title (what the listeners should see), else the file name."""
    try:
        import mutagen

        tags = mutagen.File(str(path), easy=True)
        titles = tags.get("title") if tags is not None else None
        if titles:
            return str(titles[0])
    except Exception:  # noqa: BLE001 - a title is not worth an item
        pass
    return path.stem


class IcecastSink:
    """A long-lived stream to one Icecast mount; items play into it at real pace."""

    def __init__(self, target: IcecastTarget, *, ffmpeg: str | None = None,
                 monotonic: Callable[[], float] = time.monotonic, lead_s: float = LEAD_S,
                 backoff: tuple[float, ...] = BACKOFF_S) -> None:
        self.target = target
        self.name = target.url
        self._ffmpeg = ffmpeg
        self._mono = monotonic
        self._lead = lead_s
        self._backoff = backoff
        self._lock = threading.Lock()
        self._item: _Item | None = None
        self._sock: socket.socket | None = None
        self._connected = threading.Event()
        self._lost = threading.Event()
        self._closed = threading.Event()
        self._outages: list[list[float | None]] = []
        self._encoder: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._title = target.stream_name
        self._filler_pcm = b""
        self._filler_at = 0
        self._fed_until = 0.0
        """Monotonic time at which the audio fed to the encoder so far ends (for ``close``)."""

    # --- life cycle --------------------------------------------------------------------------------------

    def open(self) -> None:
        """Start the encoder and the threads; the stream goes on air (silence) at once. Idempotent."""
        with self._lock:
            if self._encoder is not None or self._closed.is_set():
                return
            exe = self._ffmpeg or self._ffmpeg_exe()
            argv = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", str(RATE),
                    "-ac", str(CHANNELS), "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", f"{self.target.bitrate}k",
                    "-write_xing", "0", "-id3v2_version", "0", "-flush_packets", "1", "-f", "mp3", "pipe:1"]
            self._encoder = procs.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, bufsize=0)
        if self.target.filler is not None:
            self._filler_pcm = self._decode_all(self.target.filler)
        for target, name in ((self._pump, "icecast-pump"), (self._send, "icecast-send"),
                             (self._connect_loop, "icecast-connect")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self, drain_s: float = 2.0) -> None:
        """End the stream once what was fed has aired (the end of the last item is still in the
        encoder when ``play`` returns; Icecast drops what its listeners have not yet got when the
        source leaves), waiting at most ``drain_s``; then the server sees the source leave."""
        encoder = self._encoder
        if encoder is not None and not self._closed.is_set():
            wait = min(drain_s, self._fed_until - self._mono() + 0.2)
            if wait > 0:
                time.sleep(wait)
        self._closed.set()
        if encoder is not None:
            try:
                if encoder.stdin is not None:
                    encoder.stdin.close()  # the encoder writes out its last frames and exits
            except OSError:
                pass
            try:
                encoder.wait(2.0)
            except subprocess.TimeoutExpired:
                procs.terminate(encoder, grace=1.0)
            procs.forget(encoder)
        for thread in self._threads:
            if thread.name == "icecast-send":
                thread.join(timeout=2.0)  # it sends the encoder's last frames, then sees the end
        self._lost.set()
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=3.0)

    def _ffmpeg_exe(self) -> str:
        from announcer.audio.ffmpeg import ffmpeg_exe

        return ffmpeg_exe()

    def probe(self) -> str | None:
        """The server must answer on its port (no stream is opened)."""
        try:
            with socket.create_connection((self.target.host, self.target.port), timeout=2.0):
                pass
        except OSError as exc:
            return _("the Icecast server {host}:{port} does not answer: {reason}", host=self.target.host,
                     port=self.target.port, reason=exc.strerror or exc)
        return None

    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    # --- playing -----------------------------------------------------------------------------------------

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        self.open()
        item = _Item(path, _title_of(path))
        decoder = self._start_decoder(path)
        reader = threading.Thread(target=_read_pcm, args=(decoder, item), name="icecast-decode", daemon=True)
        reader.start()
        with self._lock:
            self._item = item
        self._set_title(item.title)
        limit = overrun_limit(duration_s)
        started = self._mono()
        finished = False
        try:
            while not item.done.is_set():
                if stop.wait(0.02):
                    return False
                if self._mono() - started > limit:
                    log.warning("%s was still streaming %.0f s after its start; cut off", path.name, limit)
                    return False
                if self._closed.is_set():
                    raise SinkError(_("the stream to {name} was closed", name=self.name))
            finished = True
        finally:
            with self._lock:
                if self._item is item:
                    self._item = None
            procs.terminate(decoder, grace=1.0)
            procs.forget(decoder)
            reader.join(timeout=2.0)
            self._set_title(self.target.stream_name)
        if decoder.returncode not in (0, None) and item.first_at is None:
            raise SinkError(_("ffmpeg cannot decode {name} (status {status})", name=path.name,
                              status=decoder.returncode),
                            file=path)
        if finished:
            lost = self._lost_during(item)
            if lost > 0.05:
                raise SinkCut(_("the stream to {name} was down for {lost} s of this item: listeners missed that part",
                                name=self.name, lost=f"{lost:.1f}"), file=path)
        return True

    def _start_decoder(self, path: Path) -> subprocess.Popen[bytes]:
        exe = self._ffmpeg or self._ffmpeg_exe()
        try:
            return procs.spawn([exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "s16le",
                                "-ar", str(RATE), "-ac", str(CHANNELS), "pipe:1"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise SinkError(_("cannot run ffmpeg: {reason}", reason=exc.strerror or exc)) from None

    def _decode_all(self, path: Path) -> bytes:
        exe = self._ffmpeg or self._ffmpeg_exe()
        try:
            done = procs.run([exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "s16le",
                              "-ar", str(RATE), "-ac", str(CHANNELS), "pipe:1"], timeout=60.0)
        except (OSError, procs.ChildTimeout) as exc:
            log.error("the Icecast filler %s cannot be read (%s); silence plays between items", path, exc)
            return b""
        if done.returncode != 0:
            log.error("the Icecast filler %s cannot be decoded; silence plays between items", path)
            return b""
        return bytes(done.stdout[: len(done.stdout) - len(done.stdout) % FRAME_BYTES])

    def _lost_during(self, item: _Item) -> float:
        """Seconds of ``item`` that went to the encoder while the server was not connected."""
        if item.first_at is None:
            return 0.0
        start, end = item.first_at, item.last_at or self._mono()
        lost = 0.0
        with self._lock:
            for down, up in self._outages:
                assert down is not None
                lost += max(0.0, min(end, up if up is not None else end) - max(start, down))
        return lost

    # --- the pump: PCM at real pace ----------------------------------------------------------------------

    def _pump(self) -> None:
        encoder = self._encoder
        assert encoder is not None and encoder.stdin is not None
        chunk_bytes = CHUNK_FRAMES * FRAME_BYTES
        silence = bytes(chunk_bytes)
        origin = self._mono()
        written = 0.0
        while not self._closed.is_set():
            with self._lock:
                item = self._item
            ready = item is not None and bool(item.chunks or item.eof.is_set())
            # Audio goes in up to the lead; silence only just in time, so an item that is still
            # starting (or the next one being handed over) follows the last one without a gap.
            limit = self._lead if ready else SILENCE_MARGIN_S
            ahead = origin + written - self._mono()
            if ahead > limit:
                time.sleep(min(ahead - limit, 0.01))
                continue
            if ahead < -1.0:
                # A stall (a suspended machine, a starved CPU): start again from now rather than
                # sending the backlog in a burst.
                origin, written = self._mono(), 0.0
            data = None
            if item is not None:
                if item.chunks:
                    data = item.chunks.popleft()
                    now = self._mono()
                    item.first_at = item.first_at or now
                    item.last_at = now
                elif item.eof.is_set():
                    item.done.set()
                    with self._lock:
                        if self._item is item:
                            self._item = None
                    continue
                else:
                    item.starved += 1
            if data is None:
                data = self._between_items(chunk_bytes) or silence
            try:
                encoder.stdin.write(data)
            except (OSError, ValueError):
                if not self._closed.is_set():
                    log.error("the MP3 encoder of %s stopped", self.name)
                return
            written += len(data) / (FRAME_BYTES * RATE)
            self._fed_until = origin + written

    def _between_items(self, size: int) -> bytes:
        if not self._filler_pcm:
            return b""
        pcm = self._filler_pcm
        out = bytearray()
        while len(out) < size:
            take = pcm[self._filler_at: self._filler_at + size - len(out)]
            out += take
            self._filler_at = (self._filler_at + len(take)) % len(pcm)
        return bytes(out)

    # --- the sender and the connection ------------------------------------------------------------------

    def _send(self) -> None:
        encoder = self._encoder
        assert encoder is not None and encoder.stdout is not None
        fd = encoder.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 16384)
            except OSError:
                data = b""
            if not data:
                return
            with self._lock:
                sock = self._sock
            if sock is None:
                continue  # down: the timeline goes on, this part is lost
            try:
                sock.sendall(data)
            except OSError as exc:
                self._drop(sock, f"{exc.strerror or exc}")

    def _drop(self, sock: socket.socket, why: str) -> None:
        with self._lock:
            if self._sock is not sock:
                return
            self._sock = None
            self._outages.append([self._mono(), None])
            del self._outages[:-100]
        self._connected.clear()
        _close(sock)
        if not self._closed.is_set():
            log.error("lost the stream to %s (%s); reconnecting", self.name, why)
            self._lost.set()

    def _connect_loop(self) -> None:
        attempt = 0
        first = True
        while not self._closed.is_set():
            try:
                sock = self._connect()
            except SinkError as exc:
                if attempt == 0 or attempt % 10 == 0:
                    log.error("%s; retrying", exc)
                wait = self._backoff[min(attempt, len(self._backoff) - 1)]
                attempt += 1
                if self._closed.wait(wait):
                    return
                continue
            with self._lock:
                if self._closed.is_set():
                    _close(sock)
                    return
                self._sock = sock
                if self._outages and self._outages[-1][1] is None:
                    self._outages[-1][1] = self._mono()
            self._connected.set()
            (log.info if first else log.warning)("streaming to %s", self.name)
            first = False
            attempt = 0
            self._set_title(self._title)
            self._lost.clear()
            self._lost.wait()

    def _connect(self) -> socket.socket:
        """A PUT to the mount, with the 100-continue handshake Icecast 2.4 answers."""
        target = self.target
        try:
            sock = socket.create_connection((target.host, target.port), timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            with self._lock:
                if not self._outages or self._outages[-1][1] is not None:
                    self._outages.append([self._mono(), None])
            raise SinkError(_("cannot reach the Icecast server {host}:{port}: {reason}", host=target.host,
                              port=target.port, reason=exc.strerror or exc)) from None
        head = (f"PUT {quote(target.mount)} HTTP/1.1\r\n"
                f"Host: {target.host}:{target.port}\r\n"
                f"Authorization: Basic {_basic(target.user, target.password)}\r\n"
                "User-Agent: announcer\r\n"
                "Content-Type: audio/mpeg\r\n"
                "Ice-Public: 0\r\n"
                f"Ice-Name: {_header_text(target.stream_name)}\r\n"
                f"Ice-Audio-Info: samplerate={RATE};channels={CHANNELS};bitrate={target.bitrate}\r\n"
                "Expect: 100-continue\r\n\r\n")
        try:
            sock.sendall(head.encode("utf-8"))
            status, reason = _read_status(sock)
        except OSError as exc:
            _close(sock)
            raise SinkError(_("the Icecast server {host}:{port} did not answer: {reason}", host=target.host,
                              port=target.port, reason=exc.strerror or exc)) from None
        if status in (100, 200):
            sock.settimeout(SEND_TIMEOUT_S)
            return sock
        _close(sock)
        if status == 401:
            raise SinkError(_("the Icecast server refused user {user!r} on {mount} (wrong password?)", user=target.user,
                              mount=target.mount),
                            hint=_("check {env} or [icecast] key in secrets.toml", env=PASSWORD_ENV))
        raise SinkError(_("the Icecast server answered {status} {reason} for {mount}", status=status, reason=reason,
                          mount=target.mount))

    # --- metadata ----------------------------------------------------------------------------------------

    def _set_title(self, title: str) -> None:
        self._title = title
        if not self._connected.is_set():
            return
        threading.Thread(target=self._send_title, args=(title,), name="icecast-meta", daemon=True).start()

    def _send_title(self, title: str) -> None:
        target = self.target
        path = (f"/admin/metadata?mount={quote(target.mount)}&mode=updinfo&charset=UTF-8"
                f"&song={quote(stream_title(title), safe='')}")
        conn = http.client.HTTPConnection(target.host, target.port, timeout=5.0)
        try:
            conn.request("GET", path, headers={"Authorization": f"Basic {_basic(target.user, target.password)}",
                                               "User-Agent": "announcer"})
            response = conn.getresponse()
            response.read()
            if response.status != 200 and not self._closed.is_set():
                log.warning("the Icecast server did not take the title (HTTP %s)", response.status)
        except OSError as exc:
            log.warning("cannot send the title to the Icecast server: %s", exc.strerror or exc)
        finally:
            conn.close()


def stream_title(title: str) -> str:
    """The title without Vietnamese diacritics: Icecast hands MP3 titles to receivers in Latin-1,
    where "chủng" would arrive as "ch&#7911;ng"; "Thong bao tiem chung" reads on any display."""
    import unicodedata

    text = title.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return "".join(c if c.isprintable() else " " for c in text)[:200]


def _read_pcm(decoder: subprocess.Popen[bytes], item: _Item) -> None:
    stream = decoder.stdout
    assert stream is not None
    size = CHUNK_FRAMES * FRAME_BYTES
    try:
        while True:
            data = stream.read(size)
            if not data:
                break
            if len(data) % FRAME_BYTES:
                data += bytes(FRAME_BYTES - len(data) % FRAME_BYTES)
            item.chunks.append(data)
            # Keep at most a few seconds decoded ahead (a long program need not sit in memory).
            while len(item.chunks) > 250 and not item.done.is_set():
                time.sleep(0.05)
    except (OSError, ValueError):
        pass
    finally:
        item.eof.set()


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _header_text(text: str) -> str:
    return "".join(c for c in text if c not in "\r\n")[:200]


def _read_status(sock: socket.socket) -> tuple[int, str]:
    """The status of the server's answer (reads up to the blank line after the headers)."""
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data:
        more = sock.recv(4096)
        if not more:
            break
        data += more
        if len(data) > 65536:
            break
    line = data.split(b"\n", 1)[0].decode("latin-1").strip()
    parts = line.split(" ", 2)
    try:
        return int(parts[1]), parts[2] if len(parts) > 2 else ""
    except (IndexError, ValueError):
        return 0, line[:80] or "no answer"


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
