"""A real Icecast 2 server on loopback for tests and benchmarks, and a listener that records a mount.

The server runs Debian's ``icecast2`` binary with its own configuration in a temporary folder,
on free loopback ports, as an unprivileged user (Icecast refuses to run as root: when we are
root it is started through ``setpriv`` as nobody).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    import numpy as np

ICECAST = shutil.which("icecast2") or shutil.which("icecast")
SOURCE_PASSWORD = "hoang-hon-42"
ADMIN_PASSWORD = "quan-tri-7"
RELAY_PASSWORD = "tiep-am-9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _share() -> Path:
    for candidate in ("/usr/share/icecast2", "/usr/share/icecast", "/etc/icecast2"):
        if Path(candidate, "web").is_dir():
            return Path(candidate)
    return Path("/usr/share/icecast2")


@dataclass
class IcecastServer:
    """One icecast process; ``start``/``stop`` may be called again (a restart keeps the port)."""

    port: int = field(default_factory=free_port)
    relay_of: tuple[int, str] | None = None
    """(master port, mount): this server pulls that mount from a master on loopback."""
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="icecast-")))
    proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        share = _share()
        relay = ""
        if self.relay_of is not None:
            master_port, mount = self.relay_of
            relay = (f"<relay><server>127.0.0.1</server><port>{master_port}</port><mount>{mount}</mount>"
                     f"<local-mount>{mount}</local-mount><on-demand>0</on-demand>"
                     "<relay-shoutcast-metadata>1</relay-shoutcast-metadata></relay>")
        return f"""<icecast>
  <location>loopback</location><admin>test@localhost</admin>
  <limits><clients>50</clients><sources>10</sources><queue-size>1048576</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout><source-timeout>5</source-timeout>
    <burst-on-connect>0</burst-on-connect><burst-size>0</burst-size></limits>
  <authentication><source-password>{SOURCE_PASSWORD}</source-password>
    <relay-password>{RELAY_PASSWORD}</relay-password>
    <admin-user>admin</admin-user><admin-password>{ADMIN_PASSWORD}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  {relay}
  <fileserve>1</fileserve>
  <paths><basedir>{share}</basedir><logdir>{self.folder}/log</logdir><webroot>{share}/web</webroot>
    <adminroot>{share}/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot></security>
</icecast>
"""

    def start(self, timeout: float = 10.0) -> IcecastServer:
        assert ICECAST is not None
        log_dir = self.folder / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o755)
        os.chmod(log_dir, 0o777)
        conf = self.folder / "icecast.xml"
        conf.write_text(self.config(), encoding="utf-8")
        os.chmod(conf, 0o644)
        argv = [ICECAST, "-c", str(conf)]
        if os.geteuid() == 0:
            argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"icecast exited with {self.proc.returncode}: {self.error_log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("icecast did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def error_log(self) -> str:
        path = self.folder / "log" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, mount: str) -> str:
        return f"http://127.0.0.1:{self.port}{mount}"

    def sink_spec(self, mount: str) -> str:
        return f"icecast://source@127.0.0.1:{self.port}{mount}"

    def status(self) -> dict[str, dict[str, str]]:
        """Mount -> its statistics (title, listeners...), from the server's admin page
        (``/admin/stats``: the status-json page of Icecast 2.4.4 is not valid JSON when idle)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/admin/stats")
        token = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            root = ElementTree.fromstring(response.read())
        return {str(source.get("mount")): {child.tag: child.text or "" for child in source}
                for source in root.iter("source")}

    def mount_status(self, mount: str) -> dict[str, str] | None:
        return self.status().get(mount)

    def wait_mount(self, mount: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.mount_status(mount) is not None:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False


class Listener:
    """Records what a mount sends, as it arrives (with the monotonic time of each piece)."""

    def __init__(self, url: str, retry: float = 0.2) -> None:
        self.url = url
        self.retry = retry
        self.pieces: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = threading.Event()
        self.headers: dict[str, str] = {}

    def start(self, timeout: float = 10.0) -> Listener:
        self._thread.start()
        if not self.started.wait(timeout):
            raise RuntimeError(f"could not listen to {self.url}")
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    self.headers = {k.lower(): v for k, v in response.headers.items()}
                    self.started.set()
                    while not self._stop.is_set():
                        data = response.read1(4096)
                        if not data:
                            break
                        self.pieces.append((time.monotonic(), data))
            except OSError:
                pass
            if self._stop.wait(self.retry):  # no mount (yet, or any more): listen again, like a receiver does
                break

    def stop(self) -> bytes:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.data()

    def data(self) -> bytes:
        return b"".join(piece for _, piece in list(self.pieces))


# --- what a listener heard ------------------------------------------------------------------------------

def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def tone(path: Path, hz: float, seconds: float, *, volume_db: float = -12.0, title: str | None = None) -> Path:
    """An MP3 of one steady tone peaking at ``volume_db`` dBFS (so any cut or gap shows), with an ID3
    title like a render's."""
    argv = [ffmpeg(), "-y", "-v", "error", "-f", "lavfi", "-i",
            f"sine=frequency={hz}:duration={seconds}:sample_rate=44100",
            "-af", f"volume={volume_db + 18:.1f}dB", "-c:a", "libmp3lame", "-b:a", "96k"]
    if title:
        argv += ["-metadata", f"title={title}"]
    subprocess.run([*argv, str(path)], check=True)
    return path


def decode_mp3(data: bytes, rate: int = 8000) -> np.ndarray:
    """Mono float samples of MP3 bytes (a stream cut anywhere decodes: the decoder resyncs)."""
    import numpy as np

    done = subprocess.run([ffmpeg(), "-v", "quiet", "-f", "mp3", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar",
                           str(rate), "pipe:1"], input=data, capture_output=True, check=False)
    return np.frombuffer(done.stdout, dtype="<i2").astype(np.float64) / 32768.0


@dataclass
class Span:
    start: float
    end: float
    hz: float
    """The dominant frequency."""
    rms_db: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def sounding(samples: np.ndarray, rate: int = 8000, floor_db: float = -45.0, window: float = 0.005,
             bridge: float = 0.0) -> list[Span]:
    """The stretches that are not silence (5 ms windows), each with its frequency and level;
    gaps shorter than ``bridge`` seconds are joined."""
    import numpy as np

    size = int(rate * window)
    count = len(samples) // size
    if count == 0:
        return []
    frames = samples[: count * size].reshape(count, size)
    level = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12)
    loud = level > floor_db
    spans: list[list[int]] = []
    for index, on in enumerate(loud):
        if not on:
            continue
        if spans and (index - spans[-1][1]) * window <= bridge + window:
            spans[-1][1] = index + 1
        else:
            spans.append([index, index + 1])
    out = []
    for first, last in spans:
        part = samples[first * size: last * size]
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        hz = float(np.fft.rfftfreq(len(part), 1 / rate)[int(spectrum.argmax())])
        rms = 20 * np.log10(np.sqrt((part ** 2).mean()) + 1e-12)
        out.append(Span(first * window, last * window, hz, float(rms)))
    return out
