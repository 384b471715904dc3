import pytest

from announcer.speech import Pause, Speech, format_preview, marker_ms, plan_reading


def plan(body: str) -> list:
    return plan_reading(body, 10, lambda text: text, sentence_pause_ms=400, paragraph_pause_ms=1000)


def test_sentences_paragraphs_and_lines() -> None:
    assert plan("Một câu. Hai câu!\n\nBa câu.\n") == [
        Speech("Một câu.", 10), Pause(400, "sentence"), Speech("Hai câu!", 10), Pause(1000, "paragraph"),
        Speech("Ba câu.", 12),
    ]


def test_marker_inserts_silence_and_replaces_sentence_pause() -> None:
    assert plan("Một. [nghỉ 2 giây] Hai.") == [Speech("Một.", 10), Pause(2000, "marker"), Speech("Hai.", 10)]


def test_no_leading_or_trailing_pause_and_blank_runs_collapse() -> None:
    pieces = plan("\n\n[pause 1s]\nMột.\n\n\n\nHai.\n\n")
    assert pieces == [Speech("Một.", 13), Pause(1000, "paragraph"), Speech("Hai.", 17)]


def test_symbol_only_text_is_not_spoken() -> None:
    assert plan("***\nMột.\n---") == [Speech("Một.", 11)]


@pytest.mark.parametrize(
    ("amount", "unit", "ms"),
    [("2", "giây", 2000), ("1,5", "s", 1500), ("500", "ms", 500), ("1", "phút", 60000), ("9", "phút", 60000),
     ("3", None, 3000)],
)
def test_marker_units(amount: str, unit: str | None, ms: int) -> None:
    assert marker_ms(amount, unit) == ms


def test_preview_shows_pauses() -> None:
    text = format_preview(plan("Một. [nghỉ 2 giây] Hai.\n\nBa."))
    assert text == "Một.\n[nghỉ 2 giây]\nHai.\n\nBa."


def test_normalizer_is_applied_per_chunk_not_to_markers() -> None:
    seen: list[str] = []

    def spy(text: str) -> str:
        seen.append(text)
        return text.upper()

    pieces = plan_reading("a [nghỉ 1 giây] b", 1, spy, 400, 1000)
    assert seen == ["a ", " b"]
    assert pieces == [Speech("A", 1), Pause(1000, "marker"), Speech("B", 1)]
