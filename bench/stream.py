"""Streaming to Icecast, measured on this machine with a real icecast2 and the real CLI.

    python bench/stream.py                 # 10 minutes of streaming for CPU/memory (about 12 min in all)
    python bench/stream.py --minutes 1     # a quick run
    python bench/stream.py --handovers 10  # more hand-over samples

What it measures (goals of issue 12):
1. hand-over latency: ``announcer play ITEM`` (a new process, start-up included) while
   ``announcer run`` streams silence, to the item's first audio at an Icecast listener (< 2 s);
2. the gap between consecutive items on the stream: three tones handed over back to back,
   silence between them measured in 5 ms windows at the listener (< 50 ms);
3. CPU and memory of ``announcer run`` and its children (the MP3 encoder) while it streams for
   ``--minutes``, a 20-s item every minute (< 10% of one core, < 150 MB), side by side with a
   baseline: one ``ffmpeg -re`` streaming silence straight to Icecast (what a sysadmin would
   script; it has the password on its command line);
4. the same while it relays an upstream MP3 stream (a ``[[relay]]`` window added to station.toml
   while it runs; the upstream is ffmpeg streaming a tone to another mount) for ``--relay-minutes``.

Needs the icecast2 binary (Debian: apt-get install icecast2). It starts its own server on a free
loopback port, as nobody when run as root. The load average is printed: timings under load are
not the machine's best.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.icecast_server import (  # noqa: E402
    ICECAST,
    SOURCE_PASSWORD,
    IcecastServer,
    Listener,
    decode_mp3,
    ffmpeg,
    tone,
)

RATE = 8000
WINDOW = 0.005
FLOOR_DB = -45.0
STATION = """\
name = "Bench"
timezone = "Asia/Ho_Chi_Minh"
engines = ["espeak"]
intro = ""
outro = ""

[player]
sink = "{sink}"
"""


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def announcer(station: Path, *args: str, env: dict[str, str], wait: bool = True) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "announcer", "--station", str(station), *args], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait:
        proc.wait(60)
    return proc


def loud_windows(samples) -> list[bool]:  # noqa: ANN001 - a numpy array
    import numpy as np

    size = int(RATE * WINDOW)
    count = len(samples) // size
    frames = samples[: count * size].reshape(count, size)
    level = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12)
    return list(level > FLOOR_DB)


def first_audio_arrival(listener: Listener, after: float, bitrate_bytes: float) -> float | None:
    """Monotonic time the first non-silent audio reached the listener after ``after``."""
    pieces = [(t, p) for t, p in list(listener.pieces)]
    data = b"".join(p for _, p in pieces)
    loud = loud_windows(decode_mp3(data))
    offsets, total = [], 0
    for t, p in pieces:
        total += len(p)
        offsets.append((total, t))
    for index, on in enumerate(loud):
        if not on:
            continue
        byte = index * WINDOW * bitrate_bytes
        for end, t in offsets:
            if end >= byte:
                if t >= after:
                    return t
                break
    return None


def tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for child in children:
        out += tree(int(child))
    return out


def cpu_and_rss(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of a process and its live children."""
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu, rss = 0.0, 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick
        rss += int(fields[21]) * page
    return cpu, rss


def watch(pid: int, seconds: float, every: float, feed) -> tuple[float, float, int]:  # noqa: ANN001
    """(mean CPU % of one core, peak CPU % over one sample, peak RSS) over ``seconds``."""
    start_cpu, _ = cpu_and_rss(pid)
    started = time.monotonic()
    last_cpu, last_t, peak_pct, peak_rss = start_cpu, started, 0.0, 0
    next_feed = started
    while time.monotonic() - started < seconds:
        if time.monotonic() >= next_feed:
            feed()
            next_feed += 60
        time.sleep(every)
        cpu, rss = cpu_and_rss(pid)
        now = time.monotonic()
        peak_pct = max(peak_pct, 100 * (cpu - last_cpu) / (now - last_t))
        peak_rss = max(peak_rss, rss)
        last_cpu, last_t = cpu, now
    total_cpu, _ = cpu_and_rss(pid)
    return 100 * (total_cpu - start_cpu) / (time.monotonic() - started), peak_pct, peak_rss


def relay_phase(server: IcecastServer, station: Path, pid: int, minutes: float) -> tuple[float, int, float]:
    """An upstream station (ffmpeg streaming a tone to another mount), relayed by ``announcer run``."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import numpy as np

    upstream = subprocess.Popen(
        [ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
         f"sine=frequency=350:sample_rate=44100:duration={minutes * 60 + 180}", "-af", "volume=6dB",
         "-c:a", "libmp3lame", "-b:a", "64k", "-content_type", "audio/mpeg", "-f", "mp3",
         f"icecast://source:{SOURCE_PASSWORD}@127.0.0.1:{server.port}/upstream"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.wait_mount("/upstream", 15)
        start = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
        relay = (f'\n[[relay]]\nname = "upstream"\nurl = "{server.url("/upstream")}"\n'
                 f'at = "{start:%H:%M}"\nduration = "{int(minutes) + 3}m"\n')
        config = station / "station.toml"
        config.write_text(config.read_text(encoding="utf-8") + relay, encoding="utf-8")
        time.sleep(20)  # picked up within seconds; the stream opens and settles
        mean, _peak, rss = watch(pid, minutes * 60, 5.0, lambda: None)
        listener = Listener(server.url("/bench")).start()
        time.sleep(3.0)
        samples = decode_mp3(listener.stop())
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
        hz = float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(spectrum.argmax())]) if len(samples) else 0.0
        return mean, rss, hz
    finally:
        upstream.terminate()
        upstream.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="streaming time for CPU/memory (10)")
    parser.add_argument("--handovers", type=int, default=5, help="hand-over latency samples (5)")
    parser.add_argument("--relay-minutes", type=float, default=None,
                        help="relaying time for CPU/memory (default: --minutes; 0 skips)")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    if args.relay_minutes is None:
        args.relay_minutes = args.minutes
    if ICECAST is None:
        print("icecast2 is not installed (Debian: apt-get install icecast2)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    server = IcecastServer().start()
    env = {**os.environ, "ANNOUNCER_ICECAST_PASSWORD": SOURCE_PASSWORD}
    station = work / "station"
    (station / "audio_out").mkdir(parents=True)
    (station / "station.toml").write_text(STATION.format(sink=server.sink_spec("/bench")), encoding="utf-8")
    items = {name: tone(station / "audio_out" / f"{name}.mp3", hz, seconds, volume_db=-6)
             for name, hz, seconds in (("khan", 1000, 2.0), ("a", 440, 3.0), ("b", 660, 3.0), ("c", 880, 3.0),
                                       ("dai", 523, 20.0))}
    bitrate_bytes = 128_000 / 8
    print(f"bench/stream.py: icecast2 on 127.0.0.1:{server.port}, {os.cpu_count()} cores, load {load()}")
    run = announcer(station, "run", env=env, wait=False)
    failed = False
    try:
        if not server.wait_mount("/bench", 30):
            print("announcer run did not bring the mount up:", run.stderr.read(2000) if run.stderr else "")
            return 1
        # 1. hand-over latency
        latencies, handed = [], []
        for _ in range(args.handovers):
            listener = Listener(server.url("/bench")).start()
            time.sleep(1.0)
            sent = time.monotonic()
            announcer(station, "play", str(items["khan"]), env=env)
            exited = time.monotonic()
            time.sleep(4.0)
            arrived = first_audio_arrival(listener, sent, bitrate_bytes)
            listener.stop()
            if arrived is not None:
                latencies.append(arrived - sent)
                handed.append((exited - sent, arrived - exited))
        print(f"\n1. hand-over (`announcer play`, a new process) to first audio at a listener, load {load()}")
        if latencies:
            worst = max(latencies)
            print(f"   {len(latencies)} runs: median {statistics.median(latencies):.2f} s, worst {worst:.2f} s "
                  f"(goal < 2 s: {'met' if worst < 2 else 'NOT met'})")
            print("   of which `announcer play` itself (start-up to exit, hand-over written): median "
                  f"{statistics.median(h[0] for h in handed):.2f} s, worst {max(h[0] for h in handed):.2f} s; "
                  f"player pick-up to the listener: median {statistics.median(h[1] for h in handed):.2f} s, "
                  f"worst {max(h[1] for h in handed):.2f} s")
            failed |= worst >= 2
        else:
            print("   no item arrived")
            failed = True
        # 2. gaps between consecutive items
        listener = Listener(server.url("/bench")).start()
        time.sleep(1.0)
        for name in ("a", "b", "c"):
            announcer(station, "play", str(items[name]), env=env)
        time.sleep(12.0)
        loud = loud_windows(decode_mp3(listener.stop()))
        first = loud.index(True) if True in loud else 0
        last = len(loud) - 1 - loud[::-1].index(True) if True in loud else 0
        sounding = loud[first: last + 1]
        silent_ms = sounding.count(False) * WINDOW * 1000
        total_s = len(sounding) * WINDOW
        print(f"\n2. three 3-s items handed over back to back, load {load()}")
        print(f"   heard {total_s:.2f} s of sound for 9.00 s of items; silence inside: {silent_ms:.0f} ms "
              f"(goal < 50 ms per gap: {'met' if silent_ms < 100 else 'NOT met'})")
        failed |= silent_ms >= 100
        # 3. CPU and memory while streaming
        seconds = args.minutes * 60
        print(f"\n3. CPU and memory over {args.minutes:g} min of streaming (a 20-s item every minute), "
              f"load {load()} at start")
        mean, peak, rss = watch(run.pid, seconds, 5.0, lambda: announcer(station, "play", str(items["dai"]),
                                                                           env=env, wait=False))
        print(f"   announcer run + encoder: mean {mean:.1f}% of one core (peak 5-s sample {peak:.1f}%), "
              f"peak RSS {rss / 1e6:.0f} MB; load {load()} at end")
        failed |= mean >= 10 or rss >= 150e6
        if not args.skip_baseline:
            base = subprocess.Popen(
                [ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                 f"anullsrc=r=44100:cl=mono:d={seconds}", "-c:a", "libmp3lame", "-b:a", "128k",
                 "-content_type", "audio/mpeg", "-f", "mp3",
                 f"icecast://source:{SOURCE_PASSWORD}@127.0.0.1:{server.port}/baseline"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            b_mean, b_peak, b_rss = watch(base.pid, seconds, 5.0, lambda: None)
            base.terminate()
            base.wait(10)
            print(f"   baseline `ffmpeg -re ... icecast://` (silence only): mean {b_mean:.1f}% "
                  f"(peak {b_peak:.1f}%), RSS {b_rss / 1e6:.0f} MB")
            if b_mean > 0 and b_rss > 0:
                print(f"   ratio announcer/baseline: CPU {mean / b_mean:.1f}x, RSS {rss / b_rss:.1f}x")
        # 4. CPU and memory while relaying an upstream stream (a [[relay]] window added while running)
        if args.relay_minutes > 0:
            r_mean, r_rss, r_hz = relay_phase(server, station, run.pid, args.relay_minutes)
            print(f"\n4. relaying an upstream MP3 stream for {args.relay_minutes:g} min ([[relay]] window, "
                  f"decoded, levelled, streamed), load {load()} at end")
            print(f"   announcer run + children: mean {r_mean:.1f}% of one core, peak RSS {r_rss / 1e6:.0f} MB; "
                  f"the listener heard {r_hz:.0f} Hz (upstream tone: 350 Hz)")
            mean, rss = max(mean, r_mean), max(rss, r_rss)
            failed |= r_mean >= 10 or r_rss >= 150e6 or abs(r_hz - 350) > 20
        print(f"\ngoals (< 10% of one core, < 150 MB): {'met' if mean < 10 and rss < 150e6 else 'NOT met'}")
    finally:
        run.terminate()
        try:
            run.wait(15)
        except subprocess.TimeoutExpired:
            run.kill()
        server.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
