"""The built-in lexicon of administrative Vietnamese, readings decided by neighbouring words, readings
written twice, and the station's lexicon.tsv overriding all of them (tests/readings/lexicon.txt)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from announcer.textnorm import normalize, unresolved
from announcer.textnorm.lexicon import builtin_lexicon

CORPUS = Path(__file__).with_name("readings") / "lexicon.txt"
_OLD_TONES = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe", "oẻ": "ỏe",
              "oẽ": "õe", "oẹ": "ọe", "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy"}


def canon(text: str) -> str:
    """Case, punctuation and old/new tone placement do not change what is heard."""
    text = unicodedata.normalize("NFC", text).lower()
    for old, new in _OLD_TONES.items():
        text = text.replace(old, new)
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def load_cases() -> list[tuple[str, str, str, str, str]]:
    cases, klass = [], ""
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# class:"):
            klass = line.split(":", 1)[1].strip()
        if not line.strip() or line.startswith("#"):
            continue
        kind, written, expected = line.split("\t")
        cases.append((f"{number}:{written}", klass, kind, written, expected))
    return cases


CASES = load_cases()


@pytest.mark.parametrize(("klass", "kind", "written", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_reads_as_an_announcer_would(klass: str, kind: str, written: str, expected: str) -> None:
    got = normalize(written)
    if kind == "exact":
        assert canon(got) in {canon(alt) for alt in expected.split("|")}, klass
    elif kind == "not":
        assert not any(item.lower() in got.lower() for item in expected.split(";")), klass
    else:
        assert all(any(canon(a) in canon(got) for a in item.split("|")) for item in expected.split(";")), klass


def test_every_class_has_cases() -> None:
    counts: dict[str, int] = {}
    for _, klass, *_ in CASES:
        counts[klass] = counts.get(klass, 0) + 1
    assert set(counts) == {"administrative abbreviations", "address abbreviations", "company names with a place",
                           "already written out", "ordinary text kept"}
    assert min(counts.values()) >= 5, counts


def test_the_builtin_lexicon_is_large_and_says_only_words() -> None:
    entries = builtin_lexicon()
    assert len(entries) >= 500
    for written, spoken in entries.items():
        assert not any(c.isdigit() for c in spoken), written
        assert normalize(spoken) == spoken, written  # a reading is final: nothing in it is read again


@pytest.mark.parametrize(
    ("station", "written", "spoken"),
    [
        ({"P.": "pê"}, "P. Tân An", "pê Tân An"),
        ({"KH": "khách hàng"}, "theo KH số 4", "theo khách hàng số bốn"),
        ({"CP": "chính phủ"}, "Công ty CP Sông Đà", "Công ty chính phủ Sông Đà"),
        ({"TT.": "thị trấn"}, "TT. HĐND", "thị trấn hội đồng nhân dân"),
        ({"TBA": "trạm"}, "TBA Phú Lâm", "trạm Phú Lâm"),
        ({"EVNHCMC": "điện lực thành phố"}, "EVNHCMC", "điện lực thành phố"),
    ],
)
def test_a_station_entry_overrides_builtin_readings_and_rules(station: dict[str, str], written: str,
                                                                spoken: str) -> None:
    assert normalize(written, lexicon=station) == spoken


def test_acronyms_run_together_are_read_as_parts_and_flagged() -> None:
    assert normalize("HĐNDTP họp") == "hội đồng nhân dân thành phố họp"
    assert any(item.startswith("HĐNDTP") for item in unresolved("HĐNDTP họp"))
    assert normalize("soạn tin TTTB") == "soạn tin tê tê tê bê"  # no parts: spelled, as before


def test_an_acronym_defined_in_brackets_is_learnt_for_that_text_only() -> None:
    text = "Tổ hợp tác rau sạch (THTRS) thông báo.\nTHTRS đề nghị các hộ."
    assert normalize(text) == "Tổ hợp tác rau sạch thông báo.\ntổ hợp tác rau sạch đề nghị các hộ."
    assert normalize("THTRS đề nghị") == "tê hát tê e rờ ét đề nghị"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Bà con (kể cả người cao tuổi) tham gia.", "Bà con, kể cả người cao tuổi, tham gia."),
        ("giấy tờ tùy thân (CCCD hoặc hộ chiếu)", "giấy tờ tùy thân, căn cước công dân hoặc hộ chiếu,"),
        ("mang giấy tờ (CCCD)", "mang giấy tờ, căn cước công dân,"),
        ("Phường (xã) nơi cư trú", "Phường, xã, nơi cư trú"),
    ],
)
def test_brackets_that_add_something_are_read(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
