"""Web addresses and e-mail addresses, read the way an announcer says them."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context

_TLDS = {
    "vn": "vê en", "com": "com", "net": "nét", "org": "o rờ gờ", "gov": "gờ o vê", "edu": "e đu",
    "info": "in phô", "io": "i o", "biz": "bít", "online": "on lai", "site": "sai", "me": "mi",
    "int": "in", "asia": "a si a",
}
_COMMON_LABELS = {"vn", "com", "net", "org", "gov", "edu"}
_TLD_ALT = "|".join(sorted(_TLDS, key=len, reverse=True))
_URL = re.compile(
    r"(?i)(?<![\w@.])(?:(?:https?|ftp)://|www\.)[^\s<>\"“”‘’'()\[\]]+"
    rf"|(?<![\w@./-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLD_ALT})(?![\w-])(?:/[^\s<>\"“”‘’'()\[\]]*)?"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[a-z0-9][a-z0-9._+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_TRAILING = ".,;:!?"


def _label(label: str) -> str:
    """One host label or path segment: digits read one by one, '-' '_' read out."""
    words = []
    for piece in re.findall(r"[0-9]+|[^\W\d_]+|-|_|\.|[^\w\s]", label):
        if piece.isdigit():
            words.append(numbers.digits(piece))
        elif piece == "-":
            words.append("gạch ngang")
        elif piece == "_":
            words.append("gạch dưới")
        elif piece == ".":
            words.append("chấm")
        elif piece[0].isalpha():
            words.append(piece)
    return " ".join(words)


def _host(host: str) -> str:
    labels = [lab for lab in host.split(".") if lab]
    last = len(labels) - 1
    spoken = [_TLDS[lab.lower()] if lab.lower() in _COMMON_LABELS or (i == last and lab.lower() in _TLDS)
              else _label(lab) for i, lab in enumerate(labels)]
    return " chấm ".join(s for s in spoken if s)


def speak_url(url: str) -> str:
    """'http://www.dichvucong.gov.vn/p/home' -> 'dichvucong chấm gờ o vê chấm vê en gạch chéo p ...'."""
    rest = re.sub(r"(?i)^(?:(?:https?|ftp)://)?(?:www\.)?", "", url)
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    host, _, path = rest.partition("/")
    host = host.split(":")[0]
    words = [_host(host)]
    for segment in path.split("/"):
        if segment:
            words += ["gạch chéo", _label(segment)]
    return " ".join(w for w in words if w)


def speak_email(address: str) -> str:
    user, _, host = address.partition("@")
    return f"{_label(user)} a còng {_host(host)}"


def _split_trailing(match: re.Match[str]) -> tuple[str, str]:
    text = match.group(0)
    stripped = text.rstrip(_TRAILING)
    return stripped, text[len(stripped):]


def web_addresses(text: str, ctx: Context) -> str:
    """E-mails and URLs/domains to words; http(s):// and www. are not read."""
    def email(m: re.Match[str]) -> str:
        body, tail = _split_trailing(m)
        return f" {speak_email(body)} {tail}"

    def url(m: re.Match[str]) -> str:
        body, tail = _split_trailing(m)
        return f" {speak_url(body)} {tail}"

    if "@" in text:
        text = _EMAIL.sub(email, text)
    if "." in text:
        text = _URL.sub(url, text)
    return text
