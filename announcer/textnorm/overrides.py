"""A station's lexicon.tsv entries that hold a digit or a symbol ('7/9', '0905.123.456', 'COVID-19',
'www.hanoi.gov.vn'): read first, before any reader can guess, so staff can pin any reading.

Entries made only of letters keep their usual place (the abbreviation step), where document codes
and glued forms are handled too.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

from announcer.textnorm.lexicon import fold_tones


def _needs_early(written: str) -> bool:
    body = written.rstrip(".")
    return any(not (c.isalpha() or c.isspace()) for c in body)


def _key_pattern(key: str) -> str:
    left = r"(?<![\w])" if key[0].isalnum() else ""
    right = r"(?![\w])" if key[-1].isalnum() else ""
    body = re.escape(key)
    if key == key.lower():
        body = "(?i:" + body + ")"
    return left + body + right


@functools.lru_cache(maxsize=16)
def _compile(keys: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keys:
        return None
    return re.compile("|".join(_key_pattern(k) for k in keys))


class Overrides:
    """The early entries of a station lexicon and the pattern that finds them."""

    def __init__(self, station: Mapping[str, str] | None = None) -> None:
        self.entries: dict[str, str] = {}
        for written, spoken in (station or {}).items():
            key = fold_tones(unicodedata.normalize("NFKC", written.strip()))
            if key and _needs_early(key):
                self.entries[key] = spoken
        self._lower = {k.lower(): v for k, v in self.entries.items()}
        self.pattern = _compile(tuple(sorted(self.entries, key=len, reverse=True)))

    def apply(self, text: str) -> str:
        if self.pattern is None:
            return text
        folded = fold_tones(text)
        if len(folded) != len(text):  # folding keeps lengths; be safe if it ever does not
            folded = text

        def replace(m: re.Match[str]) -> str:
            found = self.entries.get(m.group(0)) or self._lower.get(m.group(0).lower(), m.group(0))
            return f" {found} "

        out, last = [], 0
        for m in self.pattern.finditer(folded):
            out.append(text[last:m.start()])
            out.append(replace(m))
            last = m.end()
        out.append(text[last:])
        return "".join(out)
