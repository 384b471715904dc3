"""Per-engine rows: a cold render and a cached rebuild of one notice, each online engine against a
fake of its service that takes ``--latency`` seconds (default 0.3) per request.

    python bench/engines.py                  # every engine
    python bench/engines.py --engines edge,fpt --sentences 12

The fakes answer in each service's real format: gTTS, FPT.AI and Viettel AI over HTTP (the
``responses`` fakes of the tests, each request held ``--latency`` seconds), edge over a real
WebSocket server on loopback (tests/edge_fake.py). espeak and piper are offline (piper reads with
the tests' tiny generated voice, so its time is not the real voice's). The cached rebuild deletes
the render and builds again: every sentence must come from the speech cache, so it must make zero
requests; the row says how many it made and the script exits non-zero if any did.

``bench/render.py`` prints these rows at its end (``--skip-engines`` leaves them out).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from announcer.config import load_station  # noqa: E402
from announcer.render import build_station  # noqa: E402
from announcer.station_init import init_station  # noqa: E402

SENTENCES = [
    "Ủy ban nhân dân phường thông báo lịch tiêm vắc xin cho trẻ em dưới năm tuổi.",
    "Thời gian từ bảy giờ đến mười một giờ sáng thứ bảy tuần này.",
    "Địa điểm tại trạm y tế phường, số mười hai đường Lê Lợi.",
    "Đề nghị phụ huynh mang theo sổ tiêm chủng và thẻ bảo hiểm y tế của trẻ.",
    "Trẻ đang sốt hoặc đang mắc bệnh cấp tính sẽ được hẹn tiêm vào đợt sau.",
    "Ban điều hành các khu phố thông báo đến từng hộ gia đình có trẻ trong độ tuổi.",
    "Mọi thắc mắc xin liên hệ trạm y tế phường trong giờ hành chính.",
    "Xin trân trọng thông báo đến toàn thể bà con nhân dân.",
]
ALL = ("espeak", "gtts", "fpt", "viettel", "edge", "piper")


def script_text(count: int) -> str:
    body = " ".join(SENTENCES[i % len(SENTENCES)] for i in range(count))
    return f"---\ntitle: Lịch tiêm chủng\n---\n{body}\n"


@contextlib.contextmanager
def http_fake(latency: float) -> Iterator[Any]:
    """``responses`` with every request held ``latency`` seconds, as a slow server would."""
    import responses

    class Slow(responses.RequestsMock):
        requests_seen = 0

        def _on_request(self, adapter: Any, request: Any, **kwargs: Any) -> Any:
            Slow.requests_seen += 1
            time.sleep(latency)
            return super()._on_request(adapter, request, **kwargs)

    with Slow(assert_all_requests_are_fired=False) as mock:
        yield mock


@contextlib.contextmanager
def service(name: str, latency: float, root: Path) -> Iterator[Callable[[], int]]:
    """Start the fake of engine ``name``; yields a function giving the requests it has served."""
    if name == "espeak":
        yield lambda: 0
        return
    if name == "piper":
        from tests.piper_tiny import build_voice

        build_voice(root / "voices", SENTENCES)
        yield lambda: 0
        return
    if name == "edge":
        import edge_tts.communicate

        from tests.edge_fake import FakeEdge, mp3_of, voice_like

        audio = mp3_of(voice_like(5.0), 24000, root, "edge")
        fake = FakeEdge(lambda text, mode: audio, delay_s=latency).start()
        saved = edge_tts.communicate.WSS_URL
        edge_tts.communicate.WSS_URL = fake.url
        try:
            yield lambda: len(fake.requests)
        finally:
            edge_tts.communicate.WSS_URL = saved
            fake.stop()
        return
    with http_fake(latency) as mock:
        if name == "gtts":
            import responses

            from tests.gtts_fake import URL, batchexecute_answer, fake_mp3

            mock.add(responses.POST, URL, body=batchexecute_answer(fake_mp3(seconds=4.0)))
        elif name == "fpt":
            from tests.cloud_fakes import FPT_KEY, FakeFpt, speech_mp3

            os.environ["FPT_TTS_KEY"] = FPT_KEY
            FakeFpt(mock, audio=speech_mp3(5.0))
        elif name == "viettel":
            from tests.cloud_fakes import VIETTEL_KEY, FakeViettel, speech_mp3

            os.environ["VIETTEL_TTS_KEY"] = VIETTEL_KEY
            FakeViettel(mock, audio=speech_mp3(5.0))
        yield lambda: type(mock).requests_seen


def engine_row(name: str, sentences: int, latency: float, tmp: Path) -> dict[str, Any]:
    """Cold render and cached rebuild of one script read by ``name`` alone."""
    root = tmp / name
    init_station(root)
    for example in (root / "scripts").glob("*.md"):
        example.unlink()
    (root / "scripts" / "tb.md").write_text(script_text(sentences), encoding="utf-8")
    with service(name, latency, root) as served:
        station = load_station(root)
        start = time.perf_counter()
        (cold,) = build_station(station, [], engine=name)
        cold_s = time.perf_counter() - start
        cold_requests = served()
        if cold.error:
            raise SystemExit(f"{name}: the cold render failed: {cold.error}")
        shutil.rmtree(root / "audio_out")
        start = time.perf_counter()
        (warm,) = build_station(station, [], engine=name)
        warm_s = time.perf_counter() - start
        warm_requests = served() - cold_requests
    return {"engine": name, "sentences": sentences, "audio_s": cold.duration_s, "cold_s": cold_s,
            "cold_requests": cold_requests, "cold_calls": cold.engine_calls, "cached_s": warm_s,
            "cached_requests": warm_requests, "cached_calls": warm.engine_calls,
            "engines": cold.engines}


def run(names: list[str], sentences: int, latency: float) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="announcer-bench-engines-"))
    try:
        return [engine_row(name, sentences, latency, tmp) for name in names]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_rows(rows: list[dict[str, Any]], latency: float) -> bool:
    """Print the table; True when every cached rebuild made zero requests and zero engine calls."""
    print(f"  engines, one {rows[0]['sentences'] if rows else 0}-sentence notice, fake services at "
          f"{latency * 1000:.0f} ms a request (load average {os.getloadavg()[0]:.2f}):")
    table = [("engine", "cold", "requests", "cached rebuild", "requests", "cold / cached")]
    ok = True
    for row in rows:
        zero = row["cached_requests"] == 0 and row["cached_calls"] == 0
        ok &= zero
        online = row["engine"] not in ("espeak", "piper")
        table.append((row["engine"] + ("" if online else " (offline)"), f"{row['cold_s']:.2f} s",
                      str(row["cold_requests"]) if online else "-", f"{row['cached_s']:.2f} s",
                      (str(row["cached_requests"]) if online else "-") + ("" if zero else "  <- NOT ZERO"),
                      f"{row['cold_s'] / row['cached_s']:.1f}x"))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for line in table:
        print("  " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    print(f"  cached rebuilds made zero requests: {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default=",".join(ALL), help=f"comma-separated ({','.join(ALL)})")
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per request (0.3)")
    args = parser.parse_args()
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    rows = run(names, args.sentences, args.latency)
    if not print_rows(rows, args.latency):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
