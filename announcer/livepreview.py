"""The console's live reading preview: each line of a script's text beside what will be spoken, with
the words the normalizer could not resolve, or had to guess, marked where they stand.

It runs the very steps a render runs (``announcer.textnorm``, pause markers cut as in
``announcer.speech.plan_reading``), on text that is not saved yet, and records what the steps flag
(``textnorm.context.Mark``) instead of only the sentences ``announcer preview`` prints.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from pathlib import Path

from announcer.textnorm import load_lexicon
from announcer.textnorm.context import GUESSED, UNRESOLVED, Context, Mark
from announcer.textnorm.lexicon import Lexicon
from announcer.textnorm.overrides import Overrides
from announcer.textnorm.pipeline import normalize_text

__all__ = ["GUESSED", "UNRESOLVED", "LexiconCache", "Preview", "PreviewLine", "Span", "preview_text"]


@dataclass(frozen=True)
class Span:
    text: str
    mark: Mark | None = None


@dataclass
class PreviewLine:
    number: int
    """File line."""
    written: list[Span]
    """The line as written, cut around its marks."""
    spoken: str
    """What is read ('' for a blank line, a paragraph pause); pause markers kept as written."""


@dataclass
class Preview:
    lines: list[PreviewLine] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    """Each flagged form once (its first place), in order."""


class LexiconCache:
    """A station's lexicon.tsv, read again only when the file changed (size, time or inode); the
    built-in and station entries are indexed once per version, not once per keystroke."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[object, dict[str, str], Lexicon, Overrides] | None = None

    def _current(self) -> tuple[dict[str, str], Lexicon, Overrides]:
        try:
            info = self.path.stat()
            key: object = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError:
            key = None
        with self._lock:
            seen = self._seen
        if seen is not None and seen[0] == key and key is not None:
            return seen[1], seen[2], seen[3]
        entries = load_lexicon(self.path)  # ConfigError when broken, as `announcer check` says it
        lexicon, overrides = Lexicon(entries), Overrides(entries)
        with self._lock:
            self._seen = (key, entries, lexicon, overrides)
        return entries, lexicon, overrides

    def entries(self) -> dict[str, str]:
        """The station's entries; ConfigError when the file is broken."""
        return self._current()[0]

    def context(self, dialect: str) -> Context:
        """A fresh reading context over the indexed lexicon (what a text learns stays with that text)."""
        _entries, lexicon, overrides = self._current()
        own = copy.copy(lexicon)
        own.learned = {}
        return Context(dialect=dialect, lexicon=own, overrides=overrides)


def preview_text(body: str, first_line: int, dialect: str, lexicon: dict[str, str] | Context) -> Preview:
    """The reading of ``body`` (a script's text starting at file line ``first_line``); ``lexicon`` is the
    station's entries, or a context from ``LexiconCache.context``."""
    from announcer.speech import _MARKER  # the pause markers a render cuts the text at

    if isinstance(lexicon, Context):
        ctx = lexicon
    else:
        ctx = Context(dialect=dialect, lexicon=Lexicon(lexicon), overrides=Overrides(lexicon))
    out = Preview()
    raw_lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while raw_lines and not raw_lines[-1].strip():
        raw_lines.pop()
    for number, raw in enumerate(raw_lines, first_line):
        before = len(ctx.marks)
        spoken: list[str] = []
        position = 0
        for match in [*_MARKER.finditer(raw), None]:
            chunk = raw[position: match.start() if match else len(raw)]
            if chunk.strip():
                spoken.append(normalize_text(chunk, ctx, number).strip())
            if match:
                spoken.append(match.group(0))
                position = match.end()
        line_marks = ctx.marks[before:]
        out.lines.append(PreviewLine(number, _spans(raw, line_marks), " ".join(s for s in spoken if s)))
    seen: set[str] = set()
    for mark in ctx.marks:
        if mark.written not in seen:
            seen.add(mark.written)
            out.marks.append(mark)
    return out


def _spans(line: str, marks: list[Mark]) -> list[Span]:
    """The line cut so that each mark's written form is a span of its own (first free place, in order)."""
    places: list[tuple[int, int, Mark]] = []
    for mark in marks:
        start = 0
        while True:
            at = line.find(mark.written, start)
            if at < 0:
                break
            end = at + len(mark.written)
            if all(end <= s or at >= e for s, e, _m in places):
                places.append((at, end, mark))
                break
            start = at + 1
    places.sort(key=lambda p: p[0])
    spans: list[Span] = []
    position = 0
    for start, end, mark in places:
        if start > position:
            spans.append(Span(line[position:start]))
        spans.append(Span(line[start:end], mark))
        position = end
    if position < len(line) or not spans:
        spans.append(Span(line[position:]))
    return spans
