"""The message catalogue: every message marked with _() has a Vietnamese translation that keeps its
{fields}, the catalogue holds no stale entries, and the .po loader reads gettext's format."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import announcer
from announcer.i18n import ENGLISH, Msg, _, catalogue, parse_po, translator

PACKAGE = Path(announcer.__file__).parent


def marked_msgids() -> dict[str, str]:
    """Every literal msgid given to _() in the package -> where it is (file:line)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                    and node.args):
                first = node.args[0]
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                    f"{path}:{node.lineno}: _() takes a literal msgid (put the values in fields)")
                found.setdefault(first.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def fields_of(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def marked_calls() -> list[tuple[str, str, set[str] | None]]:
    """(where, msgid, keyword names given; None when **fields are passed) of every _() call."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" and node.args:
                names = {k.arg for k in node.keywords if k.arg is not None}
                spread = any(k.arg is None for k in node.keywords)
                calls.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", node.args[0].value,  # type: ignore[attr-defined]
                              None if spread else names))
    return calls


MSGIDS = marked_msgids()
VI = catalogue("vi")


def test_the_package_marks_messages() -> None:
    assert len(MSGIDS) > 150  # the CLI, config, scripts, check, plan, approval


@pytest.mark.parametrize("msgid", sorted(MSGIDS))
def test_every_marked_message_has_a_vietnamese_translation(msgid: str) -> None:
    assert msgid in VI, f"{MSGIDS[msgid]}: no Vietnamese for {msgid!r}: add it to announcer/locale/vi.po"
    assert fields_of(VI[msgid]) == fields_of(msgid), f"{MSGIDS[msgid]}: the translation changes the fields"


def test_the_catalogue_has_no_stale_entries() -> None:
    stale = sorted(set(VI) - set(MSGIDS))
    assert not stale, f"vi.po translates messages no code uses any more: {stale[:5]}"


def test_translations_are_vietnamese_with_diacritics() -> None:
    """A msgstr copied from the English by mistake is caught: most carry Vietnamese letters."""
    vietnamese = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
    untouched = [m for m, s in VI.items() if not vietnamese & set(s.lower()) and any(c.isalpha() for c in
                                                                                     _words(m))]
    assert not untouched, f"these read as English, not Vietnamese: {untouched[:5]}"


def _words(msgid: str) -> str:
    """The prose of a msgid: without {fields}, quoted examples, commands and setting names."""
    text = "".join(lit for lit, *_rest in string.Formatter().parse(msgid))
    return " ".join(w for w in text.split() if w.isalpha() and w.islower() and len(w) > 3
                    and w not in {"announcer", "none", "true", "false"})


PO = '''\
# a comment
msgid ""
msgstr ""
"Language: vi\\n"

#: somewhere.py:3
msgid "error"
msgstr "Lỗi"

msgid ""
"two "
"lines {x}"
msgstr "hai "
"dòng {x}"

msgid "quote \\" and \\\\ and\\nnewline"
msgstr "ngoặc \\" và \\\\ và\\nxuống dòng"

msgid "not yet"
msgstr ""
'''


def test_po_loader_reads_continuations_escapes_and_skips_untranslated() -> None:
    entries = parse_po(PO)
    assert entries == {
        "error": "Lỗi",
        "two lines {x}": "hai dòng {x}",
        'quote " and \\ and\nnewline': 'ngoặc " và \\ và\nxuống dòng',
    }


@pytest.mark.parametrize("bad", ['msgstr "x"\n', 'msgid "a"\nmsgstr "b"\nmsgid "a"\nmsgstr "c"\n',
                                 'msgid a\n', 'whatever\n'])
def test_po_loader_refuses_what_it_cannot_read(bad: str) -> None:
    with pytest.raises(ValueError, match="catalogue"):
        parse_po(bad)


def test_a_message_is_english_until_translated_and_fields_are_translated_too() -> None:
    inner = _("draft")
    outer = _("{label}: {problem}", label="tiem.md", problem=inner)
    assert outer == "tiem.md: draft" and isinstance(outer, str)
    assert translator("vi")(outer) == "tiem.md: bản nháp"
    assert translator("en")(outer) == ENGLISH(outer) == "tiem.md: draft"
    assert translator("fr").lang == "en"
    err = ValueError(_("the window must end after it starts"))
    assert translator("vi")(_("{label}: {problem}", label="x", problem=err)).startswith("x: khung giờ")


def test_a_message_survives_pickling() -> None:
    import pickle

    msg = _("unknown day {day!r}; use mon, tue, wed, thu, fri, sat, sun (or t2..t7, cn)", day="t9")
    again = pickle.loads(pickle.dumps(msg))
    assert isinstance(again, Msg) and again == msg and again.fields == {"day": "t9"}
    assert "t9" in translator("vi")(again) and translator("vi")(again) != msg


def test_a_broken_translation_falls_back_to_english_not_a_crash() -> None:
    from announcer.i18n import Translator

    tr = Translator("vi", {"x {a}": "y {b}"})
    assert tr(_("x {a}", a=1)) == "x 1"


@pytest.mark.parametrize(("where", "msgid", "given"), marked_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_call_fills_exactly_the_fields_of_its_msgid(where: str, msgid: str, given: set[str] | None) -> None:
    """A field left out would raise KeyError while an error is being reported: the user would get a crash."""
    if given is not None:
        assert given == fields_of(msgid), f"{where}: _({msgid!r}) is given {sorted(given)}"
