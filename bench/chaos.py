"""Kill-and-restart harness for the unattended player (``announcer run``) and ``announcer build``.

It rehearses a busy day on a fast rehearsal clock (ANNOUNCER_CLOCK_START/_AT/_RATE): many slots,
urgent repeats due in the same minute, hand-overs (``announcer play``), edits while renders run,
a full ``.state`` disk and a read-only ``.state`` for a while (a small tmpfs; skipped when this
machine cannot mount one), an outage across midnight and a clock that is years wrong, then
corrected. It SIGKILLs the player at random moments and restarts it, SIGKILLs ``announcer build``
at random moments, then checks the as-run log against what really reached the ``file:`` sink:

    python bench/chaos.py                      # 50 player kills, 30 build kills
    python bench/chaos.py --player-kills 10 --build-kills 5 --rate 120

Every count in the table must be 0 (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2021, 6, 20)
YEARS_WRONG = timedelta(days=730)
END_MARGIN = timedelta(minutes=8)
"""Fire times this close to a final stop (or to a clock correction) may be queued when the player
stops: they are not expected to have a record."""
EDIT_WINDOW = timedelta(seconds=30)
"""An edit this close to an item's start makes its 'stale or not' ambiguous: not judged."""

STATION = """\
name = "Chaos"
timezone = "Asia/Ho_Chi_Minh"
engines = ["espeak"]
intro = "jingles/intro.wav"
outro = "jingles/outro.wav"

[player]
sink = "file:{sink}"
grace_minutes = 60
{slots}
"""

SCRIPTS = {
    "a_tiem": ("[{slots_a}]", None),
    "b_dien": ("[{slots_b}]", None),
    "c_nuoc": ("[{slots_a}, {slots_b}]", None),
    "k_bao": (None, ("9", "30m")),
    "k_lu": (None, ("5", "20m")),
}
BODIES = [
    "Kính thưa bà con, phường thông báo lịch tiêm chủng đợt {v}.",
    "Sáng mai phường cắt điện từ 7 giờ đến 9 giờ để sửa chữa, bản tin số {v}.",
    "Đề nghị bà con kiểm tra đồng hồ nước, lần thứ {v}.",
]


def now() -> float:
    return time.time()


@dataclass
class Run:
    """One player process: its station time at its real start, and its rate."""

    real_start: float
    station_start: datetime
    real_end: float = 0.0
    killed: bool = True


@dataclass
class Harness:
    root: Path
    rate: float
    rng: random.Random
    python: str = sys.executable
    runs: list[Run] = field(default_factory=list)
    edits: list[tuple[float, str, int]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    offset: timedelta = timedelta(0)
    t0: float = 0.0
    base: datetime = datetime(2021, 6, 20, 18, 0, tzinfo=TZ)
    wrong: list[tuple[datetime, datetime]] = field(default_factory=list)
    player: subprocess.Popen[bytes] | None = None
    mounted: bool = False
    notes: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _ro: bool = False
    pause: float = 1.0
    """Scales every pause between kills (--quick makes it shorter)."""
    _log_at: int = 0
    names: tuple[list[str], list[str]] = ([], [])

    @property
    def station(self) -> Path:
        return self.root / "station"

    @property
    def sink(self) -> Path:
        return self.root / "aired"

    @property
    def state(self) -> Path:
        return self.station / ".state"

    def station_time(self, real: float | None = None) -> datetime:
        return self.base + timedelta(seconds=((real or now()) - self.t0) * self.rate) + self.offset

    # --- the station ---------------------------------------------------------------------------------------

    def setup(self) -> None:
        from announcer.schedule.store import default_fallback_dir
        from announcer.station_init import init_station

        init_station(self.station)
        shutil.rmtree(default_fallback_dir(self.state), ignore_errors=True)  # a journal from an earlier rehearsal
        for example in (self.station / "scripts").glob("*.md"):
            example.unlink()
        slot_lines: list[str] = []
        names_a: list[str] = []
        names_b: list[str] = []
        for minute in range(5 * 60, 24 * 60, 20):
            name = f"s{minute // 60:02d}{minute % 60:02d}"
            (names_a if minute % 40 == 0 else names_b).append(name)
            at = f"{minute // 60:02d}:{minute % 60:02d}"
            slot_lines.append(f'\n[[slot]]\nname = "{name}"\nat = "{at}"\ndays = "daily"\n')
        (self.station / "station.toml").write_text(
            STATION.format(sink=self.sink.as_posix(), slots="".join(slot_lines)), encoding="utf-8"
        )
        self.names = (names_a, names_b)
        for stem in SCRIPTS:
            self.edit(stem)
        env = self.env()
        subprocess.run([self.python, "-m", "announcer", "--station", str(self.station), "build"], env=env,
                       check=True, capture_output=True)
        self.counts["builds completed"] += 1
        self.mounted = self._mount_state()

    def edit(self, stem: str) -> None:
        names_a, names_b = self.names
        version = self.versions.get(stem, 0) + 1
        slots, urgent = SCRIPTS[stem]
        meta = [f"title: Tin {stem} bản {version}"]
        if slots:
            meta.append("slots: " + slots.format(slots_a=", ".join(names_a), slots_b=", ".join(names_b)))
        if urgent:
            meta += [f"priority: {urgent[0]}", f"every: {urgent[1]}", 'between: "06:00-22:00"']
        body = BODIES[sum(map(ord, stem)) % len(BODIES)].format(v=version)
        text = "---\n" + "\n".join(meta) + "\n---\n" + body + "\n"
        path = self.station / "scripts" / f"{stem}.md"
        tmp = path.with_name(f".{stem}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        self.versions[stem] = version
        self.edits.append((now(), stem, version))

    def _mount_state(self) -> bool:
        if os.name != "posix" or shutil.which("mount") is None:
            self.notes.append("full-disk and read-only phases skipped: no mount here")
            return False
        self.state.mkdir(exist_ok=True)
        keep = self.root / "state-before"
        shutil.copytree(self.state, keep)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(self.state)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            self.notes.append(f"full-disk and read-only phases skipped: cannot mount a tmpfs ({done.stderr.strip()})")
            return False
        shutil.copytree(keep, self.state, dirs_exist_ok=True)
        return True

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,rw", str(self.state)], capture_output=True)
            keep = self.root / "state-after"
            shutil.copytree(self.state, keep, ignore=shutil.ignore_patterns("filler"))
            subprocess.run(["umount", "-l", str(self.state)], capture_output=True)
            shutil.copytree(keep, self.state, dirs_exist_ok=True)
            self.mounted = False

    def fill_disk(self) -> None:
        # The player may have filled the small disk already: then even opening the filler fails.
        try:
            with open(self.state / "filler", "wb") as handle:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
        except OSError:
            pass

    def free_disk(self) -> None:
        (self.state / "filler").unlink(missing_ok=True)

    def read_only(self, on: bool) -> None:
        flag = "remount,ro" if on else "remount,rw"
        subprocess.run(["mount", "-o", flag, str(self.state)], check=True, capture_output=True)
        self._ro = on

    # --- processes -----------------------------------------------------------------------------------------

    def env(self, real: float | None = None) -> dict[str, str]:
        real = real or now()
        return dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            TZ="UTC",
            ANNOUNCER_CLOCK_START=self.station_time(real).isoformat(),
            ANNOUNCER_CLOCK_AT=repr(real),
            ANNOUNCER_CLOCK_RATE=str(self.rate),
        )

    def start_player(self) -> None:
        log_file = self.root / "player.log"
        self._log_at = log_file.stat().st_size if log_file.exists() else 0
        real = now()
        log = open(self.root / "player.log", "ab")
        self.player = subprocess.Popen(
            [self.python, "-m", "announcer", "--station", str(self.station), "-v", "run"],
            env=self.env(real), stdout=log, stderr=log,
        )
        log.close()
        self.runs.append(Run(real, self.station_time(real)))

    def wait_up(self, timeout: float = 30.0) -> None:
        """Until the player says it runs (its start-up line in the log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.root / "player.log", "rb") as handle:
                handle.seek(self._log_at)
                if b"announcer run: station" in handle.read():
                    return
            time.sleep(0.05)

    def kill_player(self, sig: int = signal.SIGKILL) -> None:
        assert self.player is not None
        self.player.send_signal(sig)
        self.player.wait(30)
        self.runs[-1].real_end = now()
        self.runs[-1].killed = sig == signal.SIGKILL
        self.player = None

    def build_and_kill(self) -> None:
        stem = self.rng.choice([s for s in SCRIPTS])
        if self.rng.random() < 0.7:
            self.edit(stem)
        args = [self.python, "-m", "announcer", "--station", str(self.station), "build"]
        if self.rng.random() < 0.5:
            args.append("--force")
        proc = subprocess.Popen(args, env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(self.rng.uniform(0.3, 3.0) * max(self.pause, 0.6))
        if proc.poll() is None:
            proc.kill()
            self.counts["build kills"] += 1
        else:
            self.counts["builds completed"] += 1
        proc.wait(30)

    def hand_over(self) -> None:
        stem = self.rng.choice(["a_tiem", "b_dien", "c_nuoc"])
        done = subprocess.run(
            [self.python, "-m", "announcer", "--station", str(self.station), "play", f"scripts/{stem}.md"],
            env=self.env(), capture_output=True, timeout=120,
        )
        self.counts["hand-overs" if done.returncode == 0 else "hand-overs refused (told the user)"] += 1

    # --- the day ---------------------------------------------------------------------------------------------

    def rehearse(self, player_kills: int, build_kills: int) -> None:
        self.t0 = now()
        self.start_player()
        phases = _phases(player_kills, self.mounted)
        builds_due = build_kills
        settle = True  # the station runs before the chaos starts
        for number, phase in enumerate(phases):
            if settle:
                # Up and ticking before this kill: the first run, and the run whose clock is years
                # wrong (a clock corrected by years logs at most 7 days, so what that run owes must
                # be settled by that run itself).
                self.wait_up()
                time.sleep(2.0)
                settle = False
            elif self.rng.random() < 0.25:
                time.sleep(self.rng.uniform(0.1, 2.0) * self.pause)  # killed while it starts
            else:
                self.wait_up()
                time.sleep(self.rng.uniform(0.1, 3.0) * self.pause)
            if self.rng.random() < 0.3 * self.pause:
                self.hand_over()
            if self.rng.random() < 0.4:
                self.edit(self.rng.choice(list(SCRIPTS)))
            left = len(phases) - number
            if builds_due > 0 and (self.rng.random() < builds_due / left or builds_due >= left):
                self.build_and_kill()
                builds_due = build_kills - self.counts["build kills"]
            self.kill_player()
            self.counts["player kills"] += 1
            self._enter(phase)
            settle = phase == "wrong"
            self.start_player()
        while self.counts["build kills"] < build_kills:
            self.build_and_kill()
        self.wait_up()
        time.sleep(4.0 * self.pause)
        self.kill_player(signal.SIGTERM)
        # A kill mid-publish may leave a new MP3 beside its old manifest (the render status sees
        # it as stale, and the next build redoes it): count those, then let one build finish.
        self.counts["manifests out of step before the last build"] = _disagreeing(self.station)
        subprocess.run([self.python, "-m", "announcer", "--station", str(self.station), "build"], env=self.env(),
                       capture_output=True, timeout=600)
        self.unmount()

    def _enter(self, phase: str) -> None:
        if phase == "full":
            self.fill_disk()
            self.notes.append("the .state disk is full for a while")
        elif phase == "ro":
            self.free_disk()
            self.read_only(True)
            self.notes.append(".state is read-only for a while")
        elif phase == "normal" and self.mounted:
            if self._ro:
                self.read_only(False)
            self.free_disk()
        elif phase == "midnight":
            here = self.station_time()
            wake = datetime.combine(here.date() + timedelta(days=1), datetime.min.time(), tzinfo=TZ) + timedelta(
                hours=6, minutes=25)
            self.offset += wake - here  # the box was off from here until 06:25 the next morning
            self.notes.append(f"outage from {here:%Y-%m-%d %H:%M} to {wake:%Y-%m-%d %H:%M}")
        elif phase == "wrong":
            self.offset -= YEARS_WRONG
            self.wrong.append((self.station_time(), self.station_time()))
        elif phase == "corrected":
            self.wrong[-1] = (self.wrong[-1][0], self.station_time())
            self.offset += YEARS_WRONG
            begin, end = self.wrong[-1]
            self.notes.append(f"clock {YEARS_WRONG.days} days behind from {begin:%Y-%m-%d %H:%M} to {end:%H:%M}")


def _phases(kills: int, mounted: bool) -> list[str]:
    """What the box goes through after each kill ('keep': the fault of the phase before goes on)."""
    plan = ["normal"] * kills
    marks = [("midnight", 0.2), ("wrong", 0.45), ("corrected", 0.55)]
    if mounted:
        marks += [("full", 0.62), ("ro", 0.72), ("recovered", 0.8)]
    for name, where in marks:
        plan[min(kills - 1, int(kills * where))] = name
    fault = False
    for index, step in enumerate(plan):
        if step in ("full", "ro"):
            fault = True
        elif step == "recovered":
            fault, plan[index] = False, "normal"
        elif fault:
            plan[index] = "keep"
    return plan


# --- checking ------------------------------------------------------------------------------------------------


def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


_DECODED: dict[Path, tuple[bool, float]] = {}


def decode(path: Path) -> tuple[bool, float]:
    """(decodes cleanly, decoded seconds)."""
    if path not in _DECODED:
        _DECODED[path] = _decode(path)
    return _DECODED[path]


def _decode(path: Path) -> tuple[bool, float]:
    done = subprocess.run([ffmpeg(), "-v", "error", "-stats", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, timeout=60)
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", done.stderr)
    seconds = 0.0
    if times:
        h, m, s = times[-1]
        seconds = int(h) * 3600 + int(m) * 60 + float(s)
    errors = [line for line in done.stderr.splitlines() if line.strip() and "time=" not in line]
    return done.returncode == 0 and not errors and seconds > 0, seconds


def _title(path: Path) -> str:
    try:
        import mutagen

        tags = mutagen.File(str(path))
        return str(tags["TIT2"]) if tags is not None and "TIT2" in tags else ""
    except Exception:  # noqa: BLE001
        return ""


def check(h: Harness) -> dict[str, int]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from announcer.config import load_station
    from announcer.schedule.model import Schedule
    from announcer.schedule.store import PlayerStore
    from announcer.script import parse_script

    # Never the player's fallback journal: records stuck there count as missing.
    store = PlayerStore(h.state, fallback_dir=h.root / "no-journal")
    records = store.asrun_records()
    store.close()
    result: dict[str, int] = {}

    # Copies that reached the sink, by name, with their station-time stamp.
    copies: list[tuple[datetime, str, Path]] = []
    for path in sorted(h.sink.glob("*_*")):
        if path.name.startswith("."):
            continue
        stamp, _, name = path.name.partition("_")
        stamp = stamp.split("-")[0]
        copies.append((datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=TZ), name, path))
    used: set[Path] = set()

    def match(record: dict[str, Any]) -> Path | None:
        if not record.get("started"):
            return None
        started = datetime.fromisoformat(record["started"])
        name = Path(str(record["file"])).name
        for stamp, copy_name, path in copies:
            if path in used or copy_name != name:
                continue
            # The copy is stamped as the sink starts: a moment after 'started' (more on a busy machine).
            if started - timedelta(seconds=2) <= stamp <= started + timedelta(seconds=max(5.0, h.rate * 3)):
                used.add(path)
                return path
        return None

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        return (record.get("scheduled"), record.get("slot"), record.get("source"), record.get("script"),
                record.get("file"))

    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    aired: dict[int, Path | None] = {}
    for record in records:
        by_key[key(record)].append(record)
    for index in sorted(range(len(records)), key=lambda i: str(records[i].get("started") or "")):
        aired[index] = match(records[index])
    double = sum(1 for recs in by_key.values()
                 if sum(1 for r in recs if r.get("started")) > 1)
    double += sum(1 for _, _, path in copies if path not in used)  # aired with no record at all
    result["double plays (incl. aired without a record)"] = double

    false = 0
    for index, record in enumerate(records):
        status = record.get("status")
        copy = aired[index]
        if status == "missed" and (record.get("started") or copy is not None):
            false += 1
        elif status in ("played", "late"):
            if copy is None:
                false += 1
            else:
                seconds = decode(copy)[1]
                length = (datetime.fromisoformat(record["ended"]) - datetime.fromisoformat(record["started"]))
                if length.total_seconds() < 0.8 * seconds:
                    false += 1
        elif status == "cut" and not record.get("started"):
            false += 1
    false += sum(1 for recs in by_key.values() if len({r.get("status") for r in recs}) > 1)
    result["false statuses"] = false

    # Every fire time the player was responsible for has a record.
    station = load_station(h.station)
    scripts = [parse_script(p) for p in sorted((h.station / "scripts").glob("*.md"))]
    schedule = Schedule(station, scripts)
    first = h.runs[0].station_start
    last = h.runs[-1].station_start + timedelta(seconds=(h.runs[-1].real_end - h.runs[-1].real_start) * h.rate)
    spans = [(datetime.combine(first.date(), datetime.min.time(), tzinfo=TZ), last - END_MARGIN)]
    for begin, end in h.wrong:
        spans.append((datetime.combine(begin.date(), datetime.min.time(), tzinfo=TZ), end - END_MARGIN))
    recorded = {(r.get("scheduled"), r.get("slot"), r.get("script"), r.get("file")) for r in records}
    missing = 0
    for begin, end in spans:
        for occ in schedule.between(begin, end):
            for item in occ.items:
                wanted = (occ.at.isoformat(timespec="seconds"), occ.slot,
                          _rel(h.station, item.script.path) if item.script else None, _rel(h.station, item.file))
                if wanted not in recorded:
                    missing += 1
    result["occurrences with no as-run record"] = missing

    bad = 0
    for _, _, path in copies:
        ok, _ = decode(path)
        bad += not ok
    for mp3 in sorted((h.station / "audio_out").glob("*.mp3")):
        bad += not decode(mp3)[0]
    result["corrupt or truncated MP3s"] = bad
    result["manifests that disagree with their audio"] = _disagreeing(h.station)

    stale = judged = 0
    for index, record in enumerate(records):
        copy = aired[index]
        if copy is None or not record.get("script") or record.get("source") == "play":
            continue
        real = _real_time(h, datetime.fromisoformat(record["started"]))
        if real is None:
            continue
        stem = Path(record["script"]).stem
        window = EDIT_WINDOW.total_seconds() / h.rate
        if any(s == stem and abs(t - real) < window for t, s, _ in h.edits):
            continue
        current = max((v for t, s, v in h.edits if s == stem and t <= real), default=0)
        match_v = re.search(r"bản (\d+)", _title(copy))
        judged += 1
        if match_v and int(match_v.group(1)) != current and not record.get("error"):
            stale += 1
    result["stale renders aired without a note"] = stale
    h.counts["stale checks judged"] = judged
    h.counts["as-run records"] = len(records)
    h.counts["items aired (sink copies)"] = len(copies)
    h.counts["build folders left (.build-*)"] = len(list((h.station / "audio_out").glob(".build-*")))
    return result


def _disagreeing(station: Path) -> int:
    """Renders whose manifest's duration or title is not its MP3's."""
    count = 0
    for mp3 in sorted((station / "audio_out").glob("*.mp3")):
        ok, seconds = _decode(mp3)
        try:
            manifest = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
            if not ok or abs(float(manifest["duration_s"]) - seconds) > 0.15 or manifest.get("title") != _title(mp3):
                count += 1
        except (OSError, ValueError, KeyError):
            count += 1
    return count


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _real_time(h: Harness, station: datetime) -> float | None:
    for run in h.runs:
        span = timedelta(seconds=(run.real_end - run.real_start) * h.rate)
        if run.station_start <= station <= run.station_start + span:
            return run.real_start + (station - run.station_start).total_seconds() / h.rate
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--player-kills", type=int, default=50)
    parser.add_argument("--build-kills", type=int, default=30)
    parser.add_argument("--rate", type=float, default=120.0, help="station seconds per real second")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="rehearse in this folder and keep it")
    parser.add_argument("--quick", action="store_true", help="shorter pauses between kills (the CI test)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    root = args.keep or Path(tempfile.mkdtemp(prefix="announcer-chaos-"))
    root.mkdir(parents=True, exist_ok=True)
    h = Harness(root, args.rate, random.Random(args.seed), pause=0.4 if args.quick else 1.0)
    try:
        h.setup()
        h.rehearse(args.player_kills, args.build_kills)
        result = check(h)
    finally:
        if h.player is not None:
            h.player.kill()
            h.player.wait()
        h.unmount()
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"chaos: {' '.join(sys.argv[1:]) or '(defaults)'}; seed {args.seed}; rate x{args.rate:g}; "
          f"{time.monotonic() - started:.0f} s; load {os.getloadavg()[0]:.1f}")
    for name in ("player kills", "build kills", "builds completed", "hand-overs",
                 "hand-overs refused (told the user)", "as-run records", "items aired (sink copies)",
                 "stale checks judged", "build folders left (.build-*)",
                 "manifests out of step before the last build"):
        print(f"  {name:45} {h.counts[name]:6d}")
    for note in h.notes:
        print(f"  note: {note}")
    print("  must be 0:")
    for name, value in result.items():
        print(f"  {name:45} {value:6d}")
    return 1 if any(result.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
