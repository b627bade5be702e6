"""The inbox ("Hộp công việc"): the user's tasks and their groups' queue, filtered, searched and paged.

Every query here reads ``human_task`` rows only; no workflow is loaded to draw an inbox.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from services.models import HumanTask
from services.models import Notification
from services.models import User
from services.tasks import inbox_query
from services.text import fold

T = TypeVar("T")
SCOPES = ("mine", "group")


@dataclass(frozen=True)
class InboxFilter:
    """What the user narrowed the inbox to."""

    process: str = ""
    task: str = ""
    overdue: bool = False
    search: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def _filtered(user: User, scope: str, filters: InboxFilter, now: dt.datetime) -> Select[HumanTask]:
    query = inbox_query(user, scope if scope in SCOPES else "mine")
    if filters.process:
        query = query.where(HumanTask.process_key == filters.process)
    if filters.task:
        query = query.where(HumanTask.task_name == filters.task)
    if filters.overdue:
        query = query.where(HumanTask.due_at < now)
    words = fold(filters.search).split()
    for word in words[:5]:
        query = query.where(HumanTask.search_text.contains(word, autoescape=True))
    return query


def inbox_page(session: Session, user: User, scope: str, filters: InboxFilter, page: int, per_page: int,
               now: dt.datetime) -> Page[HumanTask]:
    """One page of the inbox tab ``scope``, overdue and soonest due first."""
    query = _filtered(user, scope, filters, now)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    rows = session.scalars(query.options(joinedload(HumanTask.assignee))
                           .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
                           .limit(per_page).offset((page - 1) * per_page))
    return Page(list(rows), total, page, per_page)


def inbox_counts(session: Session, user: User, filters: InboxFilter, now: dt.datetime) -> dict[str, int]:
    """How many tasks each tab holds under the current filters."""
    return {scope: session.scalar(select(func.count()).select_from(_filtered(user, scope, filters, now).subquery()))
            or 0 for scope in SCOPES}


def task_choices(session: Session, user: User) -> list[tuple[str, str, str, str]]:
    """(process key, task name, title, English title) of the open tasks the user could see, for the filter."""
    rows = session.execute(
        select(HumanTask.process_key, HumanTask.task_name, HumanTask.title, HumanTask.title_en)
        .where(HumanTask.id.in_(select(inbox_query(user, "mine").subquery().c.id)
                                .union(select(inbox_query(user, "group").subquery().c.id))))
        .distinct().order_by(HumanTask.process_key, HumanTask.task_name))
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def notifications(session: Session, user: User, limit: int = 10) -> list[Notification]:
    """The newest notifications for the user or their groups and unit (SLA escalations)."""
    groups = sorted(user.groups)
    unit_ok: ColumnElement[bool] = Notification.unit.is_(None)
    if user.unit:
        unit_ok = or_(unit_ok, Notification.unit == user.unit)
    query = (select(Notification).where(or_(Notification.user_id == user.id,
                                            and_(Notification.candidate_group.in_(groups), unit_ok)))
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(session.scalars(query))
