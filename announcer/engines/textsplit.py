"""Cut text into pieces no longer than a limit, at the most natural boundary available.

Online engines take at most ~100 characters per request. Each cut goes at the
strongest boundary inside the window — sentence end, then clause (comma, semicolon,
colon, dash), then a space between words — and, among boundaries of that strength,
at the last one, so pieces stay few and long. A word is cut only when it alone is
longer than the limit (a very long URL); then it is cut after a '/', '.', '-' or '_'
when possible.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

SENTENCE, CLAUSE, WORD = 3, 2, 1

_CLOSERS = "\"'”’»)]}"
# A cut goes right after the match; boundaries need whitespace after them, so "7:30",
# "1.000.000" and "http://a.b/c" are never cut.
_SENTENCE_END = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s)")
_CLAUSE_END = re.compile(rf"(?:[,;:]+[{re.escape(_CLOSERS)}]*|\s[-–—])(?=\s)")
_SPACE = re.compile(r"\s")
# "TP. Hồ Chí Minh", "ThS. Lê", "P. Bến Nghé": a short capitalized word before the period is
# more likely an abbreviation than a sentence end, so it only counts as a word boundary.
_LAST_WORD = re.compile(r"(?:^|(?<=\s))[^\W\d_]{1,3}$")
_HARD_CUT_AFTER = "/.-_?&=#"
_SPEAKABLE = re.compile(r"\w")


def normalize_space(text: str) -> str:
    """NFC, every line break run -> one newline, every other whitespace run -> one space."""
    text = unicodedata.normalize("NFC", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def split_text(text: str, limit: int = 100) -> list[str]:
    """Pieces of ``text`` of at most ``limit`` characters, cut at natural boundaries.

    Joining the pieces with spaces gives back the whitespace-normalized text, except
    that pieces with nothing speakable (only punctuation) are dropped.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = normalize_space(text)
    positions, strengths = _boundaries(text)
    pieces: list[str] = []
    start = 0
    end = len(text)
    while start < end:
        while start < end and text[start].isspace():
            start += 1
        if start >= end:
            break
        if end - start <= limit:
            cut = end
        else:
            cut = _best_cut(text, start, start + limit, positions, strengths)
        piece = text[start:cut].strip()
        if piece and _SPEAKABLE.search(piece):
            pieces.append(piece)
        start = cut
    return pieces


def _boundaries(text: str) -> tuple[list[int], list[int]]:
    """Cut positions (sorted) and the strength of each."""
    strength: dict[int, int] = {}

    def mark(position: int, value: int) -> None:
        if 0 < position < len(text) and strength.get(position, 0) < value:
            strength[position] = value

    for match in _SPACE.finditer(text):
        mark(match.start(), SENTENCE if match.group() == "\n" else WORD)
    for match in _CLAUSE_END.finditer(text):
        mark(match.end(), CLAUSE)
    for match in _SENTENCE_END.finditer(text):
        abbreviation = match.group() == "." and _is_abbreviation(text, match.start())
        mark(match.end(), WORD if abbreviation else SENTENCE)
    positions = sorted(strength)
    return positions, [strength[p] for p in positions]


def _is_abbreviation(text: str, period: int) -> bool:
    word = _LAST_WORD.search(text, 0, period)
    return bool(word) and word.group()[0].isupper()  # type: ignore[union-attr]


def _best_cut(text: str, start: int, window_end: int, positions: list[int], strengths: list[int]) -> int:
    low = bisect.bisect_right(positions, start)
    high = bisect.bisect_right(positions, window_end)
    best, best_strength = -1, 0
    for index in range(low, high):
        if strengths[index] >= best_strength:  # ties go to the later position
            best, best_strength = positions[index], strengths[index]
    if best > start and text[start:best].strip():
        return best
    # One "word" longer than the window: cut it, preferably after a URL-ish separator.
    for index in range(window_end - 1, start + (window_end - start) // 2, -1):
        if text[index] in _HARD_CUT_AFTER:
            return index + 1
    return window_end
