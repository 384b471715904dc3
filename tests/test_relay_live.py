"""Relays for real: ffmpeg reads an MP3 stream that the test serves on loopback at real pace, and the
file sink's output is measured. Windows last seconds; bounds are generous (a loaded machine)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from announcer.config import Relay, Station
from announcer.schedule.clock import rehearsal_clock
from announcer.schedule.handover import play_command
from announcer.schedule.levels import Level
from announcer.schedule.relay import RelayScheduler, RelaySession, RelayWindow, wav_seconds
from announcer.schedule.runlock import RunLock
from announcer.schedule.runner import Runner
from announcer.schedule.sinks import FileSink
from announcer.schedule.store import PlayerStore
from tests.audio_checks import decode, ebur128
from tests.relay_upstream import Upstream, make_mp3, make_wav
from tests.test_schedule_fixtures import make_station, records, script_text, station_store

STREAM_HZ, FALLBACK_HZ = 440, 1000


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("relay-media")
    make_mp3(folder / "upstream.mp3", 60, STREAM_HZ)
    make_wav(folder / "cho.wav", 30, FALLBACK_HZ)
    return folder


def _station(tmp_path: Path, media: Path) -> Station:
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "cho.wav").write_bytes((media / "cho.wav").read_bytes())
    return Station(root=tmp_path)


def _relay(url: str, seconds: float, **options: object) -> Relay:
    settings: dict[str, object] = {"start_timeout_s": 3, "stall_timeout_s": 3, "retry_max_s": 2, "segment_s": 1,
                                   "fallback": "media/cho.wav"}
    settings.update(options)
    return Relay(name="vov1", url=url, at="06:00", duration_s=seconds, **settings)  # type: ignore[arg-type]


def _air(station: Station, relay: Relay, *, preroll: float = 0.0) -> tuple[dict, list[Path], RelaySession]:
    """Air one window of ``relay`` now through a file sink; (its as-run record, output files in order)."""
    store = PlayerStore(station.state_dir)
    sink = FileSink(station.root / "out")
    now = datetime.now(UTC)
    start = now + timedelta(seconds=preroll)
    window = RelayWindow(relay, start, start + timedelta(seconds=relay.duration_s))
    scheduler = RelayScheduler(store, lambda: datetime.now(UTC), lambda: sink)
    session = RelaySession(window, window.key, station=station, store=store, sink=lambda: sink,
                           clock=lambda: datetime.now(UTC), feed=scheduler.feed)
    if preroll:
        session.prepare()
        time.sleep(preroll)
    session.play(threading.Event())
    (record,) = store.asrun_records()
    store.close()
    out = station.root / "out"
    files = sorted(out.iterdir(), key=lambda p: p.stat().st_mtime_ns) if out.exists() else []
    return record, files, session


def _tone(path: Path) -> int:
    """The dominant frequency of a file, Hz (rounded to 10)."""
    samples = decode(path).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return int(round(np.fft.rfftfreq(len(samples), 1 / 44100)[int(np.argmax(spectrum))], -1))


def _kinds(files: list[Path]) -> list[str]:
    """'stream' or 'fallback' per output file, in air order, repeats collapsed."""
    out: list[str] = []
    for path in files:
        kind = "fallback" if path.name.endswith("_cho.wav") else "stream"
        if not out or out[-1] != kind:
            out.append(kind)
    return out


def _joined(files: list[Path], folder: Path) -> Path:
    import wave

    target = folder / "joined.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        for path in files:
            with wave.open(str(path), "rb") as piece:
                out.writeframes(piece.readframes(piece.getnframes()))
    return target


def test_a_normal_window_airs_the_stream_at_the_station_loudness(tmp_path: Path, media: Path) -> None:
    station = _station(tmp_path, media)
    with Upstream(media / "upstream.mp3") as upstream:
        record, files, _ = _air(station, _relay(upstream.url, 8), preroll=5)
    assert record["status"] == "played", record
    assert record["causes"] == [] and record["error"] is None and record["first_audio"]
    assert _kinds(files) == ["stream"]
    aired = sum(wav_seconds(p) for p in files)
    assert 6 <= aired <= 12  # the window is 8 s; a piece may end past it
    assert record["missing_min"] <= 0.05
    assert _tone(files[len(files) // 2]) == STREAM_HZ
    loudness, peak = ebur128(_joined(files[2:], tmp_path))  # after loudnorm's first seconds
    assert -16 - 2 <= loudness <= -16 + 2, loudness  # the station's [audio] loudness_lufs
    assert peak <= -1.5 + 0.5
    assert upstream.connections == 1


def test_a_fixed_gain_replaces_the_levelling(tmp_path: Path, media: Path) -> None:
    station = _station(tmp_path, media)
    with Upstream(media / "upstream.mp3") as upstream:
        record, files, _ = _air(station, _relay(upstream.url, 5, gain_db=-6.0), preroll=2)
    assert record["status"] == "played", record
    loudness, _ = ebur128(_joined(files, tmp_path))
    # The tone is sent at about -22 LUFS: 6 dB down, not pulled up to the station's -16.
    assert -30 <= loudness <= -26, loudness


def test_a_stream_that_never_answers_airs_the_fallback_and_is_retried(tmp_path: Path, media: Path) -> None:
    station = _station(tmp_path, media)
    with Upstream(media / "upstream.mp3", "silent") as upstream:
        record, files, session = _air(station, _relay(upstream.url, 9, gain_db=0.0))
        connections = upstream.connections
    assert record["status"] == "failed", record
    assert record["first_audio"] is None and record["stream_min"] == 0
    assert any("no audio" in c or "could not be opened" in c for c in record["causes"]), record
    assert _kinds(files) == ["fallback"]
    assert _tone(files[0]) == FALLBACK_HZ
    assert record["fallback_min"] * 60 >= 3  # heard for most of the window after the start timeout
    assert connections >= 2 and session.feed is not None and session.feed.attempts >= 2


def test_a_stream_that_drops_halfway_comes_back_after_the_fallback(tmp_path: Path, media: Path) -> None:
    station = _station(tmp_path, media)
    with Upstream(media / "upstream.mp3", "drop", drop_after=4, down_s=3) as upstream:
        record, files, _ = _air(station, _relay(upstream.url, 16, gain_db=0.0))
        connections = upstream.connections
    assert record["status"] == "partial", record
    assert _kinds(files) == ["stream", "fallback", "stream"], [p.name for p in files]
    fallback = next(p for p in files if p.name.endswith("_cho.wav"))
    assert _tone(fallback) == FALLBACK_HZ
    assert any("dropped" in c for c in record["causes"]), record
    assert 0 < record["missing_min"] < 16 / 60
    assert f"{record['missing_min']:.1f} min missing" in record["error"]
    assert record["stream_min"] * 60 >= 5
    assert connections >= 2


def test_an_emergency_cuts_into_the_relay_and_the_relay_resumes(tmp_path: Path, media: Path) -> None:
    with Upstream(media / "upstream.mp3") as upstream:
        make_station(tmp_path, scripts={"bao": script_text(title="Bão số 3", level="khẩn cấp")},
                     renders={"bao": 2.0}, toml=f"""\
timezone = "Asia/Ho_Chi_Minh"
intro = ""
outro = ""

[[relay]]
name = "vov1"
url = "{upstream.url}"
at = "06:00"
duration = "14s"
fallback = "media/cho.wav"
segment_s = 1
""")
        _station(tmp_path, media)
        clock = rehearsal_clock(datetime(2021, 6, 19, 22, 59, 56, tzinfo=UTC))  # 05:59:56 in Hanoi
        runner = Runner(tmp_path, FileSink(tmp_path / "aired"), clock=clock, renderer=lambda s, p: [],
                        status_fn=lambda station, script: "fresh", background_render=False,
                        store=station_store(tmp_path))
        runner.start()
        stop = threading.Event()
        loop = threading.Thread(target=runner.run_forever, args=(stop,), daemon=True)
        loop.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(_aired(tmp_path)) < 3:
                time.sleep(0.1)
            assert len(_aired(tmp_path)) >= 3, "the relay did not come on air"
            with RunLock(tmp_path / ".state"):
                assert play_command(tmp_path, "scripts/bao.md", None, clock=clock, renderer=lambda s, p: [],
                                    level=Level.KHAN_CAP, report=lambda text: None) == 0
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not any(r["source"] == "relay" for r in records(tmp_path)):
                time.sleep(0.2)
        finally:
            stop.set()
            loop.join(10)
            runner.stop()
    by_source = {r["source"]: r for r in records(tmp_path)}
    relay, bao = by_source["relay"], by_source["play"]
    assert bao["status"] == "played" and bao["script"] == "scripts/bao.md"
    assert relay["status"] == "played", relay  # own items cutting in are not "missing"
    assert "own items cut in" in relay["error"]
    names = [p.name.split("_", 1)[1] for p in _aired(tmp_path)]
    at = names.index("bao.mp3")
    assert at >= 3 and any(n.startswith("piece") for n in names[at + 1:]), names  # the relay resumed
    assert relay["started"] < bao["started"] < relay["ended"]


def _aired(root: Path, zone: str | None = None) -> list[Path]:
    folder = root / (f"aired-{zone}" if zone else "aired")
    if not folder.exists():
        return []
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime_ns)



def test_with_two_zones_the_relay_airs_in_both_and_an_emergency_cuts_only_its_zone(
        tmp_path: Path, media: Path) -> None:
    with Upstream(media / "upstream.mp3") as upstream:
        make_station(tmp_path, scripts={"chay-cho": script_text(title="Cháy chợ", level="khẩn cấp", zones="[cho]")},
                     renders={"chay-cho": 2.0}, toml=f"""\
timezone = "Asia/Ho_Chi_Minh"
intro = ""
outro = ""

[[zone]]
name = "cho"
sink = "file:aired-cho"

[[zone]]
name = "truong"
sink = "file:aired-truong"

[[relay]]
name = "vov1"
url = "{upstream.url}"
at = "06:00"
duration = "14s"
fallback = "media/cho.wav"
segment_s = 1
""")
        _station(tmp_path, media)
        clock = rehearsal_clock(datetime(2021, 6, 19, 22, 59, 56, tzinfo=UTC))  # 05:59:56 in Hanoi
        runner = Runner(tmp_path, clock=clock, renderer=lambda s, p: [],
                        status_fn=lambda station, script: "fresh", background_render=False,
                        store=station_store(tmp_path))
        runner.start()
        stop = threading.Event()
        loop = threading.Thread(target=runner.run_forever, args=(stop,), daemon=True)
        loop.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and min(len(_aired(tmp_path, z)) for z in ("cho", "truong")) < 3:
                time.sleep(0.1)
            assert len(_aired(tmp_path, "cho")) >= 3 and len(_aired(tmp_path, "truong")) >= 3, "not on air"
            with RunLock(tmp_path / ".state"):
                assert play_command(tmp_path, "scripts/chay-cho.md", None, clock=clock, renderer=lambda s, p: [],
                                    level=Level.KHAN_CAP, report=lambda text: None) == 0
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and len([r for r in records(tmp_path) if r["source"] == "relay"]) < 2:
                time.sleep(0.2)
        finally:
            stop.set()
            loop.join(10)
            runner.stop()
    relays = {r["zone"]: r for r in records(tmp_path) if r["source"] == "relay"}
    assert sorted(relays) == ["cho", "truong"]
    assert all(r["status"] == "played" and r["title"] == "vov1" for r in relays.values()), relays
    assert "own items cut in" in relays["cho"]["error"]
    assert relays["truong"]["error"] is None or "own items" not in relays["truong"]["error"]
    (fire,) = [r for r in records(tmp_path) if r["source"] == "play"]
    assert fire["zone"] == "cho" and fire["status"] == "played"
    cho = [p.name.split("_", 1)[1] for p in _aired(tmp_path, "cho")]
    truong = [p.name.split("_", 1)[1] for p in _aired(tmp_path, "truong")]
    at = cho.index("chay-cho.mp3")
    assert at >= 3 and any(n.startswith("piece") for n in cho[at + 1:]), cho  # cho's relay resumed
    assert "chay-cho.mp3" not in truong and all(n.startswith("piece") for n in truong), truong
    # Each zone's copy of the stream: about the window's length of audio in each.
    assert 10 <= sum(wav_seconds(p) for p in _aired(tmp_path, "truong")) <= 18
