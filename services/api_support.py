"""The few compound calls the REST API needs, so each of its views makes exactly one service call."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from services import audit
from services import authz
from services import cases
from services import tasks
from services import users
from services import views
from services.errors import NotAllowed
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime
from services.status import TaskStatus


@dataclass(frozen=True)
class SignIn:
    """A sign-in for the API: the throttled attempt and, when it succeeded, a new bearer token."""

    attempt: users.LoginAttempt
    token: str | None = None
    expires_at: dt.datetime | None = None


def sign_in(session: Session, username: str, password: str, now: dt.datetime, max_failures: int,
            lock_for: dt.timedelta) -> SignIn:
    """Check credentials as the sign-in page does (failures count towards a lock) and issue a token."""
    attempt = users.login(session, username, password, now, max_failures, lock_for)
    if attempt.user is None:
        return SignIn(attempt)
    token, expires_at = users.issue_token(session, attempt.user)
    return SignIn(attempt, token, expires_at)


@dataclass(frozen=True)
class CaseState:
    """A case right after a command, with the tasks now waiting on it."""

    instance: ProcessInstance
    ready: list[HumanTask]


def start(session: Session, runtime: Runtime, actor: User, process_key: str,
          data: dict[str, Any] | None = None) -> CaseState:
    """Start a case (``data`` pre-fills its first form) and return it with its first tasks."""
    instance = cases.start_case(session, runtime, actor, process_key, data)
    return CaseState(instance, open_tasks(session, instance.id))


def complete(session: Session, runtime: Runtime, actor: User, task_id: str, data: dict[str, Any],
             idempotency_key: str | None = None) -> CaseState:
    """Complete a task and return its case with the tasks now waiting on it."""
    instance = tasks.complete_task(session, runtime, actor, task_id, data, idempotency_key)
    return CaseState(instance, open_tasks(session, instance.id))


def open_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    """The case's open inbox rows as the database now holds them (bulk status updates included)."""
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status == TaskStatus.OPEN)
                                .options(joinedload(HumanTask.assignee))
                                .order_by(HumanTask.created_at, HumanTask.id)))


def case_history(session: Session, user: User, instance_id: int) -> list[AuditEvent]:
    """The audit events of case ``instance_id``, if ``user`` may see the case."""
    instance = cases.get_case(session, user, instance_id)
    return views.history(session, instance.id)


def verify_audit(session: Session, user: User) -> audit.Verification:
    """Check every audit chain; only auditors and administrators may ask."""
    if not user.groups & authz.READ_ALL_GROUPS:
        raise NotAllowed()
    return audit.verify(session)
