"""Web addresses and e-mail addresses, read the way an announcer says them."""

from __future__ import annotations

import re

from announcer.textnorm import numbers
from announcer.textnorm.context import Context

_TLDS = {
    "www": "vê kép vê kép vê kép",
    "vn": "vê en", "com": "com", "net": "nét", "org": "o rờ gờ", "gov": "gờ o vê", "edu": "e đu",
    "info": "in phô", "io": "i o", "biz": "bít", "online": "on lai", "site": "sai", "me": "mi",
    "int": "in", "asia": "a si a",
}
_COMMON_LABELS = {"www", "vn", "com", "net", "org", "gov", "edu"}
_TLD_ALT = "|".join(sorted(_TLDS, key=len, reverse=True))
_URL = re.compile(
    r"(?i)(?<![\w@.])(?:(?:https?|ftp)://|www\.)[^\s<>\"“”‘’'()\[\]]+"
    rf"|(?<![\w@./-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLD_ALT})(?![\w-])(?:/[^\s<>\"“”‘’'()\[\]]*)?"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[a-z0-9][a-z0-9._+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_TRAILING = ".,;:!?"


# Letter names as announcers spell web addresses ('gờ o vê', 'vê en', 'vê kép').
_WEB_LETTERS = {
    "a": "a", "b": "bê", "c": "xê", "d": "đê", "e": "e", "f": "ép", "g": "gờ", "h": "hát", "i": "i", "j": "gi",
    "k": "ca", "l": "e lờ", "m": "em", "n": "en", "o": "o", "p": "pê", "q": "quy", "r": "e rờ", "s": "ét",
    "t": "tê", "u": "u", "v": "vê", "w": "vê kép", "x": "ích", "y": "i", "z": "dét",
}
# Labels people say as words: places and the common words of public portals (written without tones).
_KNOWN = {
    "hanoi": "hà nội", "hochiminh": "hồ chí minh", "hcm": "hát xê em", "tphcm": "tê pê hát xê em",
    "danang": "đà nẵng", "haiphong": "hải phòng", "cantho": "cần thơ", "hue": "huế", "thuathienhue": "thừa thiên huế",
    "saigon": "sài gòn", "angiang": "an giang", "bariavungtau": "bà rịa vũng tàu", "vungtau": "vũng tàu",
    "bacgiang": "bắc giang", "backan": "bắc kạn", "baclieu": "bạc liêu", "bacninh": "bắc ninh",
    "bentre": "bến tre", "binhdinh": "bình định", "binhduong": "bình dương", "binhphuoc": "bình phước",
    "binhthuan": "bình thuận", "camau": "cà mau", "caobang": "cao bằng", "daklak": "đắk lắk", "daknong": "đắk nông",
    "dienbien": "điện biên", "dongnai": "đồng nai", "dongthap": "đồng tháp", "gialai": "gia lai",
    "hagiang": "hà giang", "hanam": "hà nam", "hatinh": "hà tĩnh", "haiduong": "hải dương", "haugiang": "hậu giang",
    "hoabinh": "hòa bình", "hungyen": "hưng yên", "khanhhoa": "khánh hòa", "kiengiang": "kiên giang",
    "kontum": "kon tum", "laichau": "lai châu", "lamdong": "lâm đồng", "langson": "lạng sơn", "laocai": "lào cai",
    "longan": "long an", "namdinh": "nam định", "nghean": "nghệ an", "ninhbinh": "ninh bình",
    "ninhthuan": "ninh thuận", "phutho": "phú thọ", "phuyen": "phú yên", "quangbinh": "quảng bình",
    "quangnam": "quảng nam", "quangngai": "quảng ngãi", "quangninh": "quảng ninh", "quangtri": "quảng trị",
    "soctrang": "sóc trăng", "sonla": "sơn la", "tayninh": "tây ninh", "thaibinh": "thái bình",
    "thainguyen": "thái nguyên", "thanhhoa": "thanh hóa", "tiengiang": "tiền giang", "travinh": "trà vinh",
    "tuyenquang": "tuyên quang", "vinhlong": "vĩnh long", "vinhphuc": "vĩnh phúc", "yenbai": "yên bái",
    "dichvucong": "dịch vụ công", "chinhphu": "chính phủ", "baochinhphu": "báo chính phủ", "congan": "công an",
    "bocongan": "bộ công an", "baohiemxahoi": "bảo hiểm xã hội", "thuvienphapluat": "thư viện pháp luật",
    "tiemchung": "tiêm chủng", "tuyensinh": "tuyển sinh", "nghiavuquansu": "nghĩa vụ quân sự",
    "congthongtin": "cổng thông tin", "thongtin": "thông tin", "tintuc": "tin tức", "vanban": "văn bản",
    "thutuchanhchinh": "thủ tục hành chính", "hanhchinhcong": "hành chính công", "quan": "quận",
    "phuong": "phường", "xa": "xã", "huyen": "huyện", "tinh": "tỉnh", "thanhpho": "thành phố",
    "ubnd": "u bê en đê", "hdnd": "hát đê en đê", "mttq": "em tê tê quy", "pc": "pê xê", "evn": "e vê en",
    "gmail": "gờ meo", "google": "gu gồ", "facebook": "phây búc", "zalo": "da lô", "youtube": "diu túp",
    "yahoo": "da hu", "outlook": "ao lúc", "hotmail": "hót meo",
}
_KNOWN_KEYS = sorted(_KNOWN, key=len, reverse=True)


def _segment(word: str) -> list[str] | None:
    """Split a toneless label into known words ('dichvucongbinhdinh'), or None."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for i in range(len(word)):
        if best[i] is None:
            continue
        for key in _KNOWN_KEYS:
            if word.startswith(key, i) and best[i + len(key)] is None:
                best[i + len(key)] = [*best[i], _KNOWN[key]]  # type: ignore[misc]
    return best[len(word)]


def _letters(word: str) -> str:
    return " ".join(_WEB_LETTERS.get(c, c) for c in word.lower())


def _word(piece: str) -> str:
    """One run of letters: a known word, else letter by letter."""
    known = _segment(piece.lower())
    if known:
        return " ".join(known)
    return _letters(piece)


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
            words.append(_word(piece))
    return " ".join(words)


def _host(host: str) -> str:
    labels = [lab for lab in host.split(".") if lab]
    last = len(labels) - 1
    spoken = [_TLDS[lab.lower()] if lab.lower() in _COMMON_LABELS or (i == last and lab.lower() in _TLDS)
              else _label(lab) for i, lab in enumerate(labels)]
    return " chấm ".join(s for s in spoken if s)


def speak_url(url: str) -> str:
    """'http://www.dichvucong.gov.vn/p/home' -> 'vê kép vê kép vê kép chấm dịch vụ công chấm gờ o vê chấm vê en
    gạch chéo pê gạch chéo hát o em e': the scheme is not read, 'www' is."""
    rest = re.sub(r"(?i)^(?:https?|ftp)://", "", url)
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
        said = speak_url(body)
        ctx.guessed(body, said, "a web address, unknown parts spelled")
        return f" {said} {tail}"

    if "@" in text:
        text = _EMAIL.sub(email, text)
    if "." in text:
        text = _URL.sub(url, text)
    return text
