"""Nhật ký kiểm toán: every audit event in the reader's scope, filtered, paged and downloadable as CSV.

For auditors and administrators (``services.audit_search``); the filter is a GET form, so a search is a link.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy.orm import Session

from services import audit_search
from services import authz
from services.errors import InvalidInput
from services.status import AuditType
from web.access import groups_required
from web.db import backend
from web.db import db
from web.formatting import event_label
from web.i18n import current_locale
from workflows.calendar import VIETNAM_TZ

bp = Blueprint("audit", __name__)

CSV_HEADERS = ("Thời điểm", "Mã hồ sơ", "Quy trình", "Công việc", "Mã công việc", "Nội dung", "Người thực hiện",
               "Tên đăng nhập", "Số thứ tự sự kiện")
# A cell a spreadsheet would run as a formula is written as text (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ROWS_PER_CHUNK = 500


@bp.get("/audit")
@groups_required(*authz.READ_ALL_GROUPS)
def search_page() -> str | tuple[str, int]:
    """Nhật ký kiểm toán: the filter form, one page of events and the CSV link."""
    try:
        filters = audit_search.parse_filter(request.args, audit_search.VN_DATES)
    except InvalidInput as exc:
        errors = {e.field: e.message(current_locale()) for e in exc.errors}
        return render_template("audit/search.html", values=request.args, errors=errors, result=None,
                               choices=audit_search.choices(db())), 400
    result = audit_search.search_page(db(), current_user, filters, request.args.get("page", 1, type=int) or 1)
    return render_template("audit/search.html", values=request.args, errors={}, result=result,
                           choices=result.choices, csv_args=_csv_args())


@bp.get("/audit/events.csv")
@groups_required(*authz.READ_ALL_GROUPS)
def export_csv() -> Response:
    """Tải CSV: every event matching the same filters (all pages)."""
    filters = audit_search.parse_filter(request.args, audit_search.VN_DATES)
    return csv_response(lambda session: audit_search.export(session, current_user, filters))


def _csv_args() -> dict[str, str]:
    """The current filters without the page: the CSV holds every page."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def csv_response(export: Callable[[Session], Iterator[audit_search.EventRow]]) -> Response:
    """The rows ``export`` reads as a CSV download: UTF-8 with a BOM (so Excel reads the Vietnamese), Vietnamese
    headers, streamed.

    The rows are read through a session of the download's own, closed when the last row is sent: the
    request's session is closed when the view returns, before a streamed body is written.
    """
    with force_locale("vi"):
        labels = {kind.value: event_label(kind.value) for kind in AuditType}
    session = backend().sessions()
    try:
        rows = export(session)  # a refusal is raised here, before anything is sent
    except BaseException:
        session.close()
        raise
    response = Response(_streamed(session, _csv_lines(rows, labels)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="nhat-ky-kiem-toan.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _streamed(session: Session, lines: Iterator[str]) -> Iterator[str]:
    try:
        yield from lines
    finally:
        session.close()


def _csv_lines(rows: Iterable[audit_search.EventRow], labels: dict[str, str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)
    yield "\ufeff" + _take(buffer)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(v) for v in (
            row.at.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M:%S"), row.business_key, row.process_key,
            row.task_label("vi"), row.task_name or "", labels.get(row.type, row.type), row.actor_name or "",
            row.actor, row.seq)])
        if count % _ROWS_PER_CHUNK == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: object) -> object:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value
