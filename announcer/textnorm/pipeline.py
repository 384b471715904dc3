"""The order of the steps. Each step is a small str -> str function of one line."""

from __future__ import annotations

from announcer.textnorm import cleanup, codes, dates, quantities, web, words
from announcer.textnorm.context import Context, Step


def station_overrides(text: str, ctx: Context) -> str:
    """The station's own readings of written forms with digits or symbols win over every guess."""
    return ctx.overrides.apply(text)


STEPS: tuple[Step, ...] = (
    cleanup.prepare,
    cleanup.drop_artifacts,
    words.written_out,
    cleanup.list_markers,
    station_overrides,
    web.web_addresses,
    codes.disease_names,
    codes.document_numbers,
    words.abbreviations,
    quantities.spelled_again,
    quantities.per_units,
    quantities.plus_lists,
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
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        ctx.line = number
        out.append(normalize_line(line, ctx))
    ctx.line = 0
    return "\n".join(out)
