"""After the engine moves a case: save its state, bring the inbox in line, and write the audit event.

Every command that changes a case ends here, so state, inbox rows and the audit chain always change
together in the caller's one transaction.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services import audit
from services.errors import Conflict
from services.models import HumanTask
from services.models import Notification
from services.models import ProcessInstance
from services.runtime import Runtime
from services.status import InstanceStatus
from services.status import TaskStatus
from services.text import search_text
from workflows.engine import Case
from workflows.engine import ReadyTask
from workflows.engine import StepLog


def record(session: Session, runtime: Runtime, instance: ProcessInstance, case: Case, log: StepLog,
           ready_before: set[str], entry: audit.AuditEntry) -> None:
    """Persist ``case`` on ``instance``, sync its inbox rows, flag escalations and append ``entry``.

    ``ready_before`` are the human tasks that were waiting before the command: exactly the case's open
    inbox rows, so the inbox is brought in line without reading it back. The task the entry completes is
    the caller's to close.
    """
    data = case.data(snapshot=False)
    with session.no_autoflush:
        described = _describe(instance, data)
        _sync_inbox(session, instance, case, data, ready_before - {entry.task_id or ""}, described, entry.at)
        _escalate(session, instance, log.escalated_tasks, entry.at)
    instance.state = case.dumps()
    instance.state_token = uuid.uuid4().hex
    instance.updated_at = entry.at
    instance.next_timer_at = case.next_timer_at()
    if case.is_completed and instance.status == InstanceStatus.RUNNING:
        instance.status = InstanceStatus.COMPLETED
        instance.outcome = case.outcome()
        instance.completed_at = entry.at
    audit.append(session, instance, replace(entry, state_hash=case.fingerprint(data)))
    runtime.checkin(session, instance, case)


def lock_case(session: Session, instance_id: int) -> ProcessInstance | None:
    """Load a case for a write command, queueing behind any other command on it.

    On PostgreSQL this is a row lock (SELECT … FOR UPDATE) held until the caller commits; on SQLite the
    write transaction already holds the database lock. Reads after it see what earlier commands committed.
    """
    return session.get(ProcessInstance, instance_id, with_for_update={"of": ProcessInstance}, populate_existing=True)


def flush_or_conflict(session: Session) -> None:
    """Flush; a write that lost a race (stale state token, taken audit slot) becomes a Conflict."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError):
        raise Conflict("Hồ sơ vừa được người khác cập nhật; vui lòng tải lại và thử lại",
                       "The case was just changed by someone else; reload and try again") from None


def _describe(instance: ProcessInstance, data: dict[str, Any]) -> bool:
    """Copy the case's subject onto the row for search; True when it changed."""
    before = (instance.subject_name, instance.subject_id_number, instance.unit)
    name = data.get("full_name") or data.get("subject_name")
    instance.subject_name = str(name)[:200] if name else None
    number = data.get("national_id_number")
    instance.subject_id_number = str(number)[:32] if number else None
    instance.search_text = search_text([instance.business_key, name, number])
    if instance.unit is None and data.get("residence_commune_code"):
        instance.unit = str(data["residence_commune_code"])
    return before != (instance.subject_name, instance.subject_id_number, instance.unit)


def _sync_inbox(session: Session, instance: ProcessInstance, case: Case, data: dict[str, Any],
                ready_before: set[str], described: bool, at: dt.datetime) -> None:
    ready = case.ready_tasks()
    for task in ready:
        if task.id not in ready_before:
            session.add(_new_row(session, instance, task, data, at))
    gone = ready_before - {t.id for t in ready}
    if gone:
        session.execute(update(HumanTask).where(HumanTask.id.in_(gone), HumanTask.status == TaskStatus.OPEN)
                        .values(status=TaskStatus.CANCELLED).execution_options(synchronize_session=False))
    still_open = ready_before - gone
    if described and still_open:
        session.execute(update(HumanTask).where(HumanTask.id.in_(still_open)).values(
            subject_name=instance.subject_name, search_text=instance.search_text)
            .execution_options(synchronize_session=False))


def _new_row(session: Session, instance: ProcessInstance, task: ReadyTask, data: dict[str, Any],
             at: dt.datetime) -> HumanTask:
    props = task.properties
    lane_owners = data.get("lane_owners") or {}
    owners = lane_owners.get(task.lane) if isinstance(lane_owners, dict) else None
    group = str(owners[0] if isinstance(owners, list) and owners else owners or task.lane or "")
    unit_key = props.get("candidateUnitVariable")
    unit = str(data[unit_key]) if unit_key and data.get(unit_key) else None
    assignee = None
    if props.get("assignTo") == "starter" and instance.started_by is not None:
        assignee, unit = instance.started_by_id, instance.started_by.unit
    return HumanTask(
        id=task.id, instance_id=instance.id, process_key=instance.process_key, task_name=task.name,
        title=task.title, title_en=task.title_en, lane=task.lane, candidate_group=group, unit=unit,
        assignee_id=assignee, excluded_users=_excluded(session, instance, props.get("separateFrom")),
        status=TaskStatus.OPEN, form_name=props.get("formJsonSchemaFilename"), created_at=at, due_at=task.due_at,
        business_key=instance.business_key, subject_name=instance.subject_name, search_text=instance.search_text)


def _excluded(session: Session, instance: ProcessInstance, separate_from: str | None) -> str:
    if not separate_from or instance.id is None:
        return ""
    session.flush()  # the completion that bars its actor may still be pending in this very command
    ids: list[int] = [i for i in session.scalars(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == instance.id, HumanTask.task_name.in_(separate_from.split(",")),
        HumanTask.completed_by_id.is_not(None))) if i is not None]
    return "," + ",".join(str(i) for i in sorted(set(ids))) + "," if ids else ""


def _escalate(session: Session, instance: ProcessInstance, task_names: list[str], at: dt.datetime) -> None:
    if not task_names:
        return
    rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.task_name.in_(task_names),
        HumanTask.status == TaskStatus.OPEN)).all()
    for row in rows:
        row.escalated_at = at
        session.add(Notification(
            instance_id=instance.id, task_id=row.id, kind="sla_overdue", candidate_group=row.candidate_group,
            unit=row.unit, user_id=row.assignee_id, created_at=at,
            message=f"Hồ sơ {instance.business_key}: công việc '{row.title}' đã quá hạn xử lý"))
