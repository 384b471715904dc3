"""The staff console under a real station's weight: p50/p95 per page from a live server on loopback.

    python bench/web.py                      # 300 scripts and a year of as-run log, against a small baseline
    python bench/web.py --scripts 300 --days 365 --requests 40 --keep

It generates a station (``init_station``, espeak only, offline) with ``--scripts`` notices spread
over five daily slots, own times and campaign dates, one real render copied to every script's
name (so durations are real; render statuses are computed as usual), and ``--days`` of as-run log
ending today written into the player's database. A console is served by waitress in a child
process (``announcer serve``'s code) on 127.0.0.1; this process logs in over HTTP and times each
page ``--requests`` times after one warm-up request (the first, cold, time is printed too).

Pages: the dashboard, the week grid, the log of a day, the monthly report, the CSV of a day, the
Phát ngay form; and when the script pages are installed (``announcer.web.scripts``): the list, the
editor and a preview of a 5,000-character text. A page that is not installed is skipped with a
note. The same pages are timed on a baseline station (10 scripts, 7 days of log); the ratio
column is big / baseline. Goals (issue 11): p95 under 200 ms for pages, under 300 ms for the
preview, on a 2-core machine. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from announcer.accounts import AccountBook  # noqa: E402
from announcer.config import load_station  # noqa: E402
from announcer.station_init import init_station  # noqa: E402

PASSWORD = "bench-mat-khau-1"
SLOTS = (("sang", "06:00"), ("trua", "11:00"), ("chieu", "17:00"), ("toi", "19:00"), ("khuya", "21:00"))
PHRASES = (
    "Kính thưa bà con nhân dân trong phường.",
    "Thực hiện Kế hoạch số {n}/KH-UBND ngày {d}/{m}/2026 của Ủy ban nhân dân phường,",
    "trạm y tế tổ chức tiêm vắc-xin cho trẻ em từ {n} tháng tuổi tại nhà văn hóa khu phố {k}.",
    "Đề nghị các hộ gia đình thu gom rác thải đúng giờ, từ 17 giờ đến 19 giờ hằng ngày.",
    "Công ty điện lực tạm ngừng cấp điện từ 7 giờ 30 đến 11 giờ ngày {d}/{m} để bảo dưỡng đường dây.",
    "Mọi thắc mắc xin liên hệ số điện thoại 0236.3{n:03d}.456 trong giờ hành chính.",
    "Ban chỉ huy quân sự phường thông báo lịch khám sức khỏe nghĩa vụ quân sự năm 2027.",
    "Đề nghị bà con chủ động phòng chống sốt xuất huyết, diệt lăng quăng, bọ gậy.",
)


def csrf_token_in(page: str) -> str:
    """The CSRF token of a console page's form (the bench logs in like a browser)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF token on the page: is this the console's login page?")
    return found.group(1)



def _text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    while sum(len(p) + 1 for p in out) < chars:
        out.append(rng.choice(PHRASES).format(n=rng.randint(1, 999), d=rng.randint(1, 28), m=rng.randint(1, 12),
                                              k=rng.randint(1, 9)))
    return " ".join(out)


def make_station(root: Path, scripts: int, days: int, today: date, seed: int = 11) -> Path:
    rng = random.Random(seed)
    init_station(root)
    config = root / "station.toml"
    text = config.read_text(encoding="utf-8").replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]')
    text = text[:text.index("[[slot]]")]
    text += "".join(f'[[slot]]\nname = "{name}"\nat = "{at}"\ndays = "daily"\n\n' for name, at in SLOTS)
    config.write_text(text, encoding="utf-8")
    for example in (root / "scripts").glob("*.md"):
        example.unlink()
    # one real render, copied under every name: real durations without rendering 300 scripts
    sample = root / "scripts" / "mau.md"
    sample.write_text("---\ntitle: Mẫu\n---\n" + _text(rng, 300) + "\n", encoding="utf-8")
    from announcer.render import build_station

    build_station(load_station(root), [sample], jobs=1)
    render = root / "audio_out" / "mau.mp3"
    sample.unlink()
    for n in range(scripts):
        name = f"thong-bao-{n:03d}"
        slots = rng.sample([s for s, _ in SLOTS], rng.randint(0, 2))
        topic = _text(rng, 1)[:50].rstrip(" ,.").replace('"', "")
        front = [f'title: "Thông báo số {n + 1}: {topic}"']
        if slots:
            front.append(f"slots: [{', '.join(slots)}]")
        if not slots or rng.random() < 0.15:
            front.append(f'times: ["{rng.randint(6, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}"]')
        start = today + timedelta(days=rng.randint(-200, 10))
        front.append(f"from: {start.isoformat()}")
        front.append(f"until: {(start + timedelta(days=rng.randint(3, 400))).isoformat()}")
        (root / "scripts" / f"{name}.md").write_text("---\n" + "\n".join(front) + "\n---\n" + _text(rng, 600) + "\n",
                                                     encoding="utf-8")
        shutil.copyfile(render, root / "audio_out" / f"{name}.mp3")
    write_log(root, days, today, rng)
    return root


def write_log(root: Path, days: int, today: date, rng: random.Random) -> int:
    """``days`` of as-run records ending yesterday: each slot with a few items, mostly played."""
    from announcer.schedule.store import PlayerStore

    station = load_station(root)
    tz = station.tz
    items = []
    names = sorted(p.stem for p in (root / "scripts").glob("*.md"))
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        for slot, at in SLOTS:
            start = datetime.fromisoformat(f"{day.isoformat()}T{at}:00").replace(tzinfo=tz)
            moment = start
            for stem in rng.sample(names, min(len(names), rng.randint(2, 5))):
                status = rng.choices(("played", "late", "missed", "failed", "cut"), (90, 4, 3, 2, 1))[0]
                length = rng.uniform(40, 120)
                began = None if status in ("missed", "failed") else moment
                ended = began + timedelta(seconds=length) if began else None
                items.append((f"{start:%Y-%m-%dT%H:%M}|slot:{slot}|{stem}", {
                    "scheduled": start.isoformat(timespec="seconds"),
                    "started": began.isoformat(timespec="milliseconds") if began else None,
                    "ended": ended.isoformat(timespec="milliseconds") if ended else None,
                    "slot": slot, "source": "slot", "script": f"scripts/{stem}.md", "file": f"audio_out/{stem}.mp3",
                    "status": status, "error": None if status == "played" else "bench", "title": stem,
                }))
                if ended:
                    moment = ended
    store = PlayerStore(station.state_dir)
    store.open()
    store.finish_many(items)
    store.close()
    return len(items)


SERVER = """
import sys
from datetime import UTC, datetime
from waitress import serve
from announcer.web.app import create_app
root, port = sys.argv[1], int(sys.argv[2])
app = create_app(root, language="vi")
serve(app, host="127.0.0.1", port=port, threads=4, ident="bench", _quiet=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Console:
    def __init__(self, root: Path, tree: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(root), str(self.port)], env=env)
        self.http = requests.Session()
        deadline = time.monotonic() + 60
        while True:
            try:
                self.http.get(self.base + "/login", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the console did not start") from None
                time.sleep(0.2)
        page = self.http.get(self.base + "/login").text
        token = csrf_token_in(page)
        answer = self.http.post(self.base + "/login", data={"name": "bench", "password": PASSWORD,
                                                            "csrf_token": token}, allow_redirects=False)
        if answer.status_code != 302:
            raise SystemExit(f"login failed: {answer.status_code}")
        self.token = csrf_token_in(self.http.get(self.base + "/account").text
                               )

    def exists(self, path: str) -> bool:
        return self.http.get(self.base + path, allow_redirects=False).status_code != 404

    def time(self, method: str, path: str, count: int, **kw: Any) -> tuple[float, list[float]]:
        def one() -> float:
            began = time.perf_counter()
            answer = self.http.request(method, self.base + path, headers={"X-CSRF-Token": self.token},
                                       allow_redirects=False, **kw)
            elapsed = time.perf_counter() - began
            if answer.status_code != 200:
                raise SystemExit(f"{method} {path}: HTTP {answer.status_code}")
            return elapsed * 1000

        cold = one()
        return cold, [one() for _ in range(count)]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def pages(console: Console, today: date, station: Path) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(label, method, path, request options) of every page this install serves."""
    middle = today - timedelta(days=100)
    out: list[tuple[str, str, str, dict]] = [
        ("dashboard /", "GET", "/", {}),
        ("week grid /schedule", "GET", "/schedule", {}),
        ("log of a day /log", "GET", f"/log?date={middle.isoformat()}", {}),
        ("monthly report /log/month", "GET", f"/log/month?month={middle:%Y-%m}", {}),
        ("CSV of a day /log.csv", "GET", f"/log.csv?date={middle.isoformat()}", {}),
        ("phát ngay form /play", "GET", "/play", {}),
    ]
    first = sorted(p.stem for p in (station / "scripts").glob("*.md"))[0]
    if console.exists("/scripts"):
        out.append(("script list /scripts", "GET", "/scripts", {}))
        out.append(("editor /scripts/<name>", "GET", f"/scripts/{first}", {}))
    else:
        print("note: /scripts is not installed here (announcer.web.scripts): list and editor skipped")
    if console.exists("/scripts-preview"):
        body = _text(random.Random(5), 5000)[:5000]
        out.append(("preview of 5,000 chars", "POST", "/scripts-preview", {"data": {"body": body}}))
    else:
        print("note: /scripts-preview is not installed here: the preview is skipped")
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(root: Path, tree: Path, today: date, count: int) -> dict[str, dict[str, float]]:
    book = AccountBook(root / ".state")
    if book.get("bench") is None:
        book.add("bench", PASSWORD, "quan-tri", by="bench")
    console = Console(root, tree)
    try:
        results = {}
        for label, method, path, options in pages(console, today, root):
            cold, times = console.time(method, path, count, **options)
            results[label] = {"cold": cold, "p50": statistics.median(times), "p95": pct(times, 0.95),
                              "max": max(times)}
        return results
    finally:
        console.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scripts", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="source tree the server imports")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    today = datetime.now(UTC).astimezone().date()
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        began = time.monotonic()
        big = make_station(work / "big", args.scripts, args.days, today)
        small = make_station(work / "small", 10, 7, today)
        print(f"stations made in {time.monotonic() - began:.0f} s: {args.scripts} scripts + {args.days} days of "
              f"log; baseline 10 scripts + 7 days ({work})")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  ({os.cpu_count()} cores)")
        base = measure(small, args.tree, today, args.requests)
        heavy = measure(big, args.tree, today, args.requests)
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"\n{'page':30} {'cold':>8} {'p50':>8} {'p95':>8} {'max':>8} | {'base p50':>8} {'base p95':>8} "
              f"{'p95 ratio':>9}  goal")
        for label, row in heavy.items():
            goal = 300 if "preview" in label else 200
            ref = base.get(label, {})
            ratio = row["p95"] / ref["p95"] if ref.get("p95") else float("nan")
            verdict = "ok" if row["p95"] < goal else "OVER"
            print(f"{label:30} {row['cold']:8.1f} {row['p50']:8.1f} {row['p95']:8.1f} {row['max']:8.1f} | "
                  f"{ref.get('p50', float('nan')):8.1f} {ref.get('p95', float('nan')):8.1f} {ratio:9.2f}  "
                  f"<{goal} ms {verdict}")
        print("\n(milliseconds, over", args.requests, "requests after one warm-up; cold = that first request)")
        (work / "results.json").write_text(json.dumps({"big": heavy, "base": base}, indent=1), encoding="utf-8")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
