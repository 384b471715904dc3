"""The Icecast sink against a real icecast2 server on loopback (skipped only when it is not installed).

Items are steady tones, so a listener can tell each one apart (its frequency), and see a cut,
a gap or a wrong level in what it decoded.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from announcer.errors import ConfigError
from announcer.schedule.icecast import PASSWORD_ENV, IcecastSink, parse_icecast
from announcer.schedule.runner import play_command
from announcer.schedule.sinks import parse_sink, probe_sink, sink_spec_problem
from tests.icecast_server import (
    ICECAST,
    SOURCE_PASSWORD,
    IcecastServer,
    Listener,
    decode_mp3,
    sounding,
    tone,
)
from tests.test_schedule_fixtures import records

needs_icecast = pytest.mark.skipif(ICECAST is None, reason="icecast2 is not installed (apt-get install icecast2)")
RATE = 8000


@pytest.fixture()
def server() -> Iterator[IcecastServer]:
    srv = IcecastServer().start()
    try:
        yield srv
    finally:
        srv.cleanup()


@pytest.fixture()
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, SOURCE_PASSWORD)
    return SOURCE_PASSWORD


@pytest.fixture()
def sinks() -> Iterator[list[IcecastSink]]:
    made: list[IcecastSink] = []
    yield made
    for sink in made:
        sink.close()


def streaming(server: IcecastServer, mount: str, sinks: list[IcecastSink], **kwargs: object) -> IcecastSink:
    sink = parse_sink(server.sink_spec(mount) + "".join(f"?{k}={v}" for k, v in kwargs.items()))
    assert isinstance(sink, IcecastSink)
    sinks.append(sink)
    sink.open()
    assert sink.wait_connected(10)
    assert server.wait_mount(mount)
    return sink


def heard(listener: Listener) -> list:
    return sounding(decode_mp3(listener.stop()), RATE)


# --- the sink as written ---------------------------------------------------------------------------------


def test_spec_parts_and_password_from_the_environment() -> None:
    target = parse_icecast("icecast://nguon@10.0.0.5:8010/cho?bitrate=64&name=Loa chợ",
                           environ={PASSWORD_ENV: "bi-mat"})
    assert (target.user, target.host, target.port, target.mount) == ("nguon", "10.0.0.5", 8010, "/cho")
    assert target.bitrate == 64 and target.stream_name == "Loa chợ"
    assert target.password == "bi-mat"
    assert "bi-mat" not in repr(target) and "bi-mat" not in target.url


def test_password_from_secrets_toml(tmp_path: Path) -> None:
    (tmp_path / "secrets.toml").write_text('[icecast]\nkey = "tu-tep"\n', encoding="utf-8")
    assert parse_icecast("icecast://source@127.0.0.1:8000/a", root=tmp_path, environ={}).password == "tu-tep"
    # The environment wins over the file.
    assert parse_icecast("icecast://source@127.0.0.1:8000/a", root=tmp_path,
                         environ={PASSWORD_ENV: "tu-env"}).password == "tu-env"


@pytest.mark.parametrize(("spec", "words"), [
    ("icecast://source:lo-ra@127.0.0.1:8000/a", "must not be written in the sink"),
    ("icecast://source@127.0.0.1:8000/", "names no mount"),
    ("icecast://source@127.0.0.1:cong/a", "port"),
    ("icecast://source@127.0.0.1:8000/a?bitrate=5", "bitrate"),
    ("icecast://source@127.0.0.1:8000/a?volume=3", "unknown Icecast sink option"),
])
def test_badly_written_sinks_are_refused(spec: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        parse_icecast(spec, environ={PASSWORD_ENV: "x"})
    assert "lo-ra" not in str(caught.value) + str(caught.value.hint)
    assert sink_spec_problem(spec) is not None


def test_missing_password_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Icecast password") as caught:
        parse_icecast("icecast://source@127.0.0.1:8000/a", root=tmp_path, environ={})
    assert PASSWORD_ENV in str(caught.value.hint) and "secrets.toml" in str(caught.value.hint)


def test_init_keeps_secrets_out_of_git(tmp_path: Path) -> None:
    from announcer.station_init import init_station

    init_station(tmp_path / "st")
    assert "secrets.toml" in (tmp_path / "st" / ".gitignore").read_text(encoding="utf-8").split()


def test_probe_names_a_server_that_does_not_answer(password: str) -> None:
    from tests.icecast_server import free_port

    problem = probe_sink(f"icecast://source@127.0.0.1:{free_port()}/a")
    assert problem is not None and "does not answer" in problem


# --- on a real server --------------------------------------------------------------------------------------


@needs_icecast
def test_items_arrive_whole_at_their_length_and_level(server: IcecastServer, password: str,
                                                      sinks: list[IcecastSink], tmp_path: Path) -> None:
    sink = streaming(server, "/phuong", sinks)
    listener = Listener(server.url("/phuong")).start()
    first = tone(tmp_path / "a.mp3", 440, 1.5, volume_db=-6, title="Thông báo tiêm chủng")
    second = tone(tmp_path / "b.mp3", 660, 2.5, volume_db=-16, title="Lịch cắt điện")
    titles: list[str] = []
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            status = server.mount_status("/phuong") or {}
            titles.append(status.get("title", ""))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stop = threading.Event()
    assert sink.play(first, 1.5, stop) is True
    assert sink.play(second, 2.5, stop) is True
    time.sleep(1.0)
    watching.set()
    watcher.join()
    samples = decode_mp3(listener.stop())
    spans = sounding(samples, RATE)
    # One sound: the two items follow each other with no gap, each whole.
    assert len(spans) == 1, spans
    (whole,) = spans
    change = change_point(samples, 440, 660, whole.start, whole.end)
    assert whole.seconds == pytest.approx(4.0, abs=0.06)
    assert change - whole.start == pytest.approx(1.5, abs=0.06)
    # Loudness as sent: the stream keeps each item's level (measured the same way on both sides:
    # decoded to mono at the listener's rate, then ffmpeg's ebur128).
    got = stream_loudness(samples, [(whole.start, change), (change, whole.end)], tmp_path)
    sent = [stream_loudness(decode_mp3(item.read_bytes()), [(0.0, seconds)], tmp_path)[0]
            for item, seconds in ((first, 1.5), (second, 2.5))]
    assert sent[0] - sent[1] == pytest.approx(10, abs=1.0)
    assert got[0] == pytest.approx(sent[0], abs=1.0)
    assert got[1] == pytest.approx(sent[1], abs=1.0)
    # The mount showed each item's title while it played, then the stream's own name.
    # (without diacritics: Icecast sends MP3 titles to receivers in Latin-1).
    assert "Thong bao tiem chung" in titles and "Lich cat dien" in titles
    assert titles[-1] == "announcer"


def strength(samples, hz: float, at: float, width: float = 0.02) -> float:  # noqa: ANN001
    """How much of the tone ``hz`` sounds around ``at`` (seconds)."""
    import numpy as np

    part = samples[max(0, int((at - width) * RATE)): int((at + width) * RATE)]
    t = np.arange(len(part)) / RATE
    return float(abs(np.dot(part, np.exp(-2j * np.pi * hz * t)))) if len(part) else 0.0


def change_point(samples, first_hz: float, next_hz: float, start: float, end: float) -> float:  # noqa: ANN001
    """The first moment (5 ms steps) where ``next_hz`` sounds louder than ``first_hz``."""
    at = start
    while at < end:
        if strength(samples, next_hz, at) > strength(samples, first_hz, at):
            return at
        at += 0.005
    return end


def stream_loudness(samples, stretches: list[tuple[float, float]], tmp_path: Path) -> list[float]:  # noqa: ANN001
    import wave

    import numpy as np

    from tests.audio_checks import ebur128_span

    path = tmp_path / "heard.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    # The stream is stereo; the mono decode averages equal channels, so the level is the same.
    return [ebur128_span(path, begin + 0.1, end - 0.1) for begin, end in stretches]


@needs_icecast
def test_stream_stays_up_with_silence_between_items(server: IcecastServer, password: str,
                                                    sinks: list[IcecastSink]) -> None:
    streaming(server, "/im-lang", sinks)
    listener = Listener(server.url("/im-lang")).start()
    time.sleep(2.5)
    received = listener.data()
    listener.stop()
    # ~2.5 s of a 128 kbit/s stream arrived (not a mount that waits for items), all of it silence.
    assert len(received) > 0.8 * 2.5 * 128_000 / 8
    samples = decode_mp3(received)
    assert len(samples) / RATE > 2.0
    assert sounding(samples, RATE) == []
    assert server.mount_status("/im-lang") is not None


@needs_icecast
def test_a_configured_filler_plays_between_items(server: IcecastServer, password: str,
                                                 sinks: list[IcecastSink], tmp_path: Path) -> None:
    bed = tone(tmp_path / "nen.mp3", 300, 0.7, volume_db=-30)
    item = tone(tmp_path / "tin.mp3", 800, 1.0, volume_db=-6)
    sink = streaming(server, "/nen", sinks, filler=bed)
    listener = Listener(server.url("/nen")).start()
    time.sleep(1.0)
    assert sink.play(item, 1.0, threading.Event())
    time.sleep(1.6)
    samples = decode_mp3(listener.stop())
    (whole,) = sounding(samples, RATE, bridge=0.1)  # the bed leaves no silence at all
    item_at = change_point(samples, 300, 800, whole.start, whole.end)
    item_end = change_point(samples, 800, 300, item_at + 0.5, whole.end)
    assert item_end - item_at == pytest.approx(1.0, abs=0.06)
    # The bed before and after the item (several loops of it), and not under the item.
    for at in (item_at - 0.8, item_at - 0.3, item_end + 0.3, item_end + 0.7):
        assert strength(samples, 300, at) > 5 * strength(samples, 800, at), at
    assert strength(samples, 300, item_at + 0.5) < strength(samples, 800, item_at + 0.5) / 5


@needs_icecast
def test_password_never_on_a_command_line_nor_in_the_log(server: IcecastServer, password: str,
                                                         sinks: list[IcecastSink], tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sink = streaming(server, "/kin", sinks)
    item = tone(tmp_path / "a.mp3", 500, 8.0, title="Họp tổ dân phố")
    stop = threading.Event()
    playing = threading.Thread(target=sink.play, args=(item, 8.0, stop))
    playing.start()
    time.sleep(0.5)  # its decoder waits (it decodes at most a few seconds ahead)
    seen = [_cmdline(pid) for pid in _descendants(os.getpid())]
    stop.set()
    playing.join()
    # The encoder and the decoder are running, and none of them shows the password.
    assert any(b"libmp3lame" in cmd for cmd in seen) and any(b"a.mp3" in cmd for cmd in seen)
    assert not any(password.encode() in cmd for cmd in seen)
    server.stop()  # errors and reconnect attempts are logged too
    time.sleep(1.5)
    assert "lost the stream" in caplog.text or "cannot reach" in caplog.text
    assert password not in caplog.text and password not in sink.name and password not in repr(sink.target)


def _descendants(pid: int) -> list[int]:
    """Our child processes, theirs, and so on (other programs on the machine are not ours to judge)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            out += [child, *_descendants(child)]
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@needs_icecast
def test_a_wrong_password_is_said_and_retried(server: IcecastServer, monkeypatch: pytest.MonkeyPatch,
                                              sinks: list[IcecastSink], caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "sai-mat-khau")
    sink = parse_sink(server.sink_spec("/sai"))
    assert isinstance(sink, IcecastSink)
    sinks.append(sink)
    sink.open()
    assert not sink.wait_connected(1.5)
    assert "refused user 'source'" in caplog.text
    assert "sai-mat-khau" not in caplog.text
    # Once the right password is in place, the next attempt gets through.
    sink.target.password = SOURCE_PASSWORD
    assert sink.wait_connected(15)


@needs_icecast
def test_server_restart_mid_item_stream_comes_back_and_the_log_says_cut(
        server: IcecastServer, password: str, sinks: list[IcecastSink], tmp_path: Path) -> None:
    station = tmp_path / "st"
    station.mkdir()
    item = tone(tmp_path / "dai.mp3", 440, 10.0, title="Thông báo dài")
    after = tone(tmp_path / "sau.mp3", 880, 2.0, title="Tin sau")
    sink = streaming(server, "/khoi-dong", sinks)
    outcome: list[int] = []
    playing = threading.Thread(target=lambda: outcome.append(play_command(station, item, None, sink_obj=sink)))
    playing.start()
    time.sleep(2.0)
    down = time.monotonic()
    server.stop()
    time.sleep(0.5)
    server.start()
    listener = Listener(server.url("/khoi-dong"))
    assert sink.wait_connected(15)
    outage = time.monotonic() - down
    assert outage < 6.0, "the stream came back while the item still plays"
    listener.start()
    playing.join(20)
    assert outcome == [1]
    [record] = records(station)
    assert record["status"] == "cut"
    assert "was down for" in record["error"] and "listeners missed" in record["error"]
    lost = float(record["error"].split("was down for ")[1].split(" s")[0])
    assert lost == pytest.approx(outage, abs=0.6)
    # The next item goes out whole on the same stream.
    assert play_command(station, after, None, sink_obj=sink) == 0
    time.sleep(0.8)
    samples = decode_mp3(listener.stop())
    # What the listener got after the restart: the rest of the cut item, then the next one whole.
    (heard_span,) = sounding(samples, RATE)
    second_at = change_point(samples, 440, 880, heard_span.start, heard_span.end)
    assert second_at - heard_span.start > 0.5
    assert heard_span.end - second_at == pytest.approx(2.0, abs=0.06)
    assert records(station)[-1]["status"] == "played"


def two_tones(path: Path, first: tuple[float, float], second: tuple[float, float]) -> Path:
    """One MP3: a tone, then another (so the end of the item is recognisable)."""
    import subprocess

    from tests.icecast_server import ffmpeg

    (hz1, s1), (hz2, s2) = first, second
    subprocess.run([ffmpeg(), "-y", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency={hz1}:duration={s1}",
                    "-f", "lavfi", "-i", f"sine=frequency={hz2}:duration={s2}", "-filter_complex",
                    "[0:a][1:a]concat=n=2:v=0:a=1,volume=12dB", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "96k",
                    str(path)], check=True)
    return path


@needs_icecast
def test_announcer_play_alone_streams_the_item_to_its_end(server: IcecastServer, password: str,
                                                          tmp_path: Path) -> None:
    station = tmp_path / "st"
    station.mkdir()
    item = two_tones(tmp_path / "tin.mp3", (440, 2.0), (880, 0.6))
    listener = Listener(server.url("/mot-lan"), retry=0.02)
    listening = threading.Thread(target=listener.start, daemon=True)
    listening.start()
    assert play_command(station, item, server.sink_spec("/mot-lan")) == 0
    listening.join(5)
    time.sleep(0.5)
    samples = decode_mp3(listener.stop())
    # The listener joined once the mount was up (a moment into the item); the end must be all there.
    (span,) = sounding(samples, RATE)
    tail_at = change_point(samples, 440, 880, span.start, span.end)
    assert span.end - tail_at == pytest.approx(0.6, abs=0.06)
    assert records(station)[-1]["status"] == "played"
    assert server.mount_status("/mot-lan") is None  # the source left when play ended
