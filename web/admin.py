"""Administration (admin group only): users and their groups, process versions, deployment by upload."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from services import accounts
from services import versions
from services.deploy import deploy_sources
from services.errors import DeployRejected
from services.errors import InvalidInput
from services.users import GROUPS
from services.users import MIN_PASSWORD
from web.access import groups_required
from web.db import command
from web.db import db
from web.i18n import current_locale

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The groups of DESIGN §1, in the words of the people in them.
GROUP_LABELS = {
    "police": _l("Cán bộ Công an xã"),
    "commune": _l("UBND xã (lãnh đạo / công chức)"),
    "bank_appraiser": _l("NHCSXH — cán bộ thẩm định"),
    "bank_teller": _l("NHCSXH — giao dịch viên"),
    "unit_head": _l("Thủ trưởng đơn vị đề nghị khen thưởng"),
    "home_affairs": _l("Sở Nội vụ — Ban Thi đua-Khen thưởng"),
    "police_emulation": _l("Công an tỉnh — thường trực HĐ TĐKT"),
    "provincial_council": _l("Hội đồng Thi đua-Khen thưởng tỉnh"),
    "police_council": _l("Hội đồng Thi đua-Khen thưởng Công an tỉnh"),
    "chairman": _l("Chủ tịch UBND tỉnh"),
    "police_director": _l("Giám đốc Công an tỉnh"),
    "auditor": _l("Thanh tra / kiểm toán"),
    "admin": _l("Quản trị"),
}
PROFILE_FIELDS = ("full_name", "unit", "audit_units")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"group_choices": [(g, GROUP_LABELS.get(g, g)) for g in GROUPS], "group_labels": GROUP_LABELS,
            "min_password": MIN_PASSWORD}


def _field_errors(error: InvalidInput) -> dict[str, list[str]]:
    """The service's messages by field, in the user's language."""
    found: dict[str, list[str]] = {}
    for problem in error.errors:
        found.setdefault(problem.field, []).append(problem.message(current_locale()))
    return found


def _account_form() -> dict[str, Any]:
    form: dict[str, Any] = {name: request.form.get(name, "").strip() for name in ("username", *PROFILE_FIELDS)}
    form["groups"] = request.form.getlist("groups")
    return form


def _unit_codes(text: str) -> list[str]:
    """The audit units typed in one box: codes separated by commas, semicolons or white space."""
    return [code for code in re.split(r"[\s,;]+", text) if code]


# --- users -------------------------------------------------------------------------------------------------


@bp.get("/")
@groups_required("admin")
def index() -> Response:
    """Quản trị: start at the users."""
    return redirect(url_for("admin.users"))


@bp.get("/users")
@groups_required("admin")
def users() -> str:
    """Người dùng: search by username or name, 20 a page."""
    query = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = accounts.list_users(db(), query, page, per_page)
    pages = max(1, -(-total // per_page))
    return render_template("admin/users.html", rows=rows, total=total, query=query, page=page, pages=pages)


@bp.route("/users/new", methods=["GET", "POST"])
@groups_required("admin")
def user_new() -> str | Response | tuple[str, int]:
    """Thêm người dùng."""
    if request.method == "GET":
        return render_template("admin/user_new.html", form={"groups": []}, errors={})
    form = _account_form()
    try:
        with command() as s:
            user = accounts.create_user(s, form["username"], request.form.get("password", ""), form["groups"],
                                        unit=form["unit"], full_name=form["full_name"],
                                        audit_units=_unit_codes(form["audit_units"]))
    except InvalidInput as exc:
        return render_template("admin/user_new.html", form=form, errors=_field_errors(exc)), 400
    flash(_("Đã thêm người dùng %(name)s", name=user.username), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _edit_page(user_id: int, form: dict[str, Any] | None = None, errors: dict[str, list[str]] | None = None,
               status: int = 200) -> tuple[str, int]:
    user = accounts.get_account(db(), user_id)
    form = form or {"full_name": user.full_name, "unit": user.unit or "", "groups": sorted(user.groups),
                    "audit_units": ", ".join(sorted(user.audit_units))}
    return render_template("admin/user_edit.html", user=user, form=form, errors=errors or {}), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@groups_required("admin")
def user_edit(user_id: int) -> tuple[str, int] | Response:
    """Sửa họ tên, nhóm, đơn vị và phạm vi kiểm toán của một người dùng."""
    if request.method == "GET":
        return _edit_page(user_id)
    form = _account_form()
    try:
        with command() as s:
            accounts.update_user(s, user_id, form["full_name"], form["groups"], form["unit"], actor=current_user,
                                 audit_units=_unit_codes(form["audit_units"]))
    except InvalidInput as exc:
        return _edit_page(user_id, form, _field_errors(exc), 400)
    flash(_("Đã lưu thông tin người dùng"), "info")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@groups_required("admin")
def user_password(user_id: int) -> tuple[str, int] | Response:
    """Đặt lại mật khẩu (the administrator chooses the new one)."""
    try:
        with command() as s:
            user = accounts.reset_password(s, user_id, request.form.get("password", ""))
    except InvalidInput as exc:
        return _edit_page(user_id, errors=_field_errors(exc), status=400)
    flash(_("Đã đặt lại mật khẩu cho %(name)s", name=user.username), "info")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
@groups_required("admin")
def user_active(user_id: int) -> str | Response:
    """Vô hiệu hóa / kích hoạt lại: without ``confirm=1`` it asks first (works without JavaScript)."""
    active = request.form.get("active") == "1"
    accounts.refuse_self_disable(current_user, user_id, active)
    if request.form.get("confirm") != "1":
        return render_template("admin/user_active.html", user=accounts.get_account(db(), user_id), active=active)
    with command() as s:
        user = accounts.set_active(s, current_user, user_id, active)
    message = _("Đã kích hoạt lại tài khoản %(name)s", name=user.username) if active else _(
        "Đã vô hiệu hóa tài khoản %(name)s", name=user.username)
    flash(message, "info")
    return redirect(url_for("admin.user_edit", user_id=user_id))


# --- processes -----------------------------------------------------------------------------------------------


@bp.get("/processes")
@groups_required("admin")
def processes() -> str:
    """Quy trình: every version, grouped by process."""
    return render_template("admin/processes.html", versions=versions.process_versions(db()))


@bp.get("/processes/<int:version_id>")
@groups_required("admin")
def version(version_id: int) -> str:
    """Phiên bản: its files and its diagram."""
    return render_template("admin/version.html", summary=versions.get_version(db(), version_id))


@bp.get("/processes/<int:version_id>/diagram.xml")
@groups_required("admin")
def diagram_xml(version_id: int) -> Response:
    """The version's BPMN XML, for the diagram viewer."""
    response = current_app.response_class(versions.diagram_xml(db(), version_id), mimetype="application/xml")
    # Opened on its own, an uploaded file must not run anything (XHTML-namespaced script in XML).
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/processes/deploy", methods=["GET", "POST"])
@groups_required("admin")
def deploy() -> str | tuple[str, int]:
    """Triển khai: upload diagrams, decision tables and forms (or one .zip); all or nothing."""
    if request.method == "GET":
        return _deploy_page()
    upload = [(f.filename or "", f.read()) for f in request.files.getlist("files")]
    try:
        sources = versions.sources_from_upload(upload, current_app.config["MAX_CONTENT_LENGTH"])
        with command() as s:
            results = deploy_sources(s, sources, actor=current_user.username)
    except DeployRejected as exc:
        return _deploy_page(problems=exc.problems), 400
    return _deploy_page(results=results)


def _deploy_page(**context: Sequence[object]) -> str:
    limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return render_template("admin/deploy.html", limit_mb=limit_mb, **context)
