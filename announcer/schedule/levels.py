"""The three broadcast levels of Thông tư 39/2020/TT-BTTTT: thông thường, ưu tiên, khẩn cấp.

- thông thường (normal): airs in its slot, in file order;
- ưu tiên (priority): goes first in its slot, and cuts into a relay;
- khẩn cấp (emergency): airs at once, cutting in whatever is on air (except another emergency).

Scripts written before levels existed keep working: with no ``level:``, ``priority`` above 0
means ưu tiên and anything else thông thường (``every`` repeats keep their own rule, see
``player``). ``priority`` still orders scripts of the same level. Pure: no clock, no files.
"""

from __future__ import annotations

import enum
import unicodedata


class Level(enum.IntEnum):
    """A bulletin's level; the higher value wins."""

    THONG_THUONG = 0
    UU_TIEN = 1
    KHAN_CAP = 2

    @property
    def slug(self) -> str:
        """The ASCII spelling used in front matter and on the command line."""
        return _SLUGS[self]

    @property
    def label(self) -> str:
        """The Vietnamese name, for people (console, plan, log)."""
        return _LABELS[self]

    @property
    def cuts_relay(self) -> bool:
        """Own items at ưu tiên or khẩn cấp interrupt a relay; the relay resumes after them."""
        return self >= Level.UU_TIEN


_SLUGS = {Level.THONG_THUONG: "thong-thuong", Level.UU_TIEN: "uu-tien", Level.KHAN_CAP: "khan-cap"}
_LABELS = {Level.THONG_THUONG: "thông thường", Level.UU_TIEN: "ưu tiên", Level.KHAN_CAP: "khẩn cấp"}
_ALIASES = {
    "thong-thuong": Level.THONG_THUONG, "binh-thuong": Level.THONG_THUONG, "normal": Level.THONG_THUONG,
    "uu-tien": Level.UU_TIEN, "priority": Level.UU_TIEN,
    "khan-cap": Level.KHAN_CAP, "khan": Level.KHAN_CAP, "emergency": Level.KHAN_CAP, "urgent": Level.KHAN_CAP,
}
SPELLINGS = "thong-thuong, uu-tien or khan-cap (thông thường, ưu tiên, khẩn cấp)"
"""What a message suggests when a level does not read."""


def _fold(text: str) -> str:
    """Lower case, tone marks and đ folded to ASCII, spaces and underscores to one hyphen."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(ascii_only.replace("_", " ").replace("-", " ").split())


def parse_level(text: str) -> Level:
    """``thong-thuong``/``thông thường``/``Khẩn cấp``/``KHAN_CAP``... -> Level; ValueError otherwise."""
    level = _ALIASES.get(_fold(str(text)))
    if level is None:
        raise ValueError(f"{str(text)[:40]!r} is not a level; write {SPELLINGS}")
    return level


def level_from_priority(priority: int) -> Level:
    """The level of a script written before levels: a raised priority meant 'goes first'."""
    return Level.UU_TIEN if priority > 0 else Level.THONG_THUONG
