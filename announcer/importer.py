"""Import a notice (.docx, .txt, .md in any common Vietnamese encoding) as a script.

What must never air is dropped and reported: word-processor artifacts, the national motto
header, the recipients block, 'Lưu: VT', the signature block, page numbers and references
whose number was left blank. The title, the body and the appendix steps are kept.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from announcer.config import Limits
from announcer.errors import NoticeImportError
from announcer.script import utf16_encoding
from announcer.textnorm.encodings import decode_tcvn3, decode_vni, vietnamese_score

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
        raise NoticeImportError("python-docx is not installed", file=src,
                                hint="pip install python-docx, or save the notice as .txt") from exc
    try:
        document = docx.Document(str(src))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad file
        raise NoticeImportError(f"cannot open the Word file ({type(exc).__name__})", file=src,
                                hint="open it in Word or LibreOffice and save it again as .docx") from exc
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
        raise NoticeImportError("notice not found", file=src, hint="check the path and the file name")
    if src.is_dir():
        raise NoticeImportError("this is a folder, not a notice file", file=src)
    if suffix == ".docx":
        return unicodedata.normalize("NFC", _docx_text(src, limits)), "docx"
    if suffix == ".doc":
        raise NoticeImportError("old Word .doc files cannot be read", file=src,
                                hint="open it in Word or LibreOffice and save it as .docx")
    if suffix not in TEXT_SUFFIXES:
        raise NoticeImportError(f"unsupported notice format {suffix!r}", file=src,
                                hint="save the notice as .docx or .txt")
    try:
        raw = src.read_bytes()
    except OSError as exc:
        raise NoticeImportError(f"cannot read the notice: {exc.strerror}", file=src) from exc
    utf16 = utf16_encoding(raw)
    if utf16 is not None and utf16 != "utf-16":  # UTF-16 saved without a BOM (Notepad's "Unicode" can)
        text = unicodedata.normalize("NFC", raw.decode(utf16, errors="replace"))
        return text.replace("\r\n", "\n").replace("\r", "\n"), utf16
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NoticeImportError("this looks like a binary file, not text", file=src,
                                hint="save the notice as .docx or .txt")
    text, encoding = decode_notice(raw)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# --- cleaning --------------------------------------------------------------------------------------------

_ARTIFACT = re.compile(r"\[\s*(image|bookmark|img)\s*:[^\]]*\]", re.IGNORECASE)
_MOTTO = re.compile(r"(?i)^\W*(cộng h[oò]à xã hội chủ nghĩa việt nam|độc lập\s*[-–—]\s*tự do\s*[-–—]\s*hạnh phúc)\W*$")
_RULE = re.compile(r"^[\s\-–—_=*.~]{3,}$")
_TITLE = re.compile(
    r"^\s*(THÔNG BÁO|KẾ HOẠCH|QUYẾT ĐỊNH|CÔNG VĂN|GIẤY MỜI|THƯ NGỎ|LỜI KÊU GỌI|HƯỚNG DẪN|CHỈ THỊ|"
    r"THƯ MỜI|THÔNG CÁO|LỜI KÊU GỌI|TIN|BẢN TIN|CÔNG ĐIỆN)\s*:?\s*$"
)
_SUBJECT = re.compile(r"(?i)^\s*(?:về việc|v/v)\b[\s:.]*(.*)$")
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


def _clean_lines(lines: list[str], removed: list[str]) -> list[str]:
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
        removed.append(f"{count} {kind} placeholder{'s' if count > 1 else ''} ([{kind}: ...])")
    lines = cleaned

    # The header before the title: motto, agency name, 'Số: ...', place and date.
    title_at = next((i for i, line in enumerate(lines[:40]) if _TITLE.match(line)), None)
    if title_at:
        header = [line.strip() for line in lines[:title_at] if line.strip()]
        if header:
            removed.append("header before the title: " + " / ".join(header))
        lines = lines[title_at:]

    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        if _MOTTO.match(text) or (text and _RULE.match(text)) or (text and _HEADER_LINE.match(text)):
            removed.append(f"header line: {text}")
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
            removed.append("recipients block: " + " ".join(block))
            continue
        elif _LUU.match(text):
            removed.append(f"filing note: {text}")
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
            removed.append("signature block: " + " / ".join(block))
            continue
        elif text and _PAGE.match(text):
            removed.append(f"page number: {text}")
        elif _BLANK_REF.search(text):
            stripped = text.strip("()[] ")
            rest = _BLANK_REF.sub("", stripped)
            if text.startswith("(") or len(re.findall(r"\w+", rest)) <= 6:
                removed.append(f"reference with a blank number: {text}")
            else:
                removed.append(f"reference with a blank number: {_BLANK_REF.search(text).group(0)}")  # type: ignore[union-attr]
                out.append(_BLANK_REF.sub("", line))
        else:
            out.append(line)
        i += 1
    return out


def _title(lines: list[str], fallback: str) -> str:
    kind = None
    for i, line in enumerate(lines[:12]):
        text = line.strip()
        if not text:
            continue
        if kind is None and _TITLE.match(text):
            kind = text.strip(": ").capitalize()
            continue
        m = _SUBJECT.match(text)
        if m and m.group(1).strip():
            subject = "về việc " + m.group(1).strip()
            return f"{kind} {subject}" if kind else subject[0].upper() + subject[1:]
        if kind is not None:
            if text.isupper() and len(text) < 120:
                return f"{kind} {text.lower()}"
            return kind
        if i < 3 and len(text) <= 120:
            return text.rstrip(".:")
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
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    lines = _clean_lines(text.split("\n"), removed)
    if not any(line.strip() for line in lines):
        raise NoticeImportError("no text left to read in the notice", file=src,
                                hint="check that the file holds the notice text (not only images)")
    title = _front_matter_title(front_matter) or _title(lines, fallback=src.stem)
    if dest is None:
        dest = Path(scripts_dir) / f"{slugify(title)}.md"
    dest = Path(dest)
    if dest.exists() and not force:
        raise NoticeImportError("the script already exists", file=dest,
                                hint="use --force to overwrite it, or -o to choose another name")
    # A script in an old encoding keeps its own settings (slots, dates...): only its text is cleaned.
    head = front_matter or f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n"
    content = f"{head}\n{_paragraphs(lines)}"
    _write_atomic(dest, content)
    log.info("imported %s (%s) -> %s", src, encoding, dest)
    return ImportResult(dest=dest, encoding=encoding, title=title, removed=removed)
