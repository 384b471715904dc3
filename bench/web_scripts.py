#!/usr/bin/env python3
"""Time the console's notices pages on a live server: the live reading preview of a 5,000-character
script (goal: p95 under 300 ms), the notices list of a 300-script station and the editor (goal: p95
under 200 ms), each beside its library call alone (the baseline: what the page adds is the ratio).

Usage: python bench/web_scripts.py [--scripts 300] [--chars 5000] [--runs 60] [--keep]

The station is generated in a temporary folder (engines = ["espeak"], nothing rendered); the server is
the console's app on 127.0.0.1 (werkzeug's threaded server), driven over HTTP by one client with a
logged-in session. The load average is printed: timings on a shared 2-core machine move with it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHRASES = [
    "Kính thưa bà con nhân dân trong phường.",
    "Trạm y tế phường tổ chức tiêm vắc xin sởi cho trẻ từ 9 tháng đến 5 tuổi vào ngày {d}/12/2026.",
    "Thời gian từ 7h30 đến 11h00, tại nhà văn hóa khu phố {n}.",
    "Đề nghị phụ huynh mang theo sổ tiêm chủng và thẻ BHYT của trẻ.",
    "Mọi thắc mắc xin liên hệ số 0256.3861.{n:03d} hoặc gặp cán bộ UBND phường.",
    "Theo Công văn số {n}/UBND-VX, mức thu phí vệ sinh là 20.000 đồng/hộ/tháng.",
    "Bà con lưu ý giữ gìn vệ sinh chung, không đổ rác ra lòng đường.",
    "Ban chỉ huy quân sự phường thông báo lịch khám tuyển nghĩa vụ quân sự năm 2027.",
    "Công an phường khuyến cáo người dân cảnh giác với các cuộc gọi lừa đảo qua mạng.",
]


def csrf_token_in(page: str) -> str:
    """The CSRF token of a console page's form (the bench logs in like a browser)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF token on the page: is this the console's login page?")
    return found.group(1)



def notice(seed: int, chars: int) -> str:
    lines, size, index = [], 0, 0
    while size < chars:
        text = PHRASES[(seed + index) % len(PHRASES)].format(d=(seed + index) % 28 + 1, n=(seed * 7 + index) % 97 + 1)
        lines.append(text)
        size += len(text) + 1
        index += 1
        if index % 4 == 0:
            lines.append("")
    return "\n".join(lines)[:chars]


def make_station(root: Path, count: int, chars: int) -> str:
    from announcer.station_init import init_station

    init_station(root)
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('engines = ["gtts", "espeak"]',
                                                                 'engines = ["espeak"]'), encoding="utf-8")
    for old in (root / "scripts").glob("*.md"):
        old.unlink()
    for number in range(count):
        slots = ["sang"] if number % 2 else ["sang", "chieu"]
        (root / "scripts" / f"thong-bao-{number:03d}.md").write_text(
            f'---\ntitle: "Thông báo số {number}"\nslots: [{", ".join(slots)}]\nfrom: 1/12/2026\n'
            f"until: 31/12/2026\n---\n{notice(number, 600)}\n", encoding="utf-8")
    big = "thong-bao-lon"
    (root / "scripts" / f"{big}.md").write_text(
        f'---\ntitle: "Thông báo dài"\nslots: [sang]\n---\n{notice(999, chars)}\n', encoding="utf-8")
    return big


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(call: Callable[[], object], runs: int) -> list[float]:
    call()  # warm: first request compiles templates, reads the lexicon
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def row(label: str, web: list[float], base: list[float] | None, goal: float) -> str:
    p50, p95 = statistics.median(web), percentile(web, 0.95)
    verdict = "ok" if p95 < goal else "MISSED"
    text = f"{label:34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  goal p95 < {goal:.0f} ms: {verdict}"
    if base:
        b50, b95 = statistics.median(base), percentile(base, 0.95)
        ratio = p50 / max(b50, 0.01)
        text += f"   | library alone p50 {b50:6.1f} ms p95 {b95:6.1f} ms  (page/library p50 x{ratio:.1f})"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scripts", type=int, default=300)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import requests
    from argon2 import PasswordHasher
    from werkzeug.serving import WSGIRequestHandler, make_server

    from announcer.accounts import AccountBook
    from announcer.config import load_station
    from announcer.livepreview import preview_text
    from announcer.schedule import renders
    from announcer.script import parse_script, scan_scripts
    from announcer.scriptedit import open_draft
    from announcer.textnorm import load_lexicon
    from announcer.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-web-scripts-"))
    root = folder / "station"
    try:
        big = make_station(root, args.scripts, args.chars)
        book = AccountBook(root / ".state", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        book.add("bench", "mat-khau-bench-1", "quan-tri", by="bench")
        app = create_app(root, accounts=book)
        WSGIRequestHandler.log_request = lambda *a, **k: None  # type: ignore[method-assign]  # quiet
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        session = requests.Session()
        page = session.get(f"{url}/login").text
        csrf = csrf_token_in(page)
        session.post(f"{url}/login", data={"name": "bench", "password": "mat-khau-bench-1", "csrf_token": csrf})
        csrf = csrf_token_in(session.get(f"{url}/scripts").text)

        station = load_station(root)
        body = parse_script(root / "scripts" / f"{big}.md").body
        assert len(body) >= args.chars - 10, len(body)

        def web_preview() -> None:
            response = session.post(f"{url}/scripts-preview", data={"body": body},
                                    headers={"X-CSRF-Token": csrf})
            assert response.status_code == 200 and "Máy sẽ đọc" in response.text, response.status_code

        def lib_preview() -> None:
            preview_text(body, 1, station.dialect, load_lexicon(station.lexicon_path))

        def web_list() -> None:
            response = session.get(f"{url}/scripts")
            assert response.status_code == 200 and response.text.count("<tr data-script=") == args.scripts + 1

        def lib_list() -> None:
            for path in scan_scripts(station.scripts_dir)[0]:
                renders.render_status(station, parse_script(path))

        def web_editor() -> None:
            response = session.get(f"{url}/scripts/{big}")
            assert response.status_code == 200 and 'id="script-form"' in response.text

        def lib_editor() -> None:
            draft = open_draft(station, big)
            preview_text(draft.body, 1, station.dialect, load_lexicon(station.lexicon_path))

        load = os.getloadavg()
        print(f"station: {args.scripts + 1} scripts; preview text {len(body):,} characters; {args.runs} runs each; "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        print(row("live preview (POST /scripts-preview)", timed(web_preview, args.runs), timed(lib_preview, args.runs),
                  300))
        print(row(f"notices list ({args.scripts + 1} scripts)", timed(web_list, args.runs), timed(lib_list, args.runs),
                  200))
        print(row("editor of the 5,000-char script", timed(web_editor, args.runs), timed(lib_editor, args.runs), 200))
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        server.shutdown()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
