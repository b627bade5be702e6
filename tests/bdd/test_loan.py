"""Loan dossier scenarios (features/loan), driven through the service layer on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pytest_bdd import given
from pytest_bdd import parsers
from pytest_bdd import scenarios
from pytest_bdd import then
from pytest_bdd import when

from services import cases
from services import tasks
from services import timers
from services import users
from services.backend import Backend
from services.deploy import deploy_sources
from services.errors import DeployRejected
from services.errors import InvalidInput
from services.errors import TaskAlreadyCompleted
from services.models import AuditEvent
from services.models import HumanTask
from services.models import Notification
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.models import User
from tests.support import PASSWORD
from tests.support import Attempt
from tests.support import CaseRef
from tests.support import Clock
from tests.support import attempt
from tests.support import loan_dossier
from tests.support import read
from tests.support import run
from workflows.calendar import VIETNAM_TZ
from workflows.registry import read_folder

scenarios("loan")

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


def vnd(text: str) -> int:
    """'60.000.000' → 60000000."""
    return int(text.replace(".", ""))


def dossier(borrower: str, clock: Clock, **changes: Any) -> dict[str, Any]:
    """The compile form as the officer fills it for a man born 1988 who was amnestied early this year."""
    return loan_dossier(borrower, clock.now().astimezone(VIETNAM_TZ).date(), **changes)


def open_task(backend: Backend, case: CaseRef, task_name: str) -> HumanTask:
    """The case's open row for ``task_name`` (whoever may or may not see it)."""
    return read(backend, lambda s: s.scalars(sa.select(HumanTask).where(
        HumanTask.instance_id == case.id, HumanTask.task_name == task_name, HumanTask.status == "open")).one())


def complete(backend: Backend, clock: Clock, username: str, case: CaseRef, task_name: str,
             data: dict[str, Any]) -> ProcessInstance:
    task_id = open_task(backend, case, task_name).id
    return run(backend, lambda s: tasks.complete_task(s, backend.runtime, users.get_user(s, username), task_id, data,
                                                      at=clock.now()))


@given(parsers.parse('"{username}" has opened a loan dossier'), target_fixture="case")
def opened_dossier(backend: Backend, clock: Clock, username: str) -> CaseRef:
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, username), "loan_dossier",
                                                       at=clock.now()))
    return CaseRef(instance.id, instance.business_key)


@given(parsers.parse('"{username}" submits the dossier of "{borrower}" asking {amount} VND for {months:d} months'))
@when(parsers.parse('"{username}" submits the dossier of "{borrower}" asking {amount} VND for {months:d} months'))
def submit_dossier(backend: Backend, clock: Clock, case: CaseRef, username: str, borrower: str, amount: str,
                   months: int) -> None:
    data = dossier(borrower, clock, requested_amount_vnd=vnd(amount), loan_term_months=months)
    complete(backend, clock, username, case, "compile_dossier", data)


@when(parsers.parse('"{username}" submits the dossier of "{borrower}" released {years:d} years ago'))
def submit_old_release(backend: Backend, clock: Clock, case: CaseRef, username: str, borrower: str,
                       years: int) -> None:
    today = clock.now().astimezone(VIETNAM_TZ).date()
    released = today.replace(year=today.year - years) - dt.timedelta(days=1)
    complete(backend, clock, username, case, "compile_dossier",
             dossier(borrower, clock, sentence_completed_on=released.isoformat()))


@when(parsers.parse('"{username}" submits the dossier with citizen id "{number}"'), target_fixture="attempted")
def submit_with_citizen_id(backend: Backend, clock: Clock, case: CaseRef, username: str, number: str) -> Attempt:
    data = dossier("Trần Văn Bình", clock, national_id_number=number)
    return attempt(lambda: complete(backend, clock, username, case, "compile_dossier", data))


@given(parsers.parse('"{username}" confirms the dossier'))
@when(parsers.parse('"{username}" confirms the dossier'))
def confirm(backend: Backend, clock: Clock, case: CaseRef, username: str) -> None:
    complete(backend, clock, username, case, "confirm_at_commune", {"decision": "confirm", "comment": "Đủ điều kiện"})


@when(parsers.parse('"{username}" tries to confirm the dossier'), target_fixture="attempted")
def try_confirm(backend: Backend, clock: Clock, case: CaseRef, username: str) -> Attempt:
    return attempt(lambda: confirm(backend, clock, case, username))


@when(parsers.parse('"{username}" returns the dossier saying "{comment}"'))
def return_dossier(backend: Backend, clock: Clock, case: CaseRef, username: str, comment: str) -> None:
    complete(backend, clock, username, case, "confirm_at_commune",
             {"decision": "return", "comment": comment, "reason_code": "R2"})


@given(parsers.parse('the dossier of "{borrower}" has been returned {times:d} times by "{commune}"'))
def returned_times(backend: Backend, clock: Clock, case: CaseRef, borrower: str, times: int, commune: str) -> None:
    officer = read(backend, lambda s: s.get_one(ProcessInstance, case.id).started_by)
    assert officer is not None
    for n in range(times):
        complete(backend, clock, officer.username, case, "compile_dossier", dossier(borrower, clock))
        return_dossier(backend, clock, case, commune, f"Lần trả thứ {n + 1}: bổ sung giấy tờ")


@given(parsers.parse('"{username}" approves {amount} VND for {months:d} months'))
@when(parsers.parse('"{username}" approves {amount} VND for {months:d} months'))
def approve(backend: Backend, clock: Clock, case: CaseRef, username: str, amount: str, months: int) -> None:
    today = clock.now().astimezone(VIETNAM_TZ).date().isoformat()
    complete(backend, clock, username, case, "appraise_loan", {
        "decision": "approve", "approved_amount_vnd": vnd(amount), "approved_term_months": months,
        "approval_notice_ref": "04/TD-117", "approved_on": today})


@then("the appraisal showed the interest rate in force")
def interest_rate_shown(backend: Backend, clock: Clock, case: CaseRef) -> None:
    data = read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, case.id)))
    rate = backend.runtime.settings.interest_rate_on(clock.now().astimezone(VIETNAM_TZ).date())
    assert data["interest_rate_pct_year"] == rate
    assert data["overdue_interest_rate_pct_year"] == round(rate * 1.3, 3)


@when(parsers.parse('"{username}" disburses {amount} VND to loan account "{account}"'))
def disburse(backend: Backend, clock: Clock, case: CaseRef, username: str, amount: str, account: str) -> None:
    today = clock.now().astimezone(VIETNAM_TZ).date().isoformat()
    complete(backend, clock, username, case, "disburse_loan",
             {"disbursed_amount_vnd": vnd(amount), "disbursed_on": today, "loan_account_number": account})


@when(parsers.parse('"{username}" tries to disburse the loan'), target_fixture="attempted")
def try_disburse(backend: Backend, clock: Clock, case: CaseRef, username: str) -> Attempt:
    return attempt(lambda: disburse(backend, clock, case, username, "60.000.000", "7600112233"))


@when(parsers.parse('"{username}" withdraws the dossier because "{reason}"'))
def withdraw(backend: Backend, clock: Clock, case: CaseRef, username: str, reason: str) -> None:
    run(backend, lambda s: cases.withdraw_case(s, backend.runtime, users.get_user(s, username), case.id, reason,
                                               at=clock.now()))


@when(parsers.parse('"{username}" tries to withdraw the dossier'), target_fixture="attempted")
def try_withdraw(backend: Backend, clock: Clock, case: CaseRef, username: str) -> Attempt:
    return attempt(lambda: withdraw(backend, clock, case, username, "Không rõ lý do"))


@then(parsers.parse('the case is "{status}" with outcome "{outcome}"'))
def case_outcome(backend: Backend, case: CaseRef, status: str, outcome: str) -> None:
    instance = read(backend, lambda s: s.get_one(ProcessInstance, case.id))
    assert (instance.status, instance.outcome) == (status, outcome)
    assert instance.completed_at is not None


@then(parsers.parse('the dossier is back with "{username}" showing reason codes "{codes}"'))
def back_with_reasons(backend: Backend, case: CaseRef, username: str, codes: str) -> None:
    row = open_task(backend, case, "compile_dossier")
    holder = read(backend, lambda s: s.get_one(User, row.assignee_id).username if row.assignee_id else None)
    assert holder == username
    data = read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, case.id)))
    assert [r["code"] for r in data["ineligibility_reasons"]] == codes.split(",")
    assert all(r["text"] for r in data["ineligibility_reasons"])
    assert data["eligible"] is False


@then(parsers.parse('the case history lists "{types}"'))
def history_lists(backend: Backend, case: CaseRef, types: str) -> None:
    events = read(backend, lambda s: s.scalars(sa.select(AuditEvent.type).where(AuditEvent.instance_id == case.id)
                                               .order_by(AuditEvent.seq)).all())
    assert list(events) == types.split(", ")


@then(parsers.parse('the field "{field}" is refused with "{message}"'))
def field_refused(attempted: Attempt, field: str, message: str) -> None:
    assert isinstance(attempted.error, InvalidInput)
    messages = {e.field: e.message("vi") for e in attempted.error.errors}
    assert message in messages[field]


@then("nothing was written to the case")
def nothing_written(backend: Backend, case: CaseRef) -> None:
    instance = read(backend, lambda s: s.get_one(ProcessInstance, case.id))
    assert instance.audit_seq == 1
    assert open_task(backend, case, "compile_dossier").completed_at is None


@given(parsers.parse('a second commune officer "{username}" of commune {unit}'))
def second_commune_officer(backend: Backend, username: str, unit: str) -> None:
    run(backend, lambda s: users.add_user(s, username, PASSWORD, ["commune"], unit=unit, full_name="Ngô Văn Chí"))


@when(parsers.parse('"{first}" and "{second}" confirm the dossier at the same moment'), target_fixture="attempted")
def confirm_concurrently(backend: Backend, clock: Clock, case: CaseRef, first: str, second: str) -> Attempt:
    task_id = open_task(backend, case, "confirm_at_commune").id
    start = threading.Barrier(2)
    outcomes: list[Any] = []

    def confirm_as(username: str) -> None:
        start.wait()
        outcomes.append(attempt(lambda: run(backend, lambda s: tasks.complete_task(
            s, backend.runtime, users.get_user(s, username), task_id, {"decision": "confirm"}, at=clock.now()))))

    threads = [threading.Thread(target=confirm_as, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Attempt(results=outcomes)


@then("one confirmation succeeds and the other is told who completed it and when")
def one_wins(backend: Backend, case: CaseRef, attempted: Attempt) -> None:
    errors = [o.error for o in attempted.results if o.error is not None]
    assert len(attempted.results) == 2 and len(errors) == 1
    conflict = errors[0]
    assert isinstance(conflict, TaskAlreadyCompleted)
    winner, completed_at = read(backend, lambda s: s.execute(
        sa.select(User.full_name, HumanTask.completed_at).join(User, HumanTask.completed_by_id == User.id)
        .where(HumanTask.instance_id == case.id, HumanTask.task_name == "confirm_at_commune")).one())
    assert (conflict.completed_by, conflict.completed_at) == (winner, completed_at)
    assert conflict.message("vi").startswith(f"Công việc đã được {winner} hoàn thành lúc ")
    events = read(backend, lambda s: s.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == case.id, AuditEvent.task_name == "confirm_at_commune")))
    assert events == 1


def _loan_sources(edit: Any) -> dict[str, str]:
    sources = read_folder(BPMN)
    sources["loan_dossier.bpmn"] = edit(sources["loan_dossier.bpmn"])
    return sources


@when(parsers.parse('the administrator deploys a loan diagram whose gateway "{gateway}" has no default flow'),
      target_fixture="attempted")
def deploy_without_default(backend: Backend, gateway: str) -> Attempt:
    def drop_default(xml: str) -> str:
        return re.sub(rf'(<bpmn:exclusiveGateway id="{gateway}"[^>]*?) default="[^"]+"', r"\1", xml)

    sources = _loan_sources(drop_default)
    return attempt(lambda: run(backend, lambda s: deploy_sources(s, sources, actor="admin")))


@then(parsers.parse('the deployment is refused naming "{file_name}", a line number and "{element}"'))
def deployment_refused(attempted: Attempt, file_name: str, element: str) -> None:
    assert isinstance(attempted.error, DeployRejected)
    pattern = rf"{re.escape(file_name)}, dòng \d+, phần tử '{element}'"
    assert any(re.search(pattern, p) for p in attempted.error.problems), attempted.error.problems


@when("the administrator deploys a loan diagram with a renamed first task")
def deploy_renamed(backend: Backend) -> None:
    sources = _loan_sources(lambda xml: xml.replace('name="Lập hồ sơ vay vốn"', 'name="Lập hồ sơ vay vốn (mẫu mới)"'))
    deployed = run(backend, lambda s: deploy_sources(s, sources, actor="admin"))
    assert [(d.key, d.created) for d in deployed if d.key == "loan_dossier"] == [("loan_dossier", True)]


@then(parsers.parse("the loan process is still at version {version:d}"))
@then(parsers.parse("the loan process is at version {version:d}"))
def loan_version(backend: Backend, version: int) -> None:
    latest = read(backend, lambda s: cases.latest_version(s, "loan_dossier"))
    assert latest.version == version


@then(parsers.parse("the running case is still pinned to version {version:d}"))
def pinned(backend: Backend, case: CaseRef, version: int) -> None:
    pinned_version = read(backend, lambda s: s.get_one(ProcessInstance, case.id).version.version)
    assert pinned_version == version
    count = read(backend, lambda s: s.scalar(sa.select(sa.func.count()).select_from(ProcessVersion).where(
        ProcessVersion.process_key == "loan_dossier")))
    assert count == 2


@when(parsers.parse("someone changes the requested amount in audit event {seq:d} directly in the database"))
def tamper(backend: Backend, case: CaseRef, seq: int) -> None:
    where = (AuditEvent.instance_id == case.id) & (AuditEvent.seq == seq)
    with backend.engine.begin() as conn:
        data = dict(conn.execute(sa.select(AuditEvent.data).where(where)).scalar_one())
        data["requested_amount_vnd"] = 99_000_000
        conn.execute(sa.update(AuditEvent).where(where).values(data=data))


@then(parsers.parse("the commune task is due {days:d} working days later"))
def commune_due(backend: Backend, case: CaseRef, days: int) -> None:
    row = open_task(backend, case, "confirm_at_commune")
    assert row.due_at == backend.runtime.calendar.due_after(row.created_at, days)


@when(parsers.parse("the timer sweep runs {days:d} working days later"))
def sweep_later(backend: Backend, clock: Clock, case: CaseRef, days: int) -> None:
    row = open_task(backend, case, "confirm_at_commune")
    moment = backend.runtime.calendar.due_after(row.created_at, days)
    due = read(backend, lambda s: timers.due_cases(s, moment))
    assert due == [case.id]
    fired = run(backend, lambda s: timers.fire_timers(s, backend.runtime, case.id, moment))
    assert fired
    clock.fixed = moment + dt.timedelta(hours=1)


@then(parsers.parse("the commune task is flagged overdue and the commune group of {unit} is notified"))
def flagged_overdue(backend: Backend, case: CaseRef, unit: str) -> None:
    row = open_task(backend, case, "confirm_at_commune")
    assert row.escalated_at is not None
    notes = read(backend, lambda s: s.scalars(sa.select(Notification).where(Notification.instance_id == case.id)).all())
    assert [(n.kind, n.candidate_group, n.unit) for n in notes] == [("sla_overdue", "commune", unit)]
