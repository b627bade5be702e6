"""Replay: re-execute a case from its audit log and show it as it was at any step (DESIGN §5).

The pinned process version runs again from the recorded inputs only (the data submitted at each step,
timer firings, withdrawals) with the engine clock set to each event's recorded time. After every event the
replayed case's fingerprint is compared with the state hash the live case recorded then, so a log that no
longer explains the case, or an engine that no longer runs it the same way, shows as a mismatch.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import cases
from services.errors import InvalidInput
from services.models import AuditEvent
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime
from services.status import AuditType
from workflows.engine import Case
from workflows.errors import WorkflowError
from workflows.messages import FieldError
from workflows.registry import ProcessDefinition


@dataclass(frozen=True)
class Change:
    """One field of the case data changed by a step."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ReplayedStep:
    """The case right after one audit event, as the replay rebuilt it."""

    seq: int
    type: str
    actor: str
    at: dt.datetime
    task_name: str | None
    recorded_hash: str
    replayed_hash: str
    data: dict[str, Any]
    passed: list[str]
    waiting: list[str]
    changes: list[Change]
    problem: str | None = None

    @property
    def matches(self) -> bool:
        """True when the replayed state is the state the live case recorded at this step."""
        return self.problem is None and self.recorded_hash == self.replayed_hash


@dataclass(frozen=True)
class Replay:
    """A case replayed up to one step: that step in full, and how many steps the case has."""

    instance: ProcessInstance
    step: ReplayedStep
    total_steps: int
    first_mismatch: int | None


def replay_case(session: Session, runtime: Runtime, user: User, instance_id: int, step: int | None = None) -> Replay:
    """Case ``instance_id`` as it was after audit event ``step`` (default: the last), if ``user`` may see it.

    Every event up to ``step`` is re-executed and checked; ``first_mismatch`` is the first of them whose
    replayed state differs from the recorded one.
    """
    instance, events, wanted = case_events(session, user, instance_id, step)
    steps = run(runtime.definition(session, instance.process_version_id), runtime, events[:wanted])
    mismatch = next((s.seq for s in steps if not s.matches), None)
    return Replay(instance, steps[-1], len(events), mismatch)


def case_events(session: Session, user: User, instance_id: int,
                step: int | None) -> tuple[ProcessInstance, list[AuditEvent], int]:
    """The case if ``user`` may see it, its audit events in order, and ``step`` checked (None: the last)."""
    instance = cases.get_case(session, user, instance_id)
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id)
                                  .order_by(AuditEvent.seq)))
    wanted = len(events) if step is None else step
    if not 1 <= wanted <= len(events):
        raise InvalidInput([FieldError("step", "maximum" if wanted > 1 else "minimum",
                                       {"limit": len(events) if wanted > 1 else 1})])
    return instance, events, wanted


def run(definition: ProcessDefinition, runtime: Runtime, events: list[AuditEvent]) -> list[ReplayedStep]:
    """Re-execute ``events`` in order on ``definition``; one ``ReplayedStep`` per event."""
    case: Case | None = None
    before: dict[str, Any] = {}
    steps = []
    for event in events:
        problem = None
        try:
            case = _apply(definition, runtime, case, event)
        except (WorkflowError, LookupError) as exc:
            problem = f"không chạy lại được bước này: {exc}"
        if case is None:
            raise InvalidInput([FieldError("step", "invalid", text=(
                "Sự kiện đầu tiên của hồ sơ không phải là tạo hồ sơ", "The case's first event is not its start"))])
        data = case.data()
        passed, waiting = case.trail()
        steps.append(ReplayedStep(event.seq, event.type, event.actor, event.at, event.task_name, event.state_hash,
                                  case.fingerprint(data), data, passed, waiting, _changes(before, data), problem))
        before = data
    return steps


def _apply(definition: ProcessDefinition, runtime: Runtime, case: Case | None, event: AuditEvent) -> Case | None:
    engine = runtime.engine
    if event.type == AuditType.STARTED:
        case, _log = engine.start(definition, {}, event.at)
        if event.data:
            engine.prefill(case, case.ready_tasks()[0].id, event.data)
    elif case is None:
        return None
    elif event.type == AuditType.COMPLETED:
        task = next((t for t in case.ready_tasks() if t.name == event.task_name), None)
        if task is None:
            raise LookupError(f"công việc {event.task_name} không ở trạng thái chờ xử lý")
        engine.complete(case, task.id, event.data, event.at)
    elif event.type == AuditType.TIMER_FIRED:
        engine.fire_due_timers(case, event.at)
    elif event.type == AuditType.WITHDRAWN:
        engine.cancel(case)
    return case


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    return [Change(key, before.get(key), after.get(key)) for key in dict.fromkeys([*before, *after])
            if before.get(key) != after.get(key)]
