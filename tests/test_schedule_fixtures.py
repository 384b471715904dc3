"""Helpers for the schedule tests: stations, renders and a controllable clock (no tests here)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from announcer.schedule.runner import Runner
from announcer.schedule.sinks import FileSink
from announcer.schedule.store import PlayerStore

STATION = """\
timezone = "Asia/Ho_Chi_Minh"
intro = ""
outro = ""

[player]
grace_minutes = 10

[[slot]]
name = "sang"
at = "06:00"
days = "daily"

[[slot]]
name = "chieu"
at = "17:00"
days = "daily"
"""


def script_text(body: str = "Kính thưa bà con.", **meta: str) -> str:
    lines = ["---"] + [f"{key}: {value}" for key, value in meta.items()] + ["---", body, ""]
    return "\n".join(lines)


def make_station(
    root: Path, toml: str = STATION, scripts: dict[str, str] | None = None, renders: dict[str, float] | None = None
) -> Path:
    """A station folder: station.toml, scripts/NAME.md and fake renders audio_out/NAME.mp3 + .json."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    (root / "audio_out").mkdir(exist_ok=True)
    (root / "station.toml").write_text(toml, encoding="utf-8")
    for name, text in (scripts or {}).items():
        (root / "scripts" / f"{name}.md").write_text(text, encoding="utf-8")
    for name, seconds in (renders or {}).items():
        write_render(root, name, seconds)
    return root


def write_render(root: Path, name: str, seconds: float, title: str | None = None) -> None:
    (root / "audio_out" / f"{name}.mp3").write_bytes(b"ID3fake-mp3-" + name.encode())
    manifest = {"duration_s": seconds, "fingerprint": "test", "title": title or name}
    (root / "audio_out" / f"{name}.json").write_text(json.dumps(manifest), encoding="utf-8")


def records(root: Path) -> list[dict]:
    """The station's as-run log, as ``announcer log`` reads it."""
    store = PlayerStore(root / ".state")
    try:
        return store.asrun_records()
    finally:
        store.close()


def station_store(root: Path) -> PlayerStore:
    """The runner's store, with its fallback journal beside the station (not in the shared temp folder)."""
    return PlayerStore(root / ".state", fallback_dir=root.parent / f"{root.name}.journal")


class FakeClock:
    """An aware-UTC clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        assert start.tzinfo is not None
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def utc(text: str) -> datetime:
    """'2021-06-19 23:00' -> that moment in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def no_wait(stop: threading.Event, seconds: float) -> bool:
    return stop.is_set()


@dataclass
class Rig:
    runner: Runner
    out: Path
    clock: FakeClock

    def tick(self, when: datetime | None = None) -> None:
        if when is not None:
            self.clock.set(when)
        self.runner.tick()
        assert self.runner.player is not None
        assert self.runner.player.wait_idle(10)

    def aired(self) -> list[str]:
        return sorted(p.name.split("_", 1)[1] for p in self.out.glob("*_*")) if self.out.exists() else []

    def records(self) -> list[dict]:
        return records(self.runner.root)


def start_runner(
    root: Path, clock: FakeClock, *, status: str = "fresh", renderer=None, sink=None, store=None, background=False
) -> Rig:
    out = root / "aired"
    runner = Runner(
        root,
        sink or FileSink(out, wait=no_wait, clock=clock),
        clock=clock,
        renderer=renderer or (lambda station, paths: []),
        status_fn=lambda station, script: status,
        background_render=background,
        store=store or station_store(root),
    )
    runner.start()
    return Rig(runner, out, clock)


class BlockingSink:
    """Plays 'long' until stopped or cut; everything else ends at once."""

    name = "blocking"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.played: list[str] = []

    def play(self, path: Path, duration_s: float | None, stop: threading.Event) -> bool:
        self.played.append(path.stem)
        if path.stem == "long":
            self.started.set()
            return not stop.wait(10)
        return True
