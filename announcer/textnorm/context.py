"""What every normalization step gets besides the text: dialect, lexicon, and a note pad."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from announcer.textnorm.lexicon import Lexicon


@dataclass
class Context:
    dialect: str = "north"
    lexicon: Lexicon = field(default_factory=Lexicon)
    notes: list[str] = field(default_factory=list)
    """Human-readable items a preview should flag (letter-spelled acronyms, dropped symbols)."""

    def note(self, item: str) -> None:
        if item not in self.notes:
            self.notes.append(item)


Step = Callable[[str, Context], str]
