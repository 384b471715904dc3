#!/usr/bin/env python3
"""Time announcer.textnorm.normalize on a 50,000-character notice (target: under 1 s).

Usage: python bench/normalize.py [NOTICE.txt] [--chars N] [--repeat R]
Without a file it uses ../shared/seeds/*.txt when present, else a built-in notice.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

SAMPLE = """THÔNG BÁO
Về việc tổ chức tiêm chủng và thu phí vệ sinh năm 2021
Căn cứ Công văn số 3102/UBND-KSTT ngày 31/05/2021 và Nghị định 100/2019/NĐ-CP; UBNDphường thông báo:
- Thời gian: từ 7h30 - 11h00, từ ngày 17 - 24/6/2021 (thứ 2 đến thứ 6).
+ Mức thu 45.000đ/kg, 200.000 đồng/người, tăng 2,5%; diện tích 1.250m2, nhiệt độ 37°C.
· Liên hệ 0256.3861.234 hoặc gửi 1414; xem http://dichvucong.binhdinh.gov.vn, email ubnd@gmail.com.
Chương III, mục IV, thế kỷ XXI; mã OTP, CCCD, BHYT, TP. Quy Nhơn v.v.
Bước 5.Tiến hành nhập mật khẩu.Sau đó bấm “Đăng ký”./.
"""


def load_notice(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    seeds = sorted(Path(__file__).resolve().parents[1].joinpath("..", "shared", "seeds").glob("*.txt"))
    return seeds[0].read_text(encoding="utf-8") if seeds else SAMPLE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notice", nargs="?")
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    from announcer.textnorm import normalize

    import_s = time.perf_counter() - start
    base = load_notice(args.notice)
    text = (base * (args.chars // max(len(base), 1) + 1))[: args.chars]
    text = text[: text.rfind("\n") + 1] or text

    start = time.perf_counter()
    normalize("Khởi động 1", lexicon={})
    first_s = time.perf_counter() - start
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        out = normalize(text)
        runs.append(time.perf_counter() - start)
    best, median = min(runs), statistics.median(runs)
    print(f"import: {import_s * 1000:.0f} ms; first call (loads lexicon, compiles): {first_s * 1000:.0f} ms")
    print(f"normalize {len(text):,} chars, {text.count(chr(10)):,} lines -> {len(out):,} chars: "
          f"best {best * 1000:.0f} ms, median {median * 1000:.0f} ms over {args.repeat} runs "
          f"({len(text) / best / 1000:,.0f} k chars/s)")
    ok = median < 1.0
    print("OK: under 1 s" if ok else "SLOW: over 1 s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
