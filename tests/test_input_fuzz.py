"""Fuzz: whatever staff (or an attacker) write in station.toml, front matter and script text,
``check``, ``plan`` and ``build`` end with a clean exit or one AnnouncerError message, never an
internal error, and stay within a bounded amount of memory.

CI runs a short derandomized run; ``INPUT_FUZZ_EXAMPLES=5000 python -m pytest tests/test_input_fuzz.py``
explores. The build target reads with a stand-in engine (a short tone per sentence) so that thousands
of builds fit in minutes; everything else in the build (parsing, normalizing, pauses, jingles, mixing,
mastering, publishing) is the real code.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from announcer.audio.pydub_compat import AudioSegment
from announcer.cli import main
from announcer.engines import ENGINES
from announcer.engines.base import Availability, Engine
from announcer.script import FIELDS

settings.register_profile(
    "input-fuzz",
    max_examples=int(os.environ.get("INPUT_FUZZ_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    # CI must not go red on a case found by chance; a long local run (INPUT_FUZZ_EXAMPLES) explores.
    derandomize=bool(os.environ.get("CI")) or "INPUT_FUZZ_EXAMPLES" not in os.environ,
)
FUZZ = settings.get_profile("input-fuzz")

MAX_RSS_KB = int(os.environ.get("INPUT_FUZZ_MAX_RSS_KB", str(1_500_000)))
"""A generous bound for the test process and for any child (ffmpeg): the inputs are small, so a
blow-up (decoding an hour, a 4 GB WAV) shows up as a jump far past it."""
CLEAN_EXITS = {0, 1, 2, 3, 4, 5, 6}
"""0, a failed build or check (1), and the AnnouncerError family's codes; not 70 (internal error)."""


class ToneEngine(Engine):
    """Stands in for espeak in the build target: 80 ms of tone per sentence, no library."""

    name = "tone"
    voices = ("tone",)

    @classmethod
    def from_station(cls, station: object, voice: str | None = None) -> ToneEngine:
        return cls()

    def availability(self) -> Availability:
        return Availability(True)

    def synthesize(self, text: str) -> AudioSegment:
        t = np.arange(int(0.08 * 16000)) / 16000
        pcm = (np.sin(2 * np.pi * (300 + len(text) % 200) * t) * 8000).astype("<i2")
        return AudioSegment(data=pcm.tobytes(), sample_width=2, frame_rate=16000, channels=1)

    def fingerprint(self) -> str:
        return "tone-1"

    @property
    def voice(self) -> str:
        return "tone"


# --- what staff and attackers write ------------------------------------------------------------------------

unicode_digits = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=8)
huge_number = st.integers(1, 6000).map(lambda n: "9" * n)
control = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1, max_size=6)
deep = st.integers(1, 3000).flatmap(lambda n: st.sampled_from(["[" * n, "[" * n + "]" * n, "{a: " * n, "- " * n]))
long_line = st.integers(500, 40_000).flatmap(lambda n: st.sampled_from(["a" * n, "Kính thưa bà con. " * (n // 18)]))
plausible = st.sampled_from([
    "2", "1", "10", "11", "0", "-1", "[sang]", "[sang, chieu]", "[toi]", "06:30", '["06:30"]', "25:00", "17/6/2021",
    "2021-06-24", "31/2/2021", "30m", "1h", "4m", "06:00-20:00", "20:00-06:00", "espeak", "gtts", "festival",
    "vi-vn-x-south", "vi", "jingles/intro.wav", "none", "../../etc/passwd", "/etc/passwd", "daily", "[mon, funday]",
    "weekdays", "'quoted'", '"x: y"', "|", ">", "&a", "*a", "!!python/object:os.system", "~", "",
])
nasty = st.one_of(plausible, unicode_digits, huge_number, control, deep, long_line, st.text(max_size=40))


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=12)), max_size=8))
    lines = [f"{key}: {draw(nasty)}" for key in keys]
    if draw(st.booleans()):
        lines.insert(0, "slots: [sang]")
    return "---\n" + "\n".join(lines) + ("\n---\n" if draw(st.integers(0, 9)) else "\n")


marker = st.builds(lambda amount, unit: f"[nghỉ {amount} {unit}]",
                   st.one_of(st.sampled_from(["1", "2,5", "60", "0", "999"]), unicode_digits, huge_number),
                   st.sampled_from(["giây", "s", "ms", "phút", "min", ""]))
sentence = st.sampled_from([
    "Kính thưa bà con nhân dân.", "Ngày 17/6/2021 lúc 7h30.", "Số điện thoại 0912 345 678.",
    "UBND phường thông báo.", "Mức phạt 1.500.000 đồng.", "", "\n", "\n\n",
])
body = st.lists(st.one_of(sentence, marker, nasty), min_size=1, max_size=12).map(" ".join)

TOML_KEYS = [
    ("", "name"), ("", "timezone"), ("", "dialect"), ("", "engines"), ("", "intro"), ("", "outro"), ("", "media_dirs"),
    ("espeak", "voice"), ("espeak", "rate"), ("espeak", "pitch"), ("gtts", "timeout"), ("gtts", "retries"),
    ("audio", "loudness_lufs"), ("audio", "true_peak_db"), ("audio", "bitrate_kbps"), ("audio", "sample_rate"),
    ("audio", "sentence_pause_ms"), ("audio", "paragraph_pause_ms"), ("audio", "interlude_ms"),
    ("audio", "jingle_gap_ms"), ("limits", "max_script_kb"), ("limits", "max_pause_s"), ("limits", "max_program_min"),
    ("limits", "max_jingle_s"), ("player", "grace_minutes"), ("player", "asrun_log"), ("player", "sink"),
]
toml_value = st.one_of(
    st.sampled_from(['"espeak"', '["espeak"]', "[1, 2]", "0", "-15", "100000", "44100", "nan", "inf", "-inf", "1e308",
                     "true", '"../../x"', '"/etc/passwd"', '""', "{}", '"Asia/Hanoi_City"', "-16.0", "3.5"]),
    huge_number,
    deep.map(lambda d: d.replace("{a: ", "{a = ")),
    st.text(max_size=30).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    control.map(lambda c: f'"{c}"'),
    long_line.map(lambda line: f'"{line}"'),
)


@st.composite
def station_toml(draw: st.DrawFn) -> str:
    """A working station with some settings replaced by odd values (and sometimes odd lines)."""
    chosen = dict(draw(st.lists(st.tuples(st.sampled_from(TOML_KEYS), toml_value), max_size=5)))
    # A short program limit keeps each build small; the limit itself is one of the things fuzzed.
    tables: dict[str, list[str]] = {"": ['engines = ["tone"]', 'intro = ""', 'outro = ""'],
                                    "limits": ["max_program_min = 2"]}
    for (table, key), value in chosen.items():
        tables.setdefault(table, []).append(f"{key} = {value}")
    lines = list(tables.pop(""))
    for table, entries in tables.items():
        lines += [f"[{table}]", *entries]
    at = draw(st.sampled_from(['"06:00"', '"6:00"', "600", '"٠٦:٠٠"']))
    lines += ["[[slot]]", 'name = "sang"', f"at = {at}"]
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.one_of(nasty, st.text(max_size=30))))
    return "\n".join(lines) + "\n"


BASE_TOML = ('engines = ["tone"]\nintro = ""\noutro = ""\n[limits]\nmax_program_min = 2\n'
             '[[slot]]\nname = "sang"\nat = "06:00"\n')


# --- the targets -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.stations import make_station

    return make_station(tmp_path_factory.mktemp("fuzz"), engines='["tone"]', script=None)


def run_target(template: Path, toml: str, script: str, command: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        root = Path(tmp) / "st"
        shutil.copytree(template, root)
        (root / "station.toml").write_text(toml, encoding="utf-8", errors="surrogatepass")
        (root / "scripts" / "x.md").write_text(script, encoding="utf-8", errors="surrogatepass")
        err = io.StringIO()
        with mock.patch.dict(ENGINES, {"tone": ToneEngine}), contextlib.redirect_stderr(err), \
                contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["--station", str(root), *command])
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        text = err.getvalue()
        event(f"exit {code}")
        assert code in CLEAN_EXITS and "internal error" not in text and "Traceback" not in text, (code, text[-2000:])
        assert not list((root / "audio_out").glob(".build-*"))
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        peak = resource.getrusage(who).ru_maxrss
        assert peak < MAX_RSS_KB, f"peak memory {peak} KB"


@FUZZ
@given(toml=station_toml(), head=front_matter(), text=body)
def test_check_never_fails_inside(template: Path, toml: str, head: str, text: str) -> None:
    run_target(template, toml, head + text, ["check"])


@FUZZ
@given(toml=st.one_of(st.just(BASE_TOML), station_toml()), head=front_matter(), text=body)
def test_plan_never_fails_inside(template: Path, toml: str, head: str, text: str) -> None:
    run_target(template, toml, head + text, ["plan", "--date", "2026-06-17"])


@FUZZ
@given(toml=st.one_of(st.just(BASE_TOML), station_toml()),
       head=st.one_of(st.just("---\ntitle: Thử\n---\n"), front_matter()), text=body)
def test_build_never_fails_inside(template: Path, toml: str, head: str, text: str) -> None:
    run_target(template, toml, head + text, ["build"])
