"""Cases: start a new one, list them, and the case page with its diagram and history."""
from __future__ import annotations

import io
from urllib.parse import quote

from flask import Blueprint
from flask import Response as FlaskResponse
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response

from services import attachments
from services import audit_export
from services import cases
from services import documents
from services import views
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.status import InstanceStatus
from web import forms_render
from web import uploads
from web.db import command
from web.db import db
from web.db import runtime
from web.i18n import current_locale
from workflows.messages import FieldError

bp = Blueprint("cases", __name__)
bp.add_app_template_filter(attachments.size_label, "filesize")


@bp.get("/cases/new")
@login_required
def start_page() -> str:
    """Tạo hồ sơ mới: the processes this user may start."""
    versions = cases.startable_versions(db(), current_user)
    return render_template("cases/start.html", versions=versions)


@bp.get("/cases/new/<key>")
@login_required
def start_form(key: str) -> str:
    """The first form of a new case of ``key``."""
    return _start_form(key, {}, [])


def _start_form(key: str, values: dict[str, object], errors: list[FieldError],
                extra_rows: dict[str, int] | None = None) -> str:
    version = cases.latest_version(db(), key)
    if not cases.can_start(current_user, version):
        raise NotAllowed()
    _task, form = cases.first_form(db(), runtime(), version)
    fields = forms_render.describe(form, values, errors, current_locale(), extra_rows) if form else []
    page: str = render_template("cases/start_form.html", version=version, fields=fields, errors=errors)
    return page


@bp.post("/cases/new/<key>")
@login_required
def start(key: str) -> Response | tuple[str, int]:
    """Start the case: submit its first form, or keep it as a draft (Lưu tạm)."""
    version = cases.latest_version(db(), key)
    _task, form = cases.first_form(db(), runtime(), version)
    data = forms_render.coerce(form, request.form) if form else {}
    more_rows = forms_render.rows_to_add(request.form)
    if more_rows:  # "+ Thêm dòng" on the first form grows the list; nothing is started yet
        return _start_form(key, data, [], more_rows), 200
    files = uploads.form_files(form)
    draft = request.form.get("_draft") == "1"
    try:
        with command() as s:
            if draft:
                instance = cases.start_case(s, runtime(), current_user, key, data=_draft(data))
            else:
                instance = attachments.start_with_files(s, runtime(), current_user, key, data, files)
    except InvalidInput as exc:
        return _start_form(key, data, exc.errors + attachments.not_kept(files)), 400
    if draft and files.uploads:
        flash(_("Tệp đính kèm chưa được lưu khi lưu tạm; hãy đính kèm trên trang xử lý công việc"), "error")
    flash(_("Đã tạo hồ sơ %(key)s", key=instance.business_key), "info")
    return redirect(url_for("cases.case_page", instance_id=instance.id))


def _draft(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k not in ("action", "decision")}


@bp.get("/cases")
@login_required
def list_page() -> str:
    """Hồ sơ: the cases in the user's scope."""
    per_page = current_app.config["PAGE_SIZE"]
    page_number = max(1, request.args.get("page", 1, type=int))
    status = request.args.get("status", "")
    rows = cases.list_cases(db(), current_user, status=status or None, limit=per_page + 1,
                            offset=(page_number - 1) * per_page)
    return render_template("cases/list.html", rows=rows[:per_page], has_next=len(rows) > per_page,
                           page_number=page_number, status=status, statuses=list(InstanceStatus))


@bp.get("/cases/<int:instance_id>")
@login_required
def case_page(instance_id: int) -> str:
    """The case: status, data, steps, history and the diagram."""
    detail = views.case_detail(db(), runtime(), current_user, instance_id)

    def show(key: str, value: object) -> str | forms_render.DataTable:
        return forms_render.shown(detail.fields, key, value, _("Có"), _("Không"))

    return render_template("cases/case.html", detail=detail, display=show,
                           files=attachments.for_case(db(), instance_id),
                           files_in_use=attachments.referenced_ids(detail.data),
                           completed_ids=",".join(sorted({t.task_name for t in detail.completed})),
                           waiting_ids=",".join(sorted({t.task_name for t in detail.waiting})))


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> FlaskResponse:
    """Tải tệp đính kèm, for those who may see its case (otherwise it does not exist: 404)."""
    row, content = attachments.open_for(db(), current_user, attachment_id, uploads.storage())
    response = send_file(io.BytesIO(content), mimetype=row.content_type, as_attachment=True,
                         download_name=row.file_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/cases/<int:instance_id>/diagram.xml")
@login_required
def diagram(instance_id: int) -> FlaskResponse:
    """The BPMN of the version the case is pinned to."""
    detail = views.case_detail(db(), runtime(), current_user, instance_id)
    return FlaskResponse(detail.diagram_xml, mimetype="application/xml")


@bp.post("/cases/<int:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int) -> Response | str:
    """Rút hồ sơ, after a confirmation step."""
    reason = request.form.get("reason", "").strip()
    if request.form.get("_confirmed") != "1":
        detail = views.withdrawal_detail(db(), runtime(), current_user, instance_id)
        return render_template("cases/withdraw_confirm.html", detail=detail, reason=reason)
    with command() as s:
        instance = cases.withdraw_case(s, runtime(), current_user, instance_id, reason)
    flash(_("Đã rút hồ sơ %(key)s", key=instance.business_key), "info")
    return redirect(url_for("cases.case_page", instance_id=instance_id))


@bp.get("/cases/<int:instance_id>/documents/<name>")
@login_required
def document_page(instance_id: int, name: str) -> str:
    """A printable document of the case (a signed decision...), with print and PDF buttons."""
    document = documents.document(db(), runtime(), current_user, instance_id, name)
    return render_template(document.kind.template, document=document)


@bp.get("/cases/<int:instance_id>/documents/<name>.pdf")
@login_required
def document_pdf(instance_id: int, name: str) -> FlaskResponse:
    """The same document as a PDF, shown in the browser."""
    return pdf_response(documents.pdf(db(), runtime(), current_user, instance_id, name))


def pdf_response(file: documents.PdfFile) -> FlaskResponse:
    """``file`` shown inline; the plain name for old clients, the exact one in ``filename*`` (RFC 6266)."""
    response = FlaskResponse(file.content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (f'inline; filename="{file.ascii_name}"; '
                                               f"filename*=UTF-8''{quote(file.file_name)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/cases/<int:instance_id>/history.<any(json, csv):file_format>")
@login_required
def history_export(instance_id: int, file_format: str) -> FlaskResponse:
    """Tải lịch sử: the case's history with every hash (JSON) or for reading (CSV), for those who see the case."""
    return export_response(audit_export.export_for(db(), current_user, instance_id, file_format))


def export_response(file: audit_export.ExportFile) -> FlaskResponse:
    """``file`` as a download, never cached (it holds case data)."""
    response = FlaskResponse(file.content, content_type=file.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file.file_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
