"""Vietnamese text normalization: written notice text -> what the announcer says.

    normalize(text, dialect="north", lexicon=None) -> str
    load_lexicon(path) -> dict[str, str]
    unresolved(text, dialect="north", lexicon=None) -> list[str]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from announcer.errors import ConfigError

if TYPE_CHECKING:
    from announcer.textnorm.context import Context

# The pipeline (its steps compile a few hundred patterns) is imported when text is first read:
# `check` and the lexicon editor load a lexicon without reading any text.

__all__ = ["DIALECTS", "normalize", "load_lexicon", "unresolved"]

DIALECTS = ("north", "south")


def _context(dialect: str, lexicon: Mapping[str, str] | None) -> Context:
    from announcer.textnorm.context import Context
    from announcer.textnorm.lexicon import Lexicon
    from announcer.textnorm.overrides import Overrides

    if dialect not in DIALECTS:
        raise ConfigError(f"unknown dialect {dialect!r}", hint="use 'north' or 'south'")
    return Context(dialect=dialect, lexicon=Lexicon(lexicon), overrides=Overrides(lexicon))


def normalize(text: str, dialect: str = "north", lexicon: Mapping[str, str] | None = None) -> str:
    """The spoken form of text: no digits, no symbols but . , ; : ! ?, one line out per line in."""
    from announcer.textnorm.pipeline import normalize_text

    return normalize_text(text, _context(dialect, lexicon))


def unresolved(text: str, dialect: str = "north", lexicon: Mapping[str, str] | None = None,
               first_line: int = 1) -> list[str]:
    """What a preview should flag, each with its line (counted from first_line) and how it was read:
    unknown acronyms read letter by letter, dropped symbols, guessed dates, ranges and shares,
    digit strings read digit by digit, web addresses."""
    from announcer.textnorm.pipeline import normalize_text

    ctx = _context(dialect, lexicon)
    normalize_text(text, ctx, first_line)
    return list(ctx.notes)


def load_lexicon(path: Path) -> dict[str, str]:
    """A station's lexicon.tsv (written<TAB>spoken); a missing file gives {}."""
    from announcer.textnorm.lexicon import load_lexicon as load

    return load(path)
