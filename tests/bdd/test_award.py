"""Award nomination scenarios (features/award), driven through the service layer on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from pytest_bdd import given
from pytest_bdd import parsers
from pytest_bdd import scenarios
from pytest_bdd import then
from pytest_bdd import when

from services import cases
from services import users
from services.backend import Backend
from services.errors import InvalidInput
from services.models import ProcessInstance
from services.status import InstanceStatus
from tests.support import Attempt
from tests.support import CaseRef
from tests.support import Clock
from tests.support import attempt
from tests.support import read
from tests.support import run
from workflows.calendar import VIETNAM_TZ

scenarios("award")

AWARDS = {"Bằng khen of the provincial chairman": "provincial_chairman_certificate_of_merit",
          "Giấy khen of the police director": "police_director_certificate"}
# Who appraises, votes and signs each award in these scenarios.
OFFICES = {"provincial_chairman_certificate_of_merit": ("hai.noivu", "lam.hoidong", "nam.chutich"),
           "police_director_certificate": ("khanh.thidua", "minh.hoidong", "phuc.giamdoc")}
ACHIEVEMENT = "Giúp đỡ 5 người tái hòa nhập cộng đồng"


def vnd(text: str) -> int:
    """'3.510.000' → 3510000."""
    return int(text.replace(".", ""))


def nomination(award: str, nominees: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """The nomination form as a unit head fills it."""
    return {"award_form": AWARDS[award], "award_type": "topic", "proposal_number": "12/TTr-CAX",
            "proposal_date": "2026-11-20", "council_minutes_ref": "05/BB-HĐTĐKT", "nominees": nominees} | changes


def nominee(name: str, kind: str = "individual", achievement: str = ACHIEVEMENT, **changes: Any) -> dict[str, Any]:
    """One row of the nominee list."""
    return {"recipient_kind": kind, "name": name, "position": "Cán bộ" if kind == "individual" else "",
            "work_unit": "Công an xã Hòa An", "achievement_summary": achievement,
            "under_discipline_or_investigation": False} | changes


def nominees_from(datatable: list[list[str]]) -> list[dict[str, Any]]:
    header, *rows = datatable
    found = []
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        found.append(nominee(cells["name"], cells["kind"], cells["achievement"], position=cells["position"],
                             work_unit=cells["work unit"],
                             under_discipline_or_investigation=cells.get("under discipline") == "yes"))
    return found


def nominate(backend: Backend, clock: Clock, username: str, data: dict[str, Any]) -> CaseRef:
    instance = run(backend, lambda s: cases.start_and_submit(
        s, backend.runtime, users.get_user(s, username), "award_nomination", data, at=clock.now()))
    return CaseRef(instance.id, instance.business_key)


def case_data(backend: Backend, case: CaseRef) -> dict[str, Any]:
    return read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, case.id)))


def complete(backend: Backend, clock: Clock, username: str, case: CaseRef, task_name: str,
             data: dict[str, Any]) -> None:
    run(backend, lambda s: cases.complete_waiting_task(s, backend.runtime, users.get_user(s, username), case.id,
                                                       task_name, data, at=clock.now()))


def today(clock: Clock) -> str:
    return clock.now().astimezone(VIETNAM_TZ).date().isoformat()


# --- nominating ------------------------------------------------------------------------------------

@given(parsers.parse('"{username}" nominates for the {award}:'), target_fixture="case")
@when(parsers.parse('"{username}" nominates for the {award}:'), target_fixture="case")
def nominate_batch(backend: Backend, clock: Clock, username: str, award: str, datatable: list[list[str]]) -> CaseRef:
    return nominate(backend, clock, username, nomination(award, nominees_from(datatable)))


@when(parsers.parse('"{username}" tries to nominate for the {award}:'), target_fixture="attempted")
def try_nominate_batch(backend: Backend, clock: Clock, username: str, award: str,
                       datatable: list[list[str]]) -> Attempt:
    return attempt(lambda: nominate(backend, clock, username, nomination(award, nominees_from(datatable))))


@given(parsers.parse('"{username}" has nominated "{name}" for the {award}'), target_fixture="case")
def nominated_one(backend: Backend, clock: Clock, username: str, name: str, award: str) -> CaseRef:
    return nominate(backend, clock, username, nomination(award, [nominee(name)]))


@when(parsers.parse('"{username}" tries to nominate "{name}" again for the {award}'), target_fixture="attempted")
def try_nominate_again(backend: Backend, clock: Clock, username: str, name: str, award: str) -> Attempt:
    return attempt(lambda: nominate(backend, clock, username, nomination(award, [nominee(name)])))


@when(parsers.parse('"{username}" nominates "{name}" for the {award}'))
def nominate_one_more(backend: Backend, clock: Clock, username: str, name: str, award: str) -> None:
    nominate(backend, clock, username, nomination(award, [nominee(name)]))


@when(parsers.parse('"{username}" resubmits the nomination with council minutes "{reference}"'))
def resubmit(backend: Backend, clock: Clock, case: CaseRef, username: str, reference: str) -> None:
    data = case_data(backend, case)
    form = {k: data[k] for k in ("award_form", "award_type", "proposal_number", "proposal_date", "nominees")}
    complete(backend, clock, username, case, "nominate", form | {"council_minutes_ref": reference})


@given(parsers.parse('"{office}" has returned the nomination {times:d} times and "{unit}" resubmitted it each time'))
def returned_and_resubmitted(backend: Backend, clock: Clock, case: CaseRef, office: str, times: int,
                             unit: str) -> None:
    for round_number in range(1, times + 1):
        return_nomination(backend, clock, case, office, f"Bổ sung lần {round_number}")
        resubmit(backend, clock, case, unit, f"0{round_number}/BB-HĐTĐKT")


# --- appraisal -------------------------------------------------------------------------------------

@given(parsers.parse('"{username}" accepts every nominee'))
@when(parsers.parse('"{username}" accepts every nominee'))
def accept_all(backend: Backend, clock: Clock, case: CaseRef, username: str) -> None:
    results = case_data(backend, case)["appraisal_results"]
    complete(backend, clock, username, case, "appraise_dossier",
             {"decision": "accept", "comment": "Hồ sơ đầy đủ", "appraisal_results": results})


@when(parsers.parse('"{username}" excludes "{name}" saying "{reason}" and accepts the others'))
def exclude_one(backend: Backend, clock: Clock, case: CaseRef, username: str, name: str, reason: str) -> None:
    results = [r | {"accepted": False, "exclusion_reason": reason} if r["name"] == name else r
               for r in case_data(backend, case)["appraisal_results"]]
    complete(backend, clock, username, case, "appraise_dossier", {"decision": "accept", "appraisal_results": results})


@when(parsers.parse('"{username}" rejects the nomination saying "{comment}"'))
def reject_nomination(backend: Backend, clock: Clock, case: CaseRef, username: str, comment: str) -> None:
    results = case_data(backend, case)["appraisal_results"]
    complete(backend, clock, username, case, "appraise_dossier",
             {"decision": "reject", "comment": comment, "appraisal_results": results})


@when(parsers.parse('"{username}" returns the nomination saying "{comment}"'))
def return_nomination(backend: Backend, clock: Clock, case: CaseRef, username: str, comment: str) -> None:
    results = case_data(backend, case)["appraisal_results"]
    complete(backend, clock, username, case, "appraise_dossier",
             {"decision": "return", "comment": comment, "appraisal_results": results})


# --- council and signature -------------------------------------------------------------------------

@given(parsers.parse('"{username}" records the council vote with {present:d} of {total:d} members present '
                     'and votes {votes}'))
@when(parsers.parse('"{username}" records the council vote with {present:d} of {total:d} members present '
                    'and votes {votes}'))
def council_vote(backend: Backend, clock: Clock, case: CaseRef, username: str, present: int, total: int,
                 votes: str) -> None:
    candidates = case_data(backend, case)["council_candidates"]
    counts = [int(v) for v in votes.split(",")]
    complete(backend, clock, username, case, "council_vote", {
        "meeting_date": today(clock), "members_total": total, "members_present": present, "minutes_ref": "15/BB-HĐ",
        "council_votes": [c | {"votes_for": n} for c, n in zip(candidates, counts, strict=True)]})


@when(parsers.parse('"{username}" records {meetings:d} meetings in a row with {present:d} of {total:d} '
                    'members present'))
def meetings_without_quorum(backend: Backend, clock: Clock, case: CaseRef, username: str, meetings: int, present: int,
                            total: int) -> None:
    for _ in range(meetings):
        council_vote(backend, clock, case, username, present, total, str(present))


def signature(capacity: str = "self", title: str = "") -> dict[str, Any]:
    return {"decision": "approve", "signing_capacity": capacity} | ({"signer_title": title} if title else {})


@when(parsers.parse('"{username}" signs the decision as "{capacity}" for "{title}"'))
def sign(backend: Backend, clock: Clock, case: CaseRef, username: str, capacity: str, title: str) -> None:
    complete(backend, clock, username, case, "sign_decision", signature(capacity, title))


@when(parsers.parse('"{username}" signs the decision in person'))
def sign_in_person(backend: Backend, clock: Clock, case: CaseRef, username: str) -> None:
    complete(backend, clock, username, case, "sign_decision", signature())


@when(parsers.parse('"{username}" tries to sign the decision'), target_fixture="attempted")
def try_sign(backend: Backend, clock: Clock, case: CaseRef, username: str) -> Attempt:
    return attempt(lambda: complete(backend, clock, username, case, "sign_decision", signature()))


@when(parsers.parse('"{username}" hands over the certificates today'))
def hand_over(backend: Backend, clock: Clock, case: CaseRef, username: str) -> None:
    complete(backend, clock, username, case, "issue_certificates",
             {"handover_date": today(clock), "certificate_register_ref": "Sổ 01/2026"})


def waiting_for_signature(backend: Backend, clock: Clock, name: str, award: str) -> CaseRef:
    office, council, _authority = OFFICES[AWARDS[award]]
    case = nominate(backend, clock, "giang.unit", nomination(award, [nominee(name)]))
    accept_all(backend, clock, case, office)
    council_vote(backend, clock, case, council, 7, 9, "7")
    return case


@given(parsers.parse('a nomination of "{name}" for the {award} is waiting for signature'), target_fixture="case")
def one_waiting(backend: Backend, clock: Clock, name: str, award: str) -> CaseRef:
    return waiting_for_signature(backend, clock, name, award)


@given(parsers.parse('a nomination of "{name}" for the {award} has been awarded'), target_fixture="case")
def awarded(backend: Backend, clock: Clock, name: str, award: str) -> CaseRef:
    case = waiting_for_signature(backend, clock, name, award)
    office, _council, authority = OFFICES[AWARDS[award]]
    sign(backend, clock, case, authority, "self", "")
    hand_over(backend, clock, case, office)
    return case


@given(parsers.parse('a nomination of "{name}" for the {award} has been rejected'))
def rejected(backend: Backend, clock: Clock, name: str, award: str) -> None:
    case = nominate(backend, clock, "giang.unit", nomination(award, [nominee(name)]))
    reject_nomination(backend, clock, case, OFFICES[AWARDS[award]][0], "Không thuộc đối tượng")


@given(parsers.parse('nominations of "{first}" and "{second}" for the {award} are waiting for signature'),
       target_fixture="pair")
def two_waiting(backend: Backend, clock: Clock, first: str, second: str, award: str) -> list[CaseRef]:
    return [waiting_for_signature(backend, clock, name, award) for name in (first, second)]


@when(parsers.parse('"{username}" signs both decisions at the same moment'))
def sign_both_at_once(backend: Backend, clock: Clock, pair: list[CaseRef], username: str) -> None:
    start = threading.Barrier(len(pair))
    failures: list[BaseException] = []

    def sign_case(case: CaseRef) -> None:
        try:
            start.wait()
            sign(backend, clock, case, username, "self", "")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread below
            failures.append(exc)

    threads = [threading.Thread(target=sign_case, args=(case,)) for case in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@when(parsers.parse('"{username}" refuses to sign the first saying "{comment}"'))
def refuse_first(backend: Backend, clock: Clock, pair: list[CaseRef], username: str, comment: str) -> None:
    complete(backend, clock, username, pair[0], "sign_decision",
             {"decision": "reject", "signing_capacity": "self", "comment": comment})


@when(parsers.parse('"{username}" signs the second decision'))
def sign_second(backend: Backend, clock: Clock, pair: list[CaseRef], username: str) -> None:
    sign(backend, clock, pair[1], username, "self", "")


# --- outcomes ----------------------------------------------------------------------------------------

@then(parsers.parse('the decision is numbered "{number}" and dated today'))
def numbered(backend: Backend, clock: Clock, case: CaseRef, number: str) -> None:
    data = case_data(backend, case)
    assert (data["decision_number"], data["decision_date"]) == (number, today(clock))


@then(parsers.parse("the recipients and their bonuses are:"))
def recipients_are(backend: Backend, case: CaseRef, datatable: list[list[str]]) -> None:
    _header, *rows = datatable
    recipients = case_data(backend, case)["recipients"]
    assert [(r["name"], r["bonus_vnd"]) for r in recipients] == [(name, vnd(bonus)) for name, bonus in rows]


@then(parsers.parse("the total bonus is {amount} VND"))
def total_bonus(backend: Backend, case: CaseRef, amount: str) -> None:
    assert case_data(backend, case)["total_bonus_vnd"] == vnd(amount)


@then(parsers.parse('the case ends "{outcome}"'))
def case_ends(backend: Backend, case: CaseRef, outcome: str) -> None:
    instance = read(backend, lambda s: s.get_one(ProcessInstance, case.id))
    assert (instance.status, instance.outcome) == (InstanceStatus.COMPLETED, outcome)


@then(parsers.parse('"{first}" and "{second}" did not pass the council vote'))
def did_not_pass(backend: Backend, case: CaseRef, first: str, second: str) -> None:
    data = case_data(backend, case)
    assert [n["name"] for n in data["failed_nominees"]] == [first, second]
    assert first not in [n["name"] for n in data["passed_nominees"]]


@then(parsers.parse('the council votes only on "{name}"'))
def votes_only_on(backend: Backend, case: CaseRef, name: str) -> None:
    data = case_data(backend, case)
    assert [c["name"] for c in data["council_candidates"]] == [name]
    assert [e["reason"] for e in data["excluded_nominees"]] == ["Thành tích chưa được xác nhận"]


@then(parsers.parse('the nomination is refused at "{field}" with a message naming "{name}"'))
def refused_naming(attempted: Attempt, field: str, name: str) -> None:
    assert isinstance(attempted.error, InvalidInput)
    errors = {e.field: e.message("vi") for e in attempted.error.errors}
    assert name in errors[field], errors


@then(parsers.parse('the nomination is refused at "{field}" with a message naming the first case'))
def refused_naming_case(attempted: Attempt, case: CaseRef, field: str) -> None:
    assert isinstance(attempted.error, InvalidInput)
    errors = {e.field: e.message("vi") for e in attempted.error.errors}
    assert case.business_key in errors[field], errors


@then("no nomination has been opened")
def nothing_opened(backend: Backend) -> None:
    count = read(backend, lambda s: s.scalar(sa.select(sa.func.count()).select_from(ProcessInstance).where(
        ProcessInstance.process_key == "award_nomination")))
    assert count == 0


@then(parsers.parse('"{username}" has {count:d} nominations running'))
def nominations_running(backend: Backend, username: str, count: int) -> None:
    running = read(backend, lambda s: cases.list_cases(s, users.get_user(s, username), "award_nomination",
                                                       InstanceStatus.RUNNING))
    assert len(running) == count


@then(parsers.parse("the case shows the nomination was returned {count:d} time"))
def returned_count(backend: Backend, case: CaseRef, count: int) -> None:
    assert case_data(backend, case)["return_count"] == count


@then(parsers.parse('the two decisions are numbered "{first}" and "{second}"'))
def numbered_pair(backend: Backend, pair: list[CaseRef], first: str, second: str) -> None:
    assert sorted(case_data(backend, c)["decision_number"] for c in pair) == [first, second]


@then(parsers.parse('the second decision is numbered "{number}"'))
def second_numbered(backend: Backend, pair: list[CaseRef], number: str) -> None:
    assert case_data(backend, pair[1])["decision_number"] == number
    assert not case_data(backend, pair[0]).get("decision_number")

