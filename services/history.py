"""A case's history for auditors: every event with what it submitted, what it changed and why the case
went where it went, and the case replayed as it was at a chosen step (DESIGN §5).

One replay of the whole log gives, for every event, the case data before and after it and the check of
its state hash; the page shows any step of it without running the engine again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services import replay
from services.models import AuditEvent
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime


@dataclass(frozen=True)
class Reason:
    """Why the case took one route: a gateway's flow or a decision table's result, in the diagram's words."""

    element: str
    to: str | None
    condition: str | None
    not_taken: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One audit event with its replayed step and its reasons."""

    event: AuditEvent
    step: replay.ReplayedStep
    task_title: str
    reasons: list[Reason]


@dataclass(frozen=True)
class CaseHistory:
    """Everything the history page shows."""

    instance: ProcessInstance
    entries: list[Entry]
    selected: Entry
    first_mismatch: int | None
    fields: dict[str, tuple[dict[str, Any], dict[str, Any]]]
    element_names: dict[str, str]


def case_history(session: Session, runtime: Runtime, user: User, instance_id: int,
                 step: int | None = None) -> CaseHistory:
    """Case ``instance_id``'s timeline, replayed and checked, with step ``step`` (default: the last) selected."""
    instance, events, chosen = replay.case_events(session, user, instance_id, step)
    definition = runtime.definition(session, instance.process_version_id)
    names = definition.element_names()
    steps = replay.run(definition, runtime, events)
    entries = [Entry(e, s, names.get(e.task_name or "", e.task_name or ""), _reasons(e.routing or [], names))
               for e, s in zip(events, steps, strict=True)]
    mismatch = next((s.seq for s in steps if not s.matches), None)
    return CaseHistory(instance, entries, entries[chosen - 1], mismatch, definition.field_schemas(), names)


def _reasons(routing: list[dict[str, Any]], names: dict[str, str]) -> list[Reason]:
    found = []
    for entry in routing:
        element = names.get(entry.get("element", ""), entry.get("element", ""))
        for because in entry.get("because", []):
            found.append(Reason(element, names.get(because["to"], because["to"]), because.get("condition"),
                                list(because.get("not_taken", [])), dict(because.get("inputs", {})), {}))
        decision = entry.get("decision")
        if decision:
            found.append(Reason(element, None, None, [], dict(decision.get("inputs", {})),
                                dict(decision.get("outputs", {}))))
    return found
