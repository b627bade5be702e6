"""The inbox page: my tasks and my groups' queue, with claim and unclaim."""
from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response

from services import inbox as inbox_service
from services import tasks
from services.db import utcnow
from web.db import command
from web.db import db

bp = Blueprint("inbox", __name__)


def _filters() -> inbox_service.InboxFilter:
    args = request.args
    return inbox_service.InboxFilter(process=args.get("process", ""), task=args.get("task", ""),
                                     overdue=args.get("overdue") == "1", search=args.get("q", "").strip()[:100])


@bp.get("/")
@login_required
def index() -> str:
    """Hộp công việc."""
    scope = request.args.get("tab", "mine")
    scope = scope if scope in inbox_service.SCOPES else "mine"
    filters, now = _filters(), utcnow()
    page = inbox_service.inbox_page(db(), current_user, scope, filters, request.args.get("page", 1, type=int),
                                    current_app.config["PAGE_SIZE"], now)
    counts = inbox_service.inbox_counts(db(), current_user, filters, now)
    choices = inbox_service.task_choices(db(), current_user)
    notes = inbox_service.notifications(db(), current_user)
    return render_template("inbox/index.html", scope=scope, page=page, counts=counts, filters=filters,
                           choices=choices, notes=notes)


def _back() -> Response:
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("inbox.index"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Response:
    """Nhận xử lý."""
    with command() as s:
        tasks.claim_task(s, current_user, task_id)
    flash(_("Đã nhận xử lý công việc"), "info")
    return _back()


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str) -> Response:
    """Trả về nhóm."""
    with command() as s:
        tasks.unclaim_task(s, current_user, task_id)
    flash(_("Đã trả công việc về nhóm"), "info")
    return _back()
