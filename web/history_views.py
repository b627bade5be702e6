"""The case history page: the timeline with data, changes and routing reasons, and replay step by step."""
from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from services import history
from services.errors import InvalidInput
from web import forms_render
from web.db import db
from web.db import runtime
from web.formatting import localized
from workflows.messages import FieldError

bp = Blueprint("history", __name__)


@bp.get("/cases/<int:instance_id>/history")
@login_required
def history_page(instance_id: int) -> str:
    """Lịch sử và phát lại: the case at step ``?step=N`` (default the last) and every event that led there."""
    found = history.case_history(db(), runtime(), current_user, instance_id, _step_asked())

    def show(key: str, value: object) -> str | forms_render.DataTable:
        return forms_render.shown(found.fields, key, value, _("Có"), _("Không"))

    def label(key: str) -> str:
        spec = found.fields.get(key)
        return localized(dict(spec[0])) or key if spec else key

    page: str = render_template("cases/history.html", history=found, display=show, label=label)
    return page


def _step_asked() -> int | None:
    """``?step=N`` as a number (None: the last step); anything but digits is refused, not ignored."""
    raw = request.args.get("step")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise InvalidInput([FieldError("step", "type_integer")])
    return int(raw)
