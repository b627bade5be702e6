"""Commands on inbox tasks (claim, unclaim, complete) and the inbox queries.

Each command is one transaction owned by the caller: the instance state, the inbox rows and the audit
event are written together or not at all.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services import authz
from services import driver
from services import progress
from services import task_rules
from services.db import utcnow
from services.errors import Conflict
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.errors import ProcessFailure
from services.errors import TaskAlreadyCompleted
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime
from services.status import AuditType
from services.status import InstanceStatus
from services.status import TaskStatus
from workflows.calendar import VIETNAM_TZ
from workflows.errors import EngineStepFailed
from workflows.errors import UnknownTask
from workflows.forms import FormSpec
from workflows.forms import validate_submission
from workflows.messages import FieldError


def _open_task(session: Session, actor: User, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    """The task and its case, locked for a write, after checking the task still waits for ``actor``."""
    if actor.groups & authz.WRITE_FORBIDDEN_GROUPS:
        raise NotAllowed()
    found = progress.lock_task(session, task_id)
    if found is None:
        raise NotFound("task")
    instance, row = found
    if row.status == TaskStatus.COMPLETED and row.completed_by is not None and row.completed_at is not None:
        raise TaskAlreadyCompleted(row.completed_by.full_name, row.completed_at, row.completed_by.username)
    if row.status != TaskStatus.OPEN:
        raise Conflict("Công việc này không còn chờ xử lý", "This task is no longer waiting")
    authz.require_can_work(actor, row)
    return row, instance


def claim_task(session: Session, actor: User, task_id: str, at: dt.datetime | None = None) -> HumanTask:
    """Take a group task into the actor's own inbox ("Nhận xử lý")."""
    row, instance = _open_task(session, actor, task_id)
    if row.assignee_id == actor.id:
        return row
    row.assignee_id = actor.id
    _log_inbox_change(session, instance, row, actor, AuditType.CLAIMED, at or utcnow())
    return row


def unclaim_task(session: Session, actor: User, task_id: str, at: dt.datetime | None = None) -> HumanTask:
    """Give a claimed task back to its group ("Trả về nhóm")."""
    row, instance = _open_task(session, actor, task_id)
    if row.assignee_id != actor.id:
        raise Conflict("Công việc chưa được nhận xử lý", "The task is not claimed")
    row.assignee_id = None
    _log_inbox_change(session, instance, row, actor, AuditType.UNCLAIMED, at or utcnow())
    return row


def _log_inbox_change(session: Session, instance: ProcessInstance, row: HumanTask, actor: User, kind: AuditType,
                      at: dt.datetime) -> None:
    last = session.scalar(select(AuditEvent.state_hash).where(AuditEvent.instance_id == instance.id)
                          .order_by(AuditEvent.seq.desc()).limit(1))
    audit.append(session, instance, audit.AuditEntry(type=kind, actor=actor.username, at=at, state_hash=last or "",
                                                     task_name=row.task_name, task_id=row.id))
    progress.flush_or_conflict(session)


def complete_task(session: Session, runtime: Runtime, actor: User, task_id: str, data: dict[str, Any],
                  idempotency_key: str | None = None, at: dt.datetime | None = None) -> ProcessInstance:
    """Submit a task's form: validate, advance the case, update the inbox and audit, in one transaction.

    An unclaimed group task is claimed for the actor in the same transaction. A repeated call with the
    same ``idempotency_key`` returns the case without doing anything twice.
    """
    repeated = _idempotent_replay(session, task_id, idempotency_key)
    if repeated is not None:
        return repeated
    row, instance = _open_task(session, actor, task_id)
    at = at or utcnow()
    case = runtime.checkout(session, instance)
    form = case.form(row.task_name)
    case_data = case.data(snapshot=False)
    clean = dict(data)
    if form is not None:
        clean, errors = validate_submission(form, data, case_data, at.astimezone(VIETNAM_TZ).date())
        if errors:
            raise InvalidInput(errors)
    properties = case.definition.task_properties(row.task_name)
    clean = task_rules.before_completion(session, instance, properties, clean, case_data, at)
    ready_before = case.ready_task_ids()
    try:
        log = runtime.engine.complete(case, task_id, clean, at)
    except UnknownTask as exc:
        raise NotFound("task") from exc
    except EngineStepFailed as exc:
        raise ProcessFailure(str(exc), exc.task_name) from exc
    closes = {"status": TaskStatus.COMPLETED, "completed_by_id": actor.id, "completed_at": at,
              "assignee_id": row.assignee_id or actor.id}
    entry = audit.AuditEntry(type=AuditType.COMPLETED, actor=actor.username, at=at, task_name=row.task_name,
                             task_id=row.id, data=clean, routing=log.routing, idempotency_key=idempotency_key)
    progress.record(session, runtime, instance, progress.Step(case, log, ready_before, entry, closes=closes))
    driver.set_committed(row, closes)  # written below the ORM; keep the loaded row truthful
    return instance


def _idempotent_replay(session: Session, task_id: str, key: str | None) -> ProcessInstance | None:
    if not key:
        return None
    event = session.scalar(select(AuditEvent).where(AuditEvent.idempotency_key == key))
    if event is None:
        return None
    if event.task_id != task_id:
        raise Conflict("Khóa idempotency đã được dùng cho công việc khác",
                       "This idempotency key was already used for another task")
    return session.get_one(ProcessInstance, event.instance_id)


def inbox_query(user: User, scope: str) -> Select[HumanTask]:
    """Open tasks assigned to ``user`` (scope ``mine``) or offered to their groups and unit (``group``)."""
    query = select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)
    if scope == "mine":
        return query.where(HumanTask.assignee_id == user.id)
    return query.where(HumanTask.assignee_id.is_(None), authz.candidate_clause(user))


def list_tasks(session: Session, user: User, scope: str = "mine") -> list[HumanTask]:
    """The user's inbox, oldest due first."""
    query = inbox_query(user, scope).order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
    return list(session.scalars(query))


def running_instance(session: Session, instance_id: int) -> ProcessInstance:
    """The case ``instance_id``, which must still be running."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("instance")
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("Hồ sơ đã kết thúc", "The case has ended")
    return instance


def submission_errors(form: FormSpec | None, case_data: dict[str, Any], data: dict[str, Any],
                      at: dt.datetime | None = None) -> list[FieldError]:
    """What is wrong with ``data`` for ``form``, writing nothing: the check made before asking for confirmation."""
    if form is None:
        return []
    _clean, errors = validate_submission(form, data, case_data, (at or utcnow()).astimezone(VIETNAM_TZ).date())
    return errors
