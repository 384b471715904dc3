"""Phát ngay: pick a script (or type a short text), pick the level, confirm; then see when it started."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from announcer.accounts import APPROVER
from announcer.errors import AnnouncerError
from announcer.guards import check_play_target
from announcer.schedule import renders
from announcer.web.desk import FINAL, LEVELS, MAX_TEXT, Choice
from announcer.web.security import audit, console, has_role, tr
from announcer.web.text import error_text

bp = Blueprint("broadcast", __name__)


def _choices(c: Any, station: Any) -> list[Choice]:
    scripts, _errors = c.view.scripts(station)
    every = list(scripts.values())
    waiting = {s.path for s in c.view.waiting_approval(station, every) or []}
    return sorted((Choice(s.path.name, s.title, renders.render_status(station, s), s.path in waiting)
                   for s in every), key=lambda ch: ch.title.casefold())


def _form(c: Any, station: Any, errors: dict[str, str], status: int = 200) -> Any:
    form = {"script": request.form.get("script", ""), "text": request.form.get("text", ""),
            "level": request.form.get("level", "thong-thuong"), "kind": request.form.get("kind", "script")}
    return render_template("broadcast.html", choices=_choices(c, station), form=form, errors=errors,
                           levels=LEVELS, max_text=MAX_TEXT), status


def _validate(c: Any, station: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """What the form asks for, and its mistakes by field."""
    errors: dict[str, str] = {}
    level = request.form.get("level", "")
    if level not in LEVELS:
        errors["level"] = tr("Choose a level.")
    kind = request.form.get("kind", "script")
    wanted: dict[str, Any] = {"level": level, "kind": kind}
    if kind == "text":
        text = request.form.get("text", "").replace("\r\n", "\n").strip()
        if not text:
            errors["text"] = tr("Type the text to read.")
        elif len(text) > MAX_TEXT:
            errors["text"] = tr("The text is {n} characters; at most {max} can be read from here. "
                                "Longer notices go in a script.", n=len(text), max=MAX_TEXT)
        elif c.view.waiting_approval(station, []) is not None and not has_role(g.user, APPROVER):
            errors["text"] = tr("This station airs only approved notices: a typed text needs an approver.")
        wanted.update(text=text, title=text.split("\n", 1)[0][:60])
    else:
        name = request.form.get("script", "")
        script = c.view.script_by_name(station, name)
        if script is None:
            errors["script"] = tr("Choose a notice from the list.")
        else:
            waiting = c.view.waiting_approval(station, [script])
            if waiting:
                errors["script"] = tr("{name} has not been approved yet, so it cannot air.", name=script.path.name)
            else:
                try:
                    check_play_target(station, script.path)
                except AnnouncerError as exc:
                    errors["script"] = " — ".join(p for p in error_text(exc, c.language) if p)
            wanted.update(script=script, title=script.title)
    return wanted, errors


@bp.route("/play", methods=["GET"])
def play() -> Any:
    c = console()
    return _form(c, c.station(), {})


@bp.route("/play", methods=["POST"])
def confirm() -> Any:
    c = console()
    station = c.station()
    wanted, errors = _validate(c, station)
    if errors:
        return _form(c, station, errors, 400)
    render = renders.render_status(station, wanted["script"]) if wanted.get("script") is not None else None
    return render_template("broadcast_confirm.html", wanted=wanted, render=render,
                           player=c.view.player(station))


@bp.route("/play/start", methods=["POST"])
def start() -> Any:
    c = console()
    station = c.station()
    wanted, errors = _validate(c, station)
    if errors:
        return _form(c, station, errors, 400)
    script = wanted.get("script")
    job = c.desk.start(station, by=g.user.name, level=wanted["level"],
                       script=script.path if script is not None else None, text=wanted.get("text"),
                       title=wanted["title"])
    audit("broadcast-now", script.path.name if script is not None else "(typed text)", level=wanted["level"],
          title=wanted["title"], job=job.ident)
    return redirect(url_for("broadcast.job", ident=job.ident))


@bp.route("/play/jobs/<ident>")
def job(ident: str) -> Any:
    c = console()
    found = c.desk.refresh(c.station(), ident)
    if found is None:
        abort(404)
    error = found.error
    if isinstance(error, AnnouncerError):
        error = " — ".join(p for p in error_text(error, c.language) if p)
    return render_template("broadcast_job.html", job=found, error=error, final=found.state in FINAL)
