"""Hôm nay: what is on air and next, whether the player runs, today's rundown, warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template

from announcer.schedule.check import ERROR
from announcer.web.app import script_url
from announcer.web.rundown import build_rundown, missing_jingles, render_problems
from announcer.web.security import console, tr
from announcer.web.text import N_, error_text, problem_text

bp = Blueprint("dashboard", __name__)


@dataclass
class Warning:
    text: str
    link: str | None = None


@bp.route("/")
def today() -> Any:
    c = console()
    station, station_problem = c.station_and_problem()
    now = c.clock()
    day = now.astimezone(station.tz).date()
    rundown = build_rundown(c, station, day, 1, now)
    player = c.view.player(station)
    upcoming = [b for b in rundown.blocks if b.at > now]
    if not upcoming:  # nothing more today: the next day with something on
        later = build_rundown(c, station, day, 8, now)
        upcoming = [b for b in later.blocks if b.at > now]
    warnings: list[Warning] = []
    if station_problem is not None:
        message, hint = error_text(station_problem, c.language, c.root)
        warnings.append(Warning(tr("station.toml has a mistake; the player uses its last valid version: "
                                   "{message}", message=" — ".join(p for p in (message, hint) if p))))
    if not player.running:
        warnings.append(Warning(tr("The player is not running: nothing airs on schedule. Start it with "
                                   "announcer run.")))
    elif player.quiet(now):
        warnings.append(Warning(tr("The player has not answered since {when}.",
                                   when=_when(c, player.last_sign))))
    for name, status in sorted(render_problems(rundown).items()):
        msgid = N_("{name}: no recording yet.") if status == "missing" else N_("{name}: the recording is out of date.")
        warnings.append(Warning(tr(msgid, name=name), script_url(name)))
    for title in missing_jingles(rundown):
        warnings.append(Warning(tr("Jingle file not found: {name}.", name=title)))
    for block in rundown.blocks:
        if block.overrun:
            warnings.append(Warning(tr("The {at} block runs {seconds} s into the next one.",
                                       at=_hhmm(c, block.at), seconds=int(block.overrun.total_seconds()))))
    for script in rundown.waiting or []:
        warnings.append(Warning(tr("{name} is waiting for approval.", name=script.path.name),
                                script_url(script.path.name)))
    errors = [p for p in c.view.problems(station) if p.severity == ERROR]
    for problem in errors[:20]:
        warnings.append(Warning(tr("Check: {problem}", problem=problem_text(problem, c.language, c.root))))
    if len(errors) > 20:
        warnings.append(Warning(tr("…and {n} more problems (announcer check lists them all).",
                                   n=len(errors) - 20)))
    return render_template("dashboard.html", rundown=rundown, blocks=rundown.blocks, player=player,
                           next_block=upcoming[0] if upcoming else None, warnings=warnings, now=now,
                           today=day, quiet=player.quiet(now))


def _hhmm(c: Any, moment: Any) -> str:
    return str(moment.astimezone(c.station().tz).strftime("%H:%M"))


def _when(c: Any, moment: Any) -> str:
    return str(moment.astimezone(c.station().tz).strftime("%H:%M %d/%m/%Y")) if moment else "?"
