"""What every normalization step gets besides the text: dialect, lexicon, and a note pad."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from announcer.textnorm.lexicon import Lexicon
from announcer.textnorm.overrides import Overrides

_MAX_LINES = 12  # a note lists this many lines, then '…'
UNRESOLVED, GUESSED = "unresolved", "guessed"


@dataclass(frozen=True)
class Mark:
    """One flagged written form on one line, for a preview that highlights it in the text."""

    line: int
    """1-based line (0: not known)."""
    written: str
    """The form as written in the text (what a lexicon.tsv entry would name)."""
    said: str
    """How it is read now ('' when it is dropped or cannot be read)."""
    kind: str
    """UNRESOLVED (spelled letter by letter, dropped, unreadable) or GUESSED (a reading chosen by context)."""
    note: str
    """The preview's sentence about it, without the line numbers."""


@dataclass
class Context:
    dialect: str = "north"
    lexicon: Lexicon = field(default_factory=Lexicon)
    notes: list[str] = field(default_factory=list)
    """Human-readable items a preview should flag (letter-spelled acronyms, guessed readings),
    each ending with the lines it was seen on."""
    overrides: Overrides = field(default_factory=Overrides)
    """The station's entries with digits or symbols, read before any other step."""
    line: int = 0
    """1-based number of the line being read (0: not known)."""
    marks: list[Mark] = field(default_factory=list, init=False, repr=False)
    """The flagged forms with their lines, in order (a copy made by dataclasses.replace starts afresh)."""
    _seen: dict[str, tuple[int, list[int]]] = field(default_factory=dict, repr=False, init=False)
    """Where each item sits in notes and its lines (a copy made by dataclasses.replace starts afresh)."""

    def note(self, item: str, written: str | None = None, said: str = "", kind: str = UNRESOLVED) -> None:
        """Flag item once; the same item on several lines lists them all. ``written`` (the form in the
        text) also records a Mark, for a preview that highlights it."""
        if written:
            self.marks.append(Mark(self.line, written, said, kind, item))
        index, lines = self._seen.get(item, (len(self.notes), []))
        if index >= len(self.notes) or not self.notes[index].startswith(item):
            index, lines = len(self.notes), []
        if index == len(self.notes):
            self.notes.append(item)
            self._seen[item] = (index, lines)
        if self.line and (not lines or lines[-1] != self.line) and len(lines) <= _MAX_LINES:
            lines.append(self.line)
            where = ", ".join(map(str, lines[:_MAX_LINES])) + (", …" if len(lines) > _MAX_LINES else "")
            self.notes[index] = f"{item} [line{'s' if len(lines) > 1 else ''} {where}]"

    def guessed(self, written: str, said: str, why: str) -> None:
        """A reading the context did not fully decide; staff can pin it in lexicon.tsv."""
        form = written.strip(' .,;:)(')
        self.note(f"{form!r} read as {said.strip()!r} ({why}; to change it, add the written form to lexicon.tsv)",
                  written=form, said=said.strip(), kind=GUESSED)


Step = Callable[[str, Context], str]
