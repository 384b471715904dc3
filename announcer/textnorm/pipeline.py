"""The order of the steps. Each step is a small str -> str function of one line.

A step decides what a written token is from the words around it on the line, not from its shape
alone: '7/9' before 'thôn' is a share, after 'đường' a name, after 'số nhà' an address, elsewhere a
date; '15-7' after 'ngày' is a date, before 'tuổi' a range; '9g' after 'lúc' is a time. The order
puts the specific readers first (the station's own entries, web addresses, disease names, codes,
document numbers, abbreviations, 'per' slashes and '+' lists) so that the generic ones (dates,
phones, ranges, times, units, plain numbers) only see what is left. What a step had to guess goes
to ctx.guessed, which `preview` lists with its line.
"""

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
    codes.codes_with_digits,
    codes.document_numbers,
    words.abbreviations,
    quantities.road_posts,
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


def normalize_text(text: str, ctx: Context, first_line: int = 1) -> str:
    """One output line per input line: only '\\n' separates lines. Notes name lines counting
    from first_line (a script's body starts below its front matter)."""
    out = []
    for number, line in enumerate(text.split("\n"), first_line):
        ctx.line = number
        out.append(normalize_line(line, ctx))
    ctx.line = 0
    return "\n".join(out)
