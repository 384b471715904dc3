"""Import a notice (.docx, .txt, .md in any common Vietnamese encoding) as a script.

What must never air is dropped and reported: word-processor artifacts, the national motto
header, the recipients block, 'Lưu: VT', the signature block, page numbers and references
whose number was left blank. The title, the body and the appendix steps are kept.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from announcer.config import Limits
from announcer.errors import NoticeImportError
from announcer.i18n import _
from announcer.script import utf16_encoding
from announcer.textnorm.encodings import decode_tcvn3, decode_vni, vietnamese_score
from announcer.textnorm.lexicon import fold_tones

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".text", ""}


@dataclass
class ImportResult:
    dest: Path
    encoding: str
    title: str
    removed: list[str] = field(default_factory=list)
    """Human-readable lines: what was dropped and why."""


# --- reading ---------------------------------------------------------------------------------------------


def _decode_candidates(raw: bytes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    try:
        found.append(("utf-8", raw.decode("utf-8")))
    except UnicodeDecodeError:
        pass
    try:
        found.append(("windows-1258", raw.decode("cp1258")))
    except UnicodeDecodeError:
        pass
    found.append(("tcvn3", decode_tcvn3(raw)))
    found.append(("vni", decode_vni(raw)))
    return found


def decode_notice(raw: bytes) -> tuple[str, str]:
    """Bytes -> (NFC text, encoding name). BOMs decide; otherwise the most Vietnamese-looking wins."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return unicodedata.normalize("NFC", raw[3:].decode("utf-8", errors="replace")), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return unicodedata.normalize("NFC", raw.decode("utf-16", errors="replace")), "utf-16"
    candidates = _decode_candidates(raw)
    if not any(ord(c) > 0x7F for c in candidates[0][1]) and candidates[0][0] == "utf-8":
        return candidates[0][1], "utf-8"  # plain ASCII
    best_name, best_text, best_score = "", "", -1.0
    for rank, (name, text) in enumerate(candidates):
        text = unicodedata.normalize("NFC", text)
        score = vietnamese_score(text) + (0.05 if name == "utf-8" else 0.0) - rank * 1e-6
        log.debug("encoding %s scores %.3f", name, score)
        if score > best_score:
            best_name, best_text, best_score = name, text, score
    return best_text, best_name


def _docx_text(src: Path, limits: Limits | None = None) -> str:
    from announcer.guards import check_docx

    check_docx(src, limits or Limits())  # sizes, part count and XML entities, before python-docx parses it
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise NoticeImportError(_("python-docx is not installed"), file=src,
                                hint=_("pip install python-docx, or save the notice as .txt")) from exc
    try:
        document = docx.Document(str(src))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad file
        raise NoticeImportError(_("cannot open the Word file ({reason})", reason=type(exc).__name__), file=src,
                                hint=_("open it in Word or LibreOffice and save it again as .docx")) from exc
    lines: list[str] = []

    def walk(container: object) -> None:
        body = container._element  # type: ignore[attr-defined]
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append(Paragraph(child, container).text)  # type: ignore[arg-type]
            elif tag == "tbl":
                for row in Table(child, container).rows:  # type: ignore[arg-type]
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # merged cells repeat
                            continue
                        seen.add(id(cell._tc))
                        walk(cell)

    walk(document._body)
    return "\n".join(lines)


def read_notice_text(src: Path, limits: Limits | None = None) -> tuple[str, str]:
    """(text in NFC, encoding name). .docx via python-docx; .txt/.md decoded by content."""
    src = Path(src)
    suffix = src.suffix.lower()
    if not src.exists():
        raise NoticeImportError(_("notice not found"), file=src, hint=_("check the path and the file name"))
    if src.is_dir():
        raise NoticeImportError(_("this is a folder, not a notice file"), file=src)
    if suffix == ".docx":
        return unicodedata.normalize("NFC", _docx_text(src, limits)), "docx"
    if suffix == ".doc":
        raise NoticeImportError(_("old Word .doc files cannot be read"), file=src,
                                hint=_("open it in Word or LibreOffice and save it as .docx"))
    if suffix not in TEXT_SUFFIXES:
        raise NoticeImportError(_("unsupported notice format {suffix!r}", suffix=suffix), file=src,
                                hint=_("save the notice as .docx or .txt"))
    try:
        raw = src.read_bytes()
    except OSError as exc:
        raise NoticeImportError(_("cannot read the notice: {reason}", reason=exc.strerror), file=src) from exc
    utf16 = utf16_encoding(raw)
    if utf16 is not None and utf16 != "utf-16":  # UTF-16 saved without a BOM (Notepad's "Unicode" can)
        text = unicodedata.normalize("NFC", raw.decode(utf16, errors="replace"))
        return text.replace("\r\n", "\n").replace("\r", "\n"), utf16
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NoticeImportError(_("this looks like a binary file, not text"), file=src,
                                hint=_("save the notice as .docx or .txt"))
    text, encoding = decode_notice(raw)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# --- cleaning --------------------------------------------------------------------------------------------

_ARTIFACT = re.compile(r"\[\s*(image|bookmark|img)\s*:[^\]]*\]", re.IGNORECASE)
_MOTTO = re.compile(
    r"(?i)^\W*(cộng h(?:òa|oà) xã hội chủ nghĩa việt nam|độc lập\s*[-–—]\s*tự do\s*[-–—]\s*hạnh phúc)\W*$"
)
_RULE = re.compile(r"^[\s\-–—_=*.~]{3,}$")
_KINDS = (
    "THÔNG BÁO", "KẾ HOẠCH", "QUYẾT ĐỊNH", "CÔNG VĂN", "GIẤY MỜI", "THƯ MỜI", "THƯ NGỎ", "THƯ KÊU GỌI",
    "LỜI KÊU GỌI", "LỜI HIỆU TRIỆU", "HƯỚNG DẪN", "CHỈ THỊ", "THÔNG CÁO", "BẢN TIN", "TIN", "CÔNG ĐIỆN",
    "LỊCH", "TỜ TRÌNH", "BÁO CÁO", "NGHỊ QUYẾT", "PHƯƠNG ÁN", "CHƯƠNG TRÌNH", "DANH SÁCH", "BIÊN BẢN",
    "QUY CHẾ", "QUY ĐỊNH", "NỘI QUY", "ĐỀ ÁN", "KẾT LUẬN", "THƯ CẢM ƠN", "THƯ CHÚC MỪNG", "THƯ KHEN",
    "BÀI TUYÊN TRUYỀN", "TUYÊN TRUYỀN", "CÁO PHÓ", "TRUYỀN THANH", "THÔNG TIN", "CẢNH BÁO", "KHUYẾN CÁO",
)
_TITLE = re.compile(r"^\s*(?:" + "|".join(sorted(_KINDS, key=len, reverse=True)) + r")(?:\s+[^a-zà-ỹđ]*)?\s*:?\s*$")
_TITLE_ANY_CASE = re.compile(r"(?i)^\s*(?:" + "|".join(_KINDS) + r")(?:\s+khẩn)?\s*:?\s*$")
_QUOTES = " \t\"'“”‘’«».:"
_SUBJECT = re.compile(r"(?i)^\W*(?:về việc|v/v)\b[\s:.]*(.*)$")
_RECIPIENTS = re.compile(r"(?i)^\W*nơi nhận\s*:?")
_LUU = re.compile(r"(?i)^\W*lưu\s*:\s*(vt|văn thư)\b")
_BULLET_LINE = re.compile(r"^\s*[-–—+•·*●○▪■◦]")
_SIGNER = re.compile(
    r"^\s*(?:(?:KT|TM|TL|TUQ|Q)\s*\.\s*)?(?:PHÓ\s+)?(?:CHỦ TỊCH|BÍ THƯ|TRƯỞNG BAN|PHÓ TRƯỞNG BAN|TRƯỞNG PHÒNG|"
    r"GIÁM ĐỐC|CHÁNH VĂN PHÒNG|TRƯỞNG CÔNG AN|TRƯỞNG KHU PHỐ|TRƯỞNG THÔN|TỔ TRƯỞNG|"
    r"ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND|BAN CHỈ ĐẠO|BAN CHỈ HUY)\b[^a-zà-ỹ]*$"
)
_SIGNED = re.compile(r"(?i)^\W*\(?\s*(đã ký|ký tên|ký,? ghi rõ|ký và đóng dấu|đã ký và đóng dấu)[^)]*\)?\W*$")
_NAME = re.compile(r"^\s*(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+|[A-ZĐÀ-Ỹ]+)(?:\s+(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+|[A-ZĐÀ-Ỹ]+)){1,5}\s*$")
_PAGE = re.compile(r"(?i)^\s*(?:trang\s*)?[-–]?\s*\d{1,3}\s*(?:/\s*\d{1,3})?\s*[-–]?\s*$")
_BLANK_REF = re.compile(
    r"(?i)\bsố\s*:?\s*(?:\.{2,}|…+|_+|\s{2,}|)/\s*[A-ZĐ][\wĐđ&-]*(?:/[\wĐđ&-]+)*"
    r"(?:\s+ngày\s*(?:\.{2,}|…+|_+|\s*)(?:/\s*\d{1,2}\s*/\s*\d{4}|tháng\s*\d{1,2}\s*năm\s*\d{4}))?"
)
_HEADER_LINE = re.compile(r"(?i)^\s*số\s*:\s*\S*/|^[^,]{2,40},\s*ngày\s+\S+\s+tháng\s+\S+\s+năm\s+\d{4}\s*$")


# --- the header block of an official notice -------------------------------------------------------------
# Issuer, national motto, number and place-date come as separate lines, a table row (read cell by cell)
# or one flattened line; the subject ('V/v ...') and the 'Kính gửi:' list may follow. None of it airs.

_NATION = re.compile(r"xã\s*hội\s*chủ\s*nghĩa\s*việt\s*nam|chxhcn\s*việt\s*nam")  # 'CỘNG HÕA' typos too
_FREEDOM = re.compile(r"độc\s*lập\s*[-–—,.]*\s*tự\s*do\s*[-–—,.]*\s*hạnh\s*phúc")
_BLANK = r"[\d.…_ \-]*"
_PLACE_DATE = re.compile(
    rf"^(?:[^,\d]{{2,60}},?\s*)?ngày\s*{_BLANK}\s*(?:tháng\s*{_BLANK}\s*năm\s*{_BLANK}|[/-]{_BLANK}[/-]\s*\d{{0,4}})\s*\W*$"
)
_NUMBER = re.compile(r"^số\s*[:.]?\s*[\d.…_ ]*\s*/\s*\S|^số\s*:\s*\S*$|^số\s*:\s*[.…_ ]*$")
_SUBJECT_LINE = re.compile(r"(?i)^\W*(?:v/v|về việc)\b\s*[:.]?\s*(.*)$")
_KINH_GUI = re.compile(r"(?i)^\W*kính\s+gửi\s*(?::|$)\s*(.*)$")
_AGENCY = re.compile(
    r"(?i)^(?:ủy ban|uỷ ban|ubnd|hđnd|hội đồng|công an|ban |ban chỉ|trạm|trung tâm|công ty|tổng công ty|"
    r"điện lực|chi nhánh|sở |phòng |đảng ủy|đảng uỷ|huyện ủy|tỉnh ủy|mặt trận|ủy ban mặt trận|đoàn |hội |"
    r"trường |bệnh viện|chi cục|cục |bộ |văn phòng|đài |ban quản lý|xí nghiệp|hợp tác xã|htx|bch|bchqs|"
    r"đội |tổ dân phố|khu phố|thôn |ấp )"
)
_BLANK_FIELD = re.compile(r"^[^:.…_]{2,40}:\s*[.…_\s]{3,}$")
_LOWER_START = re.compile(r"^[a-zà-ỹđ(]")


def _fold(text: str) -> str:
    return fold_tones(" ".join(text.split())).lower()


def _is_motto(folded: str) -> bool:
    return bool(_NATION.search(folded) or _FREEDOM.search(folded))


def _is_rule(text: str) -> bool:
    return bool(text) and bool(_RULE.match(text))


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _is_title(text: str) -> bool:
    return bool(_TITLE.match(fold_tones(text)) or _TITLE_ANY_CASE.match(fold_tones(text)))


def _issuer_like(text: str) -> bool:
    if len(text) > 100 or text.rstrip().endswith((".", ":", ";", "?", "!")):
        return False
    return _all_caps(text) or (bool(_AGENCY.match(_fold(text))) and len(text.split()) <= 14)


_FLAT_BREAKS = re.compile(
    r"(?i)\s+(?=cộng\s*h\w{1,2}a\s+xã\s+hội|độc\s+lập\s*[-–—]?\s*tự\s+do|số\s*:|v/v\b|kính\s+gửi\b)"
    r"|\s+([A-ZĐ][^\W\d_]*(?:[ -][A-ZĐ][^\W\d_]*){0,4},\s*ngày\s)"
    r"|\s+(?=(?:" + "|".join(_KINDS) + r")\s+[A-ZĐÀ-Ỹ]{2,})"
)
_LIST_END = re.compile(r"(?<=\.)\s+(?=[A-ZĐÀ-Ỹ][a-zà-ỹđ])")


def _unflatten(lines: list[str]) -> list[str]:
    """A header flattened onto one line with the text after it (as copied from a PDF): one line per part."""
    out: list[str] = []
    for index, line in enumerate(lines):
        folded = _fold(line)
        if index < 10 and len(line) > 150 and _is_motto(folded):
            parts = _FLAT_BREAKS.sub(lambda m: "\n" + (m.group(1) or ""), line).split("\n")
            if _KINH_GUI.match(parts[-1]):
                parts[-1:] = _LIST_END.split(parts[-1], maxsplit=1)
            out.extend(parts)
        else:
            out.append(line)
    return out


def _kinh_gui_block(lines: list[str], i: int) -> tuple[list[str], int]:
    """The 'Kính gửi:' line at i and its list of recipients; (their texts, the index after them).
    Items go on while they end with ';' or ',' or start with a dash; a full stop ends the list."""
    first = " ".join(lines[i].split())
    block = [first]
    last = _KINH_GUI.match(first).group(1).strip()  # type: ignore[union-attr]
    i += 1
    while i < len(lines) and not last.endswith("."):
        text = " ".join(lines[i].split())
        if not text:
            i += 1
            continue
        open_list = not last or last.endswith((";", ",", ":"))
        dashes = bool(_BULLET_LINE.match(text)) and (open_list or bool(_BULLET_LINE.match(last)))
        if not (dashes or open_list) or len(text) > 120:
            break
        block.append(text)
        last = text
        i += 1
    return block, i


@dataclass
class _Header:
    lines: list[str]
    """What follows the header, title first when there is one."""
    subject: str = ""
    """The 'V/v ...' subject found in the header (becomes the title when there is no title line)."""
    titled: bool = False
    """The first line after the header is the title (a known kind, or capitals after the date)."""


def _split_header(lines: list[str], removed: list[str]) -> _Header:
    """Drop the header block (reported in `removed`); keep everything from the title or body on."""
    dropped: list[str] = []
    recipients: list[str] = []
    subject, strong, dated, motto = "", False, False, False
    i, seen = 0, 0
    while i < len(lines) and seen < 40:
        text = " ".join(lines[i].split())
        if not text:
            i += 1
            continue
        seen += 1
        folded = _fold(text)
        if _is_title(text):
            break
        if _is_motto(folded) or _is_rule(text) or _NUMBER.match(folded) or _PLACE_DATE.match(folded):
            dated = dated or bool(_PLACE_DATE.match(folded)) or "ngày" in folded and "năm" in folded
            motto = motto or bool(_FREEDOM.search(folded))
            strong = True
            dropped.append(text)
            i += 1
            continue
        m = _SUBJECT_LINE.match(text)
        if m and not subject and (text[:3].lower() == "v/v" or not text.endswith((".", "!", "?"))):
            parts = [m.group(1).strip()]
            dropped.append(text)
            i += 1
            while i < len(lines):
                nxt = " ".join(lines[i].split())
                if not nxt or not _LOWER_START.match(nxt):
                    break
                parts.append(nxt)
                dropped.append(nxt)
                i += 1
            subject = " ".join(p for p in parts if p).strip(_QUOTES)
            strong = True
            continue
        if _KINH_GUI.match(text):
            block, i = _kinh_gui_block(lines, i)
            recipients.extend(block)
            strong = True
            continue
        # The issuer comes before the motto (left cell first); after it only an agency name is one.
        if _issuer_like(text) and not dated and not subject and (not motto or _AGENCY.match(folded)):
            dropped.append(text)
            i += 1
            continue
        break
    if not strong or not any(line.strip() for line in lines[i:]):
        return _Header(lines=lines)  # no header, or nothing after it: then it was not a header
    if dropped:
        removed.append(_("header: {text}", text=" / ".join(dropped)))
    if recipients:
        removed.append(_("recipients (Kính gửi): {text}", text=" ".join(recipients)))
    rest = lines[i:]
    first = next(line.strip() for line in rest if line.strip())
    titled = _is_title(first) or (dated and _all_caps(first) and len(first) <= 120)
    return _Header(lines=rest, subject=subject, titled=titled)


def _drop_recipients_after_title(lines: list[str], removed: list[str]) -> list[str]:
    """'GIẤY MỜI / Kính gửi: ...': a recipients list under the title goes too."""
    seen = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        seen += 1
        if seen > 8:
            break
        if _KINH_GUI.match(line.strip()):
            block, end = _kinh_gui_block(lines, i)
            removed.append(_("recipients (Kính gửi): {text}", text=" ".join(block)))
            return lines[:i] + lines[end:]
    return lines


def _clean_lines(lines: list[str], removed: list[str]) -> tuple[list[str], _Header]:
    """Drop what must not air; each drop is reported in `removed`."""
    # Artifacts anywhere.
    counts: dict[str, int] = {}
    cleaned = []
    for line in lines:
        for m in _ARTIFACT.finditer(line):
            kind = m.group(1).lower()
            counts[kind] = counts.get(kind, 0) + 1
        cleaned.append(_ARTIFACT.sub("", line).replace("./.", ".").rstrip())
    for kind, count in counts.items():
        removed.append(_("{count} {kind} placeholders ([{kind}: ...])", count=count, kind=kind) if count > 1 else
                       _("{count} {kind} placeholder ([{kind}: ...])", count=count, kind=kind))
    lines = cleaned

    header = _split_header(_unflatten(lines), removed)
    lines = _drop_recipients_after_title(header.lines, removed)

    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        if _MOTTO.match(fold_tones(text)) or (text and _RULE.match(text)) or (text and _HEADER_LINE.match(text)):
            removed.append(_("header line: {text}", text=text))
        elif _RECIPIENTS.match(text):
            block = [text]
            i += 1
            while i < len(lines):
                nxt = lines[i].strip()
                item = _BULLET_LINE.match(nxt) or _LUU.match(nxt) or (nxt.endswith((";", ",", ".")) and len(nxt) < 80)
                if nxt and not item:
                    break
                if nxt:
                    block.append(nxt)
                i += 1
            removed.append(_("recipients block: {text}", text=" ".join(block)))
            continue
        elif _LUU.match(text):
            removed.append(_("filing note: {text}", text=text))
        elif _SIGNER.match(text) and len(text) < 60:
            block = [text]
            i += 1
            while i < len(lines):
                nxt = lines[i].strip()
                if not nxt or _SIGNER.match(nxt) or _SIGNED.match(nxt):
                    if nxt:
                        block.append(nxt)
                    i += 1
                    continue
                if _NAME.match(nxt) and len(nxt) <= 40:
                    block.append(nxt)
                    i += 1
                break
            removed.append(_("signature block: {text}", text=" / ".join(block)))
            continue
        elif _BLANK_FIELD.match(text):
            removed.append(_("blank form field: {text}", text=text))
        elif text and _PAGE.match(text):
            removed.append(_("page number: {text}", text=text))
        elif _BLANK_REF.search(text):
            stripped = text.strip("()[] ")
            rest = _BLANK_REF.sub("", stripped)
            if text.startswith("(") or len(re.findall(r"\w+", rest)) <= 6:
                removed.append(_("reference with a blank number: {text}", text=text))
            else:
                removed.append(_("reference with a blank number: {text}",
                                 text=_BLANK_REF.search(text).group(0)))  # type: ignore[union-attr]
                out.append(_BLANK_REF.sub("", line))
        else:
            out.append(line)
        i += 1
    return out, header


_BODY_START = re.compile(r"(?i)^\W*(?:căn cứ|thực hiện|kính gửi|kính thưa|theo|nhằm|để|hiện nay|ngày)\b")


def _title(lines: list[str], fallback: str, header: _Header | None = None) -> str:
    """The title line (with its subject), else the header's 'V/v' subject, never the issuer."""
    kind = None
    titled = header is not None and header.titled  # the first line is the title, whatever its words
    first = True
    for i, line in enumerate(lines[:12]):
        text = line.strip()
        if not text:
            continue
        is_first, first = first, False
        if kind is None and (_is_title(text) or (titled and is_first)):
            kind = " ".join(text.strip(": ").split()).capitalize()
            continue
        m = _SUBJECT.match(text)
        if m and m.group(1).strip(_QUOTES):
            subject = "về việc " + m.group(1).strip(_QUOTES)
            return f"{kind} {subject}" if kind else subject[0].upper() + subject[1:]
        if kind is not None:
            if _AGENCY.match(_fold(text)):
                continue  # 'UBND XÃ HẢI NINH THÔNG BÁO' under the title: the subject may follow
            if _all_caps(text) and len(text) < 120:
                return f"{kind} {text.lower()}"
            if len(text) <= 150 and not text.endswith((".", ";", ":")) and not _BODY_START.match(text):
                return f"{kind} {text[0].lower()}{text[1:]}"  # 'KẾ HOẠCH / Phòng, chống thiên tai năm 2025'
            break
        if header is not None and header.subject:
            break
        if i < 3 and len(text) <= 120:
            return text.rstrip(".:")
    if header is not None and header.subject:
        subject = "về việc " + header.subject
        return f"{kind} {subject}" if kind else subject[0].upper() + subject[1:]
    return kind or fallback


def slugify(title: str, max_length: int = 60) -> str:
    """ASCII slug: diacritics stripped, đ -> d, words joined by '-'."""
    text = title.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "notice"


def _paragraphs(lines: list[str]) -> str:
    paragraphs = [" ".join(line.split()) for line in lines if line.strip()]
    return "\n\n".join(paragraphs) + "\n"


def _write_atomic(dest: Path, content: str) -> None:
    from announcer.fsutil import atomic_write_text

    atomic_write_text(dest, content)


def _split_front_matter(text: str) -> tuple[str, str]:
    """('---\\n...\\n---\\n', rest) when the text already is a script, else ('', text)."""
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() in ("---", "..."):
                return "\n".join(lines[: index + 1]) + "\n", "\n".join(lines[index + 1 :])
    return "", text


def _front_matter_title(front_matter: str) -> str:
    match = re.search(r"(?m)^title\s*:\s*(.+?)\s*$", front_matter)
    return match.group(1).strip().strip("\"'") if match else ""


def import_notice(src: Path, scripts_dir: Path, dest: Path | None = None, force: bool = False,
                  limits: Limits | None = None) -> ImportResult:
    """Read src, drop what must not air, write scripts_dir/<slug>.md (or dest)."""
    src = Path(src)
    text, encoding = read_notice_text(src, limits)
    front_matter, text = _split_front_matter(text)
    removed: list[str] = []
    lines, header = _clean_lines(text.split("\n"), removed)
    if not any(line.strip() for line in lines):
        raise NoticeImportError(_("no text left to read in the notice"), file=src,
                                hint=_("check that the file holds the notice text (not only images)"))
    title = _front_matter_title(front_matter) or _title(lines, fallback=src.stem, header=header)
    if dest is None:
        dest = Path(scripts_dir) / f"{slugify(title)}.md"
    dest = Path(dest)
    if dest.exists() and not force:
        raise NoticeImportError(_("the script already exists"), file=dest,
                                hint=_("use --force to overwrite it, or -o to choose another name"))
    # A script in an old encoding keeps its own settings (slots, dates...): only its text is cleaned.
    head = front_matter or f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n"
    content = f"{head}\n{_paragraphs(lines)}"
    _write_atomic(dest, content)
    log.info("imported %s (%s) -> %s", src, encoding, dest)
    return ImportResult(dest=dest, encoding=encoding, title=title, removed=removed)
