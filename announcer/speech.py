"""From a script body to a reading plan: spoken sentences and pauses.

Blank lines are paragraph pauses, ``[nghỉ 2 giây]`` / ``[pause 2s]`` markers are
explicit silences, and sentence punctuation left by the normalizer splits the text
into sentences (the unit of synthesis and of caching: editing one sentence
re-synthesizes only that sentence).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from announcer.clips import CLIP_MARKER, Clip

_MARKER = re.compile(
    r"\[\s*(?:nghỉ|ngừng|dừng|pause|im lặng)\s*(\d+(?:[.,]\d+)?)\s*(giây|s|sec|ms|mili giây|phút|min)?\s*\]",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;:…])\s+")
_HAS_WORD = re.compile(r"\w")
MAX_MARKER_MS = 60_000


@dataclass(frozen=True)
class Speech:
    text: str
    """Normalized text as it will be spoken."""
    line: int
    """Script file line it comes from."""


@dataclass(frozen=True)
class Pause:
    ms: int
    kind: str  # sentence | paragraph | marker


Piece = Speech | Pause | Clip


def marker_ms(amount: str, unit: str | None) -> int:
    value = float(amount.replace(",", "."))
    unit = (unit or "giây").lower()
    if unit in ("ms", "mili giây"):
        ms = value
    elif unit in ("phút", "min"):
        ms = value * 60_000
    else:
        ms = value * 1000
    return int(min(ms, MAX_MARKER_MS))


def plan_reading(
    body: str,
    first_line: int,
    normalize: Callable[[str], str],
    sentence_pause_ms: int,
    paragraph_pause_ms: int,
) -> list[Piece]:
    """Split the body into Speech and Pause pieces, in order; no pause at the very end."""
    pieces: list[Piece] = []

    def add_pause(ms: int, kind: str) -> None:
        if not pieces:
            return
        last = pieces[-1]
        if isinstance(last, Pause):
            # Adjacent pauses merge into the longest, so a marker after a paragraph
            # break means what it says rather than adding up.
            if kind == "marker" and last.kind == "marker":
                pieces[-1] = Pause(last.ms + ms, "marker")
            elif ms > last.ms or kind == "marker":
                pieces[-1] = Pause(ms, kind)
            return
        pieces.append(Pause(ms, kind))

    for offset, raw_line in enumerate(body.split("\n")):
        line_no = first_line + offset
        if not raw_line.strip():
            add_pause(paragraph_pause_ms, "paragraph")
            continue
        position = 0
        marks = sorted([*_MARKER.finditer(raw_line), *CLIP_MARKER.finditer(raw_line)], key=lambda m: m.start())
        for match in [*marks, None]:
            chunk = raw_line[position : match.start() if match else len(raw_line)]
            for sentence in _SENTENCE_END.split(normalize(chunk).strip()):
                sentence = sentence.strip()
                if _HAS_WORD.search(sentence):
                    pieces.append(Speech(sentence, line_no))
                    add_pause(sentence_pause_ms, "sentence")
            if match and match.re is CLIP_MARKER:
                pieces.append(Clip(match.group(1), line_no))  # a station recording (announcer.clips)
                add_pause(sentence_pause_ms, "sentence")
                position = match.end()
            elif match:
                add_pause(marker_ms(match.group(1), match.group(2)), "marker")
                position = match.end()
    while pieces and isinstance(pieces[-1], Pause):
        pieces.pop()
    return pieces


def format_preview(pieces: list[Piece]) -> str:
    """Human-readable reading: one sentence a line, pauses shown in brackets."""
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, Speech):
            out.append(piece.text)
        elif isinstance(piece, Clip):
            out.append(f"[clip: {piece.name}]")
        elif piece.kind == "paragraph":
            out.append("")
        elif piece.kind == "marker":
            out.append(f"[nghỉ {piece.ms / 1000:g} giây]")
    return "\n".join(out)
