"""Bản tin: the script list, the editor with its live reading preview, render and listen, import,
and approval. A thin face on the library: ``announcer.scriptedit`` (drafts, checks, versioned
saves, imports), ``announcer.livepreview`` (the reading with its flagged words),
``announcer.lexiconedit`` (a new reading), ``announcer.approval`` and ``announcer.render``.

Threads: ``ScriptPages`` (in ``app.extensions``) is shared by the request threads; the desk, the
lexicon book and the approval book lock their own files, ``_render_lock`` lets one render run at a
time (the machine is small; a second press waits for the first), and the list cache is swapped whole.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from announcer.approval import APPROVED, ApprovalBook
from announcer.config import DAY_NAMES, Station
from announcer.errors import AnnouncerError, ConfigError, NoticeImportError
from announcer.i18n import _
from announcer.lexiconedit import LexiconBook
from announcer.livepreview import GUESSED, LexiconCache, preview_text
from announcer.schedule import renders
from announcer.script import FIELDS, Script, parse_date, parse_script, scan_scripts
from announcer.scriptedit import (
    BODY,
    GENERAL,
    NEW,
    Draft,
    EditConflict,
    FieldProblem,
    ScriptDesk,
    check_name,
    open_draft,
    script_file,
)
from announcer.web import security
from announcer.web.security import audit, current_user, has_role, require_role, tr

log = logging.getLogger(__name__)

bp = Blueprint("scripts", __name__)

APPROVERS = ("phe-duyet",)
"""Who may approve (``quan-tri`` has every role)."""
FORM_PREFIX = "f_"
SHAPED = ("title", "slots", "times", "from", "until", "days", "repeat", "level", "priority", "intro", "outro",
          "engine", "voice", "speed", "every", "between")
"""Settings with a widget of their own, in the form's order; any other setting of FIELDS gets a text box."""
LEVELS = ("thong-thuong", "uu-tien", "khan-cap")
DAY_LABELS = dict(zip(DAY_NAMES, ("T2", "T3", "T4", "T5", "T6", "T7", "CN"), strict=True))
MAX_PREVIEW_CHARS = 200_000


@dataclass
class ScriptPages:
    desk: ScriptDesk = field(default_factory=ScriptDesk)
    lexicon: dict[Path, tuple[LexiconCache, LexiconBook]] = field(default_factory=dict)
    render_lock: threading.Lock = field(default_factory=threading.Lock)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rows: dict[Path, tuple[Any, Script | None, str]] = field(default_factory=dict)

    def lexicon_of(self, station: Station) -> tuple[LexiconCache, LexiconBook]:
        with self._lock:
            found = self.lexicon.get(station.lexicon_path)
            if found is None:
                found = (LexiconCache(station.lexicon_path), LexiconBook(station.lexicon_path))
                self.lexicon[station.lexicon_path] = found
            return found

    def parsed(self, station: Station, path: Path) -> tuple[Script | None, str]:
        """(script, '') or (None, its first problem), read again only when the file changed."""
        try:
            info = path.stat()
            key: Any = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError:
            key = None
        cached = self._rows.get(path)
        if cached is not None and cached[0] == key and key is not None:
            return cached[1], cached[2]
        try:
            found: tuple[Script | None, str] = (parse_script(path, station.limits.max_script_kb * 1024), "")
        except AnnouncerError as exc:
            found = (None, _error_line(exc))
        with self._lock:
            self._rows[path] = (key, *found)
        return found


def pages() -> ScriptPages:
    return current_app.extensions["announcer.scripts"]


def register(app: Flask) -> None:
    from announcer.web import scripts_text, text

    for msgid, words in scripts_text.VI.items():
        text.VI.setdefault(msgid, words)  # the frame's own words win
    app.extensions["announcer.scripts"] = ScriptPages()
    app.register_blueprint(bp)
    app.jinja_env.filters["problem"] = _problem_text


def _say(value: Any) -> str:
    """A library message (a marked ``Msg`` or plain text) in the console's language."""
    from announcer.i18n import translator

    return translator(security.console().language)(value)


def _problem_text(problem: FieldProblem) -> str:
    text = _say(problem.error.message) if problem.error is not None else problem.message
    hint = _say(problem.error.hint) if problem.error is not None and problem.error.hint else problem.hint
    return f"{text} — {hint}" if hint else text


def _station() -> Station:
    return security.console().station()


def _today(station: Station) -> date:
    return security.console().clock().astimezone(station.tz).date()


def _error_line(exc: AnnouncerError) -> str:
    """The error in the console's language, as the CLI says it (one catalogue): file:line: message — hint."""
    from announcer.i18n import translator

    return translator(security.console().language).error(exc)


def _book(station: Station) -> ApprovalBook:
    return ApprovalBook(station.state_dir)


def _refuse(exc: AnnouncerError, status: int = 400) -> Any:
    where = exc.location()
    message = _say(exc.message)
    return security.error_page(f"{where}: {message}" if where else message, _say(exc.hint) if exc.hint else None,
                               status)


# --- the list ---------------------------------------------------------------------------------------------


@bp.route("/scripts")
def list_scripts() -> Any:
    station = _station()
    paths, unreadable = scan_scripts(station.scripts_dir)
    book = _book(station)
    try:
        approvals = book.approvals()
    except ConfigError as exc:
        approvals, book_problem = {}, _error_line(exc)
    else:
        book_problem = ""
    from announcer.approval import fingerprint

    rows = []
    for path in paths:
        script, problem = pages().parsed(station, path)
        row: dict[str, Any] = {"name": path.stem, "problem": problem, "script": script}
        if script is not None:
            found = approvals.get(path.name)
            row["approval"] = APPROVED if found and found.fingerprint == fingerprint(script) else "draft"
            row["approved"] = found if row["approval"] == APPROVED else None
            row["render"] = renders.render_status(station, script)
        rows.append(row)
    return render_template("scripts_list.html", rows=rows, unreadable=[_error_line(e) for e in unreadable],
                           book_problem=book_problem, today=_today(station))


# --- the editor -------------------------------------------------------------------------------------------


def _form_meta(form: Any, draft_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings from the posted form (f_KEY fields)."""
    meta: dict[str, Any] = {}
    for key in FIELDS:
        name = FORM_PREFIX + key
        if key in ("slots", "days"):
            values = form.getlist(name)
            if key == "days" and len(values) == len(DAY_NAMES):
                values = []  # every day is the default
            meta[key] = values
        elif key == "times":
            meta[key] = [t for t in form.get(name, "").replace(";", ",").split(",") if t.strip()]
        else:
            meta[key] = form.get(name, "")
    return meta


def _editor_context(station: Station, draft: Draft, problems: list[FieldProblem], *, create: bool = False,
                    saved: bool = False, conflict: str = "", status: int = 200) -> tuple[str, int]:
    by_field: dict[str, list[FieldProblem]] = {}
    for problem in problems:
        key = problem.field if problem.field in FIELDS or problem.field == BODY else GENERAL
        by_field.setdefault(key, []).append(problem)
    reading, lexicon_problem = _reading(station, draft.body)
    script = None
    approval = None
    history: list[dict[str, Any]] = []
    render_state = ""
    if not create:
        try:
            path = script_file(station, draft.name)
            script, _problem = pages().parsed(station, path)
        except AnnouncerError:
            script = None
        if script is not None:
            render_state = renders.render_status(station, script)
            try:
                book = _book(station)
                approval = book.record(script)
                history = book.history(script)[-5:]
            except ConfigError as exc:
                by_field.setdefault(GENERAL, []).append(FieldProblem(GENERAL, "error", _error_line(exc)))
    slots = [s.name for s in station.slots]
    extra = [k for k in FIELDS if k not in SHAPED]
    html = render_template(
        "script_edit.html", draft=draft, problems=by_field, create=create, saved=saved, conflict=conflict,
        slots=slots, unknown_slots=[s for s in draft.values("slots") if s not in slots], days=DAY_NAMES,
        day_labels=DAY_LABELS, checked_days=_days_of(draft), date_value=_date_value, levels=LEVELS,
        has_level="level" in FIELDS, extra=extra, fields=FIELDS, reading=reading, lexicon_problem=lexicon_problem,
        render_state=render_state, approval=approval, history=history, script=script,
        can_approve=has_role(current_user(), *APPROVERS), guessed=GUESSED, mp3=_mp3_exists(station, draft.name),
    )
    return html, status


def _days_of(draft: Draft) -> list[str]:
    from announcer.config import parse_days

    raw = draft.meta.get("days")
    if raw in (None, "", []):
        return list(DAY_NAMES)
    try:
        return parse_days(raw)
    except ValueError:
        return []


def _date_value(text: str) -> str:
    """The ISO date a date picker shows, or '' when the file holds no real date."""
    if not text:
        return ""
    try:
        return parse_date(text).isoformat()
    except ValueError:
        return ""


def _mp3_exists(station: Station, name: str) -> bool:
    try:
        return (station.audio_out / f"{check_name(name)}.mp3").is_file()
    except AnnouncerError:
        return False


@bp.route("/scripts/new", methods=["GET", "POST"])
def new_script() -> Any:
    station = _station()
    if request.method == "GET":
        draft = Draft("", {"title": ""}, "", NEW)
        return _editor_context(station, draft, [], create=True)
    name = request.form.get("name", "").strip()
    draft = Draft(name, _form_meta(request.form), request.form.get("body", ""), NEW)
    try:
        check_name(name)
        result = pages().desk.save(station, name, draft.meta, draft.body, NEW, _today(station), create=True)
    except EditConflict as exc:
        return _editor_context(station, draft, [], create=True, conflict=_error_line(exc), status=409)
    except AnnouncerError as exc:
        return _editor_context(station, draft, [FieldProblem("name", "error", _error_line(exc))], create=True,
                               status=400)
    if not result.saved:
        return _editor_context(station, draft, result.problems, create=True, status=400)
    audit("script.create", f"{name}.md")
    return redirect(url_for("scripts.edit", name=name, saved=1))


@bp.route("/scripts/<path:name>", methods=["GET", "POST"])
def edit(name: str) -> Any:
    station = _station()
    try:
        draft = open_draft(station, name)
    except AnnouncerError as exc:
        return _refuse(exc, 404 if "not found" in str(exc.message) else 400)
    name = draft.name
    if request.method == "GET":
        return _editor_context(station, draft, draft.problems, saved=bool(request.args.get("saved")))
    posted = Draft(draft.name, _form_meta(request.form), request.form.get("body", ""),
                   request.form.get("version", ""))
    try:
        result = pages().desk.save(station, name, posted.meta, posted.body, posted.version, _today(station))
    except EditConflict as exc:
        return _editor_context(station, posted, [], conflict=_error_line(exc), status=409)
    except AnnouncerError as exc:
        return _refuse(exc)
    if not result.saved:
        return _editor_context(station, posted, result.problems, status=400)
    audit("script.save", f"{name}.md")
    return redirect(url_for("scripts.edit", name=name, saved=1))


# --- preview and lexicon ----------------------------------------------------------------------------------


def _reading(station: Station, body: str) -> tuple[Any, str]:
    """(the preview of ``body``, '' or the lexicon's problem: then it is read without the station's entries)."""
    cache, _book = pages().lexicon_of(station)
    try:
        return preview_text(body, 1, station.dialect, cache.context(station.dialect)), ""
    except ConfigError as exc:
        return preview_text(body, 1, station.dialect, {}), _error_line(exc)


@bp.route("/scripts-preview", methods=["POST"])
def preview() -> Any:
    """The reading of the text in the editor (not saved yet), as an HTML fragment."""
    station = _station()
    body = request.form.get("body", "")[:MAX_PREVIEW_CHARS]
    reading, problem = _reading(station, body)
    return render_template("script_preview.html", reading=reading, lexicon_problem=problem, guessed=GUESSED)


@bp.route("/scripts-lexicon", methods=["POST"])
def add_reading() -> Any:
    station = _station()
    written, spoken = request.form.get("written", ""), request.form.get("spoken", "")
    _cache, book = pages().lexicon_of(station)
    try:
        book.add(written, spoken)
    except ConfigError as exc:
        return jsonify(ok=False, message=_error_line(exc)), 400
    audit("lexicon.add", "lexicon.tsv", written=written, spoken=spoken)
    return jsonify(ok=True, message=tr("Saved to lexicon.tsv: {written} is read as \u201c{spoken}\u201d.",
                                       written=written.strip(), spoken=spoken.strip()))


# --- render and listen ------------------------------------------------------------------------------------


@bp.route("/scripts-render/<path:name>", methods=["POST"])
def render(name: str) -> Any:
    from announcer.render import build_station

    station = _station()
    try:
        path = script_file(station, name)
        with pages().render_lock:
            results = build_station(station, [path], force=bool(request.form.get("force")), jobs=1)
    except AnnouncerError as exc:
        return _refuse(exc)
    failed = [r for r in results if r.error]
    if failed:
        return security.error_page(tr("The render failed."), str(failed[0].error), 500)
    audit("script.render", f"{name}.md")
    return redirect(url_for("scripts.edit", name=name, rendered=1) + "#listen")


@bp.route("/scripts-audio/<path:name>")
def audio(name: str) -> Any:
    station = _station()
    try:
        check_name(name)
    except AnnouncerError as exc:
        return _refuse(exc)
    folder = station.audio_out.resolve()
    path = station.audio_out / f"{name}.mp3"
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        abort(404)
    if real.parent != folder or not real.is_file():
        abort(404)
    download = bool(request.args.get("download"))
    response: Response = send_file(real, mimetype="audio/mpeg", as_attachment=download,
                                   download_name=f"{name}.mp3", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- approval ---------------------------------------------------------------------------------------------


def _approval_target(name: str) -> tuple[Station, Script]:
    station = _station()
    path = script_file(station, name)
    return station, parse_script(path, station.limits.max_script_kb * 1024)


@bp.route("/scripts-approve/<path:name>", methods=["POST"])
@require_role(*APPROVERS)
def approve(name: str) -> Any:
    try:
        station, script = _approval_target(name)
        version = request.form.get("version", "")
        if version and version != open_draft(station, name).version:
            raise EditConflict(_("the script changed since you read it; read it again before approving"),
                               file=f"{name}.md")
        user = current_user()
        _book(station).approve(script, by=user.name if user else "-", now=security.console().clock())
    except EditConflict as exc:
        return _refuse(exc, 409)
    except AnnouncerError as exc:
        return _refuse(exc)
    audit("script.approve", f"{name}.md")
    return redirect(url_for("scripts.edit", name=name))


@bp.route("/scripts-revoke/<path:name>", methods=["POST"])
@require_role(*APPROVERS)
def revoke(name: str) -> Any:
    try:
        station, script = _approval_target(name)
        user = current_user()
        _book(station).revoke(script, by=user.name if user else "-", now=security.console().clock())
    except AnnouncerError as exc:
        return _refuse(exc)
    audit("script.revoke", f"{name}.md")
    return redirect(url_for("scripts.edit", name=name))


# --- import -----------------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_notice() -> Any:
    station = _station()
    if request.method == "GET":
        return render_template("script_import.html", limits=station.limits)
    # Twice the largest file allowed: a file a little over its limit is read and refused by name, with
    # its size; a far bigger request is refused before it is read at all.
    limit = 2 * max(station.limits.max_docx_mb * 1024 * 1024, station.limits.max_script_kb * 1024) + 64 * 1024
    if request.content_length is not None and request.content_length > limit:
        exc = NoticeImportError(_("the file is too big to import"),
                                hint=_("save the notice text alone as .docx or .txt (no large pictures)"))
        return render_template("script_import.html", limits=station.limits, error=_error_line(exc)), 413
    upload = request.files.get("notice")
    if upload is None or not upload.filename:
        exc = NoticeImportError(_("choose a .docx or .txt file first"))
        return render_template("script_import.html", limits=station.limits, error=_error_line(exc)), 400
    data = upload.read(limit + 1)
    try:
        name, result = pages().desk.import_upload(station, upload.filename, data)
    except AnnouncerError as exc:
        return render_template("script_import.html", limits=station.limits, error=_error_line(exc)), 400
    audit("script.import", f"{name}.md", source=upload.filename)
    return render_template("script_imported.html", name=name, result=result, source=upload.filename)
