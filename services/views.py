"""Read models for pages and the API: a task with its form and case data, a case with its steps."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from services import authz
from services import cases
from services import documents
from services.errors import NotAllowed
from services.errors import NotFound
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime
from services.status import TaskStatus
from workflows.forms import FormSpec


@dataclass(frozen=True)
class TaskDetail:
    """A task as its page shows it: the row, its case, the form and the case data so far."""

    task: HumanTask
    instance: ProcessInstance
    form: FormSpec | None
    data: dict[str, Any]
    can_work: bool
    fields: dict[str, tuple[dict[str, Any], dict[str, Any]]]


@dataclass(frozen=True)
class CaseDetail:
    """A case as its page shows it: the case, its data, its waiting and completed tasks, its history."""

    instance: ProcessInstance
    data: dict[str, Any]
    waiting: list[HumanTask]
    completed: list[HumanTask]
    events: list[AuditEvent]
    fields: dict[str, tuple[dict[str, Any], dict[str, Any]]]
    diagram_xml: str
    documents: list[documents.DocumentKind]
    element_names: dict[str, str]


def task_detail(session: Session, runtime: Runtime, user: User, task_id: str) -> TaskDetail:
    """The task ``task_id`` if ``user`` may see it: a candidate, its holder, or someone who sees its case."""
    row = session.scalar(select(HumanTask).where(HumanTask.id == task_id)
                         .options(joinedload(HumanTask.assignee), joinedload(HumanTask.completed_by)))
    if row is None:
        raise NotFound("task")
    candidate = row.status == TaskStatus.OPEN and authz.is_candidate(user, row)
    if not (candidate or row.assignee_id == user.id):
        instance = cases.get_case(session, user, row.instance_id)
    else:
        instance = session.get_one(ProcessInstance, row.instance_id)
    definition = runtime.definition(session, instance.process_version_id)
    can_work = (row.status == TaskStatus.OPEN and candidate and row.assignee_id in (None, user.id)
                and not user.groups & authz.WRITE_FORBIDDEN_GROUPS)
    return TaskDetail(row, instance, definition.form(row.task_name), cases.case_data(session, runtime, instance),
                      can_work, definition.field_schemas())


def task_for_submission(session: Session, runtime: Runtime, user: User, task_id: str) -> TaskDetail:
    """The task as ``task_detail`` gives it, for a form post: users who only read are refused before any
    form is redrawn or confirmation asked (NotFound when hidden, else NotAllowed)."""
    detail = task_detail(session, runtime, user, task_id)
    authz.require_writer(user)
    return detail


def case_detail(session: Session, runtime: Runtime, user: User, instance_id: int) -> CaseDetail:
    """Case ``instance_id`` with everything its page shows, if ``user`` may see it."""
    instance = cases.get_case(session, user, instance_id)
    rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                .options(joinedload(HumanTask.assignee), joinedload(HumanTask.completed_by))
                                .order_by(HumanTask.created_at, HumanTask.id)))
    definition = runtime.definition(session, instance.process_version_id)
    data = cases.case_data(session, runtime, instance)
    return CaseDetail(instance, data, [r for r in rows if r.status == TaskStatus.OPEN],
                      [r for r in rows if r.status == TaskStatus.COMPLETED], history(session, instance.id),
                      definition.field_schemas(), definition.diagram_xml(),
                      documents.available(instance.process_key, data), definition.element_names())


def history(session: Session, instance_id: int) -> list[AuditEvent]:
    """The case's audit events in order."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq)))


def withdrawal_detail(session: Session, runtime: Runtime, user: User, instance_id: int) -> CaseDetail:
    """The case as the withdrawal confirmation shows it (NotFound when hidden, NotAllowed unless ``user`` may
    withdraw it), so the question is never put to someone whose answer would be refused."""
    detail = case_detail(session, runtime, user, instance_id)
    if not cases.may_withdraw(user, detail.instance):
        raise NotAllowed()
    return detail
