"""The staff console (``announcer serve``): a Vietnamese web app on one station folder.

Layout:

- ``app.py``: ``create_app(station_root, *, clock=..., config=..., accounts=...)``, the menu and
  ``PAGES``, the list of page modules.
- ``security.py``: login gate, session expiry, CSRF, ``require_role``, ``audit``.
- ``auth.py`` (login, first run, account), ``dashboard.py`` (Hôm nay), ``broadcast.py`` (Phát ngay),
  ``timetable.py`` (Lịch phát), ``asrunlog.py`` (Nhật ký phát sóng): one blueprint each.
- ``templates/`` and ``static/``: every page and asset is served from the package (no CDN).
- ``text.py``: the console's words in the station's language.

Adding pages (e.g. ``announcer/web/scripts.py``)::

    from flask import Blueprint, render_template
    from announcer.web.security import audit, console, require_role

    bp = Blueprint("scripts", __name__)

    @bp.route("/scripts")
    def index(): ...                      # login is already required by the gate

    @bp.route("/scripts/<name>/approve", methods=["POST"])
    @require_role("phe-duyet")            # quan-tri passes too
    def approve(name): audit("approve", name); ...

then add ``"announcer.web.scripts",`` to ``PAGES`` in ``app.py`` (the one line). The menu shows
"Bản tin" at ``/scripts`` and "Nhập văn bản" at ``/import`` as soon as some module serves those
paths. Templates extend ``base.html`` (blocks ``title``, ``head``, ``content``, ``scripts``) and put a
``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`` in every form; a fetch()
sends the token in the ``X-CSRF-Token`` header (read it from ``<meta name="csrf-token">`` in block
``head``). The Content-Security-Policy allows scripts only from ``/static`` (no inline ``<script>``).
``console()`` gives the shared ``Console``: ``.station()``, ``.clock()``, ``.root``, ``.audit``.
"""
