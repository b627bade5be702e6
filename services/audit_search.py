"""Global audit search ("Nhật ký kiểm toán"): the events of every case a reader may see, filtered and paged.

Only auditors and administrators search; each sees the cases of their scope (``authz.visible_cases_clause``):
an administrator or a province-wide auditor every case, an auditor scoped to units the cases of those units.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import authz
from services import cases
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.inbox import Page
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from workflows.calendar import VIETNAM_TZ
from workflows.messages import FieldError

PAGE_SIZE = 50
VN_DATES = "%d/%m/%Y"
ISO_DATES = "%Y-%m-%d"
MIN_YEAR, MAX_YEAR = 1900, 2999
# Query parameter → longest value worth searching for (the column's width).
TEXT_FILTERS = {"actor": 64, "process": 100, "task": 100, "case": 32}
_DATE_TEXT = {
    VN_DATES: ("Ngày không hợp lệ (định dạng dd/mm/yyyy)", "Invalid date (dd/mm/yyyy)"),
    ISO_DATES: ("Ngày không hợp lệ (định dạng yyyy-mm-dd)", "Invalid date (yyyy-mm-dd)"),
}
_RANGE_TEXT = ("Ngày kết thúc không được trước ngày bắt đầu", "The end date must not be before the start date")
# Rows read per query when exporting, so a province's whole log never sits in memory at once.
_EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    """What the reader narrowed the log to; empty fields do not filter. Dates are Vietnam days, inclusive."""

    actor: str = ""
    process: str = ""
    task: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    case: str = ""


@dataclass(frozen=True)
class EventRow:
    """One audit event as the log shows it: the event, its case, who did it and the task's titles."""

    id: int
    instance_id: int
    business_key: str
    process_key: str
    seq: int
    at: dt.datetime
    actor: str
    actor_name: str | None
    type: str
    task_name: str | None
    task_title: str | None
    task_title_en: str | None

    def task_label(self, locale: str) -> str:
        """The task's title in ``locale``; its BPMN id when no inbox row names it; empty for case events."""
        title = (self.task_title_en or self.task_title) if locale == "en" else self.task_title
        return title or self.task_name or ""


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: processes (key, name) and tasks (process key, name, title, English title)."""

    processes: list[tuple[str, str]]
    tasks: list[tuple[str, str, str, str]]


@dataclass(frozen=True)
class AuditPage:
    """One page of results and the filter form's choices."""

    events: Page[EventRow]
    choices: Choices


def parse_filter(args: Mapping[str, str], date_format: str) -> AuditFilter:
    """The filter in ``args`` (``actor``, ``process``, ``task``, ``from``, ``to``, ``case``).

    ``date_format`` is ``VN_DATES`` (dd/mm/yyyy, the pages) or ``ISO_DATES`` (the API).

    :raise InvalidInput: a date that is not one, an end before the start, or a value longer than its column.
    """
    errors: list[FieldError] = []
    text = {name: (args.get(name) or "").strip() for name in TEXT_FILTERS}
    errors.extend(FieldError(name, "max_length", {"limit": limit})
                  for name, limit in TEXT_FILTERS.items() if len(text[name]) > limit)
    # PostgreSQL cannot even compare a text with a NUL in it; no stored value holds one.
    errors.extend(FieldError(name, "invalid") for name, value in text.items() if "\x00" in value)
    dates = {name: _date(args.get(name) or "", name, date_format, errors) for name in ("from", "to")}
    start, end = dates["from"], dates["to"]
    if start and end and end < start:
        errors.append(FieldError("to", "invalid", text=_RANGE_TEXT))
    if errors:
        raise InvalidInput(errors)
    # Usernames and case numbers are stored in one case each: match what people type either way.
    return AuditFilter(actor=text["actor"].lower(), process=text["process"], task=text["task"],
                       date_from=start, date_to=end, case=text["case"].upper())


def _date(raw: str, name: str, date_format: str, errors: list[FieldError]) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = dt.datetime.strptime(raw, date_format).date()
    except ValueError:
        day = None
    # Years far out would overflow when the day's bounds are moved to UTC; no event is dated there anyway.
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        errors.append(FieldError(name, "date", text=_DATE_TEXT[date_format]))
        return None
    return day


def require_reader(user: User) -> None:
    """Raise NotAllowed unless ``user`` is an auditor or an administrator."""
    if not user.is_active or not user.groups & authz.READ_ALL_GROUPS:
        raise NotAllowed()


def search(session: Session, user: User, filters: AuditFilter, page: int = 1,
           per_page: int = PAGE_SIZE) -> Page[EventRow]:
    """Page ``page`` (from 1) of the events ``user`` may see that match ``filters``, newest first.

    A page past the last is empty, so a client that pages until nothing comes back stops. Raises NotAllowed
    for anyone but auditors and administrators.
    """
    require_reader(user)
    conditions = _conditions(user, filters)
    total = session.scalar(select(func.count(AuditEvent.id)).join(ProcessInstance, _CASE_OF_EVENT)
                           .where(*conditions)) or 0
    page = max(page, 1)
    rows = session.execute(_rows(conditions).limit(per_page).offset((page - 1) * per_page))
    return Page([EventRow(**row._asdict()) for row in rows], total, page, per_page)


def search_page(session: Session, user: User, filters: AuditFilter, page: int = 1) -> AuditPage:
    """``search`` with the filter form's choices, for the log page."""
    return AuditPage(search(session, user, filters, page), choices(session))


def choices(session: Session) -> Choices:
    """The deployed processes and every task name seen in the inbox, for the filter form."""
    processes = [(v.process_key, v.name) for v in cases.latest_versions(session)]
    tasks = session.execute(select(HumanTask.process_key, HumanTask.task_name, func.max(HumanTask.title),
                                   func.max(HumanTask.title_en))
                            .group_by(HumanTask.process_key, HumanTask.task_name)
                            .order_by(HumanTask.process_key, HumanTask.task_name))
    return Choices(processes, [(r[0], r[1], r[2] or r[1], r[3] or r[2] or r[1]) for r in tasks])


def export(session: Session, user: User, filters: AuditFilter) -> Iterator[EventRow]:
    """Every event ``user`` may see that matches ``filters``, newest first.

    Rows are read in batches, each a short query continuing after the last row sent, so no cursor or
    transaction stays open while a large file is written out. The permission check runs now, not when the
    first row is read, so a refusal comes before any answer is sent.
    """
    require_reader(user)
    return _in_batches(session, _conditions(user, filters))


def _in_batches(session: Session, conditions: list[ColumnElement[bool]]) -> Iterator[EventRow]:
    statement = _rows(conditions).limit(_EXPORT_BATCH)
    while True:
        batch = [EventRow(**row._asdict()) for row in session.execute(statement)]
        yield from batch
        if len(batch) < _EXPORT_BATCH:
            return
        last = batch[-1]
        statement = _rows([*conditions, or_(AuditEvent.at < last.at,
                                            and_(AuditEvent.at == last.at, AuditEvent.id < last.id))]
                          ).limit(_EXPORT_BATCH)


_CASE_OF_EVENT = ProcessInstance.id == AuditEvent.instance_id


def _conditions(user: User, filters: AuditFilter) -> list[ColumnElement[bool]]:
    found = [authz.visible_cases_clause(user)]
    if filters.actor:
        found.append(AuditEvent.actor == filters.actor)
    if filters.process:
        found.append(ProcessInstance.process_key == filters.process)
    if filters.task:
        found.append(AuditEvent.task_name == filters.task)
    if filters.case:
        found.append(ProcessInstance.business_key == filters.case)
    if filters.date_from:
        found.append(AuditEvent.at >= _day_start(filters.date_from))
    if filters.date_to:
        found.append(AuditEvent.at < _day_start(filters.date_to + dt.timedelta(days=1)))
    return found


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=VIETNAM_TZ)


def _rows(conditions: list[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    # Labelled as EventRow's fields: each row becomes one with EventRow(**row._asdict()).
    return (select(AuditEvent.id, AuditEvent.instance_id, ProcessInstance.business_key, ProcessInstance.process_key,
                   AuditEvent.seq, AuditEvent.at, AuditEvent.actor, User.full_name.label("actor_name"),
                   AuditEvent.type, AuditEvent.task_name, HumanTask.title.label("task_title"),
                   HumanTask.title_en.label("task_title_en"))
            .join(ProcessInstance, _CASE_OF_EVENT)
            .outerjoin(User, User.username == AuditEvent.actor)
            .outerjoin(HumanTask, HumanTask.id == AuditEvent.task_id)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
