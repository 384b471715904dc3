"""Abbreviation lexicons (built-in and the station's lexicon.tsv), Vietnamese letter names,
and the check that tells an all-caps Vietnamese word from an acronym."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path

from announcer.errors import ConfigError
from announcer.i18n import _

log = logging.getLogger(__name__)

LETTER_NAMES = {
    "a": "a", "ă": "á", "â": "ớ", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "ê": "ê",
    "f": "ép", "g": "giê", "h": "hát", "i": "i", "j": "gi", "k": "ca", "l": "e lờ", "m": "em mờ",
    "n": "en nờ", "o": "o", "ô": "ô", "ơ": "ơ", "p": "pê", "q": "quy", "r": "e rờ", "s": "ét",
    "t": "tê", "u": "u", "ư": "ư", "v": "vê", "w": "vê kép", "x": "ích", "y": "i dài", "z": "dét",
}

# Old-style tone placement (hoà, uỷ) and new style (hòa, ủy) are the same word; both fold to new.
_OLD_TONES = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_OLD_TONES.update({k.upper(): v.upper() for k, v in list(_OLD_TONES.items())})
_OLD_TONES.update({k[0].upper() + k[1]: v[0].upper() + v[1] for k, v in list(_OLD_TONES.items()) if k.islower()})
_OLD_TONE_RE = re.compile("|".join(sorted(_OLD_TONES, key=len, reverse=True)))

_VOWELS = "aăâeêioôơuưy"
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
_CODA = r"(?:ch|ng|nh|[cmnpt])?"
_SYLLABLE = re.compile(rf"^{_ONSET}[{_VOWELS}]{{1,3}}{_CODA}$")


def fold_tones(text: str) -> str:
    """Old tone placement to new (same length, so spans found in the fold fit the original)."""
    return _OLD_TONE_RE.sub(lambda m: _OLD_TONES[m.group(0)], text)


def base_letters(text: str) -> str:
    """Strip tone marks but keep the letters ă â ê ô ơ ư đ."""
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and ch not in "\u0302\u0306\u031b":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def is_syllable(word: str) -> bool:
    """True if word (any case) is spelled like one Vietnamese syllable (THÔNG, CA, HÒA)."""
    return bool(_SYLLABLE.match(base_letters(word.lower())))


def spell(word: str) -> str:
    """Spell a word with Vietnamese letter names: 'OTP' -> 'ô tê pê'."""
    names = [LETTER_NAMES.get(base_letters(ch.lower()), "") for ch in word]
    return " ".join(n for n in names if n)


def parse_lexicon(text: str, source: str | Path) -> dict[str, str]:
    """Parse 'written<TAB>spoken' lines; '#' comments and blank lines are skipped."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip("\r\n\ufeff")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 3 and parts[0].strip() and parts[1].strip():
            # written<TAB>spoken<TAB>engine=NAME: for one engine only (announcer.textnorm.engine_forms)
            from announcer.textnorm.engine_forms import engine_column

            engine_column(parts[2], source, number)
            continue
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ConfigError(
                _("lexicon line {number} must be 'written<TAB>spoken' (or 'written<TAB>spoken<TAB>engine=NAME'), "
                  "got {got!r}", number=number, got=raw.strip()[:80]),
                file=source,
                line=number,
                hint=_("separate the written form and the spoken form with one TAB character"),
            )
        written = unicodedata.normalize("NFC", parts[0].strip())
        entries[written] = unicodedata.normalize("NFC", parts[1].strip())
    return entries


def load_lexicon(path: Path) -> dict[str, str]:
    """Read a station's lexicon.tsv; a missing file is an empty lexicon."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(_("cannot read the lexicon: {reason}", reason=exc.strerror), file=path,
                          hint=_("check the file's permissions")) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(_("the lexicon is not UTF-8 text"), file=path, line=line,
                          hint=_("save lexicon.tsv as UTF-8")) from exc
    entries = parse_lexicon(text, path)
    log.debug("loaded %d lexicon entries from %s", len(entries), path)
    return entries


@functools.cache
def builtin_lexicon() -> Mapping[str, str]:
    """The lexicon shipped in announcer/data/lexicon_vi.tsv (read once, on first use)."""
    # Beside this package, as pip installs it (importlib.resources would cost every start-up its import).
    text = (Path(__file__).resolve().parent.parent / "data" / "lexicon_vi.tsv").read_text(encoding="utf-8")
    return parse_lexicon(text, "announcer/data/lexicon_vi.tsv")


class Lexicon:
    """Built-in entries overlaid with a station's; finds written forms in text.

    Finding is a dictionary look-up per word, not one big regular expression: with hundreds of
    entries an alternation is tried at every position of the text and gets slow."""

    def __init__(self, station: Mapping[str, str] | None = None) -> None:
        # Built once per station lexicon and shared (read only): every paragraph read makes a Lexicon.
        # ``station``: the written forms the station itself defines (rules that read by context leave them alone).
        self.station, self.entries, self._lower, self._index, self._word_like = _tables(
            tuple((station or {}).items()))
        self.learned: dict[str, str] = {}
        """Acronyms a text defines for itself ('Ban quản lý dự án (BQLDA)'), for the rest of that text."""

    def get(self, token: str) -> str | None:
        key = fold_tones(token)
        found = self.entries.get(key)
        if found is None:
            found = self._lower.get(key.lower())
        return found

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, spoken) of each entry in text, leftmost and then longest first, not overlapping."""
        folded = fold_tones(text)
        exact, lower = self._index
        position = 0
        while (m := _WORD.search(folded, position)) is not None:
            start, position = m.start(), m.end()
            word = m.group(0)
            candidates = list(exact.get(word, ()))
            candidates += lower.get(word.lower(), ())
            head = _upper_head(word) if len(word) > 3 and word[1].isupper() and not word.isupper() else None
            if head:
                candidates += exact.get(head, ())
            if not candidates:
                continue
            if word[0].isdigit() and start and folded[start - 1].isalpha():
                continue
            for key in sorted(candidates, key=len, reverse=True):
                end = start + len(key)
                piece = folded[start:end]
                if piece != key and not (key == key.lower() and piece.lower() == key):
                    continue
                if not _right_boundary(key, folded[end:end + 1]):
                    continue
                if key in self._word_like and _in_capitals(folded, start, end, self.entries):
                    continue  # 'CÔNG TY', 'CA BỆNH': a word of a line in capitals, not TY or CA
                spoken = self.get(piece)
                if spoken is not None:
                    yield start, end, spoken
                    position = end  # the rest of a glued word ('UBNDphường') is a word of its own
                    break


_WORD = re.compile(r"[^\W\d_]+|\d+")


def _upper_head(word: str) -> str | None:
    """'UBND' in 'UBNDphường': an acronym glued to the word after it."""
    i = 0
    while i < len(word) and word[i].isupper():
        i += 1
    return word[:i] if i >= 3 and i < len(word) and word[i].islower() else None


# 'và' is skipped: it is what '&' becomes, so 'TY&CÔNG' and 'TY và CÔNG' read alike.
_LAST_WORD = re.compile(r"([^\W\d_]+)[^\w]*(?:và[^\w]*)?$")
_FIRST_WORD = re.compile(r"[^\w]*(?:và[^\w]+)?([^\W\d_]+)")


def _in_capitals(text: str, start: int, end: int, keys: Mapping[str, str]) -> bool:
    """Is the word at start:end next to a Vietnamese word written in capitals (not one of the keys:
    'TU, HU' are both abbreviations)?"""
    before = _LAST_WORD.search(text, max(0, start - 24), start)
    after = _FIRST_WORD.match(text, end, end + 24)
    words = [m.group(1) for m in (before, after) if m]
    return any(len(w) > 1 and w.isupper() and is_syllable(w) and w not in keys for w in words)


def _right_boundary(key: str, nxt: str) -> bool:
    if not key[-1].isalnum() or not nxt:
        return True
    if key.isupper() and len(key) >= 3:
        return not (nxt.isalpha() and nxt.isupper())  # glued to a lower-case word is fine: UBNDphường
    return not nxt.isalpha()


_Index = tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]


@functools.lru_cache(maxsize=16)
def _tables(station: tuple[tuple[str, str], ...]) -> tuple[frozenset[str], dict[str, str], dict[str, str],
                                                           _Index, frozenset[str]]:
    """(the station's own written forms, every entry, the lower-case ones, the index, the word-like
    acronyms) of the built-in lexicon overlaid with ``station``'s (written, spoken) pairs."""
    merged = dict(builtin_lexicon())
    station_keys = set()
    for written, spoken in station:
        key = unicodedata.normalize("NFC", written)
        merged[key] = spoken
        station_keys.add(fold_tones(key))
    entries = {fold_tones(k): v for k, v in merged.items() if k.strip()}
    lower = {k.lower(): v for k, v in entries.items() if k == k.lower()}
    word_like = frozenset(k for k in entries if k.isupper() and is_syllable(k))
    return frozenset(station_keys), entries, lower, _index(tuple(entries)), word_like


@functools.lru_cache(maxsize=16)
def _index(keys: tuple[str, ...]) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Keys by their first word: exact case, and (for keys written in lower case) lower-cased."""
    exact: dict[str, list[str]] = {}
    lower: dict[str, list[str]] = {}
    for key in keys:
        m = _WORD.match(key)
        if not m:
            continue
        head = m.group(0)
        if key == key.lower():
            lower.setdefault(head, []).append(key)
        else:
            exact.setdefault(head, []).append(key)
    return ({k: tuple(v) for k, v in exact.items()}, {k: tuple(v) for k, v in lower.items()})
