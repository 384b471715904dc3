"""The CLI speaks the station's language: Vietnamese for language = "vi" (what `announcer init`
writes), English otherwise; --lang and ANNOUNCER_LANG override it. Every message keeps file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from announcer.config import load_station
from announcer.errors import ConfigError
from announcer.i18n import choose_language, station_language, translator
from tests.stations import make_station, run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _station_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo conftest's English default: here the station (or the flag) chooses."""
    monkeypatch.delenv("ANNOUNCER_LANG", raising=False)


def _vi_station(root: Path) -> Path:
    make_station(root)
    assert 'language = "vi"' in (root / "station.toml").read_text(encoding="utf-8")
    return root


def _en_station(root: Path) -> Path:
    """An older station: its station.toml has no language key."""
    make_station(root)
    config = root / "station.toml"
    config.write_text(re.sub(r"(?m)^language = .*\n", "", config.read_text(encoding="utf-8")), encoding="utf-8")
    return root


def _break_rate(root: Path) -> int:
    """Set [espeak] rate out of range; the line it is on."""
    config = root / "station.toml"
    text = config.read_text(encoding="utf-8").replace("rate = 150", "rate = 900")
    config.write_text(text, encoding="utf-8")
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("rate = 900"))


def test_init_writes_vietnamese_and_the_example_station_has_it(tmp_path: Path) -> None:
    assert load_station(_vi_station(tmp_path / "moi")).language == "vi"
    assert station_language(ROOT) == "vi"  # the example station in the repository


def test_a_station_without_the_key_keeps_english(tmp_path: Path) -> None:
    root = _en_station(tmp_path / "cu")
    assert load_station(root).language == "en" and station_language(root) == "en"


def test_language_must_be_vi_or_en(tmp_path: Path) -> None:
    root = _vi_station(tmp_path / "s")
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('language = "vi"', 'language = "fr"'),
                      encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_station(root)
    assert info.value.line == 8 and "en, vi" in info.value.message


def test_vietnamese_station_gets_vietnamese_errors_with_file_and_line(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    line = _break_rate(root)
    code, out, err = run_cli(["--station", str(root), "plan"], capsys)
    assert code == 2
    assert err.startswith(f"Lỗi: {root / 'station.toml'}:{line}: espeak.rate = 900 nằm ngoài giới hạn cho phép: "
                          "giá trị phải từ 80 đến 450 — Giá trị mặc định là 150"), err
    assert "Traceback" not in err


def test_english_station_keeps_english_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _en_station(tmp_path / "s")
    line = _break_rate(root)
    code, out, err = run_cli(["--station", str(root), "plan"], capsys)
    assert code == 2
    assert err.startswith(f"error: {root / 'station.toml'}:{line}: espeak.rate = 900 is out of range: "
                          "it must be from 80 to 450 — the default is 150"), err


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--lang", "en"], None, "error: "),
    ([], "en", "error: "),
    (["--lang", "vi"], "en", "Lỗi: "),
])
def test_flag_and_environment_override_the_station(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                   env: str | None, expected: str) -> None:
    root = _vi_station(tmp_path / "s")
    _break_rate(root)
    if env:
        monkeypatch.setenv("ANNOUNCER_LANG", env)
    code, out, err = run_cli([*args, "--station", str(root), "plan"], capsys)
    assert code == 2 and err.startswith(expected), err


def test_environment_turns_an_english_station_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = _en_station(tmp_path / "s")
    _break_rate(root)
    monkeypatch.setenv("ANNOUNCER_LANG", "vi")
    code, out, err = run_cli(["--station", str(root), "plan"], capsys)
    assert err.startswith("Lỗi: ") and "nằm ngoài giới hạn" in err


def test_choose_language_order() -> None:
    assert choose_language("en", None, {"ANNOUNCER_LANG": "vi"}) == "en"
    assert choose_language(None, None, {"ANNOUNCER_LANG": "vi"}) == "vi"
    assert choose_language(None, None, {"ANNOUNCER_LANG": "klingon"}) == "en"
    assert choose_language(None, None, {}) == "en"


def test_broken_toml_is_still_reported_in_the_stations_language(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    config = root / "station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("rate = 150", "rate = = 150"), encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "check"], capsys)
    assert code == 1
    assert re.search(r"Lỗi: .*station\.toml:\d+: station\.toml viết sai cú pháp TOML: .* — Hãy kiểm tra dấu ngoặc kép",
                     out), out


CHECK_CASES = [  # (front matter line, what the Vietnamese message must say, its line in the script)
    ("from: 31/6/2026", "from: '31/6/2026' không phải ngày có thật — Cần ghi ngày bắt đầu phát", 3),
    ("times: [6h30]", "times: '6h30' không phải giờ dạng HH:MM; hãy ghi giờ trong ngoặc kép", 3),
    ("every: 2m", "every: khoảng cách giữa hai lần phát lặp phải từ 5 phút trở lên", 3),
    ("slots: [toi]", "không có khung giờ 'toi' — Các khung giờ hiện có: chieu, sang", 3),
    ("ngay: 12/5/2026", "không có thiết lập 'ngay' — Các thiết lập hiện có: title,", 3),
]


@pytest.mark.parametrize(("setting", "expected", "line"), CHECK_CASES)
def test_check_reports_script_mistakes_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     setting: str, expected: str, line: int) -> None:
    root = _vi_station(tmp_path / "s")
    (root / "scripts" / "hop.md").write_text(
        f"---\ntitle: Họp tổ dân phố số 5\n{setting}\n---\nKính mời bà con dự họp tổ dân phố.\n", encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "check"], capsys)
    assert f"{root / 'scripts' / 'hop.md'}:{line}: {expected}" in out, out
    assert re.search(r"^\d+ lỗi, \d+ cảnh báo trong ", out, re.M), out


def test_check_on_an_english_station_stays_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _en_station(tmp_path / "s")
    (root / "scripts" / "hop.md").write_text("---\ntitle: Họp\nfrom: 31/6/2026\n---\nKính mời.\n", encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "check"], capsys)
    assert f"error: {root / 'scripts' / 'hop.md'}:3: from: '31/6/2026' is not a real date — expected first day" in out
    assert re.search(r"^\d+ error\(s\), \d+ warning\(s\) in ", out, re.M), out


def test_plan_headings_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    (root / "scripts" / "thu.md").write_text("---\ntitle: Thử\nslots: [sang]\n---\nKính thưa bà con.\n",
                                             encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "plan", "--date", "2026-12-14"], capsys)
    assert code == 0
    assert "2026-12-14 (T2), Asia/Ho_Chi_Minh" in out
    assert "Cảnh báo:" in out and "đã xếp lịch nhưng chưa có tệp âm thanh — hãy chạy: announcer build" in out
    assert "warnings:" not in out and "scheduled but" not in out


def test_approve_speaks_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    code, out, err = run_cli(["--station", str(root), "approve", "thu.md", "--by", "Phạm Thu Hà"], capsys)
    assert code == 0 and "thu.md đã được Phạm Thu Hà phê duyệt lúc" in out
    code, out, err = run_cli(["--station", str(root), "approvals"], capsys)
    assert "đã duyệt: Phạm Thu Hà" in out
    code, out, err = run_cli(["--station", str(root), "approve", "thu.md", "--by", ""], capsys)
    assert code == 2 and err.startswith("Lỗi: cần ghi rõ tên người phê duyệt") and "Hãy ghi, ví dụ: --by" in err


def test_missing_station_in_vietnamese_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["--lang", "vi", "--station", str(tmp_path / "khong"), "plan"], capsys)
    assert code == 2 and "không phải thư mục của đài: không có tệp station.toml" in err
    assert "— Hãy chạy lệnh trong thư mục của đài" in err


def test_the_web_gets_the_same_words_from_an_error() -> None:
    exc = ConfigError(translator("en")("x") or "", file="station.toml", line=3)
    assert translator("vi").error(exc) == "station.toml:3: x"
    from announcer.i18n import _

    exc = ConfigError(_("unknown time zone {zone!r}", zone="Asia/Hanoi"), file="station.toml", line=3,
                      hint=_('use an IANA name such as "Asia/Ho_Chi_Minh"'))
    assert translator("vi").error(exc) == ("station.toml:3: không có múi giờ 'Asia/Hanoi' — "
                                           'Hãy dùng tên múi giờ IANA, ví dụ "Asia/Ho_Chi_Minh"')
    assert str(exc) == translator("en").error(exc)


@pytest.mark.parametrize("jobs", ["1", "2"])  # in this process, and in worker processes
def test_build_failures_and_table_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                jobs: str) -> None:
    root = _vi_station(tmp_path / "s")
    (root / "scripts" / "thu.md").write_text("---\ntitle: Trống\nslots: [sang]\n---\n\n", encoding="utf-8")
    (root / "scripts" / "hai.md").write_text("---\ntitle: Hai\nrepeat: 11\n---\nKính thưa.\n", encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "build", "--jobs", jobs], capsys)
    assert code == 1
    assert out.splitlines()[0].split() == ["bản", "tin", "thời", "lượng", "độ", "lớn", "đỉnh", "bộ", "đọc",
                                           "trạng", "thái"]
    assert out.count("LỖI") == 2
    assert f"Lỗi: {root / 'scripts' / 'thu.md'}:5: bản tin chưa có nội dung để đọc — Hãy viết" in err, err
    assert (f"Lỗi: {root / 'scripts' / 'hai.md'}:3: repeat: '11' không phải số nguyên từ 1 đến 10 (chữ số 0-9)"
            in err), err


def test_lexicon_mistake_in_vietnamese_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    (root / "lexicon.tsv").write_text("# từ điển của đài\nUBND\tủy ban nhân dân\nHĐND hội đồng nhân dân\n",
                                      encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "check"], capsys)
    assert code == 1
    assert (f"Lỗi: {root / 'lexicon.tsv'}:3: dòng 3 của từ điển phải có dạng 'chữ viết<TAB>cách đọc' (hoặc "
            "'chữ viết<TAB>cách đọc<TAB>engine=TÊN'), nhưng đang là 'HĐND hội đồng nhân dân' — Hãy ngăn cách chữ "
            "viết và cách đọc bằng đúng một ký tự TAB") in out, out


def test_play_of_a_missing_item_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    code, out, err = run_cli(["--station", str(root), "play", "scripts/khong-co.md", "--sink", "file:" +
                              str(tmp_path / "ra")], capsys)
    assert code != 0 and err.startswith("Lỗi: ") and "không tìm thấy" in err, err


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("cu.doc", b"\xd0\xcf\x11\xe0old word", "không đọc được tệp Word .doc kiểu cũ — Hãy mở bằng Word hoặc LibreOffice"),
    ("hong.docx", b"PK\x03\x04 not really a zip", "tệp .docx này không phải tệp Word (không phải tệp nén zip)"),
    ("anh.png", b"\x89PNG\r\n", "không hỗ trợ định dạng thông báo '.png' — Hãy lưu thông báo thành .docx hoặc .txt"),
])
def test_import_refusals_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                       content: bytes, expected: str) -> None:
    root = _vi_station(tmp_path / "s")
    source = tmp_path / name
    source.write_bytes(content)
    before = sorted(p.name for p in (root / "scripts").iterdir())
    code, out, err = run_cli(["--station", str(root), "import", str(source)], capsys)
    assert code == 3 and err.startswith(f"Lỗi: {source}: {expected}"), err
    assert sorted(p.name for p in (root / "scripts").iterdir()) == before


# --- engines, voices, sinks and clips speak the station's language too -------------------------------------


def test_a_bad_sink_is_refused_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    code, out, err = run_cli(["--station", str(root), "play", "scripts/thu.md", "--sink", "loa-phuong:2"], capsys)
    assert code == 2
    assert err.startswith("Lỗi: không hiểu đầu ra 'loa-phuong:2' — Hãy dùng soundcard, command:ARGV "
                          "(ví dụ 'command:aplay {file}'), file:DIR hoặc icecast://"), err
    assert "unknown sink" not in err and "Traceback" not in err


def test_a_bad_sink_stays_english_on_an_english_station(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _en_station(tmp_path / "s")
    code, out, err = run_cli(["--station", str(root), "play", "scripts/thu.md", "--sink", "loa-phuong:2"], capsys)
    assert code == 2 and err.startswith("error: unknown sink 'loa-phuong:2' — use soundcard, command:ARGV"), err


@pytest.mark.parametrize(("voice", "expected"), [
    ("mien-tay", "Lỗi: không hiểu giọng đọc 'mien-tay': 'tay' không phải miền (bac, trung, nam) hay giới tính"),
    ("bac-nu-nam", "Lỗi: giọng đọc 'bac-nu-nam' ghi \"nam\" thừa một lần; ví dụ \"trung-nu\""),
    ("bac-nu-3", "Lỗi: giọng đọc 'bac-nu-3': tốc độ 3 nằm ngoài khoảng cho phép; hãy dùng từ 0.5 đến 2"),
])
def test_a_voice_the_engines_cannot_read_is_said_in_vietnamese(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               voice: str, expected: str) -> None:
    root = _vi_station(tmp_path / "s")
    code, out, err = run_cli(["--station", str(root), "say", "Kính thưa bà con", "-o", str(tmp_path / "x.mp3"),
                              "--engine", "espeak", "--voice", voice], capsys)
    assert code == 4 and err.startswith(expected), err
    assert err.rstrip().endswith("— Hãy xem mọi giọng đọc bằng lệnh `announcer engines`"), err
    assert not (tmp_path / "x.mp3").exists()


def test_an_engine_voice_it_does_not_have_is_said_in_vietnamese() -> None:
    from announcer.engines import EspeakEngine
    from announcer.errors import EngineError

    with pytest.raises(EngineError) as info:
        EspeakEngine(voice="hue-maingoc")
    assert translator("vi").error(info.value) == (
        "espeak không có giọng đọc 'hue-maingoc' — Hãy chọn một trong: vi, vi-vn-x-central, vi-vn-x-south")


def test_a_missing_clip_names_the_script_line_in_vietnamese(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = _vi_station(tmp_path / "s")
    script = root / "scripts" / "chuong.md"
    script.write_text("---\ntitle: Thử chuông\nslots: [sang]\n---\n[clip: chuong-bao]\nKính thưa bà con.\n",
                      encoding="utf-8")
    code, out, err = run_cli(["--station", str(root), "build", "chuong.md", "--engine", "espeak"], capsys)
    assert code != 0
    assert (f"{script}:5: không tìm thấy đoạn ghi âm 'chuong-bao' trong clips/ — Hãy đặt chuong-bao.wav "
            f"(hoặc .mp3, .ogg) vào {root / 'clips'}") in err, err


def test_fallback_warnings_reach_the_log_in_the_stations_language() -> None:
    """The engine chain's warning (another engine read instead) is a log line: it is translated too."""
    import logging
    from collections import Counter

    from announcer.cli import _TranslatingFormatter
    from announcer.i18n import _
    from announcer.synth import describe_fallbacks

    reason = _("no internet connection: {why}", why="translate.google.com.vn could not be resolved")
    lines = describe_fallbacks(Counter({("gtts", reason, "espeak"): 3}))
    record = logging.LogRecord("announcer.render", logging.WARNING, __file__, 1, "%s", (lines[0],), None)
    vi = _TranslatingFormatter("%(levelname)s: %(message)s", lambda: "vi").format(record)
    assert vi == ("Cảnh báo: gtts không đọc được 3 câu (không có kết nối mạng: translate.google.com.vn could not "
                  "be resolved); espeak đã đọc thay")
    en = _TranslatingFormatter("%(levelname)s: %(message)s", lambda: "en").format(record)
    assert en == ("WARNING: gtts could not read 3 sentences (no internet connection: translate.google.com.vn could "
                  "not be resolved); espeak read them instead")
