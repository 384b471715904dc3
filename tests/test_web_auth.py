"""The console's gate: first run, login, sessions, CSRF, rate limit, roles, the audit log."""

from __future__ import annotations

import io
import json
import re

import pytest

from announcer.accounts import AccountBook, AccountError
from announcer.config import WebOptions
from announcer.web.app import SECRET_FILE
from tests.stations import make_station, run_cli
from tests.web_helpers import PASSWORD, csrf_of, fast_book, login, make_console, token


def _rules(app):  # every GET page of the console, with placeholder arguments
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.login", "auth.first_run") or rule.endpoint.endswith(".static"):
            continue
        values = {arg: "thu" for arg in rule.arguments}
        yield rule, values


# --- first run --------------------------------------------------------------------------------------------


def test_a_station_without_accounts_sends_every_page_to_the_first_run_page(tmp_path):
    app, _ = make_console(tmp_path)
    client = app.test_client()
    for path in ("/", "/log", "/schedule", "/play", "/account"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/first-run"), path
    page = client.get("/first-run").get_data(as_text=True)
    assert "tạo tài khoản quản trị" in page.lower()


def test_the_first_run_page_creates_an_administrator_and_logs_in(tmp_path):
    app, _ = make_console(tmp_path)
    client = app.test_client()
    csrf = csrf_of(client.get("/first-run").get_data(as_text=True))
    answer = client.post("/first-run", data={"name": "chu.tich", "password": PASSWORD, "password2": PASSWORD,
                                             "csrf_token": csrf})
    assert answer.status_code == 302
    book = app.extensions["announcer"].accounts
    assert book.get("chu.tich").role == "quan-tri"
    assert client.get("/").status_code == 200
    assert app.extensions["announcer"].audit.entries()[0]["action"] == "account-created"


def test_the_first_run_page_is_gone_once_an_account_exists(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    assert client.get("/first-run").status_code == 302
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    client.post("/first-run", data={"name": "ke.gian", "password": PASSWORD, "password2": PASSWORD,
                                    "csrf_token": csrf})
    assert app.extensions["announcer"].accounts.get("ke.gian") is None


def test_first_run_refuses_two_different_passwords(tmp_path):
    app, _ = make_console(tmp_path)
    client = app.test_client()
    csrf = csrf_of(client.get("/first-run").get_data(as_text=True))
    answer = client.post("/first-run", data={"name": "lan", "password": PASSWORD, "password2": PASSWORD + "x",
                                             "csrf_token": csrf})
    assert answer.status_code == 400
    assert "không giống nhau" in answer.get_data(as_text=True)
    assert app.extensions["announcer"].accounts.is_empty()


# --- login and the gate ------------------------------------------------------------------------------------


def test_every_page_refuses_a_visitor_who_has_not_logged_in(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "quan-tri"})
    client = app.test_client()
    rules = list(_rules(app))
    assert len(rules) >= 6
    for rule, values in rules:
        path = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(path, method=method)
            assert answer.status_code in (302, 400, 401), (method, path, answer.status_code)
            if answer.status_code == 302:
                assert "/login" in answer.headers["Location"], path
    # static assets are served to anyone (the login page needs its style sheet)
    assert client.get("/static/console.css").status_code == 200


def test_a_right_password_logs_in_and_returns_to_the_page_asked_for(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    first = client.get("/log")
    assert "/login?next=/log" in first.headers["Location"]
    csrf = csrf_of(client.get("/login?next=/log").get_data(as_text=True))
    answer = client.post("/login?next=/log", data={"name": "lan", "password": PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 302 and answer.headers["Location"] == "/log"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_sends_the_user_to_another_site(tmp_path, target):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", query_string={"next": target},
                         data={"name": "lan", "password": PASSWORD, "csrf_token": csrf})
    assert answer.headers["Location"] == "/"


def test_a_wrong_password_is_refused_in_vietnamese(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    answer = login(client, "lan", "sai-mat-khau")
    assert answer.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_signed_httponly_and_samesite(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    answer = login(client, "lan")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # a forged cookie (the value changed by one character) is not a login
    value = re.search(r"announcer_session=([^;]+)", cookie).group(1)
    body, signature = value.rsplit(".", 1)  # the first character of the signature carries 6 full bits
    forged = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    other = app.test_client()
    other.set_cookie("announcer_session", forged)
    assert other.get("/").status_code == 302


def test_the_signing_key_is_made_once_and_kept_in_the_state_folder(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    key = (tmp_path / "station" / ".state" / SECRET_FILE).read_bytes()
    assert len(key) >= 32 and app.config["SECRET_KEY"] == key
    from announcer.web.app import create_app

    again = create_app(tmp_path / "station", accounts=app.extensions["announcer"].accounts)
    assert again.config["SECRET_KEY"] == key
    gitignore = (tmp_path / "station" / ".gitignore").read_text(encoding="utf-8")
    assert ".state/" in gitignore


def test_a_session_ends_after_the_idle_time(tmp_path):
    app, clock = make_console(tmp_path, users={"lan": "bien-tap"}, config=WebOptions(session_minutes=30))
    client = app.test_client()
    login(client, "lan")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # each page opened restarts the idle time
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    answer = client.get("/schedule")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn" in page
    assert client.get("/").status_code == 302


def test_a_deleted_account_loses_its_session(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap", "an": "quan-tri"})
    client = app.test_client()
    login(client, "lan")
    book = app.extensions["announcer"].accounts
    users = json.loads(book.path.read_text(encoding="utf-8"))
    users["users"] = [u for u in users["users"] if u["name"] != "lan"]
    book.path.write_text(json.dumps(users), encoding="utf-8")
    assert client.get("/").status_code == 302


# --- rate limit -------------------------------------------------------------------------------------------


def test_five_wrong_passwords_pause_logins_for_that_name_with_a_vietnamese_message(tmp_path):
    app, clock = make_console(tmp_path, users={"lan": "bien-tap", "an": "bien-tap"})
    client = app.test_client()
    for _ in range(5):
        assert login(client, "lan", "doan-sai").status_code == 401
    answer = login(client, "lan")  # even the right password now waits
    assert answer.status_code == 429
    assert "Vui lòng thử lại sau 5 phút" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert login(app.test_client(), "an").status_code == 302  # another name is not paused
    clock.advance(minutes=5, seconds=1)
    assert login(client, "lan").status_code == 302


def test_wrong_passwords_spread_over_more_than_the_window_do_not_pause(tmp_path):
    app, clock = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    for _ in range(8):
        login(client, "lan", "doan-sai")
        clock.advance(minutes=2)
    assert login(client, "lan").status_code == 302


def test_the_pause_counts_per_name_and_address(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    for _ in range(5):
        login(client, "LAN", "doan-sai")  # the name's case does not escape the count
    assert login(client, "lan").status_code == 429
    assert login(client, "Lan").status_code == 429
    elsewhere = app.test_client()
    page = elsewhere.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    answer = elsewhere.post("/login", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                            data={"name": "lan", "password": PASSWORD,
                                  "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert answer.status_code == 302


# --- CSRF --------------------------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(tmp_path):
    app, _ = make_console(tmp_path, users={"an": "quan-tri"})
    client = app.test_client()
    login(client, "an")
    data = {"name": "moi", "role": "bien-tap", "password": PASSWORD, "password2": PASSWORD}
    answer = client.post("/account/users", data=data)
    assert answer.status_code == 400
    assert "Biểu mẫu đã hết hạn" in answer.get_data(as_text=True)
    wrong = client.post("/account/users", data={**data, "csrf_token": "x" * 43})
    assert wrong.status_code == 400
    assert app.extensions["announcer"].accounts.get("moi") is None
    right = client.post("/account/users", data={**data, "csrf_token": token(client)})
    assert right.status_code == 200
    assert app.extensions["announcer"].accounts.get("moi").role == "bien-tap"


def test_the_login_form_needs_its_csrf_token_too(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    client.get("/login")
    assert client.post("/login", data={"name": "lan", "password": PASSWORD}).status_code == 400
    assert client.get("/").status_code == 302


def test_the_csrf_token_may_come_in_a_header(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    login(client, "lan")
    answer = client.post("/logout", headers={"X-CSRF-Token": token(client)})
    assert answer.status_code == 302
    assert client.get("/").status_code == 302


def test_log_out_is_a_post_with_the_token(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    login(client, "lan")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


# --- roles and the account page -----------------------------------------------------------------------------


def test_only_an_administrator_adds_accounts(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "phe-duyet"})
    client = app.test_client()
    login(client, "lan")
    answer = client.post("/account/users", data={"name": "moi", "role": "quan-tri", "password": PASSWORD,
                                                 "password2": PASSWORD, "csrf_token": token(client)})
    assert answer.status_code == 403
    assert "không có quyền" in answer.get_data(as_text=True)
    assert app.extensions["announcer"].accounts.get("moi") is None


def test_require_role_admits_the_role_and_the_administrator_only(tmp_path):
    from flask import Blueprint

    from announcer.web.security import require_role

    app, _ = make_console(tmp_path, users={"bt": "bien-tap", "pd": "phe-duyet", "qt": "quan-tri"})
    bp = Blueprint("probe", __name__)

    @bp.route("/probe", methods=["POST"])
    @require_role("phe-duyet")
    def probe():
        return "ok"

    app.register_blueprint(bp)
    for name, expected in (("bt", 403), ("pd", 200), ("qt", 200)):
        client = app.test_client()
        login(client, name)
        assert client.post("/probe", data={"csrf_token": token(client)}).status_code == expected, name


def test_changing_the_password_needs_the_current_one_and_is_audited(tmp_path):
    app, _ = make_console(tmp_path, users={"lan": "bien-tap"})
    client = app.test_client()
    login(client, "lan")
    bad = client.post("/account/password", data={"current": "sai", "password": "mat-khau-moi-2",
                                                  "password2": "mat-khau-moi-2", "csrf_token": token(client)})
    assert bad.status_code == 400 and "không đúng" in bad.get_data(as_text=True)
    good = client.post("/account/password", data={"current": PASSWORD, "password": "mat-khau-moi-2",
                                                   "password2": "mat-khau-moi-2", "csrf_token": token(client)})
    assert good.status_code == 200
    book = app.extensions["announcer"].accounts
    assert book.verify("lan", "mat-khau-moi-2") and not book.verify("lan", PASSWORD)
    entry = app.extensions["announcer"].audit.entries()[0]
    assert (entry["user"], entry["action"]) == ("lan", "password-changed")


def test_an_account_change_is_recorded_with_the_users_name(tmp_path):
    app, _ = make_console(tmp_path, users={"an": "quan-tri"})
    client = app.test_client()
    login(client, "an")
    client.post("/account/users", data={"name": "binh", "role": "phe-duyet", "password": PASSWORD,
                                        "password2": PASSWORD, "csrf_token": token(client)})
    entry = app.extensions["announcer"].audit.entries()[0]
    assert (entry["user"], entry["action"], entry["target"], entry["role"]) == (
        "an", "account-created", "binh", "phe-duyet")
    page = client.get("/account").get_data(as_text=True)
    assert "binh" in page and "Phê duyệt" in page


def test_a_name_with_html_is_refused_and_never_shown_raw(tmp_path):
    app, _ = make_console(tmp_path, users={"an": "quan-tri"})
    client = app.test_client()
    login(client, "an")
    answer = client.post("/account/users", data={"name": "<script>alert(1)</script>", "role": "bien-tap",
                                                 "password": PASSWORD, "password2": PASSWORD,
                                                 "csrf_token": token(client)})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


# --- accounts library and CLI ------------------------------------------------------------------------------


def test_passwords_are_stored_only_as_argon2_hashes(tmp_path):
    book = fast_book(tmp_path)
    book.add("lan", PASSWORD, "bien-tap", by="test")
    text = (tmp_path / "users.json").read_text(encoding="utf-8")
    assert PASSWORD not in text and "$argon2id$" in text
    assert book.verify("lan", PASSWORD).role == "bien-tap"
    assert book.verify("lan", PASSWORD + "x") is None
    assert book.verify("khong-co", PASSWORD) is None


@pytest.mark.parametrize(("name", "password", "role"), [
    ("a", PASSWORD, "bien-tap"), ("lan", "ngan", "bien-tap"), ("lan", PASSWORD, "admin"),
    ("lan nguyen", PASSWORD, "bien-tap"), ("../x", PASSWORD, "bien-tap"),
])
def test_bad_names_passwords_and_roles_are_refused(tmp_path, name, password, role):
    book = fast_book(tmp_path)
    with pytest.raises(AccountError):
        book.add(name, password, role, by="test")
    assert book.is_empty()


def test_the_same_name_in_another_case_or_composition_is_one_account(tmp_path):
    book = fast_book(tmp_path)
    book.add("Ho\u00e0", PASSWORD, "bien-tap", by="test")  # à as one character
    with pytest.raises(AccountError):
        book.add("hoa\u0300", PASSWORD, "bien-tap", by="test")  # a + combining grave: the same name
    assert book.verify("HO\u00c0", PASSWORD) is not None
    assert book.verify("hoa\u0300", PASSWORD) is not None  # typed on a keyboard that decomposes
    assert book.get("Hoa\u0300").name == "Ho\u00e0"


def test_the_first_account_is_made_once_even_when_two_first_run_pages_race(tmp_path):
    book = fast_book(tmp_path)
    book.add("an", PASSWORD, "quan-tri", by="(first run)", first=True)
    with pytest.raises(AccountError):  # the second page was opened before the first was sent
        book.add("ke.gian", PASSWORD, "quan-tri", by="(first run)", first=True)
    assert [u.name for u in book.users()] == ["an"]


def test_the_last_administrator_keeps_the_role(tmp_path):
    book = fast_book(tmp_path)
    book.add("an", PASSWORD, "quan-tri", by="test")
    with pytest.raises(AccountError):
        book.set_role("an", "bien-tap")
    book.add("binh", PASSWORD, "quan-tri", by="test")
    book.set_role("an", "bien-tap")
    assert book.get("an").role == "bien-tap"


def test_user_add_reads_the_password_from_stdin_never_from_argv(tmp_path, capsys, monkeypatch):
    root = make_station(tmp_path / "st")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run_cli(["--station", str(root), "user", "add", "chu.tich", "--role", "phe-duyet"], capsys)
    assert code == 0, err
    book = AccountBook(root / ".state")
    assert book.get("chu.tich").role == "phe-duyet"
    assert book.verify("chu.tich", PASSWORD) is not None
    audit = (root / ".state" / "audit.jsonl").read_text(encoding="utf-8")
    assert "chu.tich" in audit
    code, out, err = run_cli(["--station", str(root), "user", "add", "x", "--role", "bien-tap",
                              "--password", "p"], capsys)
    assert code != 0  # there is no such option


def test_user_add_with_a_short_password_fails_with_a_message(tmp_path, capsys, monkeypatch):
    root = make_station(tmp_path / "st")
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    code, out, err = run_cli(["--station", str(root), "user", "add", "lan", "--role", "bien-tap"], capsys)
    assert code == 2 and "too short" in err
    assert AccountBook(root / ".state").is_empty()
