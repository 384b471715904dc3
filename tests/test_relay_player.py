"""Relays inside the player, without a network: who may cut a relay, resuming, and surviving faults."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from announcer.config import Relay, Station
from announcer.schedule.levels import Level
from announcer.schedule.model import Item, Occurrence
from announcer.schedule.player import Job, Player
from announcer.schedule.relay import RelayScheduler, RelaySession, RelayWindow
from announcer.schedule.sinks import FileSink, SinkError
from announcer.schedule.store import PlayerStore
from announcer.script import Script
from tests.relay_upstream import make_wav
from tests.test_schedule_fixtures import BlockingSink, no_wait


class FakeRelay:
    """A relay window that plays until cut; ``close()`` ends its window."""

    def __init__(self, fail: bool = False) -> None:
        self.done = False
        self.plays = 0
        self.abandoned: str | None = None
        self.on_air = threading.Event()
        self.resumed = threading.Event()
        self._closed = threading.Event()
        self._fail = fail

    def play(self, cut: threading.Event) -> None:
        self.plays += 1
        if self.plays >= 2:
            self.resumed.set()
        if self._fail:
            raise RuntimeError("the relay broke")
        self.on_air.set()
        while not cut.is_set():
            if self._closed.wait(0.01):
                self.done = True
                return
        self.on_air.clear()

    def close(self) -> None:
        self._closed.set()

    def abandon(self, why: str) -> None:
        self.abandoned = why


AT = datetime(2021, 6, 19, 23, 0, tzinfo=UTC)


def _relay_job(relay: FakeRelay) -> Job:
    item = Item("relay", Path("."), title="vov1")
    return Job(Occurrence(AT, None, "relay", [item]), item, "played", relay=relay)


def _job(name: str, level: Level, *, source: str = "slot", handed_over: bool = False) -> Job:
    script = Script(path=Path(f"{name}.md"), title=name, body="", explicit_level=level)
    item = Item("script", Path(f"{name}.mp3"), script, name, 0, level)
    return Job(Occurrence(AT, None, source, [item]), item, "played", handed_over=handed_over)


class Recorder:
    def __init__(self) -> None:
        self.order: list[str] = []

    def __call__(self, job: Job, cut: threading.Event) -> None:
        self.order.append(job.item.title)


def _on_air() -> tuple[Player, Recorder, FakeRelay]:
    recorder = Recorder()
    player = Player(BlockingSink(), recorder)
    player.start()
    relay = FakeRelay()
    player.submit([_relay_job(relay)], urgent=True)
    assert relay.on_air.wait(5)
    return player, recorder, relay


def test_uu_tien_cuts_into_the_relay_which_resumes_and_thong_thuong_waits_for_its_end() -> None:
    player, rec, relay = _on_air()
    player.submit([_job("hop-to", Level.THONG_THUONG)])
    player.submit([_job("tiem-chung", Level.UU_TIEN)])
    assert relay.resumed.wait(5)  # cut once, resumed
    assert rec.order == ["tiem-chung"]
    relay.close()
    assert player.wait_idle(5)
    assert rec.order == ["tiem-chung", "hop-to"]
    player.stop()


def test_khan_cap_cuts_into_the_relay() -> None:
    player, rec, relay = _on_air()
    player.submit([_job("bao", Level.KHAN_CAP)], urgent=True)
    assert relay.resumed.wait(5)
    assert rec.order == ["bao"]
    player.stop()


def test_an_urgent_thong_thuong_repeat_does_not_cut_the_relay() -> None:
    player, rec, relay = _on_air()
    player.submit([_job("nhac-lai", Level.THONG_THUONG, source="every")], urgent=True)
    assert not relay.on_air.wait(0) or relay.plays == 1
    assert rec.order == [] and relay.plays == 1
    relay.close()
    assert player.wait_idle(5)
    assert rec.order == ["nhac-lai"]
    player.stop()


def test_a_hand_over_from_play_cuts_into_the_relay() -> None:
    player, rec, relay = _on_air()
    player.submit([_job("thong-bao", Level.THONG_THUONG, handed_over=True)], urgent=True)
    assert relay.resumed.wait(5)
    assert rec.order == ["thong-bao"]
    player.stop()


def test_items_that_may_cut_a_waiting_relay_go_first_the_rest_after_it() -> None:
    """An emergency on air while the relay waits: a ưu tiên item queued meanwhile goes before the
    relay resumes; a thông thường one after the relay's end."""
    recorder = Recorder()
    gate = threading.Event()

    def play(job: Job, cut: threading.Event) -> None:
        recorder.order.append(job.item.title)
        if job.item.title == "bao":
            gate.wait(5)

    player = Player(BlockingSink(), play)
    player.start()
    relay = FakeRelay()
    player.submit([_relay_job(relay)], urgent=True)
    assert relay.on_air.wait(5)
    player.submit([_job("bao", Level.KHAN_CAP)], urgent=True)
    player.submit([_job("hop-to", Level.THONG_THUONG), _job("mat-dien", Level.UU_TIEN)])
    gate.set()
    assert relay.resumed.wait(5) and recorder.order == ["bao", "mat-dien"]
    relay.close()
    assert player.wait_idle(5)
    assert recorder.order == ["bao", "mat-dien", "hop-to"]
    player.stop()


def test_a_relay_that_raises_does_not_stop_the_player() -> None:
    recorder = Recorder()
    player = Player(BlockingSink(), recorder)
    player.start()
    player.submit([_relay_job(FakeRelay(fail=True))], urgent=True)
    player.submit([_job("hop-to", Level.THONG_THUONG)])
    assert player.wait_idle(5)
    assert recorder.order == ["hop-to"]
    player.stop()


def test_stopping_the_player_closes_a_waiting_relays_record() -> None:
    gate, playing = threading.Event(), threading.Event()

    def play(job: Job, cut: threading.Event) -> None:
        playing.set()
        gate.wait(5)

    player = Player(BlockingSink(), play)
    player.start()
    relay = FakeRelay()
    player.submit([_relay_job(relay)], urgent=True)
    assert relay.on_air.wait(5)
    player.submit([_job("bao", Level.KHAN_CAP)], urgent=True)
    assert playing.wait(5)  # the relay waits to resume
    player.stop(timeout=0.5)
    gate.set()
    assert relay.abandoned == "the player stopped"


def test_stopping_the_player_closes_the_record_of_a_relay_on_air() -> None:
    player = Player(BlockingSink(), lambda job, cut: None)
    player.start()
    relay = FakeRelay()
    player.submit([_relay_job(relay)], urgent=True)
    assert relay.on_air.wait(5)
    player.stop()
    assert relay.abandoned == "the player stopped"


# --- RelaySession faults, no network ------------------------------------------------------------------


def _window(seconds: float, **options: object) -> RelayWindow:
    relay = Relay(name="vov1", url="http://127.0.0.1:9/none.mp3", at="06:00", duration_s=seconds,
                  start_timeout_s=1, stall_timeout_s=1, retry_max_s=1, segment_s=1, **options)  # type: ignore[arg-type]
    start = datetime.now(UTC)
    return RelayWindow(relay, start, start + timedelta(seconds=seconds))


def _no_ffmpeg(argv: object) -> object:
    raise FileNotFoundError(2, "No such file or directory")


def _session(tmp_path: Path, window: RelayWindow, sink: object, spawn=_no_ffmpeg) -> tuple[RelaySession, PlayerStore]:  # noqa: ANN001
    store = PlayerStore(tmp_path / ".state")
    scheduler = RelayScheduler(store, lambda: datetime.now(UTC), lambda: sink, spawn=spawn)  # type: ignore[arg-type]
    session = RelaySession(window, window.key, station=Station(root=tmp_path), store=store, sink=lambda: sink,  # type: ignore[arg-type, return-value]
                           clock=lambda: datetime.now(UTC), feed=scheduler.feed)
    return session, store


def test_without_ffmpeg_the_fallback_airs_and_the_relay_is_logged_failed(tmp_path: Path) -> None:
    make_wav(tmp_path / "cho.wav", 10, 1000)
    sink = FileSink(tmp_path / "out")
    session, store = _session(tmp_path, _window(3, fallback="cho.wav"), sink)
    session.play(threading.Event())
    (record,) = store.asrun_records()
    assert record["status"] == "failed" and "cannot run ffmpeg" in record["error"]
    assert record["causes"][0].startswith("cannot run ffmpeg")
    assert [p.name.split("_", 1)[1] for p in (tmp_path / "out").iterdir()] == ["cho.wav"]
    assert session.feed is not None and session.feed.attempts >= 2  # retried inside the window
    store.close()


def test_a_missing_fallback_means_silence_not_a_crash(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "out")
    session, store = _session(tmp_path, _window(2, fallback="khong-co.wav"), sink)
    session.play(threading.Event())
    (record,) = store.asrun_records()
    assert record["status"] == "failed" and "silence aired" in record["error"]
    assert not (tmp_path / "out").exists()
    store.close()


class BrokenSink:
    name = "broken"

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        raise SinkError("the sound card is gone")

    def probe(self) -> str | None:
        return None


def test_a_sink_that_fails_on_the_fallback_still_leaves_a_record(tmp_path: Path) -> None:
    make_wav(tmp_path / "cho.wav", 5, 1000)
    session, store = _session(tmp_path, _window(2, fallback="cho.wav"), BrokenSink())
    session.play(threading.Event())
    (record,) = store.asrun_records()
    assert record["status"] == "failed" and "the sound card is gone" in record["error"]
    store.close()


def test_a_window_over_before_the_player_got_to_it_is_logged_failed(tmp_path: Path) -> None:
    window = _window(1)
    window = RelayWindow(window.relay, window.start - timedelta(seconds=5), window.end - timedelta(seconds=5))
    session, store = _session(tmp_path, window, FileSink(tmp_path / "out", wait=no_wait))
    session.play(threading.Event())
    (record,) = store.asrun_records()
    assert record["status"] == "failed" and "window was over" in record["error"]
    store.close()


def test_a_window_joined_after_a_restart_airs_the_rest_as_a_new_part(tmp_path: Path) -> None:
    root = tmp_path
    (root / "station.toml").write_text(
        '[[relay]]\nname = "vov1"\nurl = "http://127.0.0.1:9/x.mp3"\nat = "05:59"\nduration = "1h"\n',
        encoding="utf-8")
    from announcer.config import load_station

    station = load_station(root)
    store = PlayerStore(root / ".state")
    store.open()
    now = datetime(2021, 6, 19, 23, 10, tzinfo=UTC)  # 06:10 in Hanoi
    key = "2021-06-20T05:59|relay:vov1"
    store.start(key, {"scheduled": "x", "status": "started"})
    scheduler = RelayScheduler(store, lambda: now, lambda: BlockingSink(), spawn=_no_ffmpeg)  # type: ignore[arg-type]
    (session,) = scheduler.sessions(station, now)
    assert session.key == key + "|part-2"
    assert scheduler.sessions(station, now + timedelta(seconds=1)) == []  # submitted once
    session.discard()
    store.close()


def test_a_window_is_prepared_ahead_and_submitted_when_it_opens(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text(
        '[[relay]]\nname = "vov1"\nurl = "http://127.0.0.1:9/x.mp3"\nat = "06:00"\nduration = "1h"\n',
        encoding="utf-8")
    from announcer.config import load_station

    station = load_station(tmp_path)
    store = PlayerStore(tmp_path / ".state")
    before = datetime(2021, 6, 19, 22, 59, 55, tzinfo=UTC)
    scheduler = RelayScheduler(store, lambda: before, lambda: BlockingSink(), spawn=_no_ffmpeg)  # type: ignore[arg-type]
    assert scheduler.sessions(station, before) == []
    (waiting,) = scheduler._waiting.values()
    assert waiting.feed is not None and waiting.feed.started()  # the stream opens ahead of the window
    (session,) = scheduler.sessions(station, before + timedelta(seconds=5))
    assert session is waiting
    scheduler.stop()
    session.discard()
    store.close()


def test_a_relay_added_while_the_player_runs_opens_without_a_restart(tmp_path: Path) -> None:
    """AzuraCast #6379, #7459: a remote stream scheduled or moved after the start never aired until a
    restart. Here an edit of station.toml is enough."""
    from tests.test_schedule_fixtures import FakeClock, make_station, start_runner, utc

    make_station(tmp_path)
    clock = FakeClock(utc("2021-06-19 22:58:00"))
    rig = start_runner(tmp_path, clock, sink=BlockingSink())
    rig.runner.relays = RelayScheduler(rig.runner.store, clock, lambda: BlockingSink(),
                                       spawn=_no_ffmpeg)  # type: ignore[arg-type]
    config = tmp_path / "station.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[[relay]]\nname = "vov1"\n'
                      'url = "http://127.0.0.1:9/x.mp3"\nat = "06:00"\nduration = "2m"\n', encoding="utf-8")
    rig.runner.reload_if_changed()
    clock.set(utc("2021-06-19 23:00:01"))
    rig.runner.take_relays()
    player = rig.runner.player
    assert player is not None
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while datetime.now(UTC) < deadline and not rig.runner.store.get("2021-06-20T06:00|relay:vov1"):
        threading.Event().wait(0.05)
    assert rig.runner.store.get("2021-06-20T06:00|relay:vov1") is not None  # on air (recorded before it airs)
    rig.runner.stop()
    (record,) = [r for r in rig.records() if r["source"] == "relay"]
    assert record["title"] == "vov1" and record["status"] == "failed" and "the player stopped" in record["error"]


FAKE_FFMPEG = r"""
import struct, sys, time, wave
from pathlib import Path
folder, pieces, status = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for n in range(pieces):
    name = f"piece{n:06d}.wav"
    with wave.open(str(folder / name), "wb") as out:
        out.setnchannels(1); out.setsampwidth(2); out.setframerate(8000)
        out.writeframes(struct.pack("<h", 1000) * 1600)
    with open(folder / "pieces.csv", "a") as listing:
        listing.write(f"{name},{n * 0.2},{(n + 1) * 0.2}\n")
    time.sleep(0.2)
sys.exit(status)
"""


def test_the_feed_is_failing_from_a_drop_until_audio_comes_back(tmp_path: Path) -> None:
    """A stand-in for ffmpeg (same outputs: WAV pieces and their list) that sends 2 pieces and
    drops, then sends 30: ``failing`` is set by the drop and cleared by the first new piece."""
    import subprocess
    import sys

    runs = iter([("2", "1"), ("30", "0")])
    seen: list[bool] = []

    def spawn(argv):  # noqa: ANN001, ANN202
        folder = Path(argv[-1]).parent
        pieces, status = next(runs, ("0", "1"))
        seen.append(feed.failing.is_set())
        return subprocess.Popen([sys.executable, "-c", FAKE_FFMPEG, str(folder), pieces, status],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    relay = Relay(name="vov1", url="http://127.0.0.1:9/x.mp3", at="06:00", duration_s=60, segment_s=1,
                  start_timeout_s=5, stall_timeout_s=5)
    feed_over = threading.Event()
    from announcer.schedule.relay import StreamFeed

    feed = StreamFeed(relay, Station(root=tmp_path), feed_over.is_set, spawn=spawn, folder=tmp_path / "feed")
    feed.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        while datetime.now(UTC) < deadline and len(seen) < 2:
            threading.Event().wait(0.05)
        assert seen == [False, True]  # the second start comes after a drop
        while datetime.now(UTC) < deadline and feed.failing.is_set():
            threading.Event().wait(0.05)
        assert not feed.failing.is_set()  # cleared by the first piece of the new connection
        assert any("dropped" in text for _, text in feed.causes)
    finally:
        feed_over.set()
        feed.stop()


# --- zones: one relay session per zone -----------------------------------------------------------------

ZONED = """\
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
url = "http://127.0.0.1:9/x.mp3"
at = "06:00"
duration = "3s"
fallback = "nhac-cho.wav"
start_timeout_s = 1
retry_max_s = 1
"""


def test_a_relay_names_its_zones_and_an_unknown_one_is_named_at_its_line(tmp_path: Path) -> None:
    from announcer.config import load_station, station_problems

    (tmp_path / "station.toml").write_text(ZONED + 'zones = ["truong"]\n', encoding="utf-8")
    assert load_station(tmp_path).relays[0].zones == ["truong"]
    text = ZONED + 'zones = ["truong", "khu-3"]\n'
    (tmp_path / "station.toml").write_text(text, encoding="utf-8")
    _, problems = station_problems(tmp_path)
    (problem,) = problems
    assert "unknown zone 'khu-3'" in problem.message and "relay 'vov1'" in problem.message
    assert problem.line == len(text.splitlines())  # the zones line
    assert problem.hint is not None and "cho, truong" in problem.hint
    (tmp_path / "station.toml").write_text(ZONED + "zones = 3\n", encoding="utf-8")
    (problem,) = station_problems(tmp_path)[1]
    assert "list of zone names" in problem.message


def test_check_names_a_relays_unknown_zone(tmp_path: Path) -> None:
    from announcer.schedule.check import run_checks

    make_wav(tmp_path / "nhac-cho.wav", 2, 1000)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "station.toml").write_text(ZONED + 'zones = ["khu-3"]\n', encoding="utf-8")
    text = ZONED + 'zones = ["khu-3"]\n'
    found = [p for p in run_checks(tmp_path, status_fn=lambda s, c: "fresh") if "unknown zone" in p.message]
    assert [(p.severity, p.line) for p in found] == [("error", len(text.splitlines()))], found
    assert "'khu-3'" in found[0].message


def test_two_relays_at_once_in_different_zones_are_not_an_overlap(tmp_path: Path) -> None:
    from announcer.config import load_station
    from announcer.schedule.relay import relay_problems

    other = ZONED.split("[[relay]]")[1].replace('"vov1"', '"dai-tinh"')
    make_wav(tmp_path / "nhac-cho.wav", 2, 1000)
    (tmp_path / "station.toml").write_text(ZONED + 'zones = ["cho"]\n[[relay]]' + other + 'zones = ["truong"]\n',
                                           encoding="utf-8")
    assert not [p for p in relay_problems(load_station(tmp_path)) if "overlaps relay" in p.message]
    (tmp_path / "station.toml").write_text(ZONED + "[[relay]]" + other + 'zones = ["truong"]\n', encoding="utf-8")
    assert [p for p in relay_problems(load_station(tmp_path)) if "overlaps relay" in p.message]


def _zoned_run(tmp_path: Path, toml: str) -> list[dict]:
    """Run the station across its 3 s relay window with ffmpeg missing: each zone's relay session airs
    the fallback through its own file sink. The relay's as-run records."""
    from announcer.schedule.clock import rehearsal_clock
    from announcer.schedule.runner import Runner
    from tests.test_schedule_fixtures import make_station, records, station_store

    make_station(tmp_path, toml=toml)
    make_wav(tmp_path / "nhac-cho.wav", 1, 1000)
    clock = rehearsal_clock(datetime(2021, 6, 19, 22, 59, 59, tzinfo=UTC))  # 05:59:59 in Hanoi, real pace
    runner = Runner(tmp_path, clock=clock, renderer=lambda s, p: [], status_fn=lambda station, script: "fresh",
                    background_render=False, store=station_store(tmp_path))
    runner.start()
    runner.relays = RelayScheduler(runner.store, clock, lambda: BlockingSink(),  # type: ignore[arg-type, return-value]
                                   spawn=_no_ffmpeg)  # type: ignore[arg-type]
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=6)
        while datetime.now(UTC) < deadline:
            runner.take_relays()
            threading.Event().wait(0.1)
        assert runner.player is not None and runner.player.wait_idle(20)
    finally:
        runner.stop()
    return sorted((r for r in records(tmp_path) if r["source"] == "relay"), key=lambda r: r.get("zone", ""))


def _zone_files(root: Path, zone: str) -> list[str]:
    folder = root / f"aired-{zone}"
    return sorted({p.name.split("_", 1)[1] for p in folder.iterdir()}) if folder.exists() else []


def test_a_relay_airs_in_every_zone_each_on_its_own_sink(tmp_path: Path) -> None:
    relays = _zoned_run(tmp_path, ZONED)
    assert [(r["zone"], r["title"], r["status"]) for r in relays] == [("cho", "vov1", "failed"),
                                                                       ("truong", "vov1", "failed")]
    assert all("fallback aired" in r["error"] for r in relays), relays
    assert _zone_files(tmp_path, "cho") == ["nhac-cho.wav"]
    assert _zone_files(tmp_path, "truong") == ["nhac-cho.wav"]


def test_a_relay_naming_one_zone_airs_only_there(tmp_path: Path) -> None:
    relays = _zoned_run(tmp_path, ZONED + 'zones = ["truong"]\n')
    assert [(r["zone"], r["title"]) for r in relays] == [("truong", "vov1")]
    assert _zone_files(tmp_path, "truong") == ["nhac-cho.wav"]
    assert _zone_files(tmp_path, "cho") == []


def test_an_emergency_in_one_zone_cuts_only_that_zones_relay(tmp_path: Path) -> None:
    from announcer.config import Zone
    from announcer.schedule.zones import ZonePlayers

    recorder = Recorder()
    sinks: list = [(Zone("cho", "file:a"), BlockingSink()), (Zone("truong", "file:b"), BlockingSink())]
    players = ZonePlayers(sinks, recorder)
    players.start()
    relays = {"cho": FakeRelay(), "truong": FakeRelay()}
    for zone, relay in relays.items():
        job = _relay_job(relay)
        job.zone = zone
        players.submit([job], urgent=True)
    assert all(relay.on_air.wait(5) for relay in relays.values())
    bao = _job("chay-cho", Level.KHAN_CAP)
    bao.item.script.zones = ["cho"]  # type: ignore[union-attr]
    players.submit([bao], urgent=True)
    assert relays["cho"].resumed.wait(5)  # cut by the emergency, then resumed
    assert recorder.order == ["chay-cho"]
    assert relays["truong"].plays == 1 and relays["truong"].on_air.is_set()  # never cut
    for relay in relays.values():
        relay.close()
    assert players.wait_idle(5)
    players.stop()


def test_a_zones_relay_cut_by_a_crash_keeps_its_zone_in_the_record(tmp_path: Path) -> None:
    """A run killed mid-window leaves the relay 'started'; the next start closes it as 'cut', zone and all."""
    from announcer.schedule.runner import Runner
    from tests.test_schedule_fixtures import FakeClock, make_station, records, station_store, utc

    make_station(tmp_path, toml=ZONED)
    store = PlayerStore(tmp_path / ".state")
    store.open()
    window = RelayWindow(load_relay(tmp_path), utc("2021-06-19 23:00"), utc("2021-06-19 23:00:03"))
    session = RelaySession(window, window.key + "@truong", station=Station(root=tmp_path), store=store,
                           sink=BlockingSink, clock=lambda: utc("2021-06-19 23:00:01"),  # type: ignore[arg-type]
                           feed=RelayScheduler(store, datetime.now, BlockingSink).feed, zone="truong")  # type: ignore[arg-type]
    session.started = utc("2021-06-19 23:00:01")
    session._record_start()
    store.close()
    runner = Runner(tmp_path, BlockingSink(), clock=FakeClock(utc("2021-06-19 23:05")),  # type: ignore[arg-type]
                    renderer=lambda s, p: [], status_fn=lambda station, script: "fresh",
                    background_render=False, store=station_store(tmp_path))
    runner.start()
    runner.stop()
    (record,) = [r for r in records(tmp_path) if r["source"] == "relay"]
    assert (record["status"], record["zone"], record["title"]) == ("cut", "truong", "vov1")


def load_relay(root: Path) -> Relay:
    from announcer.config import load_station

    return load_station(root).relays[0]
