"""Replay: a case re-executed from its audit log matches what the live case recorded, step by step."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from services import cases
from services import replay
from services import tasks
from services import timers
from services import users
from services.backend import Backend
from services.errors import InvalidInput
from services.errors import NotFound
from services.models import AuditEvent
from services.models import HumanTask
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import run

CAST = [("an.police", "police", "10001"), ("binh.ubnd", "commune", "10001"), ("hanh.bank", "bank_appraiser", None),
        ("tuan.bank", "bank_teller", None), ("quynh.tt", "auditor", None), ("cuong.police", "police", "10002")]


@pytest.fixture
def people(backend: Backend) -> None:
    """A commune officer, a commune official, the bank and an inspector."""
    def create(s: Any) -> None:
        for name, group, unit in CAST:
            users.add_user(s, name, PASSWORD, [group], unit=unit)
    run(backend, create)


def step(backend: Backend, username: str, instance_id: int, task_name: str, data: dict[str, Any],
         at: dt.datetime) -> None:
    run(backend, lambda s: cases.complete_waiting_task(s, backend.runtime, users.get_user(s, username), instance_id,
                                                       task_name, data, at=at))


def returned_three_times_then_disbursed(backend: Backend) -> int:
    """A dossier the commune returns three times, then confirms; an SLA timer fires; the bank disburses."""
    at = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    today = at.date()
    instance_id = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, "an.police"),
                                                          "loan_dossier", at=at).id)
    step(backend, "an.police", instance_id, "compile_dossier", loan_dossier(today=today), at)
    for attempt in range(3):
        at += dt.timedelta(hours=2)
        step(backend, "binh.ubnd", instance_id, "confirm_at_commune",
             {"decision": "return", "comment": f"Bổ sung lần {attempt + 1}"}, at)
        corrected = loan_dossier(today=today, phone=f"098765432{attempt}")
        step(backend, "an.police", instance_id, "compile_dossier", corrected, at)
    step(backend, "binh.ubnd", instance_id, "confirm_at_commune", {"decision": "confirm"}, at)
    late = at + dt.timedelta(days=10)
    assert run(backend, lambda s: timers.fire_timers(s, backend.runtime, instance_id, late))
    step(backend, "hanh.bank", instance_id, "appraise_loan", {
        "decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
        "approval_notice_ref": "04/TD-1", "approved_on": late.date().isoformat()}, late)
    step(backend, "tuan.bank", instance_id, "disburse_loan", {
        "disbursed_amount_vnd": 60_000_000, "disbursed_on": late.date().isoformat(), "loan_account_number": "760112"},
        late)
    return instance_id


def replay_at(backend: Backend, instance_id: int, step_number: int | None, username: str = "quynh.tt") -> Any:
    backend.runtime.forget()
    return read(backend, lambda s: replay.replay_case(s, backend.runtime, users.get_user(s, username), instance_id,
                                                      step_number))


@pytest.mark.usefixtures("people")
def test_every_step_of_a_returned_then_disbursed_case_replays_to_its_recorded_state(backend: Backend) -> None:
    instance_id = returned_three_times_then_disbursed(backend)
    total = read(backend, lambda s: s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))
    views = [replay_at(backend, instance_id, n) for n in range(1, total + 1)]
    assert [v.step.matches for v in views] == [True] * total
    assert {v.first_mismatch for v in views} == {None}
    assert views[-1].step.data["return_count"] == 3
    assert "disburse_loan" in views[-1].step.passed and views[-1].step.waiting == []
    timer = next(v.step for v in views if v.step.type == "timer_fired")
    assert timer.waiting == ["appraise_loan"] and "escalate_appraisal" in timer.passed
    second = views[1].step
    assert second.task_name == "compile_dossier" and second.waiting == ["confirm_at_commune"]
    assert {c.field for c in second.changes} >= {"full_name", "requested_amount_vnd", "eligible"}


@pytest.mark.usefixtures("people")
def test_a_step_whose_recorded_data_was_altered_replays_to_a_different_state(backend: Backend) -> None:
    instance_id = returned_three_times_then_disbursed(backend)
    events = AuditEvent.__table__
    run(backend, lambda s: s.execute(sa.update(events).where(events.c.instance_id == instance_id,
                                                             events.c.seq == 3)
                                     .values(data={"decision": "return", "comment": "Sửa sau"})))
    view = replay_at(backend, instance_id, None)
    assert view.first_mismatch == 3  # the comment the commune typed is part of the case data, so the hash moves


@pytest.mark.usefixtures("people")
def test_replay_refuses_steps_outside_the_case_and_cases_outside_the_users_sight(backend: Backend) -> None:
    instance_id = returned_three_times_then_disbursed(backend)
    with pytest.raises(InvalidInput):
        replay_at(backend, instance_id, 0)
    with pytest.raises(InvalidInput):
        replay_at(backend, instance_id, 999)
    with pytest.raises(NotFound):
        replay_at(backend, instance_id, 1, username="cuong.police")


@pytest.mark.usefixtures("people")
def test_claims_leave_the_state_as_it_was(backend: Backend) -> None:
    at = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    instance_id = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, "an.police"),
                                                          "loan_dossier", at=at).id)
    step(backend, "an.police", instance_id, "compile_dossier", loan_dossier(today=at.date()), at)
    task_id = read(backend, lambda s: s.scalars(sa.select(HumanTask.id).where(HumanTask.status == "open")).one())
    run(backend, lambda s: tasks.claim_task(s, users.get_user(s, "binh.ubnd"), task_id, at))
    view = replay_at(backend, instance_id, 3)
    assert view.step.type == "task_claimed" and view.step.matches and view.step.changes == []
