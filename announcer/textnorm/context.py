"""What every normalization step gets besides the text: dialect, lexicon, and a note pad."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from announcer.textnorm.lexicon import Lexicon
from announcer.textnorm.overrides import Overrides


@dataclass
class Context:
    dialect: str = "north"
    lexicon: Lexicon = field(default_factory=Lexicon)
    notes: list[str] = field(default_factory=list)
    """Human-readable items a preview should flag (letter-spelled acronyms, guessed readings)."""
    overrides: Overrides = field(default_factory=Overrides)
    """The station's entries with digits or symbols, read before any other step."""
    line: int = 0
    """1-based number of the line being read (0: not known); risky readings name it."""

    def note(self, item: str) -> None:
        if item not in self.notes:
            self.notes.append(item)

    def guessed(self, written: str, said: str, why: str) -> None:
        """A reading the context did not fully decide; staff can pin it in lexicon.tsv."""
        where = f"line {self.line}: " if self.line else ""
        self.note(f"{where}{written.strip()!r} read as {said.strip()!r} ({why}; "
                  "to change it, add the written form to lexicon.tsv)")


Step = Callable[[str, Context], str]
