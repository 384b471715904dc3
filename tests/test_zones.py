"""Zones: [[zone]] speaker clusters, each with its own sink and timeline; scripts pick theirs with zones:."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from announcer.config import load_station, station_problems
from announcer.schedule.icecast import PASSWORD_ENV
from announcer.schedule.runlock import RunLock
from announcer.schedule.runner import Runner, play_command
from announcer.schedule.zones import ZonePlayers
from announcer.script import parse_script
from tests.icecast_server import ICECAST, SOURCE_PASSWORD, IcecastServer, Listener, decode_mp3, sounding, tone
from tests.test_schedule_fixtures import STATION, FakeClock, make_station, records, script_text, station_store, utc

ZONES = STATION + """
[[zone]]
name = "cho"
sink = "file:aired-cho"

[[zone]]
name = "truong"
sink = "file:aired-truong"
"""


def start(root: Path, clock: FakeClock) -> Runner:
    # rate: the file sinks wait each item's length 1000 times faster.
    runner = Runner(root, clock=clock, renderer=lambda station, paths: [], status_fn=lambda station, script: "fresh",
                    background_render=False, store=station_store(root), rate=1000.0)
    runner.start()
    return runner


def aired(root: Path, zone: str) -> list[str]:
    """What the zone's file sink got, by name (items aired within one second share a timestamp)."""
    folder = root / f"aired-{zone}"
    return sorted(p.name.split("_", 1)[1] for p in folder.glob("*_*")) if folder.exists() else []


def settle(runner: Runner) -> None:
    assert runner.player is not None and runner.player.wait_idle(10)


# --- station.toml and front matter ------------------------------------------------------------------------


def test_zones_are_read_with_their_sinks(tmp_path: Path) -> None:
    make_station(tmp_path, toml=ZONES)
    station = load_station(tmp_path)
    assert [(z.name, z.sink) for z in station.zones] == [("cho", "file:aired-cho"), ("truong", "file:aired-truong")]
    assert station.zones[0].line == ZONES.splitlines().index("[[zone]]") + 1


@pytest.mark.parametrize(("table", "words", "key"), [
    ('sink = "soundcard"', "has no name", None),
    ('name = "cho"', "no sink", None),
    ('name = "cho"\nsink = "loa:1"', "unknown sink", "sink"),
    ('name = "cho"\nsink = "icecast://source:bimat@127.0.0.1:8000/cho"', "must not be written in the sink", "sink"),
    ('name = "cho"\nsink = "icecast://source@127.0.0.1:8000"', "names no mount", "sink"),
    ('name = "cho"\nsink = "soundcard"\nvolume = 3', "unknown setting 'volume'", "volume"),
])
def test_a_bad_zone_is_named_at_its_line(tmp_path: Path, table: str, words: str, key: str | None) -> None:
    text = STATION + "\n[[zone]]\n" + table + "\n"
    make_station(tmp_path, toml=text)
    station, problems = station_problems(tmp_path)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert words in problem.message and problem.hint
    lines = text.splitlines()
    expected = next(i for i, line in enumerate(lines, 1) if line.startswith(key)) if key else (
        lines.index("[[zone]]") + 1)
    assert problem.line == expected
    assert "bimat" not in str(problem)
    assert station.zones == []


def test_a_zone_declared_twice_is_refused(tmp_path: Path) -> None:
    make_station(tmp_path, toml=ZONES + '\n[[zone]]\nname = "cho"\nsink = "soundcard"\n')
    _, problems = station_problems(tmp_path)
    assert [p.message for p in problems] == ["zone 'cho' is declared twice"]


def test_script_names_its_zones(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(script_text(slots="[sang]", zones="[cho, khu-3]"), encoding="utf-8")
    assert parse_script(path).zones == ["cho", "khu-3"]
    path.write_text(script_text(slots="[sang]"), encoding="utf-8")
    assert parse_script(path).zones == []


# --- one timeline per zone ----------------------------------------------------------------------------------


def test_each_zone_airs_its_own_items_at_the_same_minute(tmp_path: Path) -> None:
    scripts = {
        "cho": script_text(slots="[sang]", zones="[cho]"),
        "truong": script_text(slots="[sang]", zones="[truong]"),
        "chung": script_text(slots="[sang]"),
    }
    make_station(tmp_path, toml=ZONES, scripts=scripts, renders={"cho": 1.0, "truong": 1.0, "chung": 1.0})
    clock = FakeClock(utc("2021-06-19 22:59:59"))
    runner = start(tmp_path, clock)
    assert isinstance(runner.player, ZonePlayers)
    runner.tick()
    clock.set(utc("2021-06-19 23:00"))
    runner.tick()
    settle(runner)
    assert aired(tmp_path, "cho") == ["cho.mp3", "chung.mp3"]
    assert aired(tmp_path, "truong") == ["chung.mp3", "truong.mp3"]
    got = sorted((r["zone"], r["script"], r["status"]) for r in records(tmp_path))
    assert got == [("cho", "scripts/cho.md", "played"), ("cho", "scripts/chung.md", "played"),
                   ("truong", "scripts/chung.md", "played"), ("truong", "scripts/truong.md", "played")]
    runner.stop()
    # A restart airs nothing again in either zone.
    runner = start(tmp_path, FakeClock(utc("2021-06-19 23:01")))
    runner.tick()
    settle(runner)
    assert len(records(tmp_path)) == 4 and len(aired(tmp_path, "cho")) == 2
    runner.stop()


def test_a_slot_jingle_follows_the_scripts_of_its_slot(tmp_path: Path) -> None:
    toml = ZONES.replace('name = "sang"\n', 'name = "sang"\nintro = "jingles/mo.mp3"\n')
    make_station(tmp_path, toml=toml, scripts={"cho": script_text(slots="[sang]", zones="[cho]")},
                 renders={"cho": 1.0})
    (tmp_path / "jingles").mkdir()
    (tmp_path / "jingles" / "mo.mp3").write_bytes(b"ID3fake-jingle")
    clock = FakeClock(utc("2021-06-19 22:59:59"))
    runner = start(tmp_path, clock)
    runner.tick()
    clock.set(utc("2021-06-19 23:00"))
    runner.tick()
    settle(runner)
    assert aired(tmp_path, "cho") == ["cho.mp3", "mo.mp3"]
    assert aired(tmp_path, "truong") == []
    runner.stop()


def test_an_emergency_goes_to_every_zone_unless_it_names_some(tmp_path: Path) -> None:
    scripts = {
        "khan": script_text(title="Khẩn cấp"),
        "khan-cho": script_text(title="Khẩn cấp chợ", zones="[cho]"),
    }
    make_station(tmp_path, toml=ZONES, scripts=scripts, renders={"khan": 1.0, "khan-cho": 1.0})
    clock = FakeClock(utc("2021-06-19 23:00"))
    runner = start(tmp_path, clock)
    with RunLock(tmp_path / ".state"):
        for name in ("khan", "khan-cho"):
            assert play_command(tmp_path, f"scripts/{name}.md", None, clock=clock, renderer=lambda s, p: [],
                                report=lambda text: None) == 0
    runner.take_requests()
    settle(runner)
    assert aired(tmp_path, "cho") == ["khan-cho.mp3", "khan.mp3"]
    assert aired(tmp_path, "truong") == ["khan.mp3"]
    zones = sorted((r["script"], r["zone"], r["source"]) for r in records(tmp_path))
    assert zones == [("scripts/khan-cho.md", "cho", "play"), ("scripts/khan.md", "cho", "play"),
                     ("scripts/khan.md", "truong", "play")]
    runner.stop()


def test_an_urgent_repeat_keeps_to_its_zones(tmp_path: Path) -> None:
    scripts = {"bao": script_text(every="30m", between='"06:00-07:00"', zones="[truong]")}
    make_station(tmp_path, toml=ZONES, scripts=scripts, renders={"bao": 1.0})
    clock = FakeClock(utc("2021-06-19 22:59:59"))
    runner = start(tmp_path, clock)
    runner.tick()
    clock.set(utc("2021-06-19 23:00"))
    runner.tick()
    settle(runner)
    assert aired(tmp_path, "truong") == ["bao.mp3"] and aired(tmp_path, "cho") == []
    runner.stop()


def test_a_misspelt_zone_airs_everywhere_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_station(tmp_path, toml=ZONES, scripts={"a": script_text(slots="[sang]", zones="[chợ]")}, renders={"a": 1.0})
    clock = FakeClock(utc("2021-06-19 22:59:59"))
    runner = start(tmp_path, clock)
    runner.tick()
    clock.set(utc("2021-06-19 23:00"))
    runner.tick()
    settle(runner)
    assert aired(tmp_path, "cho") == ["a.mp3"] and aired(tmp_path, "truong") == ["a.mp3"]
    assert "unknown zone(s) chợ" in caplog.text
    runner.stop()


def test_a_sink_given_on_the_command_line_is_one_timeline(tmp_path: Path) -> None:
    make_station(tmp_path, toml=ZONES, scripts={"a": script_text(slots="[sang]", zones="[cho]")}, renders={"a": 1.0})
    runner = Runner(tmp_path, sink_spec=f"file:{tmp_path / 'mot'}", clock=FakeClock(utc("2021-06-19 23:00")),
                    renderer=lambda s, p: [], status_fn=lambda s, c: "fresh", background_render=False,
                    store=station_store(tmp_path), rate=1000.0)
    runner.start()
    assert not isinstance(runner.player, ZonePlayers)
    runner.stop()


# --- two Icecast mounts ---------------------------------------------------------------------------------------


@pytest.fixture()
def server() -> Iterator[IcecastServer]:
    if ICECAST is None:
        pytest.skip("icecast2 is not installed (apt-get install icecast2)")
    srv = IcecastServer().start()
    try:
        yield srv
    finally:
        srv.cleanup()


def test_two_icecast_zones_carry_different_items_at_the_same_minute(
        tmp_path: Path, server: IcecastServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, SOURCE_PASSWORD)
    toml = STATION + f"""
[[zone]]
name = "cho"
sink = "{server.sink_spec('/cho')}"

[[zone]]
name = "truong"
sink = "{server.sink_spec('/truong')}"
"""
    scripts = {"cho": script_text(slots="[sang]", zones="[cho]"),
               "truong": script_text(slots="[sang]", zones="[truong]")}
    make_station(tmp_path, toml=toml, scripts=scripts)
    tone(tmp_path / "audio_out" / "cho.mp3", 440, 1.5)
    tone(tmp_path / "audio_out" / "truong.mp3", 990, 1.5)
    clock = FakeClock(utc("2021-06-19 22:59:59"))
    runner = Runner(tmp_path, clock=clock, renderer=lambda s, p: [], status_fn=lambda s, c: "fresh",
                    background_render=False, store=station_store(tmp_path))
    runner.start()
    try:
        assert server.wait_mount("/cho") and server.wait_mount("/truong")
        listeners = {mount: Listener(server.url(mount)).start() for mount in ("/cho", "/truong")}
        runner.tick()
        clock.set(utc("2021-06-19 23:00"))
        started = time.monotonic()
        runner.tick()
        settle(runner)
        assert time.monotonic() - started < 2.5, "the two zones played side by side, not one after the other"
        time.sleep(0.8)
        heard = {mount: sounding(decode_mp3(listener.stop()), 8000) for mount, listener in listeners.items()}
    finally:
        runner.stop()
    for mount, hz in (("/cho", 440), ("/truong", 990)):
        (span,) = heard[mount]
        assert span.hz == pytest.approx(hz, abs=20)
        assert span.seconds == pytest.approx(1.5, abs=0.06)
    assert {r["zone"]: r["status"] for r in records(tmp_path)} == {"cho": "played", "truong": "played"}



def test_check_names_an_unknown_zone_at_its_line(tmp_path: Path) -> None:
    from announcer.schedule.check import run_checks

    text = "---\ntitle: Họp chợ\nslots: [sang]\nzones: [cho, cho-moi]\n---\nKính thưa bà con tiểu thương.\n"
    make_station(tmp_path, toml=ZONES, scripts={"a": text}, renders={"a": 1.0})
    found = [p for p in run_checks(tmp_path, status_fn=lambda s, c: "fresh") if "zone" in p.message]
    assert [(p.message, p.line) for p in found] == [("unknown zone 'cho-moi'", 4)]
    assert "cho, truong" in str(found[0].hint)


def test_a_khan_cap_item_goes_to_every_zone_unless_it_names_some(tmp_path: Path) -> None:
    scripts = {
        "bao-lu": script_text(title="Báo lũ", times='["06:00"]', level="khan-cap"),
        "chay-cho": script_text(title="Cháy chợ", times='["06:00"]', level="khẩn cấp", zones="[cho]"),
    }
    make_station(tmp_path, toml=ZONES, scripts=scripts, renders={"bao-lu": 1.0, "chay-cho": 1.0})
    clock = FakeClock(utc("2021-06-19 22:59:59"))
    runner = start(tmp_path, clock)
    runner.tick()
    clock.set(utc("2021-06-19 23:00"))
    runner.tick()
    settle(runner)
    assert aired(tmp_path, "cho") == ["bao-lu.mp3", "chay-cho.mp3"]
    assert aired(tmp_path, "truong") == ["bao-lu.mp3"]
    runner.stop()


def test_a_relay_session_airs_in_the_zone_it_was_made_for(tmp_path: Path) -> None:
    from announcer.config import Zone
    from announcer.schedule.model import Item, Occurrence
    from announcer.schedule.player import Job
    from announcer.schedule.sinks import FileSink

    zones = [(Zone("cho", "file:a"), FileSink(tmp_path / "a")), (Zone("truong", "file:b"), FileSink(tmp_path / "b"))]
    players = ZonePlayers(zones, lambda job, cut: None)
    occ = Occurrence(utc("2021-06-19 23:00"), None, "relay")
    item = Item("relay", tmp_path / "vov1", None, "VOV1")
    assert players.targets(Job(occ, item, "played", relay=object(), zone="truong")) == ["truong"]  # type: ignore[arg-type]
    assert players.targets(Job(occ, item, "played", relay=object())) == ["cho"]  # type: ignore[arg-type]
    assert players.targets(Job(occ, item, "played")) == ["cho", "truong"]


def test_check_says_when_an_icecast_sink_has_no_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.schedule.check import run_checks

    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    toml = STATION + '\n[[zone]]\nname = "cho"\nsink = "icecast://source@127.0.0.1:8000/cho"\n'
    make_station(tmp_path, toml=toml)
    found = [p for p in run_checks(tmp_path, status_fn=lambda s, c: "fresh") if "Icecast" in p.message]
    assert [(p.message, p.line) for p in found] == [("no Icecast password for 127.0.0.1:8000", len(toml.splitlines()))]
    (tmp_path / "secrets.toml").write_text('[icecast]\nkey = "mat-khau-loa"\n', encoding="utf-8")
    assert [p for p in run_checks(tmp_path, status_fn=lambda s, c: "fresh") if "Icecast" in p.message] == []
