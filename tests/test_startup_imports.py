"""What the light commands import: `check` and `engines` start in a fraction of a second only while
they leave the web console, the relay and Icecast players, the text reader and the engines'
libraries alone. Each test runs a fresh interpreter and lists what it loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from announcer.engines.base import installed
from announcer.engines.edge import NOT_INSTALLED, EdgeEngine
from tests.stations import SCRIPT, make_station


def _modules_after(code: str, watched: list[str], env: dict[str, str] | None = None) -> tuple[list[str], str]:
    """(the watched modules loaded after running ``code``, what it printed before)."""
    program = f"import sys\n{code}\nprint('LOADED', [m for m in {watched!r} if m in sys.modules])\n"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                         env=env).stdout
    *printed, last = out.strip().splitlines()
    assert last.startswith("LOADED "), out
    return eval(last.removeprefix("LOADED ")), "\n".join(printed)  # noqa: S307 - our own repr of a list


def test_check_loads_no_module_it_does_not_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_station(tmp_path / "st")
    for n in range(3):
        (root / "scripts" / f"tb-{n}.md").write_text(SCRIPT.replace("thẻ bảo hiểm", f"thẻ số {n}"), encoding="utf-8")
    code = (
        "from announcer.cli import main\n"
        "try:\n"
        f"    main(['--station', {str(root)!r}, 'check'])\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    heavy = ["announcer.schedule.relay", "announcer.schedule.icecast", "announcer.textnorm.pipeline",
             "announcer.web", "flask", "http.client", "numpy", "sqlite3", "importlib.resources"]
    monkeypatch.delenv("ANNOUNCER_LANG")  # the station's own language, Vietnamese: the catalogue is read
    loaded, printed = _modules_after(code, heavy, env=dict(os.environ))
    assert loaded == []
    assert "tb-1.md" in printed and "chưa" in printed  # it did check the scripts: none has a render yet


def test_a_lexicon_with_engine_forms_is_still_read_by_check(tmp_path: Path) -> None:
    from announcer.schedule.check import run_checks

    root = make_station(tmp_path / "st")
    # A form the reader changes before the engine sees it ("UBND" is read out) never applies.
    (root / "lexicon.tsv").write_text("UBND\tủy ban\tengine=espeak\n", encoding="utf-8")
    problems = run_checks(root)
    assert any("lexicon line 1" in p.message and "never apply" in p.message for p in problems)


def test_listing_engines_imports_no_engine_library() -> None:
    code = (
        "from announcer.engines import ENGINES\n"
        "edge = ENGINES['edge'](probe=lambda host, port, timeout: '')\n"  # no network: the probe answers
        "print(edge.availability())\n"
        "piper = ENGINES['piper'](model='missing.onnx')\n"
        "print(piper.missing())\n"
    )
    loaded, printed = _modules_after(code, ["edge_tts", "aiohttp", "piper", "onnxruntime", "numpy", "ssl",
                                            "asyncio"])
    assert loaded == []
    edge_line, piper_line = printed.splitlines()
    assert "ok=True" in edge_line
    assert "piper-tts package" not in piper_line and "missing.onnx" in piper_line


def test_an_engine_library_that_cannot_be_imported_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.engines.piper import PiperEngine

    monkeypatch.setitem(sys.modules, "edge_tts", None)  # as if not installed: `import edge_tts` fails
    monkeypatch.setitem(sys.modules, "piper", None)
    assert not installed("edge_tts")
    state = EdgeEngine(probe=lambda host, port, timeout: "").availability()
    assert (state.ok, state.reason) == (False, NOT_INSTALLED)
    assert any("piper-tts package" in problem for problem in PiperEngine(Path("v.onnx")).missing())
    assert not installed("surely_no_such_module_here") and installed("wave")


def test_an_acronym_a_notice_defines_stays_with_that_notice() -> None:
    """The lexicon's tables are built once and shared; what one text teaches it is not."""
    from announcer.textnorm import normalize

    lexicon = {"khu phố": "khu phố"}
    taught = normalize("Tổ xung kích dân phòng (TXKDP) họp. TXKDP thông báo.", lexicon=lexicon)
    assert taught.endswith("tổ xung kích dân phòng thông báo.")
    assert normalize("TXKDP thông báo.", lexicon=lexicon) == "tê ích ca dê pê thông báo."
