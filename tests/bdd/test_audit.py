"""Audit scenarios (features/audit), told from the inspector's side, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from pytest_bdd import given
from pytest_bdd import parsers
from pytest_bdd import scenarios
from pytest_bdd import then
from pytest_bdd import when

from services import cases
from services import history
from services import replay
from services import users
from services.backend import Backend
from services.models import AuditEvent
from tests.support import Attempt
from tests.support import CaseRef
from tests.support import attempt
from tests.support import loan_dossier
from tests.support import read
from tests.support import run

scenarios("audit")

AT = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


def vnd(text: str) -> int:
    """'60.000.000' → 60000000."""
    return int(text.replace(".", ""))


def act(backend: Backend, username: str, case: CaseRef, task_name: str, data: dict[str, Any],
        at: dt.datetime = AT) -> None:
    run(backend, lambda s: cases.complete_waiting_task(s, backend.runtime, users.get_user(s, username), case.id,
                                                       task_name, data, at=at))


def opened(backend: Backend, borrower: str) -> CaseRef:
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, "an.police"),
                                                       "loan_dossier", at=AT))
    case = CaseRef(instance.id, instance.business_key)
    act(backend, "an.police", case, "compile_dossier", loan_dossier(borrower, AT.date()))
    return case


@given(parsers.parse('the dossier of "{borrower}" was returned {times:d} times by "{commune}" and then disbursed'),
       target_fixture="case")
def returned_then_disbursed(backend: Backend, borrower: str, times: int, commune: str) -> CaseRef:
    case = opened(backend, borrower)
    for attempt_number in range(1, times + 1):
        returned = {"decision": "return", "comment": f"Bổ sung lần {attempt_number}"}
        act(backend, commune, case, "confirm_at_commune", returned)
        act(backend, "an.police", case, "compile_dossier", loan_dossier(borrower, AT.date(),
                                                                        phone=f"09870011{attempt_number:02d}"))
    act(backend, commune, case, "confirm_at_commune", {"decision": "confirm"})
    act(backend, "hanh.bank", case, "appraise_loan", {
        "decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
        "approval_notice_ref": "04/TD-7", "approved_on": AT.date().isoformat()})
    act(backend, "tuan.bank", case, "disburse_loan", {
        "disbursed_amount_vnd": 60_000_000, "disbursed_on": AT.date().isoformat(), "loan_account_number": "760099"})
    return case


@given(parsers.parse('"{officer}" has opened a loan dossier for "{borrower}" that waits at the commune'),
       target_fixture="case")
def waiting_at_commune(backend: Backend, officer: str, borrower: str) -> CaseRef:
    return opened(backend, borrower)


def replayed(backend: Backend, case: CaseRef, username: str, step: int | None = None) -> replay.Replay:
    backend.runtime.forget()
    return read(backend, lambda s: replay.replay_case(s, backend.runtime, users.get_user(s, username), case.id, step))


@when(parsers.parse('"{username}" replays the case'), target_fixture="replays")
def replay_every_step(backend: Backend, case: CaseRef, username: str) -> list[replay.Replay]:
    total = replayed(backend, case, username).total_steps
    return [replayed(backend, case, username, n) for n in range(1, total + 1)]


@then("every step of the replay matches the state recorded at that step")
def all_match(replays: list[replay.Replay]) -> None:
    assert [r.step.matches for r in replays] == [True] * len(replays)
    assert replays[-1].step.passed[-1] == "disbursed"


@then(parsers.parse('at step {number:d} the case waits for "{task_name}" after the commune wrote "{comment}"'))
def waits_after(replays: list[replay.Replay], number: int, task_name: str, comment: str) -> None:
    step = replays[number - 1].step
    assert step.waiting == [task_name]
    assert step.data["comment"] == comment


@then(parsers.parse("at step {number:d} the return count is {count:d} and the requested amount {amount} VND"))
def counted(replays: list[replay.Replay], number: int, count: int, amount: str) -> None:
    data = replays[number - 1].step.data
    assert (data["return_count"], data["requested_amount_vnd"]) == (count, vnd(amount))


@when(parsers.parse('"{username}" reads the history of the case'), target_fixture="timeline")
def read_history(backend: Backend, case: CaseRef, username: str) -> history.CaseHistory:
    return read(backend, lambda s: history.case_history(s, backend.runtime, users.get_user(s, username), case.id))


@then(parsers.parse('step {number:d} explains that "{gateway}" went to "{target}" because no condition held for '
                    'decision "{decision}"'))
def explained_default(timeline: history.CaseHistory, number: int, gateway: str, target: str, decision: str) -> None:
    reasons = [r for r in timeline.entries[number - 1].reasons if r.element == gateway]
    assert len(reasons) == 1
    assert (reasons[0].to, reasons[0].condition, reasons[0].inputs) == (target, None, {"decision": decision})
    assert sorted(reasons[0].not_taken) == ['decision == "confirm"', 'decision == "reject"']


@then(parsers.parse("step {number:d} shows the eligibility table read the requested amount {amount} VND"))
def eligibility_inputs(timeline: history.CaseHistory, number: int, amount: str) -> None:
    decision = next(r for r in timeline.entries[number - 1].reasons if r.outputs)
    assert decision.element == "Kiểm tra điều kiện vay vốn"
    assert decision.inputs["requested_amount_vnd"] == vnd(amount)
    assert decision.outputs == {"eligibility_reason_code": None, "eligibility_reason_text": None}


@when(parsers.parse("someone rewrites the commune's comment in audit event {seq:d} directly in the database"))
def rewrite_comment(backend: Backend, case: CaseRef, seq: int) -> None:
    where = (AuditEvent.instance_id == case.id) & (AuditEvent.seq == seq)
    with backend.engine.begin() as conn:
        data = dict(conn.execute(sa.select(AuditEvent.data).where(where)).scalar_one())
        conn.execute(sa.update(AuditEvent).where(where).values(data=data | {"comment": "Đã xác minh, đủ điều kiện"}))


@then(parsers.parse("the replay of the case stops matching at step {number:d}"))
def stops_matching(backend: Backend, case: CaseRef, number: int) -> None:
    assert replayed(backend, case, "quynh.tt").first_mismatch == number


@when(parsers.parse('"{username}" tries to confirm the dossier'), target_fixture="attempted")
def try_confirm(backend: Backend, case: CaseRef, username: str) -> Attempt:
    return attempt(lambda: act(backend, username, case, "confirm_at_commune", {"decision": "confirm"}))


@then(parsers.parse('"{username}" can read the case'))
def can_read(backend: Backend, case: CaseRef, username: str) -> None:
    seen = read(backend, lambda s: cases.get_case(s, users.get_user(s, username), case.id))
    assert seen.business_key == case.business_key
