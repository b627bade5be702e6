"""Closed vocabularies for statuses, one enum per concept."""
from __future__ import annotations

import enum


class InstanceStatus(enum.StrEnum):
    """Where a case stands (DESIGN §6)."""

    RUNNING = "running"
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    """Where an inbox row stands."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AuditType(enum.StrEnum):
    """What an audit event records."""

    STARTED = "case_started"
    CLAIMED = "task_claimed"
    UNCLAIMED = "task_unclaimed"
    COMPLETED = "task_completed"
    TIMER_FIRED = "timer_fired"
    WITHDRAWN = "case_withdrawn"
    FAILED = "case_failed"


WITHDRAWN_OUTCOME = "withdrawn"
