"""Word-level steps: abbreviations from the lexicons, Roman numerals after their keywords,
and all-caps acronyms nobody listed, spelled with Vietnamese letter names."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import GUESSED, Context
from announcer.textnorm.lexicon import LETTER_NAMES, base_letters, fold_tones, is_syllable, spell

_SENTENCE_END = re.compile(r"\s*$|\s+[A-ZĐÀ-Ỹ]")
_REPEATED_VV = re.compile(r"(?i)\b(về việc)(\s+về việc\b)+")


def abbreviations(text: str, ctx: Context) -> str:
    """Readings that depend on the words around them first, then lexicon entries (station first,
    then built-in); glued forms like 'UBNDphường' split."""
    text = context_readings(text, ctx)
    out, last = [], 0
    for start, end, spoken in ctx.lexicon.finditer(text):
        out.append(text[last:start])
        written = text[start:end]
        if written.endswith(".") and written.islower() and _SENTENCE_END.match(text, end):
            spoken += "."  # 'v.v.' closing a sentence keeps the full stop
        out.append(f" {spoken} ")
        last = end
    if not out:
        return text
    out.append(text[last:])
    return _REPEATED_VV.sub(r"\1", "".join(out))


# --- readings decided by the words around them ----------------------------------------------------------

_LETTER = r"[^\W\d_]"
_NAMES_OF_PLACES = {"P": "phường", "Q": "quận", "H": "huyện", "X": "xã"}
_ACTING = {"trưởng", "phó", "chủ", "giám", "hiệu", "chánh", "tổng", "bí", "cục", "vụ", "viện"}
_BEFORE_A_PLACE = {
    "tại", "ở", "thuộc", "của", "về", "và", "từ", "đến", "gồm", "trú", "tổ", "khu", "ấp", "thôn", "xóm",
    "an", "tới", "sang", "qua", "với", "cho", "là", "địa", "bàn", "nhân", "dân", "đoàn", "hội",
}
_SINGLE_LETTER = re.compile(rf"(?<!{_LETTER})(?<![.])([PQHX])\.[ \t]*(?=\d|{_LETTER})")


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _single_letter(text: str, ctx: Context) -> str:
    """'P. Tân An' -> 'phường Tân An', 'Q.5' -> 'quận 5', 'Q. Trưởng phòng' -> 'quyền Trưởng phòng';
    'Nguyễn Văn P. Qua kiểm tra' and other initials stay as they are."""
    def replace(m: re.Match[str]) -> str:
        letter = m.group(1)
        if f"{letter}." in ctx.lexicon.station:
            return m.group(0)
        after = text[m.end():]
        words = re.findall(rf"{_LETTER}+", after[:40])
        if letter == "Q" and words and words[0].lower() in _ACTING:
            return "quyền "  # 'Q. Trưởng phòng', 'Q. CHỦ TỊCH': acting
        if after[:1].isdigit():
            return f"{_NAMES_OF_PLACES[letter]} " if letter in "PQ" else m.group(0)
        following = re.match(rf"({_LETTER}+)[ \t]+({_LETTER}+)", after)
        if not following or not all(_is_capitalised(w) and not w.isupper() for w in following.groups()):
            return m.group(0)
        before = re.search(rf"({_LETTER}+)[ \t]*$", text[:m.start()])
        if before and _is_capitalised(before.group(1)) and not before.group(1).isupper() \
                and before.group(1).lower() not in _BEFORE_A_PLACE:
            return m.group(0)  # 'Nguyễn Văn P. Tân': an initial
        return f"{_NAMES_OF_PLACES[letter]} "

    if "." not in text:
        return text
    return _SINGLE_LETTER.sub(replace, text)


_CENTRE_WORDS = {"y", "văn", "vh", "dịch", "dv", "phục", "hành", "gdnn", "kiểm", "bồi", "chăm", "trợ", "truyền",
                 "giáo", "học", "quản", "phát", "nước", "thông", "công", "tư", "khuyến", "nông", "giống"}
_STANDING = r"(?:HĐND|UBND|UBMTTQ|MTTQ|Đảng ủy|Đảng uỷ|ĐU|HU|TU|QU|Huyện ủy|Tỉnh ủy|HĐ)"
_TT = re.compile(rf"(?<!{_LETTER})TT(\.?)[ \t]*(?={_LETTER})")


def _tt(text: str, ctx: Context) -> str:
    """'TT. Phú Hòa' -> thị trấn, 'TT HĐND' -> thường trực, 'TT. Y tế' -> trung tâm."""
    def replace(m: re.Match[str]) -> str:
        if "TT." in ctx.lexicon.station or "TT" in ctx.lexicon.station:
            return m.group(0)
        after = text[m.end():]
        if re.match(_STANDING + rf"(?!{_LETTER})", after):
            return "thường trực "
        word = re.match(rf"{_LETTER}+", after).group(0)  # type: ignore[union-attr]
        if word.lower() in _CENTRE_WORDS and _is_capitalised(word):
            return "trung tâm "
        place = re.match(rf"({_LETTER}+)[ \t]+({_LETTER}+)", after)
        if _is_capitalised(word) and not word.isupper() and (
                m.group(1) or place and all(_is_capitalised(w) and not w.isupper() for w in place.groups())):
            return "thị trấn "  # 'TT. Phú Hòa', 'TT Phú Hòa' (a place name of two words)
        return m.group(0)

    if "TT" not in text:
        return text
    return _TT.sub(replace, text)


def _rule(key: str, pattern: str, spoken: str) -> tuple[str, re.Pattern[str], str]:
    return key, re.compile(pattern), spoken


_DOCUMENT_TYPES_BEFORE_A_NUMBER = {
    "KH": "kế hoạch", "TB": "thông báo", "CV": "công văn", "BC": "báo cáo", "HD": "hướng dẫn",
    "GM": "giấy mời", "CT": "chỉ thị", "TT": "thông tư",
}
"""Short document types read in full before "số" or a number (KH số 12, TB 45)."""

_RULES = (
    _rule("CP", rf"(?i:(?<!{_LETTER})((?:tổng )?(?:công ty|cty))[ \t]+)CP(?!{_LETTER})", r"\1 cổ phần"),
    _rule("KH", rf"(?i:(?<!{_LETTER})(quý|mã|các|những|mọi|đến|tới|của|hộ|toàn bộ|số)[ \t]+)KH(?!{_LETTER})",
          r"\1 khách hàng"),
    _rule("KH", rf"(?i:(?<!{_LETTER})(theo|triển khai|thực hiện|ban hành|xây dựng)[ \t]+)KH(?!{_LETTER})",
          r"\1 kế hoạch"),
    *(_rule(code, rf"(?<!{_LETTER}){code}(?=[ \t]*(?:số\b|\d))", f"{spoken} ")
      for code, spoken in _DOCUMENT_TYPES_BEFORE_A_NUMBER.items()),
    _rule("ĐT", rf"(?<!{_LETTER})ĐT\.?[ \t]*(?=\d{{2,3}}[A-Z]?(?![\d.,]?\d))", "đường tỉnh "),
    _rule("ĐH.", rf"(?<!{_LETTER})ĐH\.[ \t]*(?=\d{{1,3}}[A-Z]?(?![\d.,]?\d))", "đường huyện "),
    _rule("SN", rf"(?<!{_LETTER})SN[ \t]*:?[ \t]*(?=(?:19|20)\d\d(?!\d))", "sinh năm "),
    _rule("SN", rf"(?<!{_LETTER})SN[ \t]*(?=\d)", "số nhà "),
    _rule("DN", rf"(?<!{_LETTER})DN(?=\d)", "đê en "),
    _rule("CN", rf"(?i:(?<!{_LETTER})((?:thứ[ \t]*\d|thứ bảy|t7|đến|và|các ngày|ngày|sáng|chiều|tối)[ \t]*,?)[ \t]*)"
                rf"CN(?!{_LETTER})", r"\1 chủ nhật"),
    _rule("BĐ", rf"(?<!{_LETTER})BĐ[ \t]*(?=[1-3](?!\d)|I{{1,3}}(?!{_LETTER}))", "báo động "),
    _rule("CV", rf"(?<=\d)([ \t]*)CV(?!{_LETTER})", r"\1 mã lực"),
    _rule("KT.", rf"(?<!{_LETTER})KT\.[ \t]*(?=[A-ZĐ]{{2}}|Chủ|Giám|Trưởng|Hiệu|Chánh|Bộ)", "ký thay "),
    _rule("TM.", rf"(?<!{_LETTER})TM\.[ \t]*(?=[A-ZĐÂỦ]{{2}}|Ủy|Ban|Hội|Đảng|Chi)", "thay mặt "),
    _rule("TL.", rf"(?<!{_LETTER})TL\.[ \t]*(?=[A-ZĐ]{{2}}|Chủ|Giám|Trưởng)", "thừa lệnh "),
    _rule("TUQ.", rf"(?<!{_LETTER})TUQ\.[ \t]*(?=[A-ZĐ]{{2}}|Chủ|Giám|Trưởng)", "thừa ủy quyền "),
)


def context_readings(text: str, ctx: Context) -> str:
    """Abbreviations whose reading depends on their neighbours; a station's own entry for the same
    written form wins (the rule is skipped)."""
    text = _single_letter(text, ctx)
    text = _tt(text, ctx)
    for key, pattern, spoken in _RULES:
        if key[:2] in text and key not in ctx.lexicon.station:
            text = pattern.sub(spoken, text)
    return text


# --- read once: 'căn cước công dân (CCCD)', '15 (mười lăm) ngày' ----------------------------------------

_PAREN = re.compile(r"\(\s*([^()\n]{1,80}?)\s*\)")
_IN_WORDS = re.compile(r"(?i)^(?:bằng chữ|viết bằng chữ|ghi bằng chữ)\s*:?\s*")
_ACRONYM = re.compile(r"^[A-ZĐ][A-ZĐ&]{1,11}$")
_FOLDS = ((r"\blẻ\b", "linh"), (r"\bngàn\b", "nghìn"), (r"\bchẵn\b", ""), (r"\bmươi bốn\b", "mươi tư"))


def _canon(spoken: str) -> str:
    text = re.sub(r"[^\w\s]|_", " ", fold_tones(spoken).lower())
    for pattern, repl in _FOLDS:
        text = re.sub(pattern, repl, text)
    return " ".join(text.split())


def _reading(text: str, ctx: Context) -> str:
    from announcer.textnorm.pipeline import normalize_line  # the pipeline imports this module

    inner = Context(dialect=ctx.dialect, lexicon=ctx.lexicon, overrides=ctx.overrides)  # notes not the text's
    return _canon(normalize_line(text, inner))


def _plain(token: str) -> bool:
    return token.isalpha() and not token.isupper()


def _defines(words: list[str], acronym: str) -> int:
    """How many of the last words spell acronym by their initials ('Ban quản lý dự án' -> BQLDA), or 0."""
    letters = [c for c in acronym if c != "&"]
    i, used = len(letters) - 1, 0
    for word in reversed(words):
        if i < 0:
            break
        if not word.isalpha():
            return 0
        if base_letters(word[0]).upper() == letters[i]:
            i -= 1
        elif word.lower() != "và":
            return 0
        used += 1
    return used if i < 0 else 0


_SHORT_FORM = re.compile(r"\b[A-ZĐ]{2,}")


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    """'ban quản lý dự án' in 'ban quản lý dự án đầu tư xây dựng': a short form of what was just said."""
    it = iter(long)
    return bool(short) and all(word in it for word in short)


def written_out(text: str, ctx: Context) -> str:
    """A reading written twice, once in brackets, is said once: 'căn cước công dân (CCCD)',
    'CCCD (căn cước công dân)', '15 (mười lăm) ngày', '500.000 đồng (năm trăm nghìn đồng chẵn)',
    'Ban Quản lý dự án Đầu tư xây dựng (Ban QLDA)'.
    An acronym a text defines this way is learnt for the rest of the text."""
    if "(" not in text:
        return text
    out, last, previous = [], 0, 0
    for m in _PAREN.finditer(text):
        inner = _IN_WORDS.sub("", m.group(1)).strip(" .,;:")
        tokens = text[previous:m.start()].split()  # the words since the last brackets
        previous = m.end()
        if not inner or not tokens:
            continue
        drop = False
        if _ACRONYM.match(inner) and ctx.lexicon.get(inner) is None:
            count = _defines(tokens, inner)
            if count and inner not in ctx.lexicon.learned:
                ctx.lexicon.learned[inner] = " ".join(tokens[-count:]).lower()
            drop = bool(count)
        else:
            said = _reading(inner, ctx)
            tail = tokens[-1].strip(",.;:")
            tail_said = tail.lower() if _plain(tail) else _reading(tail, ctx)
            if said and tail_said and (said == tail_said or said.endswith(" " + tail_said)):
                words = len(said.split())
                for count in range(1, min(len(tokens), words + 2) + 1):
                    suffix = " ".join(tokens[-count:])
                    if all(_plain(t) for t in tokens[-count:]):
                        got = _canon(suffix)
                    else:
                        got = _reading(suffix, ctx)
                    if got == said:
                        drop = True
                        break
                    if len(got.split()) > words:
                        break
            if not drop and _SHORT_FORM.search(inner):
                drop = _is_subsequence(said.split(), _reading(" ".join(tokens[-20:]), ctx).split())
        if drop:
            out.append(text[last:m.start()].rstrip(" \t"))
            last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


_ROMAN_KEYWORDS = (
    "chương", "phần", "mục", "điều", "khoản", "phụ lục", "khóa", "khoá", "thế kỷ", "thế kỉ", "đoạn",
    "quý", "đợt", "giai đoạn", "tập", "kỳ", "kì", "lần", "hạng", "loại", "cấp", "tiểu mục", "năm", "thứ",
    "báo động", "cấp độ", "mức",
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


def _compound(token: str, ctx: Context) -> str | None:
    """An unlisted acronym made of listed ones: 'EVNHCMC', 'HĐNDTP' -> their readings one after the other.
    At most three parts, at most one of them two letters long."""
    if len(token) < 4 or len(token) > 16:
        return None

    def parts(rest: str, short_used: bool, depth: int) -> list[str] | None:
        if not rest:
            return []
        if depth == 3:
            return None
        for size in range(len(rest), 1, -1):
            piece = rest[:size]
            if size == 2 and short_used:
                continue
            spoken = ctx.lexicon.entries.get(piece)
            if spoken is None or not piece.isupper():
                continue
            tail = parts(rest[size:], short_used or size == 2, depth + 1)
            if tail is not None:
                return [spoken, *tail]
        return None

    found = parts(token, False, 0)
    return " ".join(found) if found and len(found) > 1 else None


def acronyms(text: str, ctx: Context) -> str:
    """All-caps tokens that are not Vietnamese syllables: defined in the text, made of listed
    abbreviations, or else spelled: 'OTP' -> 'ô tê pê'."""
    def replace(m: re.Match[str]) -> str:
        token = m.group(0)
        if not token.isupper() or is_syllable(token):
            return token
        learned = ctx.lexicon.learned.get(token)
        if learned:
            return learned
        if any(base_letters(c.lower()) not in LETTER_NAMES for c in token):
            ctx.note(f"{token}: cannot be read in Vietnamese", written=token)
            return token
        joined = _compound(token, ctx)
        if joined:
            ctx.note(f"{token}: read as '{joined}' (known abbreviations run together; check it)", written=token,
                     said=joined, kind=GUESSED)
            return joined
        spelled = spell(token)
        ctx.note(f"{token}: unknown abbreviation, read letter by letter as '{spelled}' (add it to lexicon.tsv)",
                 written=token, said=spelled)
        return spelled

    return _TOKEN.sub(replace, text)
