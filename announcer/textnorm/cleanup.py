"""Steps at both ends of the pipeline: Unicode preparation, artifacts and list markers first;
left-over symbols and punctuation tidying last."""

from __future__ import annotations

import re
import unicodedata

from announcer.textnorm import numbers
from announcer.textnorm.context import Context

PAUSES = ".,;:!?"
_STRONG = ".!?"
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W\d_])['’‘ʼ`´](?=[^\W\d_])")
_QUOTES = re.compile(r"[\"'“”‘’„‟`´ʼ«»‹›_′″]")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
_ARTIFACT = re.compile(r"\[\s*(?:image|bookmark|img|hình ảnh|hình)\s*:[^\]]*\]", re.IGNORECASE)
_END_MARK = re.compile(r"\s*\./\.")
_BULLETS = "•·●○▪■◦►→✓✔❖➢➤◆◇□☐-–—+*"
_MARKER = re.compile(
    r"^\s*(?:(?:[•·●○▪■◦►→✓✔❖➢➤◆◇□☐*]|[-–—+](?=\s|[^\W\d_]))\s*)+"
)
_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s+(?=\S)")
_ROMAN_ITEM = re.compile(r"^[^\w]*?([IVX]{1,4})[^\w]*?[.)]")


def _odd_chars(text: str) -> dict[int, str]:
    """Controls and unassigned code points become spaces, invisible format characters vanish."""
    table: dict[int, str] = {}
    for ch in set(text):
        if ch.isascii() and ch.isprintable():
            continue
        cat = unicodedata.category(ch)
        if cat == "Cf":
            table[ord(ch)] = ""
        elif cat[0] in "CZ":
            table[ord(ch)] = " "
    return table


def prepare(text: str, ctx: Context) -> str:
    """NFKC (², full-width digits, ℃), any digits to ASCII, odd spaces to space, drop invisibles,
    quotes out (an apostrophe inside a word, as in H'Mông, just goes)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\u2010", "-").replace("\u2011", "-")
    text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.digit(m.group(0), 0)), text)
    table = _odd_chars(text)
    if table:
        text = text.translate(table)
    text = _INNER_APOSTROPHE.sub("", text)
    return _QUOTES.sub(" ", text)


def drop_artifacts(text: str, ctx: Context) -> str:
    """Word-processor leftovers: [image: ...], [bookmark: _GoBack], the './.' end mark."""
    text = _ARTIFACT.sub(" ", text)
    return _END_MARK.sub(".", text)


def list_markers(text: str, ctx: Context) -> str:
    """Leading bullets go; '1.' '2)' 'II.' item labels are read with a pause ('a)' needs nothing)."""
    text = _MARKER.sub("", text)
    m = _NUMBERED.match(text)
    if m:
        return numbers.number(m.group(1), ctx.dialect) + ", " + text[m.end():]
    m = _ROMAN_ITEM.match(text)
    value = numbers.roman_value(m.group(1)) if m else None
    if m and value:
        return numbers.cardinal(value, ctx.dialect) + ", " + text[m.end():]
    return text


_SYMBOL_WORDS = {"&": " và ", "@": " a còng ", "%": " phần trăm ", "°": " độ ", "=": " bằng ", "#": " số "}
_WORD_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_QUIET = set("/\\|()[]{}<>-–—+*~…·•")  # pauses in ordinary writing, not worth flagging
_SYMBOL_RE = re.compile("|".join(re.escape(k) for k in _SYMBOL_WORDS))


def symbols(text: str, ctx: Context) -> str:
    """Symbols left after the readers: a few have words; any other one becomes a pause."""
    text = _SYMBOL_RE.sub(lambda m: _SYMBOL_WORDS[m.group(0)], text)
    text = _WORD_HYPHEN.sub(", ", text)
    out = []
    for ch in text:
        if ch.isalpha() or ch == " " or ch in PAUSES:
            out.append(ch)
        elif unicodedata.category(ch)[0] == "M":
            out.append(ch)
        elif unicodedata.digit(ch, None) is not None:  # safety net: never emit a digit
            out.append(" " + numbers.digits(ch) + " ")
        else:
            if ch not in _QUIET:
                ctx.note(f"symbol {ch!r} dropped", written=ch)
            out.append(", ")
    return "".join(out)


_PUNCT_RUN = re.compile(r"[\s" + re.escape(PAUSES) + r"]*[" + re.escape(PAUSES) + r"][\s" + re.escape(PAUSES) + r"]*")
_LONE_MARK = re.compile(r"(?:(?<=^)|(?<=[^\w]))[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _rank(ch: str) -> int:
    return 3 if ch in _STRONG else 2 if ch in ";:" else 1


def _one_pause(m: re.Match[str]) -> str:
    marks = [c for c in m.group(0) if c in PAUSES]
    best = max(marks, key=_rank)  # first of the strongest
    return best + " "


def tidy(text: str, ctx: Context) -> str:
    """One pause mark per gap, a space after it, none before; no pause opening a line; NFC."""
    text = unicodedata.normalize("NFC", text)
    text = _LONE_MARK.sub("", text)
    text = _PUNCT_RUN.sub(_one_pause, text)
    text = " ".join(text.split())
    text = text.lstrip(PAUSES + " ")
    return unicodedata.normalize("NFC", text)
