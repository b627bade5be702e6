"""The task page: the case so far, the form, and Approve / Return / Reject with confirmation."""
from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response

from services import attachments
from services import tasks
from services import views
from services.errors import InvalidInput
from web import forms_render
from web import uploads
from web.db import command
from web.db import db
from web.db import runtime
from web.i18n import current_locale
from workflows.messages import FieldError

bp = Blueprint("tasks", __name__)
IRREVERSIBLE = frozenset({"reject", "withdraw"})


@bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str) -> str:
    """Trang xử lý công việc."""
    detail = views.task_detail(db(), runtime(), current_user, task_id)
    return _render(detail, detail.data, [])


def _render(detail: views.TaskDetail, values: dict[str, object], errors: list[FieldError],
            extra_rows: dict[str, int] | None = None, status: int = 200) -> str:
    fields = forms_render.describe(detail.form, values, errors, current_locale(), extra_rows) if detail.form else []
    readonly = forms_render.readonly_items(detail.form, detail.data)
    page: str = render_template("tasks/task.html", detail=detail, fields=fields, readonly=readonly, errors=errors,
                                display=_display(detail))
    return page


def _display(detail: views.TaskDetail) -> object:
    def show(key: str, value: object) -> str | forms_render.DataTable:
        return forms_render.shown(detail.fields, key, value, _("Có"), _("Không"))

    return show


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str) -> Response | str | tuple[str, int]:
    """Gửi: validate and complete, or show the errors next to their fields."""
    detail = views.task_for_submission(db(), runtime(), current_user, task_id)
    if detail.form is None:
        data: dict[str, object] = {}
    else:
        data = forms_render.coerce(detail.form, request.form)
    files = uploads.form_files(detail.form)
    more_rows = forms_render.rows_to_add(request.form)
    if more_rows:
        return _render(detail, _with_attached(detail, data), [], extra_rows=more_rows)
    if _needs_confirmation(data):
        problems = tasks.submission_errors(detail.form, detail.data, data)
        if problems:  # fix the form first; confirm only what could actually be sent
            return _render(detail, data, problems), 400
        return render_template("tasks/confirm.html", detail=detail, posted=request.form, data=data)
    try:
        with command() as s:
            instance = attachments.complete_with_files(s, runtime(), current_user, task_id, data, files)
    except InvalidInput as exc:
        return _render(detail, _with_attached(detail, data), exc.errors + attachments.not_kept(files)), 400
    flash(_("Đã gửi: %(task)s — hồ sơ %(key)s", task=_task_title(detail), key=instance.business_key), "info")
    return redirect(url_for("cases.case_page", instance_id=instance.id))


def _with_attached(detail: views.TaskDetail, data: dict[str, object]) -> dict[str, object]:
    """Posted values plus the files already attached, which a form post does not repeat."""
    attached = {k: detail.data[k] for k in attachments.file_fields(detail.form) if k in detail.data}
    return {**attached, **data}


def _needs_confirmation(data: dict[str, object]) -> bool:
    chosen = {str(v) for k, v in data.items() if k in ("decision", "action")}
    return bool(chosen & IRREVERSIBLE) and request.form.get("_confirmed") != "1"


def _task_title(detail: views.TaskDetail) -> str:
    return detail.task.title_en if current_locale() == "en" else detail.task.title
