"""Approval on the console: approvers (phe-duyet, quan-tri) approve and withdraw; an editor is refused
with a Vietnamese 403 and nothing is recorded; who and when are kept; an edit of the text or the dates
sends the script back to draft."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from announcer.approval import ApprovalBook
from announcer.script import parse_script
from tests.test_web_scripts import client_for, form_of, vietnamese_station
from tests.web_helpers import SetClock, make_console, token

USERS = {"bt": "bien-tap", "pd": "phe-duyet", "qt": "quan-tri"}


@pytest.fixture()
def console(tmp_path):
    root = vietnamese_station(tmp_path)
    clock = SetClock(datetime(2026, 12, 15, 2, 30, tzinfo=UTC))  # 09:30 in Hà Nội
    app, _clock = make_console(tmp_path, users=USERS, station=root, clock=clock)
    return app, root


def approval_of(root):
    return ApprovalBook(root / ".state").record(parse_script(root / "scripts" / "tiem.md"))


def test_an_editor_cannot_approve_and_nothing_is_recorded(console):
    app, root = console
    client = client_for(app, "bt")
    page = client.get("/scripts/tiem").get_data(as_text=True)
    assert 'id="approve"' not in page and "Chỉ người có quyền phê duyệt" in page
    response = client.post("/scripts-approve/tiem", data={"csrf_token": token(client)})
    assert response.status_code == 403
    assert "Bạn không có quyền" in response.get_data(as_text=True)
    assert approval_of(root) is None and not (root / ".state" / "approvals.json").exists()


@pytest.mark.parametrize("name", ["pd", "qt"])
def test_an_approver_approves_and_who_and_when_are_kept(console, name):
    app, root = console
    client = client_for(app, name)
    page = client.get("/scripts/tiem").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    response = client.post("/scripts-approve/tiem", data={"csrf_token": token(client), "version": version})
    assert response.status_code == 302
    record = approval_of(root)
    assert record is not None and record.by == name and record.at == datetime(2026, 12, 15, 2, 30, tzinfo=UTC)
    page = client.get("/scripts/tiem").get_data(as_text=True)
    assert f"Đã được {name} phê duyệt lúc 09:30 15/12/2026" in page
    listing = client.get("/scripts").get_data(as_text=True)
    row = re.search(r'<tr data-script="tiem">(.*?)</tr>', listing, re.S).group(1)
    assert "Đã duyệt" in row and name in row


def test_approving_a_version_that_changed_since_it_was_read_is_refused(console):
    app, root = console
    client = client_for(app, "pd")
    page = client.get("/scripts/tiem").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    path = root / "scripts" / "tiem.md"
    path.write_text(path.read_text(encoding="utf-8").replace("thứ Hai", "thứ Ba"), encoding="utf-8")
    response = client.post("/scripts-approve/tiem", data={"csrf_token": token(client), "version": version})
    assert response.status_code == 409 and "hãy đọc lại" in response.get_data(as_text=True)
    assert approval_of(root) is None


def test_an_edit_of_the_text_sends_an_approved_script_back_to_draft(console):
    app, root = console
    approver = client_for(app, "pd")
    approver.post("/scripts-approve/tiem", data={"csrf_token": token(approver)})
    assert approval_of(root) is not None
    editor = client_for(app, "bt")
    data = form_of(editor, "tiem")
    data["f_title"] = ["Tiêu đề khác"]  # the title is not what the approval covers
    assert editor.post("/scripts/tiem", data=data).status_code == 302
    assert approval_of(root) is not None
    data = form_of(editor, "tiem")
    data["body"] = [data["body"][0] + "\nThêm một câu.\n"]
    assert editor.post("/scripts/tiem", data=data).status_code == 302
    assert approval_of(root) is None
    assert "Bản nháp" in editor.get("/scripts/tiem").get_data(as_text=True)


def test_an_approver_withdraws_and_an_editor_cannot(console):
    app, root = console
    approver = client_for(app, "pd")
    approver.post("/scripts-approve/tiem", data={"csrf_token": token(approver)})
    editor = client_for(app, "bt")
    assert editor.post("/scripts-revoke/tiem", data={"csrf_token": token(editor)}).status_code == 403
    assert approval_of(root) is not None
    assert approver.post("/scripts-revoke/tiem", data={"csrf_token": token(approver)}).status_code == 302
    assert approval_of(root) is None
    history = ApprovalBook(root / ".state").history("tiem.md")
    assert [h["action"] for h in history] == ["approve", "revoke"] and {h["by"] for h in history} == {"pd"}


def test_approving_a_name_outside_scripts_is_refused(console):
    app, root = console
    client = client_for(app, "qt")
    response = client.post("/scripts-approve/..%2Fstation", data={"csrf_token": token(client)})
    assert response.status_code == 400 and "không phải là tên bản tin" in response.get_data(as_text=True)
    assert not (root / ".state" / "approvals.json").exists()
