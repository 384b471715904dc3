"""Hôm nay: what is on air and next, whether the player runs, today's rundown, warnings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def today() -> Any:
    return render_template("dashboard.html")
