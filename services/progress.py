"""After the engine moves a case: save its state, bring the inbox in line, and write the audit event.

Every command that changes a case ends here, so state, inbox rows and the audit chain always change
together in the caller's one transaction.
"""
from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services import audit
from services import driver
from services.errors import Conflict
from services.models import AuditEvent
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

# The hot path writes through the tables, below the ORM: a step is a few plain statements.
TASKS: Table = HumanTask.__table__  # type: ignore[assignment]
CASES: Table = ProcessInstance.__table__  # type: ignore[assignment]
EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
_UNLOADED = object()
# Written on every step; the other saved columns only when their value changes, which keeps SQLite off the
# pages of their indexes (status, unit, next_timer_at) and so shortens the durable commit.
_ALWAYS_SAVED = frozenset(("state", "state_token", "updated_at", "audit_seq", "audit_head"))
# The step's statements run on the driver (see services.driver), built once (per set of columns).
_SAVES: dict[tuple[str, ...], driver.Prepared] = {}
_CLOSE_TASK = driver.Prepared(update(TASKS).where(TASKS.c.id == bindparam("task_id")).values(
    {c: bindparam(c) for c in ("status", "completed_by_id", "completed_at", "assignee_id")}))
_ADD_TASKS = driver.Prepared(insert(TASKS).values({c.name: bindparam(c.name) for c in TASKS.c}))
_ADD_EVENT = driver.Prepared(insert(EVENTS).values({c.name: bindparam(c.name) for c in EVENTS.c if c.name != "id"}))
_COMPLETED_BY = driver.Prepared(select(TASKS.c.task_name, TASKS.c.completed_by_id).where(
    TASKS.c.instance_id == bindparam("instance_id"), TASKS.c.completed_by_id.is_not(None)))
_TASK_ROW = driver.Prepared(select(*TASKS.c).where(TASKS.c.id == bindparam("task_id")))
# A command finds its case's workflow in the worker's cache by the state token, so the saved state (the
# largest value of a step) is read only when the cache misses.
_UNREAD = ("state",)
_CASE_COLUMNS = driver.read_columns(CASES, _UNREAD)
# SQLite's write transaction holds the whole database from its BEGIN, so the task may be read with its case.
_TASK_WITH_CASE = driver.Prepared(select(*_CASE_COLUMNS, *TASKS.c).join(TASKS, TASKS.c.instance_id == CASES.c.id)
                                  .where(TASKS.c.id == bindparam("task_id")))
# Elsewhere the case is locked first and its task read only then: a row read in the same statement as the lock
# could predate the command that the lock waited for.
_CASE_OF_TASK_LOCKED = driver.Prepared(select(*_CASE_COLUMNS).join(TASKS, TASKS.c.instance_id == CASES.c.id)
                                       .where(TASKS.c.id == bindparam("task_id")).with_for_update(of=CASES))


@dataclass(frozen=True)
class Step:
    """What one command did to a case.

    ``ready_before`` are the human tasks that were waiting before the command: exactly the case's open
    inbox rows, so the inbox is brought in line without reading it back. ``closes`` holds the new values
    of the task the command completed, ``ends`` the status and outcome of a case the command stopped.
    """

    case: Case
    log: StepLog
    ready_before: set[str]
    entry: audit.AuditEntry
    closes: dict[str, Any] | None = None
    ends: dict[str, Any] | None = None


def record(session: Session, runtime: Runtime, instance: ProcessInstance, step: Step) -> None:
    """Persist the case on ``instance``, sync its inbox rows, flag escalations and append the audit event.

    This is the hot path of every step, so it writes with a handful of Core statements instead of an ORM
    flush; the loaded objects get the new values as committed state. The UPDATE of the case checks the
    state token it was read with, so a concurrent writer that slipped past the lock still loses cleanly.
    """
    case, entry = step.case, step.entry
    data, ready = case.data(snapshot=False), case.ready_tasks()
    values = _instance_values(instance, case, data, entry.at) | (step.ends or {})
    event = audit.link(instance, replace(entry, state_hash=case.fingerprint(data)))
    values.update(audit_seq=event["seq"], audit_head=event["hash"])
    if step.closes is not None and entry.task_id is not None:
        _CLOSE_TASK.execute(session, {**step.closes, "task_id": entry.task_id})
    _sync_inbox(session, instance, step, ready, data, values)
    _escalate(session, instance, step.log.escalated_tasks, entry.at)
    loaded = vars(instance)
    changed = {k: v for k, v in values.items() if k in _ALWAYS_SAVED or loaded.get(k, _UNLOADED) != v}
    saved = _save_case(tuple(changed)).execute(session, {**changed, "case_id": instance.id,
                                                         "read_token": instance.state_token})
    if saved.rowcount != 1:
        raise _lost_race()
    _ADD_EVENT.execute(session, event)
    driver.set_committed(instance, changed)
    runtime.checkin(session, instance, case)


def _save_case(columns: tuple[str, ...]) -> driver.Prepared:
    statement = _SAVES.get(columns)
    if statement is None:
        statement = _SAVES[columns] = driver.Prepared(
            update(CASES).where(CASES.c.id == bindparam("case_id"), CASES.c.state_token == bindparam("read_token"))
            .values({c: bindparam(c) for c in columns}))
    return statement


def _instance_values(instance: ProcessInstance, case: Case, data: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    name = data.get("full_name") or data.get("subject_name")
    number = data.get("national_id_number")
    values: dict[str, Any] = {
        "subject_name": str(name)[:200] if name else None, "subject_id_number": str(number)[:32] if number else None,
        "search_text": _case_search_text(instance.business_key, name, number), "unit": instance.unit,
        "state": case.dumps(), "state_token": uuid.uuid4().hex, "updated_at": at,
        "next_timer_at": case.next_timer_at(), "status": instance.status, "outcome": instance.outcome,
        "completed_at": instance.completed_at,
    }
    if values["unit"] is None and data.get("residence_commune_code"):
        values["unit"] = str(data["residence_commune_code"])
    if case.is_completed and instance.status == InstanceStatus.RUNNING:
        values.update(status=InstanceStatus.COMPLETED, outcome=case.outcome(), completed_at=at)
    return values


def _case_search_text(business_key: str, name: Any, number: Any) -> str:
    try:
        return _folded_search_text(business_key, name, number)
    except TypeError:  # a list or an object where a name was expected: nothing to remember it by
        return search_text([business_key, name, number])


# Folding costs more than the rest of a case's values, and most steps leave the name and number as they were.
# ``typed``: 1, 1.0 and True are one key otherwise, but not one text.
@functools.lru_cache(maxsize=4096, typed=True)
def _folded_search_text(business_key: str, name: Any, number: Any) -> str:
    return search_text([business_key, name, number])


def _lost_race() -> Conflict:
    return Conflict("Hồ sơ vừa được người khác cập nhật; vui lòng tải lại và thử lại",
                    "The case was just changed by someone else; reload and try again")


def lock_case(session: Session, instance_id: int) -> ProcessInstance | None:
    """Load a case for a write command, queueing behind any other command on it.

    On PostgreSQL this is a row lock (SELECT … FOR UPDATE) held until the caller commits; on SQLite the
    write transaction already holds the database lock. Reads after it see what earlier commands committed.
    """
    return session.get(ProcessInstance, instance_id, with_for_update={"of": ProcessInstance}, populate_existing=True)


def lock_task(session: Session, task_id: str) -> tuple[ProcessInstance, HumanTask] | None:
    """The task ``task_id`` and its case, the case locked for a write command (see ``lock_case``)."""
    params = {"task_id": task_id}
    if session.get_bind().dialect.name == "sqlite":
        found = _TASK_WITH_CASE.first(session, params)
        if found is None:
            return None
        split = len(_CASE_COLUMNS)
        return (driver.attach(session, ProcessInstance, found[:split], _UNREAD),
                driver.attach(session, HumanTask, found[split:]))
    case = _CASE_OF_TASK_LOCKED.first(session, params)
    task = _TASK_ROW.first(session, params) if case is not None else None
    if case is None or task is None:
        return None
    return driver.attach(session, ProcessInstance, case, _UNREAD), driver.attach(session, HumanTask, task)


def flush_or_conflict(session: Session) -> None:
    """Flush; a write that lost a race (stale state token, taken audit slot) becomes a Conflict."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError):
        raise _lost_race() from None


def _sync_inbox(session: Session, instance: ProcessInstance, step: Step, ready: list[ReadyTask],
                data: dict[str, Any], values: dict[str, Any]) -> None:
    ready_before = step.ready_before - {step.entry.task_id or ""}
    described = (values["subject_name"], values["unit"]) != (instance.subject_name, instance.unit)
    fresh = [_new_row(session, instance, t, data, values, step.entry.at) for t in ready if t.id not in ready_before]
    db = session.connection()
    if fresh:
        _ADD_TASKS.execute_many(session, fresh)
    gone = ready_before - {t.id for t in ready}
    if gone:
        db.execute(update(TASKS).where(TASKS.c.id.in_(gone), TASKS.c.status == TaskStatus.OPEN)
                   .values(status=TaskStatus.CANCELLED))
    still_open = ready_before - gone
    if described and still_open:
        db.execute(update(TASKS).where(TASKS.c.id.in_(still_open)).values(
            subject_name=values["subject_name"], search_text=values["search_text"]))


def _new_row(session: Session, instance: ProcessInstance, task: ReadyTask, data: dict[str, Any],
             values: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    props = task.properties
    lane_owners = data.get("lane_owners") or {}
    owners = lane_owners.get(task.lane) if isinstance(lane_owners, dict) else None
    group = str(owners[0] if isinstance(owners, list) and owners else owners or task.lane or "")
    unit_key = props.get("candidateUnitVariable")
    unit = str(data[unit_key]) if unit_key and data.get(unit_key) else None
    assignee = None
    if props.get("assignTo") == "starter" and instance.started_by is not None:
        assignee, unit = instance.started_by_id, instance.started_by.unit
    return {
        "id": task.id, "instance_id": instance.id, "process_key": instance.process_key, "task_name": task.name,
        "title": task.title, "title_en": task.title_en, "lane": task.lane, "candidate_group": group, "unit": unit,
        "assignee_id": assignee, "excluded_users": _excluded(session, instance, props.get("separateFrom")),
        "status": TaskStatus.OPEN, "form_name": props.get("formJsonSchemaFilename"), "created_at": at,
        "due_at": task.due_at, "escalated_at": None, "completed_by_id": None, "completed_at": None,
        "business_key": instance.business_key, "subject_name": values["subject_name"],
        "search_text": values["search_text"]}


def _excluded(session: Session, instance: ProcessInstance, separate_from: str | None) -> str:
    if not separate_from or instance.id is None:
        return ""
    names = set(separate_from.split(","))
    ids = {user_id for name, user_id in _COMPLETED_BY.all(session, {"instance_id": instance.id}) if name in names}
    return "," + ",".join(str(i) for i in sorted(ids)) + "," if ids else ""


def _escalate(session: Session, instance: ProcessInstance, task_names: list[str], at: dt.datetime) -> None:
    if not task_names:
        return
    rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.task_name.in_(task_names),
        HumanTask.status == TaskStatus.OPEN)).all()
    session.connection().execute(update(TASKS).where(TASKS.c.id.in_([r.id for r in rows])).values(escalated_at=at))
    for row in rows:
        session.add(Notification(
            instance_id=instance.id, task_id=row.id, kind="sla_overdue", candidate_group=row.candidate_group,
            unit=row.unit, user_id=row.assignee_id, created_at=at,
            message=f"Hồ sơ {instance.business_key}: công việc '{row.title}' đã quá hạn xử lý"))
