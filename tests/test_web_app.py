"""The console's frame: [web] settings, the app factory, the menu, `announcer serve`, no CDN."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from announcer.config import load_station, station_problems
from announcer.errors import ConfigError
from announcer.web import app as web_app
from announcer.web.serve import serve_command
from tests.stations import make_station, run_cli
from tests.web_helpers import login, make_console


def _with_web(root: Path, table: str) -> Path:
    path = root / "station.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[web]\n" + table + "\n", encoding="utf-8")
    return root


def test_web_settings_have_defaults_and_are_read_from_station_toml(tmp_path):
    root = make_station(tmp_path / "st")
    assert (load_station(root).web.host, load_station(root).web.port) == ("127.0.0.1", 8080)
    _with_web(root, 'host = "0.0.0.0"\nport = 8181\nsession_minutes = 60')
    web = load_station(root).web
    assert (web.host, web.port, web.session_minutes) == ("0.0.0.0", 8181, 60)


@pytest.mark.parametrize(("table", "words"), [
    ("port = 70000", "web.port"), ('port = "8080"', "web.port"), ("session_minutes = 1", "session_minutes"),
    ('host = ""', "web.host"), ("colour = 1", "unknown setting 'web.colour'"),
])
def test_bad_web_settings_name_their_line(tmp_path, table, words):
    root = _with_web(make_station(tmp_path / "st"), table)
    _station, problems = station_problems(root)
    assert problems and words in str(problems[0])
    text = (root / "station.toml").read_text(encoding="utf-8").splitlines()
    assert problems[0].line == len(text)  # the [web] line just written
    with pytest.raises(ConfigError):
        load_station(root)


def test_serve_uses_the_settings_and_the_flags(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOUNCER_LANG")  # the station's language, as for a user
    root = _with_web(make_station(tmp_path / "st"), "port = 8181")
    calls, said = [], []
    serve_command(root, None, None, said.append, serve=lambda app, **kw: calls.append(kw))
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8181
    assert "http://127.0.0.1:8181/" in said[0]
    assert "tạo tài khoản quản trị" in said[1]  # no account yet: the first-run hint
    serve_command(root, "0.0.0.0", 9000, said.append, serve=lambda app, **kw: calls.append(kw))
    assert calls[-1]["host"] == "0.0.0.0" and calls[-1]["port"] == 9000


def test_serve_outside_a_station_says_what_to_do(tmp_path, capsys):
    code, _out, err = run_cli(["--station", str(tmp_path), "serve"], capsys)
    assert code == 2 and "not a station" in err


def test_the_menu_is_vietnamese_and_lists_only_pages_that_exist(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    login(client, "lan")
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index("<nav"):page.index("</nav>")]
    labels = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    assert [label for _path, label in labels][:2] == ["Hôm nay", "Phát ngay"]
    for label in ("Lịch phát", "Nhật ký phát sóng", "Tài khoản"):
        assert label in dict((b, a) for a, b in labels)
    served = {rule.rule for rule in app.url_map.iter_rules()}
    assert all(path in served for path, _label in labels)


def test_a_page_module_registers_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(web_app, "PAGES", (*web_app.PAGES, "tests.web_probe_pages"))
    monkeypatch.setattr(web_app, "NAV", (*web_app.NAV, ("/probe-page", "Notices")))
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    assert client.get("/probe-page").status_code == 302  # behind the login like every page
    login(client, "lan")
    assert client.get("/probe-page").get_data(as_text=True) == "danh sách"
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/probe-page">Bản tin</a>' in page  # the menu found it


def test_the_menu_leaves_out_a_page_nobody_serves(tmp_path, monkeypatch):
    monkeypatch.setattr(web_app, "NAV", (*web_app.NAV, ("/khong-co", "Notices")))
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    login(client, "lan")
    assert 'href="/khong-co"' not in client.get("/").get_data(as_text=True)


def test_no_page_or_asset_refers_to_another_host(tmp_path):
    here = Path(web_app.__file__).parent
    for path in [*here.glob("templates/**/*.html"), *here.glob("static/**/*")]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(src|href)=\"(https?:)?//", text), path
            assert "@import url(http" not in text, path


def test_security_headers_on_every_page(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    answer = client.get("/login")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_english_when_the_station_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOUNCER_LANG")
    root = make_station(tmp_path / "st")
    config = root / "station.toml"
    config.write_text(re.sub(r'(?m)^language = "vi"', 'language = "en"', config.read_text(encoding="utf-8")),
                      encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, station=root, language=None)
    client = app.test_client()
    login(client, "lan")
    page = client.get("/").get_data(as_text=True)
    assert ">Today<" in page and "Hôm nay" not in page
    assert "Editor" in page  # the role, from the English keyed words


def test_vietnamese_for_a_new_station(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOUNCER_LANG")
    assert 'language = "vi"' in (make_station(tmp_path / "st") / "station.toml").read_text(encoding="utf-8")
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"}, language=None)
    client = app.test_client()
    login(client, "lan")
    assert ">Hôm nay<" in client.get("/").get_data(as_text=True)


# --- the console's words: every one translated, none unused ----------------------------------------------

WEB = Path(web_app.__file__).parent
KEYED = {
    "status": ("played", "late", "missed", "failed", "cut", "started", "upcoming", "no-record"),
    "render": ("missing", "stale", "fallback"),
    "level": ("thong-thuong", "uu-tien", "khan-cap"),
    "job": ("preparing", "handed", "playing", "done", "cut", "failed"),
    "day": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
}
"""Msgids a template builds from a value, e.g. _("status:" ~ status)."""


def _console_msgids():
    found = set()
    # views call tr("..."), templates _("..."); _() in a view is the CLI's catalogue (announcer/locale)
    in_views = re.compile(r"""\b(?:tr|N_)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)""")
    in_templates = re.compile(r"""\b_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)""")
    for path in [*WEB.glob("*.py"), *WEB.glob("templates/*.html")]:
        if path.name.startswith("script"):
            continue  # the script pages keep their own words (announcer/web/scripts*.py)
        text = path.read_text(encoding="utf-8")
        for match in (in_views if path.suffix == ".py" else in_templates).finditer(text):
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))
            msgid = "".join(parts).replace('\\"', '"')
            if msgid.endswith(":") and msgid[:-1] in KEYED:
                continue
            found.add(msgid)
    found |= {f"{key}:{value}" for key, values in KEYED.items() for value in values}
    found |= {"bien-tap", "phe-duyet", "quan-tri"}
    found |= {label for _path, label in web_app.NAV}
    return found


def test_every_word_of_the_console_has_its_vietnamese_and_nothing_is_left_over():
    import string

    from announcer.i18n import catalogue
    from announcer.web.text import web_catalogue

    def fields(text):
        return {name for _l, name, _s, _c in string.Formatter().parse(text) if name}

    used = _console_msgids()
    vi = web_catalogue("vi")
    assert len(used) > 150
    cli = catalogue("vi")  # pages of other parts may keep their words in the CLI's catalogue
    from announcer.web import text

    make_console(Path(tempfile.mkdtemp()))  # page modules register their words
    missing = sorted(m for m in used if m not in vi and m not in cli and m not in text.VI)
    assert not missing, f"add to announcer/web/locale/vi.po: {missing[:5]}"
    assert not sorted(set(vi) - used), f"unused in announcer/web/locale/vi.po: {sorted(set(vi) - used)[:5]}"
    for msgid, words in vi.items():
        assert fields(words) == fields(msgid), msgid
    assert len([m for m in used if m in vi]) > 150


def test_a_page_module_may_add_its_vietnamese_words(tmp_path, monkeypatch):
    from announcer.web import text

    monkeypatch.setitem(text.VI, "Probe words", "Từ thử")
    assert text.tr("Probe words", "vi") == "Từ thử"
    assert text.tr("Probe words", "en") == "Probe words"
    monkeypatch.setitem(text.VI, "Today", "Ngày này")
    assert text.tr("Today", "vi") == "Hôm nay"  # the console's catalogue wins


def test_a_live_console_on_loopback_serves_the_first_run_page_and_the_style_sheet(tmp_path, monkeypatch):
    """announcer serve's server (waitress) for real, on 127.0.0.1, through the CLI command's code."""
    import threading
    import urllib.request

    from waitress import create_server

    monkeypatch.delenv("ANNOUNCER_LANG")
    root = make_station(tmp_path / "st")
    servers = []

    def serve(app, **options):
        server = create_server(app, host=options["host"], port=0, threads=options["threads"])
        servers.append(server)
        threading.Thread(target=server.run, daemon=True).start()

    said = []
    serve_command(root, None, None, said.append, serve=serve)
    server = servers[0]
    try:
        base = f"http://127.0.0.1:{server.effective_port}"
        with urllib.request.urlopen(base + "/") as answer:  # redirected to the first-run page
            page = answer.read().decode("utf-8")
            assert answer.url.endswith("/first-run")
        assert "Lần đầu sử dụng: tạo tài khoản quản trị" in page
        with urllib.request.urlopen(base + "/static/console.css") as answer:
            assert answer.headers["Content-Type"].startswith("text/css")
    finally:
        server.close()
