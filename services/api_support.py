"""The few compound calls the REST API needs, so each of its views makes exactly one service call."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services import attachments
from services import audit
from services import authz
from services import cases
from services import users
from services import views
from services.errors import NotAllowed
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime


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
    return CaseState(instance, cases.ready_rows(session, instance.id))


def complete(session: Session, runtime: Runtime, actor: User, task_id: str, data: dict[str, Any],
             idempotency_key: str | None = None) -> CaseState:
    """Complete a task and return its case with the tasks now waiting on it.

    Attachment refs in ``data`` are checked against the case's recorded files, as for the web form.
    """
    instance = attachments.complete_with_files(session, runtime, actor, task_id, data,
                                               idempotency_key=idempotency_key)
    return CaseState(instance, cases.ready_rows(session, instance.id))


def case_history(session: Session, user: User, instance_id: int) -> list[AuditEvent]:
    """The audit events of case ``instance_id``, if ``user`` may see the case."""
    instance = cases.get_case(session, user, instance_id)
    return views.history(session, instance.id)


def verify_audit(session: Session, user: User, instance_id: int | None = None) -> audit.Verification:
    """Check every audit chain in ``user``'s scope, or the chain of case ``instance_id``; only auditors and
    administrators may ask. An auditor scoped to units checks their units' cases and hears of no other.

    :raise NotFound: case ``instance_id`` does not exist or ``user`` may not see it.
    """
    if not user.groups & authz.READ_ALL_GROUPS:
        raise NotAllowed()
    if instance_id is not None:
        cases.get_case(session, user, instance_id)
    scope = None if authz.reads_all_cases(user) else authz.visible_cases_clause(user)
    return audit.verify(session, instance_id, scope)
