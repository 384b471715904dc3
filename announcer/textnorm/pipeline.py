"""The order of the steps. Each step is a small str -> str function of one line."""

from __future__ import annotations

from announcer.textnorm import cleanup, codes, dates, quantities, web, words
from announcer.textnorm.context import Context, Step

STEPS: tuple[Step, ...] = (
    cleanup.prepare,
    cleanup.drop_artifacts,
    words.written_out,
    cleanup.list_markers,
    web.web_addresses,
    codes.document_numbers,
    words.abbreviations,
    dates.dates,
    codes.phone_numbers,
    quantities.ranges,
    dates.times,
    quantities.quantities,
    quantities.ordinals,
    words.roman_numerals,
    quantities.plain_numbers,
    cleanup.symbols,
    words.acronyms,
    cleanup.tidy,
)


def normalize_line(line: str, ctx: Context) -> str:
    for step in STEPS:
        line = step(line, ctx)
    return line


def normalize_text(text: str, ctx: Context) -> str:
    """One output line per input line: only '\\n' separates lines."""
    return "\n".join(normalize_line(line, ctx) for line in text.split("\n"))
