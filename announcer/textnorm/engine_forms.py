"""Spoken forms for one engine only: a lexicon.tsv line with a third column ``engine=NAME``.

    Lắk	Lấc	engine=espeak

Some engines say a word badly that the others say well (espeak's "Đắk Lắk", a cloud voice
reading "COVID" in English). Such a line does not change the reading every engine gets;
it changes, for that engine only, a word or phrase of the reading as ``announcer
preview`` shows it (the text after numbers, dates and abbreviations are read out), just
before that engine speaks it. The cache keeps that engine's clip under the text it was
given, so editing the line re-synthesizes only what changed.

``check`` validates each line with its file and line: the engine must exist, and the
written form must survive the normal reading unchanged (an abbreviation such as "UBND" is
already "ủy ban nhân dân" when the engine gets it, so it would never be found).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from announcer.errors import ConfigError
from announcer.textnorm.lexicon import fold_tones

_COLUMN = re.compile(r"^\s*engine\s*=\s*([A-Za-z0-9_-]+)\s*$")


def engine_column(column: str, source: str | Path, number: int) -> str:
    """The engine named by a third column, or ConfigError naming the line."""
    match = _COLUMN.match(column.strip("\r\n"))
    if not match:
        raise ConfigError(f"lexicon line {number}: the third column must be engine=NAME, got {column.strip()[:40]!r}",
                          file=source, line=number,
                          hint="write e.g. 'Lắk<TAB>Lấc<TAB>engine=espeak', or remove the third column")
    return match.group(1).lower()


@dataclass(frozen=True)
class EngineForm:
    engine: str
    written: str
    spoken: str
    line: int


def parse_engine_forms(text: str, source: str | Path) -> list[EngineForm]:
    """The engine-only lines of a lexicon (the others are ``lexicon.parse_lexicon``'s)."""
    forms = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip("\r\n\ufeff")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 3 and parts[0].strip() and parts[1].strip():
            forms.append(EngineForm(engine_column(parts[2], source, number),
                                    unicodedata.normalize("NFC", parts[0].strip()),
                                    unicodedata.normalize("NFC", parts[1].strip()), number))
    return forms


def load_engine_forms(path: Path) -> list[EngineForm]:
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        return []  # load_lexicon says what is wrong with the file
    return parse_engine_forms(text, path)


def form_problems(forms: Iterable[EngineForm], source: str | Path, engines: Iterable[str],
                  read: Mapping[str, str] | None = None) -> list[ConfigError]:
    """Lines naming an unknown engine, or whose written form the reading changes (never found).
    ``read`` maps each written form to its reading (the station's normalizer)."""
    known = sorted(engines)
    problems = []
    for form in forms:
        if form.engine not in known:
            problems.append(ConfigError(f"lexicon line {form.line}: unknown engine {form.engine!r}", file=source,
                                        line=form.line, hint=f"use one of: {', '.join(known)}"))
        elif read is not None:
            reading = read.get(form.written, form.written)
            if _key(reading) != _key(form.written):
                problems.append(ConfigError(
                    f"lexicon line {form.line}: {form.written!r} is read {reading!r} before {form.engine} gets it, "
                    "so this line would never apply", file=source, line=form.line,
                    hint=f"write the form as `announcer preview` shows it, e.g. '{reading}<TAB>...<TAB>"
                         f"engine={form.engine}'"))
    return problems


def _key(text: str) -> str:
    return " ".join(fold_tones(unicodedata.normalize("NFC", text)).lower().split()).strip(" .,;:!?")


class EngineForms:
    """Applies each engine's own forms to a reading."""

    def __init__(self, forms: Iterable[EngineForm] = ()) -> None:
        self._by_engine: dict[str, dict[str, str]] = {}
        for form in forms:
            self._by_engine.setdefault(form.engine, {})[_key(form.written)] = form.spoken

    def __bool__(self) -> bool:
        return bool(self._by_engine)

    def apply(self, engine: str, text: str) -> str:
        table = self._by_engine.get(engine)
        if not table:
            return text
        pattern = _pattern(tuple(sorted(table, key=len, reverse=True)))
        folded = fold_tones(text)
        if len(folded) != len(text):
            folded = text
        out, last = [], 0
        for match in pattern.finditer(folded):
            out.append(text[last:match.start()])
            out.append(table[_key(match.group(0))])
            last = match.end()
        out.append(text[last:])
        return "".join(out)


@functools.lru_cache(maxsize=32)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = [r"\s+".join(re.escape(word) for word in key.split()) for key in keys]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
