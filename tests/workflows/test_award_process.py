"""The real award process runs every path in memory: lane owners by award form, council quorum, bonuses, SLAs.

Each submission is first checked against its real form with the case data of that moment, so the process and
its forms agree on every key they share.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from workflows.calendar import WorkingCalendar
from workflows.engine import Case
from workflows.engine import Engine
from workflows.engine import ReadyTask
from workflows.engine import StepLog
from workflows.forms import validate_submission
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources

# Monday 2 March 2026, 09:00 in Hà Nội.
AT = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
MERIT = "provincial_chairman_certificate_of_merit"
POLICE = "police_director_certificate"


def paths(log: StepLog) -> list[dict[str, Any]]:
    """The route a step took (element, kind, flows chosen), without the recorded reasons."""
    return [{k: entry[k] for k in ("element", "kind", "chosen") if k in entry} for entry in log.routing]


def _nominee(name: str, kind: str = "individual", **extra: Any) -> dict[str, Any]:
    return {"recipient_kind": kind, "name": name, "position": "Cán bộ" if kind == "individual" else "",
            "work_unit": "Công an xã Hòa An", "achievement_summary": f"Giúp đỡ người chấp hành xong án ({name})",
            "under_discipline_or_investigation": False, **extra}


MIXED = [_nominee("Nguyễn Văn An"), _nominee("Công an xã Hòa An", "collective")]
FIVE = [_nominee(name) for name in ("Lê Thị Một", "Trần Văn Hai", "Phạm Thị Ba", "Hoàng Văn Bốn", "Vũ Thị Năm")]


def _nomination(award_form: str = MERIT, nominees: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"award_form": award_form, "award_type": "topic", "proposal_number": "12/TTr-CAX",
            "proposal_date": "2026-02-20", "council_minutes_ref": "05/BB-HĐTĐKT",
            "nominees": [dict(n) for n in nominees or MIXED]}


def _vote(case: Case, votes: list[int], present: int = 7, total: int = 9) -> dict[str, Any]:
    rows = [dict(row, votes_for=n) for row, n in zip(case.data()["council_candidates"], votes, strict=True)]
    return {"meeting_date": "2026-03-02", "members_total": total, "members_present": present,
            "minutes_ref": "07/BB-HĐ", "council_votes": rows}


SIGN: dict[str, Any] = {"decision": "approve", "signing_capacity": "ky_thay", "signer_title": "Phó Chủ tịch"}
NUMBERED: dict[str, Any] = {"decision_number": "7/QĐ-UBND", "decision_date": "2026-03-02"}
ISSUE: dict[str, Any] = {"handover_date": "2026-03-02", "certificate_register_ref": "Sổ 01/2026"}


@pytest.fixture(scope="module")
def award(loan_sources: dict[str, str]) -> ProcessDefinition:
    """The real award_nomination process."""
    return load_sources(loan_sources)["award_nomination"]


def _only_task(case: Case) -> ReadyTask:
    [task] = case.ready_tasks()
    return task


def _save_restore(engine: Engine, case: Case) -> Case:
    state = case.dumps()
    restored = engine.load(case.definition, state)
    assert restored.fingerprint() == case.fingerprint()
    assert restored.ready_tasks() == case.ready_tasks()
    assert json.loads(restored.dumps()) == json.loads(state)
    return restored


def _start(engine: Engine, award: ProcessDefinition) -> Case:
    case, log = engine.start(award, {}, AT)
    assert [step["element"] for step in log.routing] == ["start", "init_award"]
    assert _only_task(case).name == "nominate"
    return _save_restore(engine, case)


def _step(engine: Engine, case: Case, task_name: str, data: dict[str, Any],
          extra: dict[str, Any] | None = None) -> tuple[Case, StepLog]:
    """Check ``data`` against the task's form, complete the one ready task with it (plus ``extra``)."""
    task = _only_task(case)
    assert task.name == task_name
    form = case.form(task_name)
    assert form is not None
    clean, errors = validate_submission(form, data, case.data(), TODAY)
    assert errors == []
    log = engine.complete(case, task.id, {**clean, **(extra or {})}, AT)
    return _save_restore(engine, case), log


def _to_council(engine: Engine, award: ProcessDefinition, award_form: str = MERIT,
                nominees: list[dict[str, Any]] | None = None) -> Case:
    case = _start(engine, award)
    case, _ = _step(engine, case, "nominate", _nomination(award_form, nominees))
    results = case.data()["appraisal_results"]
    case, _ = _step(engine, case, "appraise_dossier", {"decision": "accept", "appraisal_results": results})
    assert _only_task(case).name == "council_vote"
    return case


@pytest.mark.parametrize(("award_form", "owners", "book", "issuer", "bonuses"), [
    (MERIT, {"emulation_office": ["home_affairs"], "council": ["provincial_council"], "authority": ["chairman"]},
     "QĐ-UBND", "Chủ tịch Ủy ban nhân dân tỉnh", [3_510_000, 7_020_000]),
    (POLICE, {"emulation_office": ["police_emulation"], "council": ["police_council"],
              "authority": ["police_director"]}, "QĐ-CAT", "Giám đốc Công an tỉnh", [702_000, 1_404_000]),
])
def test_mixed_batch_is_awarded(engine: Engine, award: ProcessDefinition, award_form: str,  # noqa: PLR0917
                                owners: dict[str, list[str]], book: str, issuer: str, bonuses: list[int]) -> None:
    """An individual and a collective go unit head → appraisal → council → signature → certificates.

    Bonuses are coefficient × the base salary of 2,340,000 on the decision date, doubled for the collective.
    """
    case = _start(engine, award)
    first = _only_task(case)
    assert (first.lane, first.title_en, first.properties["assignTo"]) == (
        "unit_head", "Nominate for an award", "starter")
    assert {k: first.properties[k] for k in ("claimRows", "claimKeys", "claimScope", "claimLabel")} == {
        "claimRows": "nominees", "claimKeys": "name,achievement_summary", "claimScope": "award_form",
        "claimLabel": "name"}
    case, _ = _step(engine, case, "nominate", _nomination(award_form))
    data = case.data()
    assert (data["lane_owners"], data["decision_book"], data["issuer_title"]) == (owners, book, issuer)
    assert (data["nominee_count"], data["subject_name"], data["return_count"]) == (2, "12/TTr-CAX — 2 đối tượng", 0)
    assert data["appraisal_results"] == [
        {"nominee_no": 1, "name": "Nguyễn Văn An", "accepted": True, "exclusion_reason": ""},
        {"nominee_no": 2, "name": "Công an xã Hòa An", "accepted": True, "exclusion_reason": ""}]
    appraisal = _only_task(case)
    assert (appraisal.name, appraisal.lane, appraisal.due_at is not None) == (
        "appraise_dossier", "emulation_office", True)
    case, log = _step(engine, case, "appraise_dossier",
                      {"decision": "accept", "appraisal_results": data["appraisal_results"]})
    assert {"element": "gw_appraisal", "kind": "ExclusiveGateway", "chosen": ["prepare_vote"]} in paths(log)
    assert _only_task(case).lane == "council"
    assert case.data()["council_votes"] == [
        {"nominee_no": 1, "name": "Nguyễn Văn An", "votes_for": None},
        {"nominee_no": 2, "name": "Công an xã Hòa An", "votes_for": None}]
    assert case.data()["excluded_nominees"] == []
    case, _ = _step(engine, case, "council_vote", _vote(case, [7, 6]))
    assert case.data()["quorum_met"] is True
    assert [(n["nominee_no"], n["name"], n["votes_for"]) for n in case.data()["passed_nominees"]] == [
        (1, "Nguyễn Văn An", 7), (2, "Công an xã Hòa An", 6)]
    signing = _only_task(case)
    assert (signing.lane, signing.title_en, signing.properties["numberBookVariable"]) == (
        "authority", "Sign the decision", "decision_book")
    assert signing.properties["numberWhen"] == "decision=approve"
    case, _ = _step(engine, case, "sign_decision", SIGN, NUMBERED)
    data = case.data()
    assert (data["base_salary_vnd"], data["decision_number"], data["decision_date"]) == (
        2_340_000, "7/QĐ-UBND", "2026-03-02")
    assert [(r["name"], r["recipient_kind"], r["bonus_vnd"]) for r in data["recipients"]] == [
        ("Nguyễn Văn An", "individual", bonuses[0]), ("Công an xã Hòa An", "collective", bonuses[1])]
    assert data["total_bonus_vnd"] == sum(bonuses)
    assert data["recipients"][0]["work_unit"] == "Công an xã Hòa An"
    issuing = _only_task(case)
    assert (issuing.lane, issuing.title_en) == ("emulation_office", "Issue certificates and bonuses")
    case, _ = _step(engine, case, "issue_certificates", ISSUE)
    assert case.is_completed
    assert case.outcome() == "awarded"
    assert case.next_timer_at() is None


def test_three_of_five_pass_with_more_than_half_of_all_members(engine: Engine, award: ProcessDefinition) -> None:
    """9 members, 7 present: 7, 6 and 5 votes pass (more than 4.5); 4 and 2 do not."""
    case = _to_council(engine, award, POLICE, FIVE)
    case, log = _step(engine, case, "council_vote", _vote(case, [7, 6, 5, 4, 2]))
    chosen = ["sign_decision.BoundaryEventSplit"]
    assert {"element": "gw_vote", "kind": "ExclusiveGateway", "chosen": chosen} in paths(log)
    data = case.data()
    assert [n["name"] for n in data["passed_nominees"]] == ["Lê Thị Một", "Trần Văn Hai", "Phạm Thị Ba"]
    assert [(n["nominee_no"], n["votes_for"]) for n in data["failed_nominees"]] == [(4, 4), (5, 2)]
    case, _ = _step(engine, case, "sign_decision", {"decision": "approve", "signing_capacity": "self"},
                    {"decision_number": "3/QĐ-CAT", "decision_date": "2026-03-02"})
    assert [r["bonus_vnd"] for r in case.data()["recipients"]] == [702_000] * 3
    assert case.data()["total_bonus_vnd"] == 2_106_000


def test_no_quorum_meets_again(engine: Engine, award: ProcessDefinition) -> None:
    """5 of 9 present is under 2/3: nobody is considered and the council votes again; 6 of 9 is enough."""
    case = _to_council(engine, award)
    case, log = _step(engine, case, "council_vote", _vote(case, [5, 5], present=5))
    assert {"element": "gw_vote", "kind": "ExclusiveGateway", "chosen": ["council_vote"]} in paths(log)
    data = case.data()
    assert (data["quorum_met"], data["passed_nominees"], data["failed_nominees"]) == (False, [], [])
    assert _only_task(case).lane == "council"
    case, _ = _step(engine, case, "council_vote", _vote(case, [6, 2], present=6))
    assert case.data()["quorum_met"] is True
    assert [n["name"] for n in case.data()["passed_nominees"]] == ["Nguyễn Văn An"]
    assert _only_task(case).name == "sign_decision"


def test_nobody_passing_ends_not_approved(engine: Engine, award: ProcessDefinition) -> None:
    """With a quorum but no nominee above half of all members, the case ends "not_approved"."""
    case = _to_council(engine, award)
    case, _ = _step(engine, case, "council_vote", _vote(case, [4, 3]))
    assert case.data()["quorum_met"] is True
    assert case.outcome() == "not_approved"


def test_return_goes_back_to_the_unit_head(engine: Engine, award: ProcessDefinition) -> None:
    """A returned dossier comes back to nominate; the resubmitted list gets a new appraisal table."""
    case = _start(engine, award)
    case, _ = _step(engine, case, "nominate", _nomination())
    case, log = _step(engine, case, "appraise_dossier", {
        "decision": "return", "comment": "Bổ sung báo cáo thành tích",
        "appraisal_results": case.data()["appraisal_results"]})
    assert {"element": "gw_appraisal", "kind": "ExclusiveGateway", "chosen": ["count_return"]} in paths(log)
    back = _only_task(case)
    assert (back.name, back.lane, case.data()["return_count"]) == ("nominate", "unit_head", 1)
    case, _ = _step(engine, case, "nominate", _nomination(POLICE, [*MIXED, _nominee("Đỗ Văn Ba")]))
    data = case.data()
    assert (data["nominee_count"], data["lane_owners"]["authority"], data["return_count"]) == (
        3, ["police_director"], 1)
    assert [r["name"] for r in data["appraisal_results"]] == ["Nguyễn Văn An", "Công an xã Hòa An", "Đỗ Văn Ba"]
    case, _ = _step(engine, case, "appraise_dossier",
                    {"decision": "accept", "appraisal_results": data["appraisal_results"]})
    assert len(case.data()["council_candidates"]) == 3


def test_reject_at_appraisal_ends_rejected(engine: Engine, award: ProcessDefinition) -> None:
    """The appraising office may refuse the whole dossier."""
    case = _start(engine, award)
    case, _ = _step(engine, case, "nominate", _nomination())
    case, _ = _step(engine, case, "appraise_dossier", {
        "decision": "reject", "comment": "Thành tích không thuộc phạm vi khen thưởng",
        "appraisal_results": case.data()["appraisal_results"]})
    assert (case.is_completed, case.outcome()) == (True, "rejected")


def test_every_nominee_excluded_ends_not_approved(engine: Engine, award: ProcessDefinition) -> None:
    """When the appraisal excludes everyone, no council meets and the reasons are kept."""
    case = _start(engine, award)
    case, _ = _step(engine, case, "nominate", _nomination())
    rows = [dict(r, accepted=False, exclusion_reason="Chưa đủ tiêu chuẩn") for r in case.data()["appraisal_results"]]
    case, log = _step(engine, case, "appraise_dossier", {"decision": "accept", "appraisal_results": rows})
    assert {"element": "gw_candidates", "kind": "ExclusiveGateway", "chosen": ["not_approved"]} in paths(log)
    assert case.outcome() == "not_approved"
    assert case.data()["excluded_nominees"] == [
        {"nominee_no": 1, "name": "Nguyễn Văn An", "reason": "Chưa đủ tiêu chuẩn"},
        {"nominee_no": 2, "name": "Công an xã Hòa An", "reason": "Chưa đủ tiêu chuẩn"}]


def test_partly_excluded_only_candidates_are_voted(engine: Engine, award: ProcessDefinition) -> None:
    """An excluded nominee is left out of the vote; the others keep their nominee numbers."""
    case = _start(engine, award)
    case, _ = _step(engine, case, "nominate", _nomination(MERIT, FIVE))
    rows = case.data()["appraisal_results"]
    rows[1] = dict(rows[1], accepted=False, exclusion_reason="Đang có đơn thư")
    case, _ = _step(engine, case, "appraise_dossier", {"decision": "accept", "appraisal_results": rows})
    assert [c["nominee_no"] for c in case.data()["council_candidates"]] == [1, 3, 4, 5]
    case, _ = _step(engine, case, "council_vote", _vote(case, [2, 7, 2, 2]))
    assert [(n["nominee_no"], n["name"]) for n in case.data()["passed_nominees"]] == [(3, "Phạm Thị Ba")]


def test_refusal_to_sign_ends_rejected(engine: Engine, award: ProcessDefinition) -> None:
    """The authority may decline to award; no decision number is recorded."""
    case = _to_council(engine, award)
    case, _ = _step(engine, case, "council_vote", _vote(case, [7, 7]))
    case, _ = _step(engine, case, "sign_decision", {"decision": "reject", "signing_capacity": "self",
                                                    "comment": "Chưa phù hợp"})
    assert case.outcome() == "rejected"
    assert case.data()["decision_number"] is None


@pytest.mark.parametrize(("task_name", "days"), [("appraise_dossier", 20), ("sign_decision", 5)])
def test_overdue_task_escalates_and_stays_ready(engine: Engine, award: ProcessDefinition,
                                                calendar: WorkingCalendar, task_name: str, days: int) -> None:
    """Appraisal (20 working days) and signing (5) escalate when overdue and still wait for their owner."""
    if task_name == "sign_decision":
        case = _to_council(engine, award)
        case, _ = _step(engine, case, "council_vote", _vote(case, [7, 7]))
    else:
        case, _ = _step(engine, _start(engine, award), "nominate", _nomination())
    due = calendar.due_after(AT, days)
    task = _only_task(case)
    assert (task.name, task.due_at) == (task_name, due)
    assert engine.fire_due_timers(case, due - dt.timedelta(minutes=1)) == StepLog()
    log = engine.fire_due_timers(case, due + dt.timedelta(minutes=1))
    assert log.escalated_tasks == [task_name]
    escalation = {"appraise_dossier": ["sla_appraise_dossier", "escalate_appraisal", "appraisal_escalated"],
                  "sign_decision": ["sla_sign_decision", "escalate_signing", "signing_escalated"]}[task_name]
    assert [step["element"] for step in log.routing] == escalation
    case = _save_restore(engine, case)
    assert (_only_task(case).id, case.outcome()) == (task.id, None)


# --- the forms ---------------------------------------------------------------------------------------------

def _errors(award: ProcessDefinition, task_name: str, submitted: dict[str, Any],
            case_data: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    form = award.form(task_name)
    assert form is not None
    _, errors = validate_submission(form, submitted, case_data or {}, TODAY)
    return [(e.field, e.code) for e in errors]


def test_nominee_under_discipline_is_refused_by_name(award: ProcessDefinition) -> None:
    """The error names the nominee, in Vietnamese and in English."""
    nominees = [*MIXED, _nominee("Trần Văn Cấm", under_discipline_or_investigation=True)]
    form = award.form("nominate")
    assert form is not None
    _, errors = validate_submission(form, _nomination(nominees=nominees), {}, TODAY)
    [error] = errors
    assert (error.field, error.code) == ("nominees.2.under_discipline_or_investigation", "row_refused")
    assert error.message("vi").startswith("Trần Văn Cấm đang bị xem xét kỷ luật")
    assert error.message("en").startswith("Trần Văn Cấm is under disciplinary review")


def test_duplicate_nominee_row_is_refused(award: ProcessDefinition) -> None:
    """The same name with the same achievement twice is one achievement nominated twice."""
    nominees = [*MIXED, dict(MIXED[0], name="nguyễn văn an")]
    assert _errors(award, "nominate", _nomination(nominees=nominees)) == [("nominees.2.name", "duplicate")]


def test_nomination_needs_rows_and_a_past_date(award: ProcessDefinition) -> None:
    """At least one nominee, and a proposal date that is not in the future."""
    assert _errors(award, "nominate", {**_nomination(), "nominees": [], "proposal_date": "2026-03-03"}) == [
        ("proposal_date", "not_future"), ("nominees", "min_items")]


def test_exclusion_needs_a_reason(award: ProcessDefinition) -> None:
    """Each row whose nominee is excluded must say why."""
    case_rows = [{"nominee_no": 1, "name": "Nguyễn Văn An", "accepted": True, "exclusion_reason": ""},
                 {"nominee_no": 2, "name": "Công an xã Hòa An", "accepted": True, "exclusion_reason": ""}]
    rows = [case_rows[0], dict(case_rows[1], accepted=False)]
    assert _errors(award, "appraise_dossier", {"decision": "accept", "appraisal_results": rows},
                   {"appraisal_results": case_rows}) == [("appraisal_results.1.exclusion_reason", "required")]


def test_tampered_appraisal_rows_are_refused(award: ProcessDefinition) -> None:
    """Renamed, dropped or reordered rows do not match the case's list."""
    case_rows = [{"nominee_no": 1, "name": "Nguyễn Văn An", "accepted": True, "exclusion_reason": ""},
                 {"nominee_no": 2, "name": "Công an xã Hòa An", "accepted": True, "exclusion_reason": ""}]
    for rows in ([case_rows[0], dict(case_rows[1], name="Người khác")], case_rows[:1], case_rows[::-1]):
        assert _errors(award, "appraise_dossier", {"decision": "accept", "appraisal_results": rows},
                       {"appraisal_results": case_rows}) == [("appraisal_results", "rows_changed")]


def test_return_needs_a_comment(award: ProcessDefinition) -> None:
    """Returning or rejecting a dossier must say why."""
    rows = [{"nominee_no": 1, "name": "A B", "accepted": True, "exclusion_reason": ""}]
    assert _errors(award, "appraise_dossier", {"decision": "return", "appraisal_results": rows},
                   {"appraisal_results": rows}) == [("comment", "required")]


def test_votes_cannot_exceed_members_present(award: ProcessDefinition) -> None:
    """Votes for a nominee are at most the members present, who are at most all members."""
    candidates = [{"nominee_no": 1, "name": "Nguyễn Văn An", "votes_for": None},
                  {"nominee_no": 2, "name": "Công an xã Hòa An", "votes_for": None}]
    rows = [dict(candidates[0], votes_for=8), dict(candidates[1], votes_for=7)]
    submitted = {"meeting_date": "2026-03-02", "members_total": 9, "members_present": 7, "council_votes": rows}
    case_data = {"council_candidates": candidates}
    assert _errors(award, "council_vote", submitted, case_data) == [("council_votes.0.votes_for", "lte_data")]
    assert _errors(award, "council_vote", {**submitted, "members_present": 10}, case_data) == [
        ("members_present", "lte_data")]
    renamed = [rows[1], rows[0]]
    assert ("council_votes", "rows_changed") in _errors(
        award, "council_vote", {**submitted, "council_votes": renamed}, case_data)


def test_signing_on_behalf_needs_the_signer_title(award: ProcessDefinition) -> None:
    """Ký thay and thừa lệnh name the signer's title; declining needs a reason."""
    assert _errors(award, "sign_decision", {"decision": "approve", "signing_capacity": "thua_lenh"}) == [
        ("signer_title", "required")]
    assert _errors(award, "sign_decision", {"decision": "reject", "signing_capacity": "self"}) == [
        ("comment", "required")]
    assert _errors(award, "sign_decision", {"decision": "approve", "signing_capacity": "self",
                                            "decision_number": "1/QĐ-UBND"}) == [("decision_number", "unknown_field")]


def test_handover_not_before_the_decision(award: ProcessDefinition) -> None:
    """Certificates are handed over on or after the decision date, and not in the future."""
    assert _errors(award, "issue_certificates", {"handover_date": "2026-02-27"},
                   {"decision_date": "2026-03-02"}) == [("handover_date", "not_before_data")]
    assert _errors(award, "issue_certificates", {"handover_date": "2026-03-05"},
                   {"decision_date": "2026-03-02"}) == [("handover_date", "not_future")]


def test_computed_case_data_has_labels(award: ProcessDefinition) -> None:
    """Everything the process computes has a Vietnamese and an English title for the case page."""
    fields = award.field_schemas()
    for key in ("nominee_count", "appraisal_results", "council_candidates", "quorum_met", "passed_nominees",
                "failed_nominees", "excluded_nominees", "decision_number", "decision_date", "decision_book",
                "issuer_title", "recipients", "total_bonus_vnd", "base_salary_vnd", "return_count"):
        prop, _ = fields[key]
        assert prop["title"] and prop["x-title-en"], key
