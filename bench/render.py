"""Render benchmark: announcer's build pipeline against a naive pydub pipeline.

    /tmp/venv/bin/python bench/render.py                     # 10-min runs + 60-min RSS runs
    /tmp/venv/bin/python bench/render.py --skip-long         # 10-min runs only (about a minute)
    /tmp/venv/bin/python bench/render.py --minutes 5 --long-minutes 30 --naive-timeout 300
    /tmp/venv/bin/python bench/render.py --seed-text ../shared/seeds/000_1d48bed1f6f2835d.txt

What it measures (offline: espeak only, in a throwaway station from ``init_station``):

1. cold render speed (x realtime = audio seconds / wall seconds) of ``build_station``
   on an empty speech cache, with a breakdown (synthesis / cache / mix / fit / master);
2. rebuild speed: (a) unchanged rebuild (the up-to-date skip), (b) ``force=True`` with a
   warm speech cache (no synthesis, full mix + master), and the cold/rebuild ratios;
3. peak RSS of a long (60-min) build, run in a child process: ``os.wait4`` rusage of the
   child (largest process of its tree, ffmpeg included) plus the child's own VmHWM;
4. the same for a NAIVE baseline: one EspeakEngine call per sentence, no cache,
   ``program = program + clip + silence``, ``program.export(format="mp3")``, no loudness work.

The text is generated from lists of ordinary ward-notice phrases (distinct sentences, so
the cache never hits inside one script); ``--seed-text`` puts a real notice in front.
Only this file's own temp folder is written; nothing in the repo is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from announcer import render as render_mod  # noqa: E402
from announcer.audio import loudness as loudness_mod  # noqa: E402
from announcer.audio.mixer import ProgramWriter  # noqa: E402
from announcer.audio.pydub_compat import AudioSegment  # noqa: E402
from announcer.cache import SpeechCache  # noqa: E402
from announcer.config import Station, load_station  # noqa: E402
from announcer.engines.espeak import EspeakEngine  # noqa: E402
from announcer.speech import Speech, plan_reading  # noqa: E402
from announcer.station_init import init_station  # noqa: E402

DEFAULT_SEED_TEXT = REPO.parent / "shared" / "seeds" / "000_1d48bed1f6f2835d.txt"
GOAL_COLD_X = 50.0
GOAL_REBUILD_RATIO = 10.0
GOAL_RSS_MB = 300.0
IS_LINUX = sys.platform.startswith("linux")

# --- text --------------------------------------------------------------------------------------------------

SUBJECTS = [
    "Ủy ban nhân dân phường", "Trạm y tế phường", "Công an phường", "Ban quản lý chợ",
    "Hội liên hiệp phụ nữ phường", "Đoàn thanh niên phường", "Ban chỉ huy quân sự phường",
    "Hội cựu chiến binh phường", "Ủy ban mặt trận tổ quốc phường", "Ban điều hành khu phố",
    "Trường tiểu học Lê Lợi", "Trường trung học cơ sở Nguyễn Du", "Điện lực thị xã",
    "Công ty cấp nước", "Hội người cao tuổi", "Hội nông dân phường", "Bộ phận một cửa phường",
    "Văn phòng đăng ký đất đai", "Ban văn hóa xã hội", "Tổ dân phố số bốn",
]
ACTIONS = [
    "tổ chức tiêm phòng dại cho chó mèo", "tổ chức khám sức khỏe miễn phí cho người cao tuổi",
    "thu gom rác thải cồng kềnh", "phát động phong trào vệ sinh môi trường",
    "tạm ngừng cung cấp điện để bảo trì đường dây", "tiếp nhận hồ sơ đăng ký thường trú",
    "hướng dẫn tạo tài khoản định danh điện tử", "phun thuốc diệt muỗi phòng chống sốt xuất huyết",
    "tuyển sinh lớp một cho năm học mới", "tổ chức hội nghị lấy ý kiến cử tri",
    "cấp phát thẻ bảo hiểm y tế cho trẻ em", "tổ chức hiến máu tình nguyện",
    "kiểm tra an toàn phòng cháy chữa cháy", "tổ chức ngày hội đại đoàn kết toàn dân",
    "tiếp công dân định kỳ", "rà soát hộ nghèo và hộ cận nghèo",
    "tổ chức lớp tập huấn sơ cấp cứu", "tạm ngừng cấp nước để sửa chữa đường ống",
    "chi trả trợ cấp cho người có công", "ra quân dọn dẹp kênh mương",
]
PLACES = [
    "tại nhà văn hóa khu phố một", "tại hội trường ủy ban nhân dân phường", "tại trạm y tế phường",
    "tại sân trường tiểu học", "tại khu vực chợ phường", "trên tuyến đường Trần Hưng Đạo",
    "tại nhà sinh hoạt cộng đồng tổ sáu", "dọc bờ sông khu phố ba", "tại sân vận động phường",
    "tại điểm sinh hoạt khu phố năm", "trên địa bàn các tổ dân phố", "tại bộ phận một cửa",
]
TIMES = [
    "vào sáng thứ hai tuần sau", "vào chiều thứ sáu tuần này", "trong ngày chủ nhật",
    "từ bảy giờ đến mười một giờ sáng", "vào ngày {d}/{m}", "từ {h}h30 đến {h2}h00",
    "trong hai ngày cuối tuần", "vào tối thứ tư", "từ ngày {d}/{m} đến hết tháng",
    "vào buổi sáng các ngày trong tuần",
]
REQUESTS = [
    "Đề nghị bà con chủ động sắp xếp thời gian tham gia đầy đủ.",
    "Mọi thắc mắc xin liên hệ ban điều hành khu phố để được hướng dẫn.",
    "Đề nghị các hộ gia đình mang theo giấy tờ tùy thân khi đến làm thủ tục.",
    "Rất mong nhận được sự quan tâm và phối hợp của bà con nhân dân.",
    "Bà con lưu ý giữ gìn trật tự và chấp hành hướng dẫn của cán bộ.",
    "Đề nghị phụ huynh đưa con em đến đúng giờ.",
    "Bà con chủ động trữ nước và sắp xếp công việc cho phù hợp.",
    "Các tổ dân phố thông báo rộng rãi đến từng hộ gia đình.",
]


def generate_sentences(rng: random.Random) -> Iterator[str]:
    """Endless distinct notice sentences (subject + action + place + time, or a request)."""
    seen: set[str] = set()
    while True:
        if rng.random() < 0.15:
            sentence = rng.choice(REQUESTS)
            # Requests repeat across a long script; a khu phố number keeps them distinct.
            sentence = sentence[:-1] + f", khu phố {rng.randint(1, 12)}."
        else:
            when = rng.choice(TIMES).format(d=rng.randint(1, 28), m=rng.randint(1, 12),
                                            h=rng.randint(6, 9), h2=rng.randint(10, 11))
            sentence = f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {rng.choice(PLACES)} {when}."
        if sentence not in seen:
            seen.add(sentence)
            yield sentence


def calibrate(station: Station) -> float:
    """Seconds of (trimmed) espeak audio per character of normalized text."""
    normalize = render_mod.make_normalizer(station)
    engine = EspeakEngine.from_station(station)
    gen = generate_sentences(random.Random(12345))
    chars = seconds = 0.0
    for _ in range(40):
        text = normalize(next(gen))
        seconds += render_mod._trim(engine.synthesize(text)).duration_seconds
        chars += len(text)
    return seconds / chars


def build_body(station: Station, minutes: float, seed_text: Path | None) -> tuple[str, int]:
    """A script body of about ``minutes`` of speech; returns (body, spoken sentence count)."""
    sec_per_char = calibrate(station)
    normalize = render_mod.make_normalizer(station)
    audio = station.audio
    target = minutes * 60.0
    paragraphs: list[str] = []
    estimate = 0.0
    if seed_text is not None:
        raw = seed_text.read_text(encoding="utf-8-sig")
        paragraphs.append(raw.strip())
    rng = random.Random(20240601)
    gen = generate_sentences(rng)
    # Estimate what is there already (the seed), then top up with generated paragraphs.
    for piece in plan_reading("\n".join(paragraphs), 1, normalize, audio.sentence_pause_ms,
                              audio.paragraph_pause_ms):
        estimate += len(piece.text) * sec_per_char if isinstance(piece, Speech) else piece.ms / 1000
    paragraphs.append("Kính thưa bà con nhân dân trong phường.")
    while estimate < target:
        paragraph = [next(gen) for _ in range(rng.randint(3, 6))]
        for sentence in paragraph:
            estimate += len(normalize(sentence)) * sec_per_char + audio.sentence_pause_ms / 1000
        estimate += (audio.paragraph_pause_ms - audio.sentence_pause_ms) / 1000
        paragraphs.append(" ".join(paragraph))
    body = "\n\n".join(paragraphs)
    pieces = plan_reading(body, 1, normalize, audio.sentence_pause_ms, audio.paragraph_pause_ms)
    return body, sum(isinstance(p, Speech) for p in pieces)


def make_bench_station(root: Path, minutes: float, seed_text: Path | None) -> tuple[Station, Path, int]:
    init_station(root)
    config = root / "station.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]'),
        encoding="utf-8",
    )
    for example in (root / "scripts").glob("*.md"):
        example.unlink()
    station = load_station(root)
    assert station.engines == ["espeak"], station.engines
    body, sentences = build_body(station, minutes, seed_text)
    script = root / "scripts" / "bench.md"
    script.write_text(f"---\ntitle: Thông báo tổng hợp ({minutes:g} phút)\n---\n{body}\n", encoding="utf-8")
    return station, script, sentences


# --- instrumentation -----------------------------------------------------------------------------------------


def rss_now_kb() -> int | None:
    if not IS_LINUX:
        return None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children_rss_kb() -> list[int]:
    """VmRSS of this process's running children that are no longer python (exec'd ffmpeg)."""
    out: list[int] = []
    try:
        pids = " ".join(p.read_text() for p in Path("/proc/self/task").glob("*/children")).split()
    except OSError:
        return out
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().startswith("python"):
                continue  # between fork and exec: its RSS is the parent's pages
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]))
        except OSError:
            continue
    return out


def vm_hwm_kb() -> int | None:
    if not IS_LINUX:
        return None
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


class Instrument:
    """Wraps the pipeline's stages with timers (exclusive categories) and counts ffmpeg runs.

    With ``sample_rss`` a thread samples VmRSS every 20 ms and remembers the peak per stage."""

    STAGES: dict[str, list[tuple[Any, str]]] = {
        "synthesis (espeak)": [(EspeakEngine, "synthesize")],
        "speech cache get/put": [(SpeechCache, "get"), (SpeechCache, "put")],
        "fit_speech (jingle level)": [(render_mod, "_fit_speech")],
        "mix (trim/resample/write)": [(ProgramWriter, "add_clip"), (ProgramWriter, "add_silence"),
                                      (render_mod, "_trim"), (render_mod, "_add_jingle")],
        "master_to_mp3": [(render_mod, "master_to_mp3")],
    }

    def __init__(self, sample_rss: bool = False) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.ffmpeg: list[tuple[str, str, float]] = []  # (stage, what, seconds)
        self.stage = "other"
        self.peak_rss: dict[str, int] = defaultdict(int)
        self.peak_child_kb = 0
        """Largest ffmpeg child seen by the sampler (its own RSS, not the fork-time copy)."""
        self.peak_tree_kb = 0
        """Largest python + running children sum seen by the sampler."""
        self._sample = sample_rss and IS_LINUX
        self._stop = threading.Event()
        self._saved: list[tuple[Any, str, Any]] = []

    def _wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer = inst.stage
            if outer != "other":  # nested inside another stage: count in the outer one
                return func(*args, **kwargs)
            inst.stage = label
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                inst.seconds[label] += time.perf_counter() - start
                inst.calls[label] += 1
                inst.stage = outer

        return wrapper

    def _wrap_ffmpeg(self, func: Callable[..., Any]) -> Callable[..., Any]:
        inst = self

        def run_ffmpeg(args: list[str], what: str) -> Any:
            start = time.perf_counter()
            try:
                return func(args, what)
            finally:
                kind = "measure" if what.startswith("measuring") else "encode"
                inst.ffmpeg.append((inst.stage, kind, time.perf_counter() - start))

        return run_ffmpeg

    def _sampler(self) -> None:
        while not self._stop.wait(0.02):
            rss = rss_now_kb()
            if rss is None:
                continue
            if rss > self.peak_rss[self.stage]:
                self.peak_rss[self.stage] = rss
            kids = children_rss_kb()
            if kids:
                self.peak_child_kb = max(self.peak_child_kb, max(kids))
            self.peak_tree_kb = max(self.peak_tree_kb, rss + sum(kids))

    @contextlib.contextmanager
    def active(self) -> Iterator[Instrument]:
        for label, targets in self.STAGES.items():
            for owner, name in targets:
                original = getattr(owner, name)
                self._saved.append((owner, name, original))
                setattr(owner, name, self._wrap(label, original))
        original_ffmpeg = loudness_mod.run_ffmpeg
        self._saved.append((loudness_mod, "run_ffmpeg", original_ffmpeg))
        loudness_mod.run_ffmpeg = self._wrap_ffmpeg(original_ffmpeg)
        thread = threading.Thread(target=self._sampler, daemon=True) if self._sample else None
        if thread:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            if thread:
                thread.join()
            for owner, name, original in reversed(self._saved):
                setattr(owner, name, original)
            self._saved.clear()

    def breakdown(self, total: float) -> dict[str, Any]:
        stages = {k: round(v, 3) for k, v in self.seconds.items()}
        stages["other (plan, keys, sample, publish)"] = round(max(0.0, total - sum(self.seconds.values())), 3)
        passes: dict[str, list[float]] = defaultdict(list)
        for stage, kind, secs in self.ffmpeg:
            passes[f"{stage}: {kind}"].append(secs)
        return {
            "total_s": round(total, 3),
            "stages_s": stages,
            "ffmpeg_passes": {k: {"count": len(v), "seconds": round(sum(v), 3)} for k, v in passes.items()},
            "peak_rss_mb_by_stage": {k: round(v / 1024, 1) for k, v in self.peak_rss.items()},
            "sampled_peak_child_kb": self.peak_child_kb,
            "sampled_peak_tree_kb": self.peak_tree_kb,
        }


# --- the two pipelines -------------------------------------------------------------------------------------------


def announcer_build(station: Station, script: Path, force: bool = False) -> tuple[float, Any]:
    start = time.perf_counter()
    results = render_mod.build_station(station, [script], force=force)
    wall = time.perf_counter() - start
    (result,) = results
    if result.error:
        raise SystemExit(f"build failed: {result.error}")
    return wall, result


def naive_build(station: Station, script: Path, out: Path) -> tuple[float, float, int]:
    """The baseline: engine call per sentence, pydub `+` loop, pydub mp3 export. (wall, audio s, calls)."""
    import imageio_ffmpeg

    from announcer.script import parse_script

    AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()
    start = time.perf_counter()
    parsed = parse_script(script)
    pieces = plan_reading(parsed.body, parsed.body_line, render_mod.make_normalizer(station),
                          station.audio.sentence_pause_ms, station.audio.paragraph_pause_ms)
    engine = EspeakEngine.from_station(station)
    program = AudioSegment.empty()
    calls = 0
    pending_ms = 0
    for piece in pieces:
        if isinstance(piece, Speech):
            clip = engine.synthesize(piece.text)
            calls += 1
            silence = AudioSegment.silent(duration=pending_ms, frame_rate=clip.frame_rate)
            program = program + silence + clip
            pending_ms = 0
        else:
            pending_ms += piece.ms
    program.export(str(out), format="mp3", bitrate=f"{station.audio.bitrate_kbps}k")
    wall = time.perf_counter() - start
    return wall, program.duration_seconds, calls


# --- child processes (long runs, for peak RSS) ------------------------------------------------------------------


def child_main(args: argparse.Namespace) -> None:
    root = Path(args.workdir)
    seed = resolve_seed(args.seed_text)
    station, script, sentences = make_bench_station(root, args.minutes, seed)
    out: dict[str, Any] = {"sentences": sentences}
    if args.child == "announcer":
        inst = Instrument(sample_rss=True)
        with inst.active():
            wall, result = announcer_build(station, script)
        out.update(wall_s=wall, audio_s=result.duration_s, engine_calls=result.engine_calls,
                   loudness_lufs=result.loudness_lufs, breakdown=inst.breakdown(wall))
    else:
        inst = Instrument(sample_rss=True)
        with inst.active():
            wall, audio_s, calls = naive_build(station, script, root / "naive.mp3")
        out.update(wall_s=wall, audio_s=audio_s, engine_calls=calls, breakdown=inst.breakdown(wall))
    out["vm_hwm_kb"] = vm_hwm_kb()
    out["children_maxrss_kb"] = maxrss_kb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print("BENCH-RESULT " + json.dumps(out), flush=True)


def maxrss_kb(value: int) -> int:
    return value // 1024 if sys.platform == "darwin" else value  # macOS reports bytes


# A tiny launcher between this (big) process and the measured child. On Linux, Python starts
# children with vfork, and execve() records the *parent's* peak RSS in the child's ru_maxrss,
# so wait4 on a child of this process would report at least our own peak. The launcher is
# small, so its child's ru_maxrss is the child's own (or its ffmpeg's) peak.
LAUNCHER = r"""
import json, os, subprocess, sys, time
timeout, log_path, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
start = time.perf_counter()
with open(log_path, "w", encoding="utf-8") as log:
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    timed_out, maxrss = False, None
    if hasattr(os, "wait4"):
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                timed_out = True
                os.killpg(proc.pid, 9)  # the child's own session: it and its ffmpeg, nothing else
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
        code = os.waitstatus_to_exitcode(status)
        maxrss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    else:  # Windows: no rusage of a child
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code, timed_out = proc.wait(), True
print(json.dumps({"process_wall_s": time.perf_counter() - start, "timed_out": timed_out,
                  "rusage_maxrss_kb": maxrss, "returncode": code}))
"""


def run_child(kind: str, minutes: float, workdir: Path, timeout: float, seed_text: str | None) -> dict[str, Any]:
    """Run one long build in a child (via LAUNCHER); peak RSS from wait4: the largest process
    of the child's tree (the child, or an ffmpeg it ran), plus the child's own figures."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--minutes", str(minutes),
           "--workdir", str(workdir)]
    if seed_text:
        cmd += ["--seed-text", seed_text]
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir.parent / f"{kind}-child.log"
    launched = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(timeout), str(log_path), *cmd],
                              capture_output=True, text=True)
    try:
        result: dict[str, Any] = json.loads(launched.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"failed": launched.stderr[-2000:], "timed_out": False, "rusage_maxrss_kb": None}
    result["log"] = str(log_path)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if line.startswith("BENCH-RESULT "):
            result.update(json.loads(line[len("BENCH-RESULT "):]))
    if not result["timed_out"] and "wall_s" not in result:
        result["failed"] = text[-2000:]
    return result


# --- report ---------------------------------------------------------------------------------------------------


def resolve_seed(option: str | None) -> Path | None:
    if not option:
        return None
    path = Path(option)
    if not path.is_file():
        print(f"note: seed text {path} not found; using generated text only", file=sys.stderr)
        return None
    return path


def mb(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:.0f} MB"


def fmt_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}x"


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def print_breakdown(title: str, data: dict[str, Any]) -> None:
    total = data["total_s"]
    print(f"\n{title} (wall {total:.2f} s):")
    for stage, secs in sorted(data["stages_s"].items(), key=lambda kv: -kv[1]):
        print(f"  {stage:<38} {secs:8.2f} s  {100 * secs / total if total else 0:5.1f}%")
    if data["ffmpeg_passes"]:
        print("  ffmpeg passes (whole-program or sample passes):")
        for name, info in sorted(data["ffmpeg_passes"].items()):
            print(f"    {name:<40} {info['count']:2d} x  {info['seconds']:7.2f} s")
    if data.get("peak_rss_mb_by_stage"):
        peaks = ", ".join(f"{k} {v:.0f} MB" for k, v in data["peak_rss_mb_by_stage"].items())
        print(f"  peak python RSS seen during: {peaks}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="speech length of the main runs (10)")
    parser.add_argument("--long-minutes", type=float, default=60.0, help="length of the peak-RSS runs (60)")
    parser.add_argument("--skip-long", action="store_true", help="skip the long (peak RSS) runs")
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument("--long-timeout", type=float, default=1200.0, help="announcer long run timeout, s")
    parser.add_argument("--naive-timeout", type=float, default=900.0, help="naive long run timeout, s")
    parser.add_argument("--seed-text", nargs="?", const=str(DEFAULT_SEED_TEXT), default=None,
                        help="put this notice (default: the shared seed) before the generated text")
    parser.add_argument("--profile", action="store_true", help="cProfile the cold run and print the top")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    parser.add_argument("--child", choices=["announcer", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    seed = resolve_seed(args.seed_text)
    tmp = Path(tempfile.mkdtemp(prefix="announcer-bench-"))
    figures: dict[str, Any] = {"minutes": args.minutes, "long_minutes": args.long_minutes}
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
        print(f"workdir {tmp}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average {load}",
              flush=True)
        station, script, sentences = make_bench_station(tmp / "station", args.minutes, seed)
        print(f"script: {sentences} distinct sentences, target {args.minutes:g} min"
              + (f", seed text {seed}" if seed else ""), flush=True)

        # 1. cold
        inst = Instrument()
        profiler = cProfile.Profile() if args.profile else None
        with inst.active():
            if profiler:
                profiler.enable()
            cold_wall, cold = announcer_build(station, script)
            if profiler:
                profiler.disable()
        cold_bd = inst.breakdown(cold_wall)
        audio_s = cold.duration_s
        print(f"announcer cold: {audio_s:.1f} s audio in {cold_wall:.2f} s, "
              f"{cold.engine_calls} engine calls, {cold.loudness_lufs:.1f} LUFS", flush=True)

        # 2a. unchanged rebuild (median of 5), 2b. forced rebuild with a warm cache
        skip_walls = []
        for _ in range(5):
            wall, skipped = announcer_build(station, script)
            assert skipped.skipped, "the unchanged rebuild was not skipped"
            skip_walls.append(wall)
        skip_wall = statistics.median(skip_walls)
        inst_forced = Instrument()
        with inst_forced.active():
            forced_wall, forced = announcer_build(station, script, force=True)
        forced_bd = inst_forced.breakdown(forced_wall)

        # 4. naive, same size
        naive: dict[str, Any] = {}
        if not args.skip_naive:
            naive_out = tmp / "naive.mp3"
            n_wall, n_audio, n_calls = naive_build(station, script, naive_out)
            naive = {"wall_s": n_wall, "audio_s": n_audio, "engine_calls": n_calls,
                     "loudness": loudness_mod.measure_file(naive_out)}
            print(f"naive: {n_audio:.1f} s audio in {n_wall:.2f} s, {n_calls} engine calls", flush=True)

        # 2c. the everyday case: one sentence added, the rest from the cache
        # (after the naive run, which reads the same script)
        script.write_text(script.read_text(encoding="utf-8") + "\nXin trân trọng cảm ơn bà con đã lắng nghe.\n",
                          encoding="utf-8")
        edit_wall, edited = announcer_build(station, script)
        print(f"announcer rebuilds: unchanged {skip_wall * 1000:.1f} ms, forced {forced_wall:.2f} s "
              f"({forced.engine_calls} engine calls), one sentence added {edit_wall:.2f} s "
              f"({edited.engine_calls} engine calls)", flush=True)

        # 3. long runs in children
        long_a: dict[str, Any] = {}
        long_n: dict[str, Any] = {}
        if not args.skip_long:
            print(f"long runs ({args.long_minutes:g} min) in child processes...", flush=True)
            long_a = run_child("announcer", args.long_minutes, tmp / "long-announcer", args.long_timeout,
                               str(seed) if seed else None)
            print(f"  announcer: {json.dumps({k: v for k, v in long_a.items() if k != 'breakdown'})}",
                  flush=True)
            if not args.skip_naive:
                long_n = run_child("naive", args.long_minutes, tmp / "long-naive", args.naive_timeout,
                                   str(seed) if seed else None)
                print(f"  naive: {json.dumps(long_n)}", flush=True)

        # --- figures and table
        cold_x = audio_s / cold_wall
        skip_x = audio_s / skip_wall
        forced_x = audio_s / forced_wall
        naive_x = naive["audio_s"] / naive["wall_s"] if naive else None

        def ratio(a: float | None, b: float | None, fmt: str = "{:.1f}x") -> str:
            return "n/a" if not a or not b else fmt.format(a / b)

        rows: list[tuple[str, ...]] = [("metric", "announcer", "naive baseline", "ratio (announcer/naive)")]
        rows.append((f"{args.minutes:g}-min script: sentences / audio", f"{sentences} / {audio_s:.0f} s",
                     f"{naive['engine_calls']} / {naive['audio_s']:.0f} s" if naive else "skipped", ""))
        rows.append(("cold render wall time", f"{cold_wall:.2f} s",
                     f"{naive['wall_s']:.2f} s" if naive else "skipped",
                     ratio(cold_wall, naive.get("wall_s"))))
        rows.append(("cold render speed (x realtime)", fmt_x(cold_x), fmt_x(naive_x), ratio(cold_x, naive_x)))
        rows.append(("cold engine calls", str(cold.engine_calls),
                     str(naive["engine_calls"]) if naive else "skipped", ""))
        rows.append(("(a) unchanged rebuild (skip)", f"{skip_wall * 1000:.1f} ms = {fmt_x(skip_x)}",
                     "n/a: no cache, = cold", ratio(skip_x, naive_x)))
        rows.append(("(b) forced rebuild, warm cache", f"{forced_wall:.2f} s = {fmt_x(forced_x)}",
                     "n/a: no cache, = cold", ratio(forced_x, naive_x)))
        rows.append(("(c) one sentence added, rebuild", f"{edit_wall:.2f} s, {edited.engine_calls} engine call(s)",
                     "n/a: no cache, = cold", ""))
        rows.append(("cold / rebuild (a) unchanged", f"{cold_wall / skip_wall:,.0f}x", "1x", ""))
        rows.append(("cold / rebuild (b) forced", f"{cold_wall / forced_wall:.2f}x", "1x", ""))
        rows.append(("cold / rebuild (c) one sentence added", f"{cold_wall / edit_wall:.2f}x", "1x", ""))
        rows.append((f"output loudness ({args.minutes:g}-min file)",
                     f"{cold.loudness_lufs:.1f} LUFS / {cold.true_peak_db:.1f} dBTP",
                     f"{naive['loudness'].integrated_lufs:.1f} LUFS / {naive['loudness'].true_peak_db:.1f} dBTP"
                     if naive else "skipped", "not normalized" if naive else ""))
        if long_a:
            def long_cells(d: dict[str, Any]) -> tuple[str, ...]:
                if not d:
                    return ("skipped",) * 5
                if d.get("timed_out"):
                    t = f"TIMEOUT after {d['process_wall_s']:.0f} s"
                    return t, t, f">= {mb(d['rusage_maxrss_kb'])} (killed)", "n/a", "n/a"
                if "wall_s" not in d:
                    return ("FAILED",) * 5
                speed = d["audio_s"] / d["wall_s"]
                bd = d.get("breakdown", {})
                return (f"{d['wall_s']:.1f} s ({d['audio_s'] / 60:.1f} min audio)", fmt_x(speed),
                        mb(d["rusage_maxrss_kb"]),
                        f"{mb(d['vm_hwm_kb'])} / {mb(bd.get('sampled_peak_child_kb'))}",
                        mb(bd.get("sampled_peak_tree_kb")))
            a, n = long_cells(long_a), long_cells(long_n)
            lm = f"{args.long_minutes:g}-min"
            def num(d: dict[str, Any], key: str) -> float | None:
                return d.get(key) if d and not d.get("timed_out") and "wall_s" in d else None
            a_speed = long_a["audio_s"] / long_a["wall_s"] if num(long_a, "wall_s") else None
            n_speed = long_n["audio_s"] / long_n["wall_s"] if num(long_n, "wall_s") else None
            rows.append((f"{lm} cold render wall time", a[0], n[0], ratio(num(long_a, "wall_s"),
                                                                          num(long_n, "wall_s"))))
            rows.append((f"{lm} cold render speed", a[1], n[1], ratio(a_speed, n_speed)))
            rows.append((f"{lm} peak RSS (largest process, wait4)", a[2], n[2],
                         ratio(num(long_a, "rusage_maxrss_kb"), num(long_n, "rusage_maxrss_kb"), "{:.2f}x")))
            rows.append((f"{lm} peak RSS python (VmHWM) / ffmpeg (sampled)", a[3], n[3], ""))
            rows.append((f"{lm} peak RSS python+ffmpeg together (sampled)", a[4], n[4], ""))
        print("\n" + table(rows))

        # goals
        def mark(ok: bool | None) -> str:
            return "n/a" if ok is None else ("met" if ok else "NOT MET")
        print("\nGoals:")
        print(f"  cold render >= {GOAL_COLD_X:g}x realtime (espeak): {cold_x:.1f}x ({args.minutes:g} min)"
              + (f", {a_speed:.1f}x ({args.long_minutes:g} min)" if long_a and a_speed else "")
              + f" -> {mark(cold_x >= GOAL_COLD_X)}")
        print(f"  cached rebuild >= {GOAL_REBUILD_RATIO:g}x faster than cold:")
        print(f"    (a) unchanged rebuild: {cold_wall / skip_wall:,.0f}x -> "
              f"{mark(cold_wall / skip_wall >= GOAL_REBUILD_RATIO)}")
        print(f"    (b) forced rebuild, warm cache: {cold_wall / forced_wall:.2f}x -> "
              f"{mark(cold_wall / forced_wall >= GOAL_REBUILD_RATIO)}")
        print(f"    (c) one sentence added (for information): {cold_wall / edit_wall:.2f}x -> "
              f"{mark(cold_wall / edit_wall >= GOAL_REBUILD_RATIO)}")
        if long_a and "wall_s" in long_a and not long_a.get("timed_out"):
            peak = long_a["rusage_maxrss_kb"]
            if peak is None:
                print(f"  peak RSS <= {GOAL_RSS_MB:g} MB for {args.long_minutes:g} min: n/a (no rusage here)")
            else:
                tree = long_a.get("breakdown", {}).get("sampled_peak_tree_kb")
                both = f"; python + running ffmpeg together, sampled every 20 ms: {mb(tree)}"
                print(f"  peak RSS <= {GOAL_RSS_MB:g} MB for {args.long_minutes:g} min: {peak / 1024:.0f} MB"
                      f" (largest process){both} -> {mark(peak / 1024 <= GOAL_RSS_MB)}")
        elif args.skip_long:
            print(f"  peak RSS <= {GOAL_RSS_MB:g} MB: not measured (--skip-long)")
        else:
            print(f"  peak RSS <= {GOAL_RSS_MB:g} MB: announcer long run failed or timed out -> NOT MET")

        print_breakdown(f"Where time goes, announcer cold {args.minutes:g}-min", cold_bd)
        print_breakdown(f"Where time goes, announcer forced rebuild {args.minutes:g}-min", forced_bd)
        if long_a.get("breakdown"):
            print_breakdown(f"Where time goes, announcer cold {args.long_minutes:g}-min (child)",
                            long_a["breakdown"])
        if profiler:
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(30)
            print("\ncProfile of the cold run (cumulative):\n" + buf.getvalue())

        figures.update(
            sentences=sentences, audio_s=audio_s, cold_wall_s=cold_wall, cold_x=cold_x, skip_wall_s=skip_wall,
            forced_wall_s=forced_wall, edit_wall_s=edit_wall, cold_breakdown=cold_bd, forced_breakdown=forced_bd,
            naive={k: (vars(v) if k == "loudness" else v) for k, v in naive.items()},
            long_announcer=long_a, long_naive=long_n,
        )
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    finally:
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
