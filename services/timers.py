"""SLA timers: find cases with a timer due and let it fire, one case per transaction."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services import progress
from services.errors import ProcessFailure
from services.models import ProcessInstance
from services.runtime import Runtime
from services.status import AuditType
from services.status import InstanceStatus
from workflows.errors import EngineStepFailed

SYSTEM_ACTOR = "system"


def due_cases(session: Session, now: dt.datetime, limit: int = 500) -> list[int]:
    """Ids of running cases whose next timer is due at ``now``."""
    query = (select(ProcessInstance.id).where(ProcessInstance.status == InstanceStatus.RUNNING,
                                              ProcessInstance.next_timer_at <= now)
             .order_by(ProcessInstance.next_timer_at).limit(limit))
    return list(session.scalars(query))


def fire_timers(session: Session, runtime: Runtime, instance_id: int, now: dt.datetime) -> bool:
    """Fire the case's due timers (escalations flag the task and notify); False when none was due."""
    instance = progress.lock_case(session, instance_id)
    if (instance is None or instance.status != InstanceStatus.RUNNING or instance.next_timer_at is None
            or instance.next_timer_at > now):
        return False
    case = runtime.checkout(session, instance)
    ready_before = case.ready_task_ids()
    try:
        log = runtime.engine.fire_due_timers(case, now)
    except EngineStepFailed as exc:
        raise ProcessFailure(str(exc), exc.task_name) from exc
    entry = audit.AuditEntry(type=AuditType.TIMER_FIRED, actor=SYSTEM_ACTOR, at=now, routing=log.routing)
    progress.record(session, runtime, instance, progress.Step(case, log, ready_before, entry))
    return True
