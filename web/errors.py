"""Errors become responses in one place: a page for people, JSON {error, message} for the API."""
from __future__ import annotations

import logging

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from services.errors import Conflict
from services.errors import DeployRejected
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.errors import ProcessFailure
from services.errors import ServiceError
from services.errors import TaskAlreadyCompleted
from web.i18n import current_locale

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, InvalidInput: 400, DeployRejected: 400,
          ProcessFailure: 422}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "process_failed", 429: "too_many_requests", 500: "server_error"}


def wants_json() -> bool:
    """API paths always answer JSON."""
    return request.path.startswith("/api/")


def status_of(error: ServiceError) -> int:
    """The HTTP status that stands for a service error."""
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


def json_error(status: int, message: str, **extra: object) -> tuple[Response, int]:
    """The API's one error shape."""
    return jsonify({"error": CODES.get(status, "error"), "message": message, **extra}), status


def _page(status: int, title: str, message: str, details: list[str] | None = None) -> tuple[str, int]:
    page = render_template("errors/error.html", status=status, title=title, message=message, details=details or [])
    return page, status


@bp.app_errorhandler(ServiceError)
def service_error(error: ServiceError) -> tuple[Response | str, int]:
    """Domain errors: 400/403/404/409/422 with the message in the user's language."""
    status, locale = status_of(error), current_locale()
    if wants_json():
        extra: dict[str, object] = {}
        if isinstance(error, InvalidInput):
            extra["errors"] = [e.as_dict(locale) for e in error.errors]
        if isinstance(error, TaskAlreadyCompleted):
            # The API names people by username everywhere; the message carries the full name.
            extra.update(completed_by=error.username or error.completed_by, completed_at=error.completed_at.isoformat())
        return json_error(status, error.message(locale), **extra)
    # A page reached with a bad query (a step outside the case, say) names the value it refused.
    details = ([f"{e['field']}: {e['message']}" for e in (d.as_dict(locale) for d in error.errors)]
               if isinstance(error, InvalidInput) else None)
    return _page(status, _title(status), error.message(locale), details)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[Response | str, int]:
    """404, 405, 413, CSRF failures and the like."""
    status = error.code or 500
    message = str(_MESSAGES.get(status) or error.description or "")
    if wants_json():
        return json_error(status, message)
    return _page(status, _title(status), message)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception) -> tuple[Response | str, int]:
    """Anything else: logged with its trace, answered without one."""
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    message = _("Hệ thống gặp lỗi ngoài dự kiến; thao tác chưa được ghi nhận. Vui lòng thử lại sau.")
    if wants_json():
        return json_error(500, message)
    return _page(500, _("Lỗi hệ thống"), message)


_TITLES = {400: _l("Dữ liệu không hợp lệ"), 401: _l("Chưa đăng nhập"), 403: _l("Không có quyền"),
           404: _l("Không tìm thấy"), 405: _l("Thao tác không được hỗ trợ"), 409: _l("Xung đột dữ liệu"),
           413: _l("Tệp quá lớn"), 422: _l("Quy trình gặp lỗi"), 429: _l("Quá nhiều lần thử")}
_MESSAGES = {401: _l("Vui lòng đăng nhập để tiếp tục"), 403: _l("Bạn không có quyền thực hiện thao tác này"),
             404: _l("Không tìm thấy trang hoặc dữ liệu yêu cầu"), 405: _l("Phương thức này không được hỗ trợ"),
             413: _l("Tệp tải lên vượt quá dung lượng cho phép")}


def _title(status: int) -> str:
    return str(_TITLES.get(status, _l("Có lỗi xảy ra")))
