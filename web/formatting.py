"""Jinja filters for Vietnamese formats: dd/mm/yyyy dates, 100.000.000 đ, working days left."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from web.db import runtime
from web.i18n import current_locale
from workflows.calendar import VIETNAM_TZ


def date_vn(value: Any) -> str:
    """29/11/2026 from a date, a datetime or an ISO string."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = value.astimezone(VIETNAM_TZ).date()
    return str(value.strftime("%d/%m/%Y"))


def datetime_vn(value: dt.datetime | None) -> str:
    """14:05 29/11/2026 in Vietnam time."""
    return value.astimezone(VIETNAM_TZ).strftime("%H:%M %d/%m/%Y") if value else ""


def money(value: Any) -> str:
    """100.000.000 đ."""
    if value in (None, ""):
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{amount:,}".replace(",", ".") + " đ"


def percent(value: Any) -> str:
    """6,24 %/năm (6.24 %/year in English)."""
    if value in (None, ""):
        return ""
    text = f"{float(value):g}"
    return f"{text.replace('.', ',')} %/năm" if current_locale() == "vi" else f"{text} %/year"


def working_days_left(due_at: dt.datetime | None) -> str:
    """'Còn 3 ngày làm việc' or 'Quá hạn 2 ngày làm việc'."""
    if due_at is None:
        return ""
    today = dt.datetime.now(VIETNAM_TZ).date()
    days = runtime().calendar.working_days_between(today, due_at.astimezone(VIETNAM_TZ).date())
    if days >= 0:
        return str(ngettext("Còn %(num)d ngày làm việc", "Còn %(num)d ngày làm việc", days))
    return str(ngettext("Quá hạn %(num)d ngày làm việc", "Quá hạn %(num)d ngày làm việc", -days))


def is_overdue(due_at: dt.datetime | None) -> bool:
    """True once the due time has passed."""
    return bool(due_at and due_at < dt.datetime.now(dt.UTC))


def localized(schema: dict[str, Any], key: str = "title") -> str:
    """A schema's title (or a UI schema's ``ui:help``) in the request's language (``x-title-en``, ``ui:help-en``)."""
    english = f"{key}-en" if key.startswith("ui:") else f"x-{key}-en"
    if current_locale() == "en" and english in schema:
        return str(schema[english])
    return str(schema.get(key, ""))


STATUS_LABELS = {"running": _l("Đang xử lý"), "completed": _l("Đã hoàn thành"), "cancelled": _l("Đã hủy"),
                 "error": _l("Lỗi")}
OUTCOME_LABELS = {"disbursed": _l("Đã giải ngân"), "rejected": _l("Không đủ điều kiện"), "withdrawn": _l("Đã rút"),
                  "awarded": _l("Đã khen thưởng"), "not_approved": _l("Không được phê duyệt")}
EVENT_LABELS = {"case_started": _l("Tạo hồ sơ"), "task_claimed": _l("Nhận xử lý"), "task_unclaimed": _l("Trả về nhóm"),
                "task_completed": _l("Hoàn thành công việc"), "timer_fired": _l("Quá hạn xử lý"),
                "case_withdrawn": _l("Rút hồ sơ"), "case_failed": _l("Lỗi quy trình")}


def status_label(status: str | None) -> str:
    """Đang xử lý / Đã hoàn thành / Đã hủy / Lỗi."""
    return str(STATUS_LABELS.get(status or "", status or ""))


def outcome_label(outcome: str | None) -> str:
    """Đã giải ngân / Không đủ điều kiện / Đã rút ..."""
    return str(OUTCOME_LABELS.get(outcome or "", outcome or ""))


def event_label(kind: str) -> str:
    """What an audit event records, in words."""
    return str(EVENT_LABELS.get(kind, kind))


def page_url(number: int) -> str:
    """The current page's address with ``page=number``, keeping the other filters."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), "page": number}
    return url_for(str(request.endpoint), **values)


def register(app: Flask) -> None:
    """Make the filters and helpers available to every template."""
    app.jinja_env.filters.update(date_vn=date_vn, datetime_vn=datetime_vn, money=money, percent=percent,
                                 working_days_left=working_days_left, localized=localized)
    app.jinja_env.globals.update(is_overdue=is_overdue, current_locale=current_locale, gettext=gettext,
                                 status_label=status_label, outcome_label=outcome_label, event_label=event_label,
                                 page_url=page_url)
