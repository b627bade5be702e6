"""Commands and queries on cases: start, withdraw, look up, list."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services import authz
from services import numbering
from services import progress
from services import tasks
from services.db import utcnow
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.errors import ProcessFailure
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.models import User
from services.runtime import Runtime
from services.status import WITHDRAWN_OUTCOME
from services.status import AuditType
from services.status import InstanceStatus
from services.status import TaskStatus
from workflows.calendar import VIETNAM_TZ
from workflows.engine import StepLog
from workflows.errors import EngineStepFailed
from workflows.forms import WITHDRAW_ACTION
from workflows.forms import FormSpec
from workflows.forms import offers_withdrawal
from workflows.messages import FieldError


def latest_versions(session: Session) -> list[ProcessVersion]:
    """The newest version of every deployed process."""
    newest = select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("v")).group_by(
        ProcessVersion.process_key).subquery()
    query = select(ProcessVersion).join(newest, (ProcessVersion.process_key == newest.c.process_key)
                                        & (ProcessVersion.version == newest.c.v)).order_by(ProcessVersion.process_key)
    return list(session.scalars(query))


def latest_version(session: Session, process_key: str) -> ProcessVersion:
    """The newest version of ``process_key``."""
    version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                             .order_by(ProcessVersion.version.desc()).limit(1))
    if version is None:
        raise NotFound("process")
    return version


def startable_versions(session: Session, user: User) -> list[ProcessVersion]:
    """The processes ``user`` may start (their groups own the start lane)."""
    return [v for v in latest_versions(session) if can_start(user, v)]


def can_start(user: User, version: ProcessVersion) -> bool:
    """True when ``user`` may start a case of ``version``."""
    return (user.is_active and not user.groups & authz.WRITE_FORBIDDEN_GROUPS
            and version.start_group is not None and version.start_group in user.groups)


def start_case(session: Session, runtime: Runtime, actor: User, process_key: str,
               data: dict[str, Any] | None = None, at: dt.datetime | None = None) -> ProcessInstance:
    """Open a new case of the newest version of ``process_key``; ``data`` pre-fills its first form."""
    version = latest_version(session, process_key)
    if not can_start(actor, version):
        raise NotAllowed()
    at = at or utcnow()
    definition = runtime.definition(session, version.id)
    try:
        case, log = runtime.engine.start(definition, {}, at)
    except EngineStepFailed as exc:
        raise ProcessFailure(str(exc), exc.task_name) from exc
    if data:
        _prefill(runtime, case, data)
    instance = ProcessInstance(
        business_key=numbering.business_key(session, at.astimezone(VIETNAM_TZ).year), process_version_id=version.id,
        process_key=process_key, status=InstanceStatus.RUNNING, state="",
        state_token=uuid.uuid4().hex, started_by_id=actor.id, started_at=at, updated_at=at,
        unit=actor.unit)
    session.add(instance)
    session.flush()
    entry = audit.AuditEntry(type=AuditType.STARTED, actor=actor.username, at=at, data=dict(data or {}),
                             routing=log.routing)
    progress.record(session, runtime, instance, progress.Step(case, log, set(), entry))
    return instance


def _prefill(runtime: Runtime, case: Any, data: dict[str, Any]) -> None:
    ready = case.ready_tasks()
    form = case.form(ready[0].name) if ready else None
    allowed = set(form.schema.get("properties", {})) if form else set()
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput([FieldError(k, "unknown_field") for k in unknown])
    runtime.engine.prefill(case, ready[0].id, data)


def withdraw_case(session: Session, runtime: Runtime, actor: User, instance_id: int, reason: str,
                  at: dt.datetime | None = None) -> ProcessInstance:
    """Withdraw a running case ("Rút hồ sơ"); only the officer who started it may.

    While the officer's own form is open and offers withdrawal, the case ends through the diagram's
    withdrawal path; anywhere else it is cancelled where it stands. Either way the outcome is "withdrawn".
    """
    instance = progress.lock_case(session, instance_id)
    if instance is None:
        raise NotFound("instance")
    if not may_withdraw(actor, instance):
        get_case(session, actor, instance_id)  # a case the actor cannot see does not exist for them
        raise NotAllowed()
    if instance.status != InstanceStatus.RUNNING:
        raise InvalidInput([FieldError("status", "invalid", text=("Hồ sơ đã kết thúc", "The case has ended"))])
    if not reason.strip():
        raise InvalidInput([FieldError("reason", "required")])
    at = at or utcnow()
    definition = runtime.definition(session, instance.process_version_id)
    for row in ready_rows(session, instance.id):
        if row.assignee_id == actor.id and offers_withdrawal(definition.form(row.task_name)):
            data = {"action": WITHDRAW_ACTION, "withdraw_reason": reason.strip()}
            return tasks.complete_task(session, runtime, actor, row.id, data, at=at)
    case = runtime.checkout(session, instance)
    ready_before = case.ready_task_ids()
    runtime.engine.cancel(case)
    entry = audit.AuditEntry(type=AuditType.WITHDRAWN, actor=actor.username, at=at, data={"reason": reason.strip()})
    ends = {"status": InstanceStatus.CANCELLED, "outcome": WITHDRAWN_OUTCOME, "completed_at": at}
    progress.record(session, runtime, instance, progress.Step(case, StepLog(), ready_before, entry, ends=ends))
    return instance


def may_withdraw(user: User, instance: ProcessInstance) -> bool:
    """True when ``user`` may withdraw ``instance``: the officer who started it, unless they only read now."""
    return instance.started_by_id == user.id and not user.groups & authz.WRITE_FORBIDDEN_GROUPS


def get_case(session: Session, user: User, instance_id: int) -> ProcessInstance:
    """Case ``instance_id`` if ``user`` may see it (otherwise it does not exist for them)."""
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.id == instance_id,
                                                            authz.visible_cases_clause(user)))
    if instance is None:
        raise NotFound("instance")
    return instance


def list_cases(session: Session, user: User, process_key: str | None = None, status: str | None = None,
               limit: int = 100, offset: int = 0) -> list[ProcessInstance]:
    """Cases in the user's scope, newest first."""
    query = select(ProcessInstance).where(authz.visible_cases_clause(user))
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    if status:
        query = query.where(ProcessInstance.status == status)
    return list(session.scalars(query.order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))


def case_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    """Every inbox row of a case, in the order they appeared."""
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                .order_by(HumanTask.created_at, HumanTask.id)))


def ready_rows(session: Session, instance_id: int) -> list[HumanTask]:
    """The case's tasks waiting for someone, as the database has them now."""
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status == TaskStatus.OPEN)
                                .order_by(HumanTask.created_at, HumanTask.id)
                                .execution_options(populate_existing=True)))


def case_data(session: Session, runtime: Runtime, instance: ProcessInstance) -> dict[str, Any]:
    """The case data as it stands now."""
    case = runtime.engine.load(runtime.definition(session, instance.process_version_id), instance.state)
    return case.data()


def first_form(session: Session, runtime: Runtime, version: ProcessVersion) -> tuple[str, FormSpec | None]:
    """The first task a new case of ``version`` waits for, and its form (found by a dry run in memory)."""
    definition = runtime.definition(session, version.id)
    case, _log = runtime.engine.start(definition, {}, utcnow())
    ready = case.ready_tasks()
    return (ready[0].name, definition.form(ready[0].name)) if ready else ("", None)


def start_and_submit(session: Session, runtime: Runtime, actor: User, process_key: str, data: dict[str, Any],
                     at: dt.datetime | None = None) -> ProcessInstance:
    """Open a case and submit its first form in one transaction: a refused form leaves no case behind."""
    instance = start_case(session, runtime, actor, process_key, at=at)
    first = next((r for r in ready_rows(session, instance.id) if r.assignee_id == actor.id), None)
    if first is None:
        return instance
    return tasks.complete_task(session, runtime, actor, first.id, data, at=at)


def complete_waiting_task(session: Session, runtime: Runtime, actor: User, instance_id: int, task_name: str,
                          data: dict[str, Any], at: dt.datetime | None = None) -> ProcessInstance:
    """Complete the open task named ``task_name`` of a case: how seeds and scripts name a step."""
    row = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                 HumanTask.task_name == task_name,
                                                 HumanTask.status == TaskStatus.OPEN).limit(1))
    if row is None:
        raise NotFound("task")
    return tasks.complete_task(session, runtime, actor, row.id, data, at=at)
