"""Property: whatever valid path a case takes (returns, rejections, timer firings, withdrawals), replaying its
audit log gives, at every step, exactly the state the live case recorded at that step."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from services import cases
from services import replay
from services import timers
from services import users
from services.backend import Backend
from services.models import HumanTask
from services.models import ProcessInstance
from services.status import InstanceStatus
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import run
from workflows.calendar import VIETNAM_TZ

CAST = [("an.police", "police", "10001"), ("binh.ubnd", "commune", "10001"), ("hanh.bank", "bank_appraiser", None),
        ("tuan.bank", "bank_teller", None), ("quynh.tt", "auditor", None), ("giang.unit", "unit_head", None),
        ("hai.noivu", "home_affairs", None), ("lam.hoidong", "provincial_council", None),
        ("nam.chutich", "chairman", None)]
START = dt.datetime(2026, 10, 5, 2, 0, tzinfo=dt.UTC)
Move = Callable[[dict[str, Any], dt.date], dict[str, Any]]

LOAN_MOVES: dict[str, tuple[str, list[Move]]] = {
    "compile_dossier": ("an.police", [
        lambda d, day: loan_dossier(today=day),
        lambda d, day: loan_dossier(today=day, requested_amount_vnd=150_000_000),
        lambda d, day: loan_dossier(today=day) | {"action": "withdraw", "withdraw_reason": "Không vay nữa"}]),
    "confirm_at_commune": ("binh.ubnd", [
        lambda d, day: {"decision": "confirm"},
        lambda d, day: {"decision": "return", "comment": "Bổ sung giấy tờ"},
        lambda d, day: {"decision": "reject", "comment": "Không cư trú tại xã"}]),
    "appraise_loan": ("hanh.bank", [
        lambda d, day: {"decision": "approve", "approved_amount_vnd": 50_000_000, "approved_term_months": 24,
                        "approval_notice_ref": "04/TD-9", "approved_on": day.isoformat()},
        lambda d, day: {"decision": "return", "comment": "Thiếu phương án"},
        lambda d, day: {"decision": "reject", "comment": "Không đủ vốn"}]),
    "disburse_loan": ("tuan.bank", [
        lambda d, day: {"disbursed_amount_vnd": 50_000_000, "disbursed_on": day.isoformat(),
                        "loan_account_number": "7600123"}]),
}

AWARD_MOVES: dict[str, tuple[str, list[Move]]] = {
    "nominate": ("giang.unit", [lambda d, day: {
        "award_form": "provincial_chairman_certificate_of_merit", "award_type": "topic", "proposal_number": "3/TTr",
        "proposal_date": day.isoformat(), "council_minutes_ref": "3/BB",
        "nominees": [{"recipient_kind": kind, "name": f"Đối tượng {d['case_id']}-{n}", "work_unit": "xã Hòa An",
                      "achievement_summary": f"Thành tích {n}", "under_discipline_or_investigation": False}
                     for n, kind in enumerate(("individual", "collective", "individual"))]}]),
    "appraise_dossier": ("hai.noivu", [
        lambda d, day: {"decision": "accept", "appraisal_results": d["appraisal_results"]},
        lambda d, day: {"decision": "accept", "appraisal_results": [
            r | {"accepted": False, "exclusion_reason": "Chưa xác nhận"} if r["nominee_no"] == 2 else r
            for r in d["appraisal_results"]]},
        lambda d, day: {"decision": "return", "comment": "Bổ sung", "appraisal_results": d["appraisal_results"]},
        lambda d, day: {"decision": "reject", "comment": "Không đạt", "appraisal_results": d["appraisal_results"]}]),
    "council_vote": ("lam.hoidong", [
        lambda d, day: _votes(d, day, 8, [8, 3, 6]),
        lambda d, day: _votes(d, day, 4, [4, 4, 4]),
        lambda d, day: _votes(d, day, 9, [2, 1, 0])]),
    "sign_decision": ("nam.chutich", [
        lambda d, day: {"decision": "approve", "signing_capacity": "ky_thay", "signer_title": "Phó Chủ tịch"},
        lambda d, day: {"decision": "reject", "signing_capacity": "self", "comment": "Chưa đủ tiêu chuẩn"}]),
    "issue_certificates": ("hai.noivu", [lambda d, day: {"handover_date": day.isoformat()}]),
}


def _votes(data: dict[str, Any], day: dt.date, present: int, votes: list[int]) -> dict[str, Any]:
    rows = [c | {"votes_for": min(votes[(c["nominee_no"] - 1) % 3], present)} for c in data["council_candidates"]]
    return {"meeting_date": day.isoformat(), "members_total": 9, "members_present": present, "council_votes": rows}


@pytest.fixture
def people(backend: Backend) -> None:
    """Everyone who works on loans and awards, and an inspector."""
    def create(s: Any) -> None:
        for name, group, unit in CAST:
            users.add_user(s, name, PASSWORD, [group], unit=unit)
    run(backend, create)


def walk(backend: Backend, process: str, moves: dict[str, tuple[str, list[Move]]], draw: Any) -> int:
    """Drive one case along choices drawn by hypothesis until it ends (or 14 steps); returns its id."""
    at = START
    starter = "an.police" if process == "loan_dossier" else "giang.unit"
    instance_id = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, starter), process,
                                                          at=at).id)
    for _ in range(14):
        waiting = read(backend, lambda s: s.scalars(sa.select(HumanTask.task_name).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")).first())
        if waiting is None:
            break
        at += dt.timedelta(hours=draw(st.sampled_from([1, 30, 24 * 40])))
        act(backend, instance_id, waiting, moves[waiting], draw(st.sampled_from(range(len(moves[waiting][1])))), at)
    return instance_id


def act(backend: Backend, instance_id: int, task_name: str, move: tuple[str, list[Move]], choice: int,
        at: dt.datetime) -> None:
    """Let due timers fire at ``at``, then the task's worker submits the chosen form."""
    run(backend, lambda s: timers.fire_timers(s, backend.runtime, instance_id, at))
    who, options = move
    current = read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, instance_id)))
    form = options[choice](current | {"case_id": instance_id}, at.astimezone(VIETNAM_TZ).date())
    run(backend, lambda s: cases.complete_waiting_task(s, backend.runtime, users.get_user(s, who), instance_id,
                                                       task_name, form, at=at))


def replays_exactly(backend: Backend, instance_id: int) -> None:
    backend.runtime.forget()
    view = read(backend, lambda s: replay.replay_case(s, backend.runtime, users.get_user(s, "quynh.tt"), instance_id))
    assert view.first_mismatch is None, f"step {view.first_mismatch} of {view.total_steps}"
    assert view.step.matches


PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.usefixtures("people")
@PROPERTY
@given(st.data())
def test_any_loan_path_replays_to_the_recorded_state_at_every_step(backend: Backend, data: st.DataObject) -> None:
    instance_id = walk(backend, "loan_dossier", LOAN_MOVES, data.draw)
    replays_exactly(backend, instance_id)


@pytest.mark.usefixtures("people")
@PROPERTY
@given(st.data())
def test_any_award_path_replays_to_the_recorded_state_at_every_step(backend: Backend, data: st.DataObject) -> None:
    instance_id = walk(backend, "award_nomination", AWARD_MOVES, data.draw)
    replays_exactly(backend, instance_id)
    status = read(backend, lambda s: s.get_one(ProcessInstance, instance_id).status)
    assert status in (InstanceStatus.RUNNING, InstanceStatus.COMPLETED)
