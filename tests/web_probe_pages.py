"""A page module as another part of the console would write one (used by test_web_app)."""

from flask import Blueprint

bp = Blueprint("probe_scripts", __name__)


@bp.route("/probe-page")
def index() -> str:
    return "danh sách"
