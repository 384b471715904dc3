"""The voice speed (a factor, 1 = normal) reaches every engine in that engine's own unit: espeak
words per minute, gTTS's slow flag, FPT.AI -3..+3, Viettel 0.7-1.3, edge a signed percentage, Piper a
length scale (the inverse of speed). Through the chain's real factory, from the station's `speed`
and from a script's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from announcer.config import load_station
from announcer.engines import chain_engines
from announcer.engines.base import Engine
from announcer.render import make_chain
from tests.stations import make_station

NATIVE: dict[str, Callable[[Engine], Any]] = {
    "espeak": lambda e: e.rate,  # type: ignore[attr-defined]
    "gtts": lambda e: e.slow,  # type: ignore[attr-defined]
    "fpt": lambda e: e.speed,  # type: ignore[attr-defined]
    "viettel": lambda e: e.speed,  # type: ignore[attr-defined]
    "edge": lambda e: e.rate,  # type: ignore[attr-defined]
    "piper": lambda e: e.length_scale,  # type: ignore[attr-defined]
}

TABLE = [
    # engine, speed factor, what the engine is given (espeak at the station's default 150 wpm)
    ("espeak", 1.0, 150), ("espeak", 1.2, 180), ("espeak", 0.8, 120), ("espeak", 2.0, 300), ("espeak", 0.5, 80),
    ("gtts", 1.0, False), ("gtts", 0.8, True), ("gtts", 0.85, False), ("gtts", 1.5, False),
    ("fpt", 1.0, 0), ("fpt", 1.2, 2), ("fpt", 0.9, -1), ("fpt", 0.5, -3), ("fpt", 2.0, 3),
    ("viettel", 1.0, 1.0), ("viettel", 1.2, 1.2), ("viettel", 0.9, 0.9), ("viettel", 0.5, 0.7), ("viettel", 2.0, 1.3),
    ("edge", 1.0, "+0%"), ("edge", 1.1, "+10%"), ("edge", 0.75, "-25%"), ("edge", 2.0, "+100%"),
    ("piper", 1.0, 1.0), ("piper", 1.25, 0.8), ("piper", 0.8, 1.25), ("piper", 2.0, 0.5), ("piper", 0.5, 2.0),
]


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_station(make_station(tmp_path_factory.mktemp("speed") / "st"))


@pytest.mark.parametrize(("name", "speed", "native"), TABLE)
def test_each_engine_gets_the_speed_in_its_own_unit(station: Any, name: str, speed: float, native: Any) -> None:
    (engine,) = chain_engines(station, [name], None, speed)
    assert NATIVE[name](engine) == native
    (normal,) = chain_engines(station, [name], None, 1.0)
    # The cache must tell the speeds apart (and only where the engine's unit does).
    assert (engine.fingerprint() == normal.fingerprint()) == (native == NATIVE[name](normal))


@pytest.mark.parametrize(("name", "speed", "native"), [row for row in TABLE if row[1] in (1.2, 0.8, 2.0)])
def test_the_station_speed_and_a_script_speed_take_the_same_road(tmp_path: Path, name: str, speed: float,
                                                                 native: Any) -> None:
    root = make_station(tmp_path / "st")
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[espeak]", f"speed = {speed}\n\n[espeak]", 1),
                      encoding="utf-8")
    station = load_station(root)
    assert station.speed == speed
    (engine,) = chain_engines(station, [name], None)
    assert NATIVE[name](engine) == native
    (engine,) = make_chain(load_station(make_station(tmp_path / "other")), name, None, speed).engines
    assert NATIVE[name](engine) == native


def test_espeak_really_reads_faster(station: Any) -> None:
    text = "Kính thưa bà con nhân dân trong phường, sáng mai có lịch tiêm chủng tại trạm y tế."
    slow, fast = (chain_engines(station, ["espeak"], None, s)[0].synthesize(text) for s in (0.8, 1.6))
    assert len(fast) < 0.7 * len(slow)
