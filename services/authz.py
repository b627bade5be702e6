"""Who may do what: a task's candidates are a group plus, where the process says so, a unit."""
from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import or_
from sqlalchemy import select

from services.errors import NotAllowed
from services.errors import TaskHeldByOther
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User

# Groups that read cases they take no part in (an auditor only within their scope, see visible_cases_clause).
READ_ALL_GROUPS = frozenset({"auditor", "admin"})
WRITE_FORBIDDEN_GROUPS = frozenset({"auditor"})


def is_candidate(user: User, task: HumanTask) -> bool:
    """True when ``user`` belongs to the task's group and unit and is not barred from it."""
    return (task.candidate_group in user.groups and (task.unit is None or task.unit == user.unit)
            and f",{user.id}," not in task.excluded_users)


def require_can_work(user: User, task: HumanTask) -> None:
    """Raise unless ``user`` may claim or complete ``task``."""
    if not user.is_active or not is_candidate(user, task):
        raise NotAllowed()
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise TaskHeldByOther(task.assignee.full_name if task.assignee else str(task.assignee_id))


def candidate_clause(user: User) -> ColumnElement[bool]:
    """SQL for "tasks this user is a candidate for" (group, unit, separation of duties)."""
    unit_ok: ColumnElement[bool] = HumanTask.unit.is_(None)
    if user.unit is not None:
        unit_ok = or_(unit_ok, HumanTask.unit == user.unit)
    return and_(HumanTask.candidate_group.in_(sorted(user.groups)), unit_ok,
                HumanTask.excluded_users.not_like(f"%,{user.id},%"))


def require_writer(user: User) -> None:
    """Raise NotAllowed for users who only read (auditors), before any form is drawn or data is written."""
    if user.groups & WRITE_FORBIDDEN_GROUPS:
        raise NotAllowed()


def reads_all_cases(user: User) -> bool:
    """True for administrators and province-wide auditors."""
    return "admin" in user.groups or ("auditor" in user.groups and not user.audit_units)


def visible_cases_clause(user: User) -> ColumnElement[bool]:
    """SQL for "cases this user may see".

    Administrators and province-wide auditors see every case; an auditor scoped to units sees the cases
    of those units and nothing else (an auditor reads by scope, never by taking part); anyone else sees
    the cases they started, worked on, or are offered a task of.
    """
    if reads_all_cases(user):
        return ProcessInstance.id.is_not(None)
    if "auditor" in user.groups:
        return ProcessInstance.unit.in_(sorted(user.audit_units))
    touched = exists(select(HumanTask.id).where(
        HumanTask.instance_id == ProcessInstance.id,
        or_(HumanTask.assignee_id == user.id, HumanTask.completed_by_id == user.id, candidate_clause(user))))
    return or_(ProcessInstance.started_by_id == user.id, touched)
