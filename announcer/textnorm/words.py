"""Word-level steps: abbreviations from the lexicons, Roman numerals after their keywords,
and all-caps acronyms nobody listed, spelled with Vietnamese letter names."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context
from announcer.textnorm.lexicon import LETTER_NAMES, base_letters, fold_tones, is_syllable, spell

_SENTENCE_END = re.compile(r"\s*$|\s+[A-ZĐÀ-Ỹ]")
_REPEATED_VV = re.compile(r"(?i)\b(về việc)(\s+về việc\b)+")


def abbreviations(text: str, ctx: Context) -> str:
    """Lexicon entries (station first, then built-in); glued forms like 'UBNDphường' split."""
    pattern = ctx.lexicon.pattern
    if pattern is None:
        return text
    folded = fold_tones(text)
    out, last = [], 0
    for m in pattern.finditer(folded):
        spoken = ctx.lexicon.get(m.group(0))
        if spoken is None:
            continue
        out.append(text[last:m.start()])
        if m.group(0).endswith(".") and m.group(0).islower() and _SENTENCE_END.match(folded, m.end()):
            spoken += "."  # 'v.v.' closing a sentence keeps the full stop
        out.append(f" {spoken} ")
        last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return _REPEATED_VV.sub(r"\1", "".join(out))


_ROMAN_KEYWORDS = (
    "chương", "phần", "mục", "điều", "khoản", "phụ lục", "khóa", "khoá", "thế kỷ", "thế kỉ", "đoạn",
    "quý", "đợt", "giai đoạn", "tập", "kỳ", "kì", "lần", "hạng", "loại", "cấp", "tiểu mục", "năm", "thứ",
)
_ROMAN = re.compile(
    r"(?i)(?<![^\W\d_])(" + "|".join(sorted(_ROMAN_KEYWORDS, key=len, reverse=True)) + r")"
    r"\s+([IVXLCDMivxlcdm]+)(?![^\W\d_])"
)
_LOWER_NOT_ROMAN = {"vi", "xi", "mi", "di", "li", "ci", "mix", "dim", "lil", "civic", "vic", "dix", "cd"}


def roman_numerals(text: str, ctx: Context) -> str:
    """'chương III' -> 'chương ba', 'thế kỷ XXI' -> 'thế kỷ hai mươi mốt', 'lần thứ IV' -> 'thứ tư'."""
    def replace(m: re.Match[str]) -> str:
        keyword, token = m.group(1), m.group(2)
        if token.islower():
            if len(token) < 2 or token in _LOWER_NOT_ROMAN or set(token) - set("ivx"):
                return m.group(0)
        elif not token.isupper() or (len(token) == 1 and token not in "IVX"):
            return m.group(0)
        if keyword.lower() == "năm" and (len(token) < 2 or not token.isupper()):  # 'năm' is also five
            return m.group(0)
        value = numbers.roman_value(token)
        if value is None:
            return m.group(0)
        if keyword.lower() == "thứ":
            return f"{keyword} {numbers.ordinal(value, ctx.dialect)}"
        return f"{keyword} {numbers.cardinal(value, ctx.dialect)}"

    return _ROMAN.sub(replace, text)


_TOKEN = re.compile(r"[^\W\d_]+")


def acronyms(text: str, ctx: Context) -> str:
    """All-caps tokens that are not Vietnamese syllables: 'OTP' -> 'ô tê pê'."""
    def replace(m: re.Match[str]) -> str:
        token = m.group(0)
        if not token.isupper() or is_syllable(token):
            return token
        if any(base_letters(c.lower()) not in LETTER_NAMES for c in token):
            ctx.note(f"{token}: cannot be read in Vietnamese")
            return token
        spelled = spell(token)
        ctx.note(f"{token}: unknown abbreviation, read letter by letter as '{spelled}' (add it to lexicon.tsv)")
        return spelled

    return _TOKEN.sub(replace, text)
