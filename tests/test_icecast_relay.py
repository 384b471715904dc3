"""Past one machine: Icecast's own relay. A relay server pulls the master's mount and carries the
same audio; receivers of a far cluster listen to the relay (README: "Nhiều máy chủ Icecast")."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from announcer.schedule.icecast import PASSWORD_ENV, IcecastSink
from announcer.schedule.sinks import parse_sink
from tests.icecast_server import ICECAST, SOURCE_PASSWORD, IcecastServer, Listener, decode_mp3, sounding, tone

pytestmark = pytest.mark.skipif(ICECAST is None, reason="icecast2 is not installed (apt-get install icecast2)")


@pytest.fixture()
def servers() -> Iterator[list[IcecastServer]]:
    made: list[IcecastServer] = []
    yield made
    for server in made:
        server.cleanup()


def test_a_relay_server_carries_the_masters_mount(servers: list[IcecastServer], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, SOURCE_PASSWORD)
    master = IcecastServer().start()
    servers.append(master)
    sink = parse_sink(master.sink_spec("/phuong"))
    assert isinstance(sink, IcecastSink)
    try:
        sink.open()
        assert sink.wait_connected(10) and master.wait_mount("/phuong")
        relay = IcecastServer(relay_of=(master.port, "/phuong")).start()
        servers.append(relay)
        assert relay.wait_mount("/phuong", timeout=15), relay.error_log()[-1500:]
        at_master = Listener(master.url("/phuong")).start()
        at_relay = Listener(relay.url("/phuong")).start()
        item = tone(tmp_path / "tin.mp3", 523, 2.0, volume_db=-6, title="Thông báo họp dân")
        assert sink.play(item, 2.0, threading.Event())
        time.sleep(1.0)
        heard = {name: sounding(decode_mp3(listener.stop()), 8000)
                 for name, listener in (("master", at_master), ("relay", at_relay))}
    finally:
        sink.close()
    for name in ("master", "relay"):
        (span,) = heard[name]
        assert span.hz == pytest.approx(523, abs=20), name
        assert span.seconds == pytest.approx(2.0, abs=0.06), name
    assert abs(heard["master"][0].rms_db - heard["relay"][0].rms_db) < 0.5
