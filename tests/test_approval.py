"""Approval (phê duyệt): fingerprint, the approvals book, require_approval in plan/check/run, the CLI."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from announcer.approval import (
    APPROVED,
    DRAFT,
    Approval,
    ApprovalBook,
    approved_only,
    fingerprint,
    listing,
)
from announcer.config import load_station
from announcer.errors import ConfigError, ScheduleError
from announcer.schedule.check import run_checks
from announcer.schedule.model import load_scripts
from announcer.schedule.planner import build_plan, plan_to_text
from announcer.schedule.runner import play_command
from announcer.script import parse_script
from tests.stations import run_cli
from tests.test_schedule_fixtures import STATION, FakeClock, make_station, script_text, start_runner, utc

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
BODY = "Kính thưa bà con nhân dân.\n\nTrạm y tế phường tổ chức tiêm vắc xin sởi cho trẻ em từ 9 đến 36 tháng tuổi."
NOTICE = script_text(BODY, title="Tiêm chủng sởi", slots="[sang]", **{"from": "17/6/2021", "until": "24/6/2021"})
REQUIRED = STATION.replace('intro = ""', 'intro = ""\nrequire_approval = true')


def _script(tmp_path: Path, text: str = NOTICE, name: str = "tiem.md"):
    path = tmp_path / "scripts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return parse_script(path)


def _edit(tmp_path: Path, old: str, new: str, name: str = "tiem.md"):
    path = tmp_path / "scripts" / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8", newline="")
    return parse_script(path)


# --- fingerprint ---------------------------------------------------------------------------------------------

COVERED = [  # an edit of what an approval covers: the spoken text and when it airs
    ("9 đến 36 tháng", "9 đến 48 tháng"),  # one number in the text
    ("sởi cho", "sởi và rubella cho"),
    ("from: 17/6/2021", "from: 10/6/2021"),
    ("until: 24/6/2021", "until: 30/6/2021"),
    ("slots: [sang]", "slots: [sang, chieu]"),
    ("slots: [sang]", "slots: [sang]\ndays: [mon, wed]"),
    ("slots: [sang]", 'slots: [sang]\ntimes: ["11:00"]'),
    ("slots: [sang]", 'slots: [sang]\nevery: 30m\nbetween: "06:00-20:00"'),
    ("slots: [sang]", "slots: [sang]\nrepeat: 3"),
    ("slots: [sang]", "slots: [sang]\nlevel: khan-cap"),
    ("slots: [sang]", "slots: [sang]\npriority: 5"),  # a raised priority is ưu tiên
]
NOT_COVERED = [  # how it sounds or is listed, not what is said or when
    ("title: Tiêm chủng sởi", "title: Tiêm chủng sởi đợt 2"),
    ("slots: [sang]", "slots: [sang]\nintro: none"),
    ("slots: [sang]", "slots: [sang]\nvoice: trung-nu"),
    ("slots: [sang]", "slots: [sang]\nspeed: 0.9"),
    ("slots: [sang]", "slots: [sang]\npriority: -1"),  # still thông thường
]


@pytest.mark.parametrize(("old", "new"), COVERED)
def test_an_edit_of_text_or_dates_changes_the_fingerprint(tmp_path: Path, old: str, new: str) -> None:
    before = fingerprint(_script(tmp_path))
    assert fingerprint(_edit(tmp_path, old, new)) != before


@pytest.mark.parametrize(("old", "new"), NOT_COVERED)
def test_other_edits_keep_the_fingerprint(tmp_path: Path, old: str, new: str) -> None:
    before = fingerprint(_script(tmp_path))
    assert fingerprint(_edit(tmp_path, old, new)) == before


def test_crlf_and_decomposed_diacritics_read_the_same(tmp_path: Path) -> None:
    """A browser's textarea sends CRLF; an editor may save decomposed (NFD) diacritics. Saved and
    parsed, or handed over as a Script straight from a form (the web), the fingerprint is the same."""
    script = _script(tmp_path)
    before = fingerprint(script)
    windows = unicodedata.normalize("NFD", NOTICE).replace("\n", "\r\n")
    assert fingerprint(_script(tmp_path, windows)) == before
    from_form = dataclasses.replace(script, body=unicodedata.normalize("NFD", script.body).replace("\n", "\r\n"))
    assert from_form.body != script.body and fingerprint(from_form) == before


def test_fingerprint_is_sha256_hex(tmp_path: Path) -> None:
    value = fingerprint(_script(tmp_path))
    assert len(value) == 64 and int(value, 16) >= 0


# --- the book ------------------------------------------------------------------------------------------------


def test_approve_then_an_edit_sends_it_back_to_draft(tmp_path: Path) -> None:
    book = ApprovalBook(tmp_path / ".state")
    script = _script(tmp_path)
    assert book.status(script) == DRAFT and book.record(script) is None
    approval = book.approve(script, "Trần Thị Bình", NOW)
    assert approval == Approval("tiem.md", "Trần Thị Bình", NOW, fingerprint(script))
    assert book.status(script) == APPROVED
    assert ApprovalBook(tmp_path / ".state").record(script) == approval  # from the file, not memory
    edited = _edit(tmp_path, "36 tháng", "48 tháng")
    assert book.status(edited) == DRAFT
    [row] = listing([edited], book)
    assert row.status == DRAFT and row.edited_since and row.approval == approval
    assert book.status(_edit(tmp_path, "48 tháng", "36 tháng")) == APPROVED  # the approved text again


def test_revoke_and_history_name_who_and_when(tmp_path: Path) -> None:
    book = ApprovalBook(tmp_path / ".state")
    script = _script(tmp_path)
    assert book.revoke(script, "Lê Văn Cường", NOW) is False
    book.approve(script, "Trần Thị Bình", NOW)
    assert book.revoke(script, "Lê Văn Cường", NOW + timedelta(hours=1)) is True
    assert book.status(script) == DRAFT
    history = book.history(script)
    assert [(h["action"], h["by"]) for h in history] == [("approve", "Trần Thị Bình"), ("revoke", "Lê Văn Cường")]
    assert datetime.fromisoformat(history[1]["at"]) == NOW + timedelta(hours=1)
    saved = json.loads((tmp_path / ".state" / "approvals.json").read_text(encoding="utf-8"))
    assert saved["approved"] == {} and len(saved["history"]) == 2


@pytest.mark.parametrize("who", ["", "   ", "a" * 81, "Bình\x00"])
def test_an_approval_needs_a_name(tmp_path: Path, who: str) -> None:
    book = ApprovalBook(tmp_path / ".state")
    with pytest.raises(ConfigError):
        book.approve(_script(tmp_path), who, NOW)
    assert not book.path.exists()


def test_a_damaged_approvals_file_is_named_and_kept(tmp_path: Path) -> None:
    book = ApprovalBook(tmp_path / ".state")
    book.path.parent.mkdir(parents=True)
    book.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        book.approve(_script(tmp_path), "Bình", NOW)
    assert info.value.file == str(book.path)
    assert book.path.read_text(encoding="utf-8") == "{not json"  # its history is not thrown away
    with pytest.raises(ConfigError):
        approved_only([_script(tmp_path)], book)


def test_approved_only_without_a_book_lets_everything_air(tmp_path: Path) -> None:
    script = _script(tmp_path)
    assert approved_only([script], None) == ([script], [])
    book = ApprovalBook(tmp_path / ".state")
    assert approved_only([script], book) == ([], [script])
    book.approve(script, "Bình", NOW)
    assert approved_only([script], book) == ([script], [])


# --- require_approval ----------------------------------------------------------------------------------------


def test_require_approval_defaults_to_false_and_must_be_true_or_false(tmp_path: Path) -> None:
    assert load_station(make_station(tmp_path / "a")).require_approval is False
    assert load_station(make_station(tmp_path / "b", REQUIRED)).require_approval is True
    with pytest.raises(ConfigError) as info:
        load_station(make_station(tmp_path / "c", REQUIRED.replace("= true", '= "yes"')))
    assert "require_approval" in info.value.message


def _station(tmp_path: Path, toml: str = REQUIRED) -> Path:
    return make_station(tmp_path, toml, scripts={"tiem": NOTICE.replace("from: 17/6/2021\n", "").replace(
        "until: 24/6/2021\n", ""), "khac": script_text("Thông báo khác.", title="Khác", slots="[chieu]")},
        renders={"tiem": 10.0, "khac": 10.0})


def _plan(root: Path):
    station = load_station(root)
    scripts, errors = load_scripts(station.scripts_dir)
    return build_plan(station, scripts.values(), datetime(2021, 6, 20).date(), 1, errors,
                      status_fn=lambda s, x: "fresh")


def _planned(plan) -> set[str]:
    return {i.item.script.path.name for e in plan.entries for i in e.items if i.item.script is not None}


def test_plan_leaves_out_scripts_waiting_for_approval(tmp_path: Path) -> None:
    root = _station(tmp_path)
    plan = _plan(root)
    assert _planned(plan) == set()
    assert {s.path.name for s in plan.waiting} == {"tiem.md", "khac.md"}
    text = plan_to_text(plan)
    assert "waiting for approval (not on air):" in text and "Tiêm chủng sởi  [scripts/tiem.md]" in text
    book = ApprovalBook(root / ".state")
    book.approve(parse_script(root / "scripts" / "tiem.md"), "Bình", NOW)
    assert _planned(_plan(root)) == {"tiem.md"}
    _edit(root, "36 tháng", "48 tháng")
    assert _planned(_plan(root)) == set()


def test_plan_without_require_approval_is_unchanged(tmp_path: Path) -> None:
    root = _station(tmp_path, STATION)
    plan = _plan(root)
    assert _planned(plan) == {"tiem.md", "khac.md"} and plan.waiting == []


def test_check_warns_about_each_script_waiting_for_approval(tmp_path: Path) -> None:
    root = _station(tmp_path)
    ApprovalBook(root / ".state").approve(parse_script(root / "scripts" / "khac.md"), "Bình", NOW)
    waiting = [p for p in run_checks(root, today=datetime(2021, 6, 20).date(), status_fn=lambda s, x: "fresh")
               if "waiting for approval" in p.message]
    assert [(p.severity, Path(p.file or "").name) for p in waiting] == [("warning", "tiem.md")]
    assert "announcer approve scripts/tiem.md --by NAME" in (waiting[0].hint or "")


def test_check_reports_a_damaged_approvals_file_as_an_error(tmp_path: Path) -> None:
    root = _station(tmp_path)
    (root / ".state").mkdir(exist_ok=True)
    (root / ".state" / "approvals.json").write_text("[]", encoding="utf-8")
    found = [p for p in run_checks(root, today=datetime(2021, 6, 20).date(), status_fn=lambda s, x: "fresh")
             if p.file and p.file.endswith("approvals.json")]
    assert [p.severity for p in found] == ["error"]


def test_runner_airs_only_approved_scripts_and_sees_approvals_and_edits(tmp_path: Path) -> None:
    root = _station(tmp_path)
    rig = start_runner(root, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    assert rig.runner.schedule is not None and rig.runner.schedule.scripts == []
    ApprovalBook(root / ".state").approve(parse_script(root / "scripts" / "tiem.md"), "Bình", NOW)
    assert rig.runner.reload_if_changed()  # approvals.json is watched like the scripts
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]
    _edit(root, "36 tháng", "48 tháng")
    assert rig.runner.reload_if_changed()
    assert rig.runner.schedule is not None and rig.runner.schedule.scripts == []
    rig.runner.stop()


def test_render_ahead_skips_scripts_waiting_for_approval(tmp_path: Path) -> None:
    root = _station(tmp_path)
    ApprovalBook(root / ".state").approve(parse_script(root / "scripts" / "khac.md"), "Bình", NOW)
    built: list[list[str]] = []
    rig = start_runner(root, FakeClock(utc("2021-06-19 22:50")), status="missing",
                       renderer=lambda station, paths: built.append(sorted(p.name for p in paths)) or [])
    rig.runner.render_worker.wait_idle(10)
    assert built and all(names == ["khac.md"] for names in built)
    rig.runner.stop()


def test_a_damaged_approvals_file_keeps_what_was_approved_on_air(tmp_path: Path) -> None:
    root = _station(tmp_path)
    ApprovalBook(root / ".state").approve(parse_script(root / "scripts" / "tiem.md"), "Bình", NOW)
    rig = start_runner(root, FakeClock(utc("2021-06-19 22:50")))
    rig.tick()
    (root / ".state" / "approvals.json").write_text("{", encoding="utf-8")
    assert rig.runner.reload_if_changed()
    rig.tick(utc("2021-06-19 23:00"))
    assert rig.aired() == ["tiem.mp3"]
    rig.runner.stop()


# --- the CLI -------------------------------------------------------------------------------------------------


def test_cli_approve_list_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _station(tmp_path)
    code, out, err = run_cli(["--station", str(root), "approvals"], capsys)
    assert code == 0 and "khac.md" in out and "tiem.md" in out and out.count("draft") == 2
    code, out, err = run_cli(["--station", str(root), "approve", "scripts/tiem.md", "--by", "Trần Thị Bình"], capsys)
    assert code == 0 and "tiem.md approved by Trần Thị Bình" in out
    assert ApprovalBook(root / ".state").status(parse_script(root / "scripts" / "tiem.md")) == APPROVED
    code, out, err = run_cli(["--station", str(root), "approvals"], capsys)
    assert "approved by Trần Thị Bình" in out
    _edit(root, "36 tháng", "48 tháng")
    code, out, err = run_cli(["--station", str(root), "approvals"], capsys)
    assert "draft (edited since Trần Thị Bình approved it" in out
    code, out, err = run_cli(["--station", str(root), "approve", "tiem.md", "--by", "Lê Văn Cường", "--revoke"],
                             capsys)
    assert code == 0 and "approval revoked by Lê Văn Cường" in out
    assert [h["action"] for h in ApprovalBook(root / ".state").history()] == ["approve", "revoke"]


def test_cli_approve_refuses_a_blank_name_and_a_missing_script(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = _station(tmp_path)
    code, out, err = run_cli(["--station", str(root), "approve", "tiem.md", "--by", " "], capsys)
    assert code == 2 and "name" in err and "Traceback" not in err
    code, out, err = run_cli(["--station", str(root), "approve", "khong-co.md", "--by", "Bình"], capsys)
    assert code == 3 and "script not found" in err
    assert not (root / ".state" / "approvals.json").exists()


def test_cli_approve_says_when_the_station_does_not_require_it(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = _station(tmp_path, STATION)
    code, out, err = run_cli(["--station", str(root), "approve", "tiem.md", "--by", "Bình"], capsys)
    assert code == 0 and "does not require approval" in out


class _Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, path: Path, duration_s: float | None, stop: object) -> bool:
        self.played.append(path.name)
        return True


def test_play_now_refuses_a_script_waiting_for_approval(tmp_path: Path) -> None:
    root = _station(tmp_path)
    sink = _Recorder()
    clock = FakeClock(utc("2021-06-20 01:00"))
    with pytest.raises(ScheduleError) as info:
        play_command(root, "scripts/tiem.md", None, clock=clock, renderer=lambda s, p: [], sink_obj=sink)
    assert info.value.file == str(root / "scripts" / "tiem.md") and "waiting for approval" in info.value.message
    assert sink.played == []
    ApprovalBook(root / ".state").approve(parse_script(root / "scripts" / "tiem.md"), "Bình", NOW)
    assert play_command(root, "scripts/tiem.md", None, clock=clock, renderer=lambda s, p: [], sink_obj=sink) == 0
    assert sink.played == ["tiem.mp3"]


def test_play_now_without_require_approval_plays_drafts(tmp_path: Path) -> None:
    root = _station(tmp_path, STATION)
    sink = _Recorder()
    code = play_command(root, "scripts/tiem.md", None, clock=FakeClock(utc("2021-06-20 01:00")),
                        renderer=lambda s, p: [], sink_obj=sink)
    assert code == 0 and sink.played == ["tiem.mp3"]


def test_approving_a_version_that_changed_since_it_was_shown_is_refused(tmp_path: Path) -> None:
    book = ApprovalBook(tmp_path / ".state")
    shown = fingerprint(_script(tmp_path))  # what the approver's page showed
    edited = _edit(tmp_path, "36 tháng", "48 tháng")  # an editor saves meanwhile
    with pytest.raises(ConfigError) as info:
        book.approve(edited, "Trần Thị Bình", NOW, expected=shown)
    assert info.value.file == str(edited.path) and book.status(edited) == DRAFT and book.history() == []
    assert book.approve(edited, "Trần Thị Bình", NOW, expected=fingerprint(edited)).fingerprint == fingerprint(edited)
