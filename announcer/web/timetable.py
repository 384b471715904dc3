"""Placeholder page; filled in by the next commits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("timetable", __name__)


@bp.route("/schedule")
def week() -> Any:
    return render_template("dashboard.html")
