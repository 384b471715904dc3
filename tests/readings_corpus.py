"""Reading corpora under tests/readings/: one case a line, `kind<TAB>written<TAB>expected`, in the
format ../shared/bench/score_readings.py also scores; `# class: NAME` lines group the cases."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from announcer.textnorm import normalize

READINGS = Path(__file__).with_name("readings")
_OLD_TONES = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe", "oẻ": "ỏe",
              "oẽ": "õe", "oẹ": "ọe", "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy"}

Case = tuple[str, str, str, str, str]
"""(id, class, kind, written, expected)."""


def canon(text: str) -> str:
    """Case, punctuation and old/new tone placement do not change what is heard."""
    text = unicodedata.normalize("NFC", text).lower()
    for old, new in _OLD_TONES.items():
        text = text.replace(old, new)
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def load_cases(name: str) -> list[Case]:
    cases, klass = [], ""
    for number, line in enumerate((READINGS / name).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# class:"):
            klass = line.split(":", 1)[1].strip()
        if not line.strip() or line.startswith("#"):
            continue
        kind, written, expected = line.split("\t")
        cases.append((f"{number}:{written}", klass, kind, written, expected))
    return cases


def reads_as_expected(kind: str, written: str, expected: str) -> bool:
    """exact: one '|' alternative; has: every ';' item appears; not: no ';' item survives."""
    got = normalize(written)
    if kind == "exact":
        return canon(got) in {canon(alt) for alt in expected.split("|")}
    if kind == "not":
        return not any(item.lower() in got.lower() for item in expected.split(";"))
    return all(any(canon(a) in canon(got) for a in item.split("|")) for item in expected.split(";"))


def class_counts(cases: list[Case]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, klass, *_ in cases:
        counts[klass] = counts.get(klass, 0) + 1
    return counts
