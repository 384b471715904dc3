"""Engine-only spoken forms in lexicon.tsv (written<TAB>spoken<TAB>engine=NAME): the named engine
gets the form, every other engine the usual reading; check names bad lines with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from announcer.audio.pydub_compat import AudioSegment
from announcer.cache import SpeechCache
from announcer.config import load_station
from announcer.engines.base import Availability, Engine
from announcer.errors import ConfigError
from announcer.render import make_chain
from announcer.synth import EngineChain
from announcer.textnorm import load_lexicon, normalize
from announcer.textnorm.engine_forms import EngineForms, parse_engine_forms
from tests.stations import make_station, run_cli

LEXICON = "# station readings\nTTTB\tthông tin thuê bao\nĐắk Lắk\tĐắc Lắc\tengine=espeak\ncô vít\tcô vi\tengine=gtts\n"

CASES = [
    # (engine, reading, what that engine is given)
    ("espeak", "Đoàn công tác tỉnh Đắk Lắk đến thăm phường.", "Đoàn công tác tỉnh Đắc Lắc đến thăm phường."),
    ("espeak", "đắk lắk", "Đắc Lắc"),
    ("espeak", "Đắk  Lắk, Đắk Nông", "Đắc Lắc, Đắk Nông"),
    ("espeak", "Lắk", "Lắk"),  # a part of the written form is not the form
    ("espeak", "Buôn Đắk Lắkk", "Buôn Đắk Lắkk"),  # nor a longer word
    ("gtts", "bánh tacô vít", "bánh tacô vít"),  # at either end
    ("gtts", "Đắk Lắk", "Đắk Lắk"),  # another engine keeps the reading
    ("gtts", "phòng chống dịch cô vít mười chín", "phòng chống dịch cô vi mười chín"),
    ("espeak", "phòng chống dịch cô vít mười chín", "phòng chống dịch cô vít mười chín"),
    ("fpt", "Đắk Lắk", "Đắk Lắk"),
]


@pytest.mark.parametrize(("engine", "reading", "given"), CASES)
def test_each_engine_gets_its_own_form(engine: str, reading: str, given: str) -> None:
    forms = EngineForms(parse_engine_forms(LEXICON, "lexicon.tsv"))
    assert forms.apply(engine, reading) == given


def test_engine_lines_stay_out_of_the_reading_of_every_engine() -> None:
    lexicon_path = Path("unused")
    entries = __import__("announcer.textnorm.lexicon", fromlist=["parse_lexicon"]).parse_lexicon(LEXICON, lexicon_path)
    assert entries == {"TTTB": "thông tin thuê bao"}
    assert normalize("Tỉnh Đắk Lắk", lexicon=entries) == "Tỉnh Đắk Lắk"


class Recorder(Engine):
    voices = ("x",)

    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.heard: list[str] = []

    def availability(self) -> Availability:
        return Availability(True)

    def synthesize(self, text: str) -> AudioSegment:
        self.heard.append(text)
        if self.fail:
            from announcer.errors import SynthesisError

            raise SynthesisError("cannot")
        return AudioSegment.silent(300, 16000)

    def fingerprint(self) -> str:
        return "rec"


def test_the_chain_gives_each_engine_its_form_and_caches_it_under_that_text(tmp_path: Path) -> None:
    first, second = Recorder("gtts", fail=True), Recorder("espeak")
    forms = EngineForms(parse_engine_forms(LEXICON, "lexicon.tsv"))
    chain = EngineChain([first, second], SpeechCache(tmp_path / "c"), forms=forms)
    spoken = chain.speak("Tỉnh Đắk Lắk phòng chống cô vít.")
    assert first.heard == ["Tỉnh Đắk Lắk phòng chống cô vi."]
    assert second.heard == ["Tỉnh Đắc Lắc phòng chống cô vít."]
    assert spoken.key == SpeechCache.key("espeak", "rec", "Tỉnh Đắc Lắc phòng chống cô vít.")
    again = EngineChain([Recorder("gtts", fail=True), Recorder("espeak")], SpeechCache(tmp_path / "c"), forms=forms)
    assert again.speak("Tỉnh Đắk Lắk phòng chống cô vít.").cached


def test_a_station_build_uses_its_lexicon_forms(tmp_path: Path) -> None:
    root = make_station(tmp_path / "st")
    (root / "lexicon.tsv").write_text(LEXICON, encoding="utf-8")
    chain = make_chain(load_station(root), None, None)
    assert chain.forms.apply("espeak", "Đắk Lắk") == "Đắc Lắc"


@pytest.mark.parametrize(("line", "said"), [
    ("Đắk Lắk\tĐắc Lắc\tengine=espek", "unknown engine 'espek'"),
    ("UBND\tu bê\tengine=espeak", "would never apply"),
    ("Đắk Lắk\tĐắc Lắc\tespeak", "third column must be engine=NAME"),
])
def test_check_names_a_bad_engine_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str,
                                       said: str) -> None:
    root = make_station(tmp_path / "st")
    (root / "lexicon.tsv").write_text(f"# readings\nTTTB\tthông tin thuê bao\n{line}\n", encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "check"], capsys)
    assert code != 0
    assert "lexicon.tsv:3" in out + err and said in out + err
    code, out, err = run_cli(["--station", str(root), "build"], capsys)
    if "never apply" not in said:  # an unknown engine or a broken line stops the build too
        assert code != 0 and "lexicon.tsv:3" in out + err and "Traceback" not in out + err


def test_a_malformed_third_column_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("a\tb\tengine:espeak\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_lexicon(path)
    assert info.value.line == 1
