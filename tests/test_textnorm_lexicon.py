"""The built-in lexicon of administrative Vietnamese, readings decided by neighbouring words, readings
written twice, and the station's lexicon.tsv overriding all of them (tests/readings/lexicon.txt)."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from announcer.textnorm import normalize, unresolved
from announcer.textnorm.lexicon import builtin_lexicon
from tests.readings_corpus import class_counts, load_cases, reads_as_expected

CASES = load_cases("lexicon.txt")


@pytest.mark.parametrize(("klass", "kind", "written", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_reads_as_an_announcer_would(klass: str, kind: str, written: str, expected: str) -> None:
    assert reads_as_expected(kind, written, expected), (klass, normalize(written))


def test_every_class_has_cases() -> None:
    counts = class_counts(CASES)
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


LEXICON_ALPHABET = st.sampled_from(
    list("0123456789 ./-:,;()&") + ["P.", "Q.", "H.", "X.", "TT.", "TT ", "CP", "KH", "CN", "CV", "SN", "DN", "BĐ",
                                  "ĐT.", "ĐH.", "KT.", "TM.", "Công ty ", "CÔNG TY ", "thứ 7, ", "Tân An ",
                                  "Phú Hòa ", "Nguyễn Văn ", "CHỦ TỊCH ", "HĐND", "UBND", "TY", "CA ", "BỆNH ",
                                  "EVN", "HCMC", "HĐNDTP", "căn cước công dân ", "(CCCD)", "CCCD ", "(mười lăm) ",
                                  "Ban quản lý chợ ", "(BQLC)", "BQLC ", "(Ban QLDA)", "đồng ", "v.v.", "vv",
                                  "Đ/c ", "TP.", "KP", "V/v "]
)


@settings(max_examples=int(os.environ.get("TEXTNORM_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow], derandomize=bool(os.environ.get("CI")))
@given(st.lists(st.lists(LEXICON_ALPHABET, max_size=30).map("".join), min_size=1, max_size=3))
@example(["UBNDtp. Huế"])
@example(["TY&CÔNG TY"])
def test_context_readings_keep_the_normalize_promises(lines: list[str]) -> None:
    text = "\n".join(lines)
    once = normalize(text)
    assert once.count("\n") == text.count("\n")
    assert not re.search(r"[0-9]", once)
    assert normalize(once) == once
