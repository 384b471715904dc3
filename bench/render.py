"""Render benchmark: announcer against three baselines doing the same job, side by side.

    python bench/render.py                    # everything (about 5 minutes on an idle 2-core box)
    python bench/render.py --minutes 5 --station-scripts 30 --skip-startup
    python bench/render.py --long 60          # also peak RSS of a 60-min build, in a child process

Every pipeline reads the same script with the embedded espeak-ng voice (offline) and writes
a 44.1 kHz mono 128 kbps MP3 with the station's jingles:

- announcer: ``build_station`` (in-process for the single script; the ``announcer build`` CLI,
  start-up included, for the station);
- naive: one engine call per sentence, pydub ``program + silence + clip``, jingles decoded by
  pydub, one-pass ``loudnorm`` on export (the obvious first program);
- sysadmin: what a shell script would do: one WAV per sentence and per pause (espeak-ng, here
  the espeakng-loader library through announcer's ctypes binding, since this machine has no
  espeak-ng CLI), jingles converted to the same format, ``ffmpeg -f concat``, two-pass
  ``loudnorm`` (measure, then apply with the measured values) to MP3;
- floor: synthesis + one plain encode + one measurement (ebur128 with true peak) of the MP3,
  with the same ffmpeg: the least any pipeline that checks its output can do. Text
  normalization is done before its clock starts.

Cases: one long script (``--minutes``, default 10) cold, then rebuilt (unchanged: the skip;
forced: the measured MP3 is reused; forced after deleting the MP3: a real warm-cache rebuild
that mixes, encodes and measures again); a station of ``--station-scripts`` one-minute scripts
(default 100) cold with ``--jobs`` workers, against the floor for the same scripts, then one
script edited (CLI wall time, start-up included); start-up time and peak RSS of light commands
(``/usr/bin/time -v``) and of the player at rest. Every MP3 is measured by ffmpeg's ebur128
afterwards and the loudness range and highest true peak are printed.

Timings depend on what else runs on the machine: the load average is printed with every section.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from announcer import render as render_mod  # noqa: E402
from announcer.audio import loudness as loudness_mod  # noqa: E402
from announcer.audio.ffmpeg import ffmpeg_exe  # noqa: E402
from announcer.config import Station, load_station  # noqa: E402
from announcer.engines.espeak import EspeakEngine  # noqa: E402
from announcer.script import parse_script  # noqa: E402
from announcer.speech import Speech, plan_reading  # noqa: E402
from announcer.station_init import init_station  # noqa: E402

GOAL_STATION_X = 100.0
GOAL_EDIT_S = 1.0
GOAL_FORCED_RATIO = 3.0
GOAL_FLOOR_RATIO = 1.3
GOAL_LIGHT_S = 0.4
GOAL_LIGHT_MB = 50.0
GOAL_PLAYER_MB = 60.0

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




def cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (ffmpeg, CLI runs)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    """Wall and CPU seconds of a block (CPU: this process and the children it waited for)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), cpu_s()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_s() - self.cpu


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def section(title: str) -> None:
    print(f"\n== {title}  (load average {load()})", flush=True)


class Text:
    """Script bodies of a given length, from the phrase lists (every sentence distinct)."""

    def __init__(self, station: Station) -> None:
        self.normalize = render_mod.make_normalizer(station)
        self.audio = station.audio
        engine = EspeakEngine.from_station(station)
        gen = generate_sentences(random.Random(12345))
        chars = seconds = 0.0
        for _ in range(40):
            text = self.normalize(next(gen))
            seconds += render_mod._trim(engine.synthesize(text)).duration_seconds
            chars += len(text)
        self.sec_per_char = seconds / chars
        self.gen = generate_sentences(random.Random(20240601))
        self.rng = random.Random(7)

    def body(self, minutes: float) -> str:
        estimate = 0.0
        paragraphs = ["Kính thưa bà con nhân dân trong phường."]
        while estimate < minutes * 60:
            paragraph = []
            for _ in range(self.rng.randint(3, 6)):
                if estimate >= minutes * 60:
                    break
                sentence = next(self.gen)
                estimate += len(self.normalize(sentence)) * self.sec_per_char + self.audio.sentence_pause_ms / 1000
                paragraph.append(sentence)
            estimate += (self.audio.paragraph_pause_ms - self.audio.sentence_pause_ms) / 1000
            paragraphs.append(" ".join(paragraph))
        return "\n\n".join(paragraphs)


def make_station(root: Path) -> Station:
    init_station(root)
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('engines = ["gtts", "espeak"]',
                                                                 'engines = ["espeak"]'), encoding="utf-8")
    for example in (root / "scripts").glob("*.md"):
        example.unlink()
    station = load_station(root)
    assert station.engines == ["espeak"], station.engines
    return station


def write_script(path: Path, title: str, body: str) -> Path:
    path.write_text(f"---\ntitle: {title}\nslots: [sang, chieu]\n---\n{body}\n", encoding="utf-8")
    return path


# --- measuring outputs -------------------------------------------------------------------------------------


def ebur128(path: Path) -> tuple[float, float]:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af",
                           "ebur128=peak=true:framelog=quiet", "-f", "null", "-"], capture_output=True, text=True)
    summary = proc.stderr[proc.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s*(-?[\d.]+) LUFS", summary)
    p = re.search(r"Peak:\s*(-?[\d.]+|-inf) dBFS", summary)
    return (float(i.group(1)) if i else float("nan"),
            float(p.group(1)) if p and p.group(1) != "-inf" else float("nan"))


def mp3_seconds(path: Path) -> float:
    import mutagen.mp3

    info = mutagen.mp3.MP3(str(path)).info
    return float(info.length) if info else 0.0


class Loudness:
    """Collects the ffmpeg measurement of every file a pipeline published."""

    def __init__(self) -> None:
        self.by_pipeline: dict[str, list[tuple[float, float]]] = {}

    def check(self, pipeline: str, paths: list[Path]) -> None:
        self.by_pipeline.setdefault(pipeline, []).extend(ebur128(p) for p in paths)

    def describe(self, pipeline: str) -> str:
        values = self.by_pipeline.get(pipeline, [])
        if not values:
            return "n/a"
        lufs = [v[0] for v in values]
        peaks = [v[1] for v in values]
        return (f"{len(values)} file(s): {min(lufs):.1f} .. {max(lufs):.1f} LUFS, "
                f"true peak <= {max(peaks):.1f} dBTP")

    def within(self, pipeline: str, target: float = -16.0, tol: float = 0.5, ceiling: float = -1.5) -> bool:
        values = self.by_pipeline.get(pipeline, [])
        return bool(values) and all(abs(i - target) <= tol and p <= ceiling for i, p in values)


# --- the pipelines ---------------------------------------------------------------------------------------


def reading(station: Station, script: Path) -> list[Any]:
    parsed = parse_script(script)
    return plan_reading(parsed.body, parsed.body_line, render_mod.make_normalizer(station),
                        station.audio.sentence_pause_ms, station.audio.paragraph_pause_ms)


def announcer_build(station: Station, scripts: list[Path], force: bool = False, jobs: int = 1) -> tuple[float, Any]:
    start = time.perf_counter()
    results = render_mod.build_station(station, scripts, force=force, jobs=jobs)
    wall = time.perf_counter() - start
    for result in results:
        if result.error:
            raise SystemExit(f"build failed: {result.error}")
    return wall, results


CHILD_ENV = dict(os.environ)
"""Environment of the announcer processes we time: bytecode cached as after `pip install`
(some shells set PYTHONDONTWRITEBYTECODE, which would make every start compile the sources)."""
CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def prepare_bytecode(tmp: Path) -> None:
    """Compile announcer once, as pip does at install time, into a cache of our own."""
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    subprocess.run([sys.executable, "-c", "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)",
                    str(REPO / "announcer")], env=CHILD_ENV, check=True)


def cli(station: Station, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "announcer", "--station", str(station.root), *args],
                          capture_output=True, text=True, env=CHILD_ENV)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"announcer {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return wall


def ffmpeg(*args: str) -> str:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"ffmpeg {' '.join(args)} failed: {proc.stderr[-1000:]}")
    return proc.stderr


def write_pcm_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)


def floor_build(station: Station, pieces: list[Any], work: Path, out: Path) -> float:
    """Synthesis (pauses as silence) + one plain encode + one measurement."""
    engine = EspeakEngine.from_station(station)
    start = time.perf_counter()
    chunks: list[bytes] = []
    rate = 22050
    for piece in pieces:
        if isinstance(piece, Speech):
            clip = engine.synthesize(piece.text)
            rate = clip.frame_rate
            chunks.append(clip.raw_data)
        else:
            chunks.append(b"\0\0" * int(rate * piece.ms / 1000))
    wav = work / "floor.wav"
    write_pcm_wav(wav, b"".join(chunks), rate)
    ffmpeg("-i", str(wav), "-ar", "44100", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "128k",
           "-compression_level", "7", str(out))
    ffmpeg("-nostats", "-i", str(out), "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-")
    wall = time.perf_counter() - start
    wav.unlink()
    return wall


def naive_build(station: Station, pieces: list[Any], out: Path) -> float:
    from announcer.audio.pydub_compat import AudioSegment

    AudioSegment.converter = ffmpeg_exe()
    engine = EspeakEngine.from_station(station)
    start = time.perf_counter()
    assert station.intro and station.outro
    program = AudioSegment.from_file(str(station.resolve(station.intro)), format="wav")
    pending = station.audio.jingle_gap_ms
    for piece in pieces:
        if isinstance(piece, Speech):
            clip = engine.synthesize(piece.text).set_frame_rate(44100)
            program = program + AudioSegment.silent(duration=pending, frame_rate=44100) + clip
            pending = 0
        else:
            pending += piece.ms
    program = program + AudioSegment.silent(duration=station.audio.jingle_gap_ms, frame_rate=44100)
    program = program + AudioSegment.from_file(str(station.resolve(station.outro)), format="wav")
    program.export(str(out), format="mp3", bitrate="128k",
                   parameters=["-af", "loudnorm=I=-16:TP=-1.5:LRA=11", "-ar", "44100", "-ac", "1"])
    return time.perf_counter() - start


def sysadmin_build(station: Station, pieces: list[Any], work: Path, out: Path) -> float:
    engine = EspeakEngine.from_station(station)
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    listing: list[Path] = []
    rate = 22050
    silences: dict[int, Path] = {}

    def silence(ms: int) -> Path:
        if ms not in silences:
            silences[ms] = work / f"silence-{ms}.wav"
            write_pcm_wav(silences[ms], b"\0\0" * int(rate * ms / 1000), rate)
        return silences[ms]

    for number, piece in enumerate(pieces):
        if isinstance(piece, Speech):
            clip = engine.synthesize(piece.text)  # espeak-ng -w sentence-N.wav "..."
            rate = clip.frame_rate
            path = work / f"sentence-{number}.wav"
            write_pcm_wav(path, clip.raw_data, rate)
            listing.append(path)
        else:
            listing.append(silence(piece.ms))
    jingles = []
    assert station.intro and station.outro
    for name, jingle in (("intro", station.intro), ("outro", station.outro)):
        converted = work / f"{name}.wav"
        ffmpeg("-i", str(station.resolve(jingle)), "-ar", str(rate), "-ac", "1", "-c:a", "pcm_s16le", str(converted))
        jingles.append(converted)
    gap = silence(station.audio.jingle_gap_ms)
    listing = [jingles[0], gap, *listing, gap, jingles[1]]
    concat = work / "list.txt"
    concat.write_text("".join(f"file '{p}'\n" for p in listing), encoding="utf-8")
    source = ["-f", "concat", "-safe", "0", "-i", str(concat)]
    measured = ffmpeg(*source, "-af", "loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json", "-f", "null", "-")
    stats = json.loads(measured[measured.rfind("{"):measured.rfind("}") + 1])
    apply = (f"loudnorm=I=-16:TP=-1.5:LRA=11:measured_I={stats['input_i']}:measured_TP={stats['input_tp']}:"
             f"measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}:"
             f"offset={stats['target_offset']}:linear=true")
    ffmpeg(*source, "-af", apply, "-ar", "44100", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "128k", str(out))
    wall = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    return wall


class FfmpegCount:
    """Counts announcer's ffmpeg runs and their time, in-process."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, float]] = []
        self._real = loudness_mod.run_ffmpeg
        self._real_pair = loudness_mod.run_ffmpeg_measured

    def __enter__(self) -> FfmpegCount:
        def counted(args: list[str], what: str) -> Any:
            start = time.perf_counter()
            try:
                return self._real(args, what)
            finally:
                self.runs.append((what.split()[0], time.perf_counter() - start))

        def counted_pair(encode_args: list[str], measure_args: list[str], what: str, cwd: Path) -> str:
            start = time.perf_counter()
            try:
                return self._real_pair(encode_args, measure_args, what, cwd)
            finally:
                self.runs.append(("encoding+measuring at once", time.perf_counter() - start))

        loudness_mod.run_ffmpeg = counted
        loudness_mod.run_ffmpeg_measured = counted_pair
        return self

    def __exit__(self, *exc: object) -> None:
        loudness_mod.run_ffmpeg = self._real
        loudness_mod.run_ffmpeg_measured = self._real_pair

    def describe(self) -> str:
        kinds: dict[str, list[float]] = {}
        for kind, secs in self.runs:
            kinds.setdefault(kind, []).append(secs)
        return ", ".join(f"{len(v)} {k} ({sum(v):.2f} s)" for k, v in sorted(kinds.items())) or "none"


# --- cases -----------------------------------------------------------------------------------------------


def single_case(args: argparse.Namespace, tmp: Path, text: Text, checks: Loudness) -> dict[str, Any]:
    section(f"one {args.minutes:g}-minute script")
    station = make_station(tmp / "single")
    script = write_script(station.scripts_dir / "bench.md", f"Thông báo tổng hợp ({args.minutes:g} phút)",
                          text.body(args.minutes))
    pieces = reading(station, script)
    out: dict[str, Any] = {"sentences": sum(isinstance(p, Speech) for p in pieces)}
    with FfmpegCount() as count, Clock() as clock:
        out["cold_s"], (result,) = announcer_build(station, [script])
    out["cold_cpu"] = clock.cpu
    out["audio_s"] = result.duration_s
    out["cold_ffmpeg"] = count.describe()
    checks.check("announcer", [result.output])
    with Clock() as clock:
        out["floor_s"] = floor_build(station, pieces, tmp, tmp / "floor.mp3")
    out["floor_cpu"] = clock.cpu
    floor_audio = mp3_seconds(tmp / "floor.mp3")
    checks.check("floor (not normalized)", [tmp / "floor.mp3"])
    if not args.skip_baselines:
        with Clock() as clock:
            out["naive_s"] = naive_build(station, pieces, tmp / "naive.mp3")
        out["naive_cpu"] = clock.cpu
        checks.check("naive", [tmp / "naive.mp3"])
        with Clock() as clock:
            out["sysadmin_s"] = sysadmin_build(station, pieces, tmp / "sysadmin", tmp / "sysadmin.mp3")
        out["sysadmin_cpu"] = clock.cpu
        checks.check("sysadmin", [tmp / "sysadmin.mp3"])
    skips = [announcer_build(station, [script])[0] for _ in range(5)]
    out["skip_s"] = statistics.median(skips)
    with FfmpegCount() as count:
        out["forced_s"], (forced,) = announcer_build(station, [script], force=True)
    out["forced_ffmpeg"] = count.describe()
    result.output.unlink()  # nothing to reuse: mix, encode and measure again, from the warm caches
    with FfmpegCount() as count, Clock() as clock:
        out["remaster_s"], (remastered,) = announcer_build(station, [script], force=True)
    out["remaster_cpu"] = clock.cpu
    out["remaster_ffmpeg"] = count.describe()
    checks.check("announcer", [remastered.output])
    audio = out["audio_s"]
    print(f"  {out['sentences']} sentences, {audio:.0f} s of audio (floor: {floor_audio:.0f} s without jingles)")
    print(f"  announcer cold {out['cold_s']:.2f} s (cpu {out['cold_cpu']:.2f} s) = {audio / out['cold_s']:.0f}x "
          f"realtime; ffmpeg: {out['cold_ffmpeg']}")
    print(f"  floor {out['floor_s']:.2f} s (cpu {out['floor_cpu']:.2f} s); announcer / floor = "
          f"{out['cold_s'] / out['floor_s']:.2f}x wall, {out['cold_cpu'] / out['floor_cpu']:.2f}x cpu")
    if not args.skip_baselines:
        print(f"  naive {out['naive_s']:.2f} s (cpu {out['naive_cpu']:.2f} s, {out['naive_s'] / out['cold_s']:.2f}x "
              f"announcer's wall); sysadmin {out['sysadmin_s']:.2f} s (cpu {out['sysadmin_cpu']:.2f} s, "
              f"{out['sysadmin_s'] / out['cold_s']:.2f}x announcer's wall)")
    print(f"  rebuilds: unchanged (skip) {out['skip_s'] * 1000:.1f} ms; forced {out['forced_s']:.2f} s "
          f"(ffmpeg: {out['forced_ffmpeg']}); forced after deleting the MP3 {out['remaster_s']:.2f} s "
          f"(cpu {out['remaster_cpu']:.2f} s) "
          f"(ffmpeg: {out['remaster_ffmpeg']})")
    return out


def station_case(args: argparse.Namespace, tmp: Path, text: Text, checks: Loudness) -> dict[str, Any]:
    section(f"a station of {args.station_scripts} one-minute scripts")
    station = make_station(tmp / "station")
    scripts = [write_script(station.scripts_dir / f"tb-{n:03d}.md", f"Thông báo số {n}", text.body(1.0))
               for n in range(1, args.station_scripts + 1)]
    jobs = args.jobs or (os.cpu_count() or 1)
    out: dict[str, Any] = {"scripts": len(scripts), "jobs": jobs}
    with Clock() as clock:
        out["cold_s"] = cli(station, "build", "--jobs", str(jobs))
    out["cold_cpu"] = clock.cpu
    mp3s = [station.audio_out / f"{s.stem}.mp3" for s in scripts]
    durations = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))["duration_s"] for p in mp3s]
    out["audio_s"] = sum(durations)
    checks.check("announcer", mp3s)
    print(f"  announcer build --jobs {jobs} (CLI, cold): {out['cold_s']:.1f} s (cpu {out['cold_cpu']:.1f} s) for "
          f"{out['audio_s'] / 60:.0f} min = {out['audio_s'] / out['cold_s']:.0f}x realtime", flush=True)
    floor_s = 0.0
    with Clock() as clock:
        for script in scripts:
            floor_s += floor_build(station, reading(station, script), tmp, tmp / "floor-station.mp3")
    out["floor_s"], out["floor_cpu"] = floor_s, clock.cpu
    print(f"  floor, one script after another: {floor_s:.1f} s (cpu {clock.cpu:.1f} s); "
          f"on {jobs} cores at best {floor_s / jobs:.1f} s; "
          f"announcer / (floor / {jobs}) = {out['cold_s'] / (floor_s / jobs):.2f}x", flush=True)
    if not args.skip_baselines and args.station_baselines:
        sample = scripts[: args.station_baselines]
        sys_s = sum(sysadmin_build(station, reading(station, s), tmp / "sys", tmp / "sys.mp3") for s in sample)
        out["sysadmin_per_script_s"] = sys_s / len(sample)
        print(f"  sysadmin, {len(sample)} scripts one after another: {sys_s / len(sample):.2f} s per script; "
              f"for all {len(scripts)}, about {sys_s / len(sample) * len(scripts):.0f} s "
              f"({sys_s / len(sample) * len(scripts) / out['cold_s']:.1f}x announcer)", flush=True)
    out["noop_s"] = cli(station, "build")
    edits = []
    for n, script in enumerate(scripts[:3]):
        body = script.read_text(encoding="utf-8")
        script.write_text(body.replace("Kính thưa bà con nhân dân trong phường.",
                                       f"Kính thưa bà con nhân dân khu phố {n + 2}."), encoding="utf-8")
        with Clock() as clock:
            edits.append(cli(station, "build"))
        out.setdefault("edit_cpu", []).append(clock.cpu)
        checks.check("announcer", [station.audio_out / f"{script.stem}.mp3"])
    out["edit_s"] = edits
    print(f"  nothing changed (CLI): {out['noop_s']:.2f} s; one script edited (CLI, start-up included): "
          + ", ".join(f"{e:.2f} s (cpu {c:.2f} s)" for e, c in zip(edits, out["edit_cpu"], strict=True)), flush=True)
    out["station"] = station
    return out


def time_v(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall s, max RSS MB) of a command, by /usr/bin/time -v when there is one."""
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        proc = subprocess.run([str(gnu_time), "-v", *cmd], cwd=cwd, capture_output=True, text=True, env=CHILD_ENV)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        if wall and rss:
            seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
            return seconds, int(rss.group(1)) / 1024
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True)
    return time.perf_counter() - start, float("nan")


def player_at_rest(station: Station, tmp: Path, seconds: float = 4.0) -> tuple[float, float]:
    """(VmRSS MB, VmHWM MB) of `announcer run` a few seconds after it started, all renders fresh."""
    aired = tmp / "aired"
    aired.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "announcer", "run", "--sink", f"file:{aired}"],
                            cwd=station.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CHILD_ENV)
    try:
        time.sleep(seconds)
        status = Path(f"/proc/{proc.pid}/status")
        if not status.exists():
            return float("nan"), float("nan")
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def startup_case(station: Station, tmp: Path) -> dict[str, Any]:
    section("start-up: light commands and the player at rest")
    base = [sys.executable, "-m", "announcer"]
    commands = {"--version": ["--version"], "check": ["check"], "plan --date 2026-12-15": ["plan", "--date",
                                                                                          "2026-12-15"],
                "log": ["log"], "engines": ["engines"], "build (nothing to do)": ["build"]}
    out: dict[str, Any] = {}
    for name, args in commands.items():
        runs = [time_v([*base, *args], station.root) for _ in range(3)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        out[name] = (wall, rss)
        print(f"  announcer {name:<24} {wall:.2f} s  {rss:.0f} MB  (median wall of 3, highest RSS)", flush=True)
    if sys.platform.startswith("linux"):
        out["player"] = player_at_rest(station, tmp)
        print(f"  announcer run, at rest:          {out['player'][0]:.0f} MB (peak {out['player'][1]:.0f} MB)")
    return out


# --- long run: peak RSS in a child ---------------------------------------------------------------------


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




def long_case(minutes: float, tmp: Path) -> None:
    section(f"one {minutes:g}-minute script, peak RSS in a child process")
    log_path = tmp / "long.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-long", str(minutes), "--workdir", str(tmp / "long")]
    launched = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, "3600", str(log_path), *cmd],
                              capture_output=True, text=True)
    result = json.loads(launched.stdout.strip().splitlines()[-1])
    lines = [line for line in log_path.read_text().splitlines() if line.startswith("BENCH-RESULT ")]
    child = json.loads(lines[-1][len("BENCH-RESULT "):]) if lines else {}
    rss = result.get("rusage_maxrss_kb")
    print(f"  {child.get('audio_s', 0) / 60:.0f} min of audio in {child.get('wall_s', float('nan')):.1f} s; peak RSS "
          f"(largest process of the child's tree, wait4): {rss / 1024 if rss else float('nan'):.0f} MB")


def child_long(minutes: float, workdir: Path) -> None:
    station = make_station(workdir)
    script = write_script(station.scripts_dir / "long.md", "Dài", Text(station).body(minutes))
    wall, (result,) = announcer_build(station, [script])
    print("BENCH-RESULT " + json.dumps({"wall_s": wall, "audio_s": result.duration_s}), flush=True)


# --- report ----------------------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the single script (10)")
    parser.add_argument("--station-scripts", type=int, default=100, help="one-minute scripts in the station (100)")
    parser.add_argument("--station-baselines", type=int, default=10,
                        help="station scripts the sysadmin baseline renders, to extrapolate from (10)")
    parser.add_argument("--jobs", type=int, default=0, help="announcer build --jobs (0: one per core)")
    parser.add_argument("--skip-baselines", action="store_true", help="no naive and sysadmin runs")
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--skip-station", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-engines", action="store_true", help="no per-engine rows (bench/engines.py)")
    parser.add_argument("--long", type=float, default=0.0, help="also a script this long, for peak RSS")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--child-long", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_long:
        child_long(args.child_long, Path(args.workdir))
        return

    tmp = Path(tempfile.mkdtemp(prefix="announcer-bench-"))
    print(f"workdir {tmp}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; ffmpeg {ffmpeg_exe()}")
    section("start")
    prepare_bytecode(tmp)
    checks = Loudness()
    figures: dict[str, Any] = {}
    try:
        text = Text(make_station(tmp / "calibrate"))
        single = single_case(args, tmp, text, checks) if not args.skip_single else {}
        station = station_case(args, tmp, text, checks) if not args.skip_station else {}
        startup = startup_case(station["station"], tmp) if station and not args.skip_startup else {}
        if args.long:
            long_case(args.long, tmp)

        section("summary")
        rows = [("case", "announcer", "floor", "naive", "sysadmin")]
        if single:
            def x(seconds: float | None) -> str:
                return "n/a" if not seconds else f"{seconds:.2f} s ({single['audio_s'] / seconds:.0f}x rt)"
            rows.append((f"{args.minutes:g}-min script, cold", x(single["cold_s"]), x(single["floor_s"]),
                         x(single.get("naive_s")), x(single.get("sysadmin_s"))))
            rows.append(("  ratio to announcer", "1.00", f"{single['floor_s'] / single['cold_s']:.2f}",
                         f"{single['naive_s'] / single['cold_s']:.2f}" if "naive_s" in single else "n/a",
                         f"{single['sysadmin_s'] / single['cold_s']:.2f}" if "sysadmin_s" in single else "n/a"))
        if station:
            sys_total = station.get("sysadmin_per_script_s", 0) * station["scripts"]
            rows.append((f"{station['scripts']} x 1-min station, cold",
                         f"{station['cold_s']:.1f} s ({station['audio_s'] / station['cold_s']:.0f}x rt)",
                         f"{station['floor_s']:.1f} s 1 core", "n/a",
                         f"~{sys_total:.0f} s (extrapolated)" if sys_total else "n/a"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            print("  " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        for pipeline in checks.by_pipeline:
            print(f"  loudness by ffmpeg, {pipeline}: {checks.describe(pipeline)}")

        print("\nGoals (issue 10):")
        if station:
            sx = station["audio_s"] / station["cold_s"]
            print(f"  {station['scripts']} one-minute scripts cold >= {GOAL_STATION_X:g}x realtime: {sx:.0f}x -> "
                  f"{mark(sx >= GOAL_STATION_X)}")
            worst = max(station["edit_s"])
            print(f"  one script edited, CLI wall incl. start-up < {GOAL_EDIT_S:g} s: worst of 3 {worst:.2f} s -> "
                  f"{mark(worst < GOAL_EDIT_S)}")
        if single:
            ratio = single["cold_s"] / single["remaster_s"]
            reuse = single["cold_s"] / single["forced_s"]
            print(f"  forced rebuild of the {args.minutes:g}-min script from a warm cache >= {GOAL_FORCED_RATIO:g}x "
                  f"faster than cold: {reuse:.1f}x (measured MP3 reused), {ratio:.1f}x (MP3 deleted: mixed, encoded "
                  f"and measured again) -> {mark(ratio >= GOAL_FORCED_RATIO)} / {mark(reuse >= GOAL_FORCED_RATIO)}")
            skip = single["cold_s"] / single["skip_s"]
            print(f"    (issue 8 item 13) cold / unchanged rebuild, the skip: {skip:,.0f}x;"
                  f" cold / real warm-cache rebuild: {ratio:.1f}x")
            fr = single["cold_s"] / single["floor_s"]
            print(f"  {args.minutes:g}-min cold <= {GOAL_FLOOR_RATIO:g}x the floor: {fr:.2f}x -> "
                  f"{mark(fr <= GOAL_FLOOR_RATIO)}")
        if startup:
            for name in ("check", "plan --date 2026-12-15"):
                wall, rss = startup[name]
                print(f"  announcer {name} < {GOAL_LIGHT_S:g} s and < {GOAL_LIGHT_MB:g} MB: {wall:.2f} s, {rss:.0f} MB"
                      f" -> {mark(wall < GOAL_LIGHT_S and rss < GOAL_LIGHT_MB)}")
            if "player" in startup:
                rss = startup["player"][0]
                print(f"  player at rest < {GOAL_PLAYER_MB:g} MB: {rss:.0f} MB -> {mark(rss < GOAL_PLAYER_MB)}")
        print(f"  every announcer MP3 at -16 +- 0.5 LUFS and <= -1.5 dBTP (ffmpeg): "
              f"{checks.describe('announcer')} -> {mark(checks.within('announcer'))}")
        if not args.skip_engines:  # per-engine rows against fake services (bench/engines.py, owned by voices)
            section("engines")
            import engines as engines_bench  # bench/engines.py, beside this script

            figures["engines_ok"] = engines_bench.print_rows(engines_bench.run(list(engines_bench.ALL), 8, 0.3), 0.3)
        print(f"\nload average at the end: {load()}")
        figures |= {"single": single, "station": {k: v for k, v in station.items() if k != "station"},
                   "startup": startup, "loudness": checks.by_pipeline}
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
