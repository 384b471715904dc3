"""Legacy Vietnamese encodings (TCVN3/ABC, VNI-Windows) and a Vietnamese-ness score used to
pick the right decoding of a notice. Tables written from the public code charts."""

from __future__ import annotations

import re
import unicodedata

from announcer.textnorm.lexicon import is_syllable

# TCVN3 (TCVN 5712:1993, the ABC ".VnTime" fonts): upper half of the byte table.
_TCVN3_HIGH = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# VNI-Windows: a base letter followed by mark characters (shown here as the cp1252 glyphs).
_VNI_LOWER = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRC, "á": _CIRC + _ACUTE, "à": _CIRC + _GRAVE, "å": _CIRC + _HOOK, "ã": _CIRC + _TILDE,
    "ä": _CIRC + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE, "ú": _BREVE + _HOOK, "ü": _BREVE + _TILDE,
    "ë": _BREVE + _DOT,
    "ô": "o" + _HORN, "ö": "u" + _HORN, "ñ": "đ",
    "í": "i" + _ACUTE, "ì": "i" + _GRAVE, "æ": "i" + _HOOK, "ó": "i" + _TILDE, "ò": "i" + _DOT, "î": "y" + _DOT,
}
_VNI = dict(_VNI_LOWER)
_VNI.update({k.upper(): (v.upper() if v[0].isalpha() else v) for k, v in _VNI_LOWER.items()})


def _single_byte_table(high: dict[int, str]) -> dict[int, str]:
    table = {}
    for byte in range(256):
        if byte in high:
            table[byte] = high[byte]
        else:
            try:
                table[byte] = bytes([byte]).decode("cp1252")
            except UnicodeDecodeError:
                table[byte] = chr(byte)
    return table


def decode_tcvn3(raw: bytes) -> str:
    table = _single_byte_table(_TCVN3_HIGH)
    return unicodedata.normalize("NFC", "".join(table[b] for b in raw))


def decode_vni(raw: bytes) -> str:
    table = _single_byte_table({})
    text = "".join(_VNI.get(table[b], table[b]) for b in raw)
    return unicodedata.normalize("NFC", text)


def encode_tcvn3(text: str) -> bytes:
    """Inverse of decode_tcvn3 for lower-case Vietnamese text (used by tests and tools)."""
    reverse = {v: k for k, v in _TCVN3_HIGH.items()}
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        out += bytes([reverse[ch]]) if ch in reverse else ch.encode("cp1252")
    return bytes(out)


def encode_vni(text: str) -> bytes:
    """Unicode -> VNI-Windows bytes (inverse of decode_vni; for tests and tools)."""
    lower = {v: k for k, v in _VNI_LOWER.items()}
    upper = {v.upper() if v[0].isalpha() else v: k.upper() for k, v in _VNI_LOWER.items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        marks = upper if ch.isupper() else lower
        decomposed = unicodedata.normalize("NFD", ch)
        base, rest = decomposed[0], decomposed[1:]
        if base in "đĐ" or (base in "iIyY" and rest and base + rest in marks):
            out.append(marks[base + rest if rest else base])
            continue
        if _HORN in rest:
            base, rest = marks[base + _HORN], rest.replace(_HORN, "")
        out.append(base)
        if rest:
            key = "".join(sorted(rest, key=lambda c: c not in (_CIRC, _BREVE)))
            out.append(marks.get(key, ""))
    return "".join(out).encode("cp1252")


_TOKEN = re.compile(r"[^\W\d_]+")
_TONES = set(_ACUTE + _GRAVE + _HOOK + _TILDE + _DOT)


def vietnamese_score(text: str) -> float:
    """0..1: the share of letters that sit in well-formed Vietnamese syllables."""
    good = total = 0
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        total += len(word)
        tones = sum(c in _TONES for c in unicodedata.normalize("NFD", word))
        if tones <= 1 and is_syllable(word):
            good += len(word)
    odd = sum(1 for c in text if ord(c) > 0x7F and not (c.isalpha() or c.isspace() or c in "“”‘’–—…•·"))
    return good / (total + 2 * odd) if total else 0.0
