"""The three broadcast levels: spellings, front matter, order in a slot, cut-ins, `play --level`."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from announcer.config import load_station
from announcer.errors import ScriptError
from announcer.schedule.handover import play_command
from announcer.schedule.inbox import Inbox
from announcer.schedule.levels import Level, level_from_priority, parse_level
from announcer.schedule.model import Item, Occurrence, Schedule
from announcer.schedule.player import Job, Player
from announcer.schedule.runlock import RunLock
from announcer.schedule.store import PlayerStore
from announcer.script import parse_script
from tests.test_schedule_fixtures import (
    BlockingSink,
    FakeClock,
    make_station,
    script_text,
    start_runner,
    utc,
)

SPELLINGS = [
    ("thong-thuong", Level.THONG_THUONG),
    ("thông thường", Level.THONG_THUONG),
    ("Thông Thường", Level.THONG_THUONG),
    ("THÔNG THƯỜNG", Level.THONG_THUONG),
    ("bình thường", Level.THONG_THUONG),
    ("uu-tien", Level.UU_TIEN),
    ("ưu tiên", Level.UU_TIEN),
    ("Ưu Tiên", Level.UU_TIEN),
    ("uu_tien", Level.UU_TIEN),
    (" UU TIEN ", Level.UU_TIEN),
    ("khan-cap", Level.KHAN_CAP),
    ("khẩn cấp", Level.KHAN_CAP),
    ("KHẨN CẤP", Level.KHAN_CAP),
    ("Khẩn  cấp", Level.KHAN_CAP),
    ("khan_cap", Level.KHAN_CAP),
    ("emergency", Level.KHAN_CAP),
    # NFD input (a Mac keyboard, some web forms): the same letters, decomposed
    ("khẩn cấp", Level.KHAN_CAP),
]


@pytest.mark.parametrize(("text", "level"), SPELLINGS)
def test_every_spelling_of_a_level_reads(text: str, level: Level) -> None:
    assert parse_level(text) is level


@pytest.mark.parametrize("text", ["", "khan", "cap", "thuong", "uu", "3", "khẩn-cấp-nhất", "quan trọng"][1:])
def test_a_word_that_is_no_level_is_refused_with_the_spellings(text: str) -> None:
    if text == "khan":  # an accepted short form in the field ("tin khẩn")
        assert parse_level(text) is Level.KHAN_CAP
        return
    with pytest.raises(ValueError, match="thong-thuong, uu-tien or khan-cap"):
        parse_level(text)


def test_slugs_and_labels_round_trip() -> None:
    for level in Level:
        assert parse_level(level.slug) is level
        assert parse_level(level.label) is level
    assert [lv.slug for lv in Level] == ["thong-thuong", "uu-tien", "khan-cap"]
    assert Level.KHAN_CAP > Level.UU_TIEN > Level.THONG_THUONG


def test_priority_maps_to_a_level_when_none_is_written() -> None:
    assert level_from_priority(0) is Level.THONG_THUONG
    assert level_from_priority(-3) is Level.THONG_THUONG
    assert level_from_priority(1) is Level.UU_TIEN


def _script(tmp_path: Path, name: str, **meta: str) -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(script_text(**meta), encoding="utf-8")
    return path


def test_front_matter_level_in_vietnamese(tmp_path: Path) -> None:
    script = parse_script(_script(tmp_path, "a", title="Bão số 3", level="Khẩn cấp"))
    assert script.level is Level.KHAN_CAP
    assert parse_script(_script(tmp_path, "b", level="uu-tien")).level is Level.UU_TIEN


def test_front_matter_without_level_keeps_todays_priority(tmp_path: Path) -> None:
    assert parse_script(_script(tmp_path, "a", priority="5")).level is Level.UU_TIEN
    assert parse_script(_script(tmp_path, "b")).level is Level.THONG_THUONG
    # An explicit level wins over what priority would say.
    assert parse_script(_script(tmp_path, "c", priority="5", level="thông thường")).level is Level.THONG_THUONG


def test_a_bad_level_names_the_file_and_line(tmp_path: Path) -> None:
    path = _script(tmp_path, "a", title="Thông báo", level="rất gấp")
    with pytest.raises(ScriptError) as info:
        parse_script(path)
    assert info.value.line == 3
    assert "level" in info.value.message and "khan-cap" in str(info.value)


def _slot_station(tmp_path: Path, scripts: dict[str, str]) -> Schedule:
    make_station(tmp_path, scripts=scripts, renders={name: 1.0 for name in scripts})
    station = load_station(tmp_path)
    parsed = [parse_script(tmp_path / "scripts" / f"{name}.md") for name in scripts]
    return Schedule(station, parsed)


def test_uu_tien_goes_first_in_its_slot_and_equal_levels_keep_file_order(tmp_path: Path) -> None:
    schedule = _slot_station(tmp_path, {
        "a-hop-to": script_text(slots="[sang]"),
        "b-tiem-chung": script_text(slots="[sang]", level="ưu tiên"),
        "c-don-ve-sinh": script_text(slots="[sang]"),
        "d-mat-dien": script_text(slots="[sang]", level="uu-tien"),
    })
    (occ,) = schedule.for_day(date(2021, 6, 20))
    assert [s.stem for s in occ.scripts] == ["b-tiem-chung", "d-mat-dien", "a-hop-to", "c-don-ve-sinh"]
    assert not occ.urgent


def test_a_slot_holding_a_khan_cap_script_is_urgent_and_it_goes_first(tmp_path: Path) -> None:
    schedule = _slot_station(tmp_path, {
        "a-hop-to": script_text(slots="[sang]"),
        "z-bao": script_text(slots="[sang]", level="khẩn cấp"),
    })
    (occ,) = schedule.for_day(date(2021, 6, 20))
    assert [s.stem for s in occ.scripts] == ["z-bao", "a-hop-to"]
    assert occ.urgent and occ.level is Level.KHAN_CAP


def _job(name: str, level: Level, *, source: str = "slot", handed_over: bool = False, priority: int = 0) -> Job:
    item = Item("script", Path(f"{name}.mp3"), script=_fake_script(name, level, priority), title=name,
                priority=priority, level=level)
    return Job(Occurrence(utc("2021-06-19 23:00"), None, source, [item]), item, "played", handed_over=handed_over)


def _fake_script(name: str, level: Level, priority: int):  # noqa: ANN202
    from announcer.script import Script

    return Script(path=Path(f"{name}.md"), title=name, body="", priority=priority, explicit_level=level)


class _Recorder:
    """play_job for a bare Player: 'long' plays until cut; the rest at once."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.cut: list[str] = []
        self.started = threading.Event()

    def __call__(self, job: Job, cut: threading.Event) -> None:
        self.order.append(job.item.title)
        if job.item.title.startswith("long"):
            self.started.set()
            if cut.wait(5):
                self.cut.append(job.item.title)


def _player() -> tuple[Player, _Recorder]:
    recorder = _Recorder()
    player = Player(BlockingSink(), recorder)
    player.start()
    return player, recorder


def test_khan_cap_cuts_in_a_normal_item_at_once() -> None:
    player, rec = _player()
    player.submit([_job("long", Level.THONG_THUONG)])
    assert rec.started.wait(5)
    player.submit([_job("bao-lu", Level.KHAN_CAP)], urgent=True)
    assert player.wait_idle(10)
    assert rec.cut == ["long"] and rec.order == ["long", "bao-lu"]
    player.stop()


def test_khan_cap_cuts_in_an_uu_tien_item_of_any_priority() -> None:
    player, rec = _player()
    player.submit([_job("long", Level.UU_TIEN, priority=999)])
    assert rec.started.wait(5)
    player.submit([_job("bao-lu", Level.KHAN_CAP)], urgent=True)
    assert player.wait_idle(10)
    assert rec.cut == ["long"]
    player.stop()


def test_an_emergency_does_not_cut_another_emergency() -> None:
    player, rec = _player()
    player.submit([_job("long-bao", Level.KHAN_CAP)], urgent=True)
    assert rec.started.wait(5)
    player.submit([_job("lu-quet", Level.KHAN_CAP)], urgent=True)
    assert not rec.cut
    player.stop()


def test_uu_tien_in_a_slot_waits_for_the_item_on_air() -> None:
    player, rec = _player()
    player.submit([_job("long", Level.THONG_THUONG)])
    assert rec.started.wait(5)
    player.submit([_job("tiem-chung", Level.UU_TIEN)])
    assert not rec.cut
    player.stop()


def test_an_urgent_batch_stays_together_in_order() -> None:
    player, rec = _player()
    player.submit([_job("long", Level.THONG_THUONG)])
    assert rec.started.wait(5)
    player.submit([_job("cho", Level.THONG_THUONG)])
    batch = [_job("intro", Level.KHAN_CAP), _job("bao", Level.KHAN_CAP, priority=5), _job("hop", Level.THONG_THUONG),
             _job("outro", Level.KHAN_CAP)]
    player.submit(batch, urgent=True)
    assert player.wait_idle(10)
    assert rec.order == ["long", "intro", "bao", "hop", "outro", "cho"]
    player.stop()


def test_a_slot_with_a_khan_cap_script_cuts_in_through_the_runner(tmp_path: Path) -> None:
    scripts = {
        "long": script_text(slots="[sang]"),
        "bao": script_text(slots="[chieu]", level="khẩn cấp"),
    }
    make_station(tmp_path, scripts=scripts, renders={"long": 600.0, "bao": 1.0})
    station_toml = tmp_path / "station.toml"
    station_toml.write_text(station_toml.read_text(encoding="utf-8").replace('"17:00"', '"06:05"'), encoding="utf-8")
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)
    rig.tick(utc("2021-06-19 23:05"))
    assert sink.played == ["long", "bao"]
    assert [(r["script"], r["status"]) for r in rig.records()] == [
        ("scripts/long.md", "cut"), ("scripts/bao.md", "played")]
    rig.runner.stop()


def test_play_level_is_handed_to_the_running_player(tmp_path: Path) -> None:
    make_station(tmp_path, scripts={"hop": script_text(title="Họp tổ dân phố")}, renders={"hop": 1.0})
    with RunLock(tmp_path / ".state"):
        play_command(tmp_path, "scripts/hop.md", None, clock=lambda: utc("2021-06-19 23:00"),
                     renderer=lambda station, paths: [], level=Level.KHAN_CAP, report=lambda text: None)
        play_command(tmp_path, "scripts/hop.md", None, clock=lambda: utc("2021-06-19 23:00"),
                     renderer=lambda station, paths: [], report=lambda text: None)
    store = PlayerStore(tmp_path / ".state")
    try:
        requests = Inbox(store).pending()
    finally:
        store.close()
    assert [r.level for r in requests] == ["khan-cap", "thong-thuong"]


def test_play_without_level_waits_for_a_scheduled_emergency_and_with_khan_cap_cuts_it(tmp_path: Path) -> None:
    scripts = {"long": script_text(slots="[sang]", level="khan-cap"), "hop": script_text()}
    make_station(tmp_path, scripts=scripts, renders={"long": 600.0, "hop": 1.0})
    sink = BlockingSink()
    rig = start_runner(tmp_path, FakeClock(utc("2021-06-19 22:59:59")), sink=sink)
    rig.clock.set(utc("2021-06-19 23:00"))
    rig.runner.tick()
    assert sink.started.wait(5)

    def hand_over(level: Level | None) -> None:
        play_command(tmp_path, "scripts/hop.md", None, clock=rig.clock, renderer=lambda station, paths: [],
                     level=level, report=lambda text: None)
        rig.runner.take_requests()

    with RunLock(tmp_path / ".state"):
        hand_over(None)  # a thông thường hand-over does not cut a scheduled khẩn cấp item
        assert rig.runner.player is not None and not rig.runner.player.wait_idle(0.5)
        assert sink.played == ["long"]
        hand_over(Level.KHAN_CAP)
        assert rig.runner.player is not None and rig.runner.player.wait_idle(10)
    assert sink.played == ["long", "hop", "hop"]
    assert [r["status"] for r in rig.records()][0] == "cut"
    rig.runner.stop()


def test_play_refuses_a_level_that_does_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.stations import run_cli

    make_station(tmp_path, scripts={"hop": script_text()}, renders={"hop": 1.0})
    code, _, err = run_cli(["--station", str(tmp_path), "play", "--level", "rất gấp", "scripts/hop.md"], capsys)
    assert code == 2
    assert "--level" in err and "thong-thuong, uu-tien or khan-cap" in err
    assert "Traceback" not in err
