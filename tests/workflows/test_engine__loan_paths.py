"""The real loan process runs every path in memory, survives save/restore at each step, and escalates overdue SLAs."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from workflows.calendar import WorkingCalendar
from workflows.engine import Case
from workflows.engine import Engine
from workflows.engine import ReadyTask
from workflows.engine import StepLog
from workflows.errors import UnknownTask
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources

# Monday 2 March 2026, 09:00 in Hà Nội: the next five working days hold no holiday.
AT = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
CONFIRM: dict[str, Any] = {"decision": "confirm", "comment": "Đủ điều kiện"}
RETURN: dict[str, Any] = {"decision": "return", "comment": "Bổ sung giấy chứng nhận"}
APPROVE: dict[str, Any] = {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                           "approval_notice_ref": "04/TD-1", "approved_on": "2026-03-02"}
DISBURSE: dict[str, Any] = {"disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-03-02",
                            "loan_account_number": "760011"}


def paths(log: StepLog) -> list[dict[str, Any]]:
    """The route a step took (element, kind, flows chosen), without the recorded reasons."""
    return [{k: entry[k] for k in ("element", "kind", "chosen") if k in entry} for entry in log.routing]


def _only_task(case: Case) -> ReadyTask:
    [task] = case.ready_tasks()
    return task


def _save_restore(engine: Engine, case: Case) -> Case:
    """Dump the case, load it back, and check the copy is the same case (SpiffWorkflow's save_restore)."""
    state = case.dumps()
    document = json.loads(state)
    assert '"task_specs"' not in state
    assert "spec" not in document
    restored = engine.load(case.definition, state)
    assert restored.fingerprint() == case.fingerprint()
    assert restored.ready_tasks() == case.ready_tasks()
    assert restored.is_completed == case.is_completed
    assert restored.outcome() == case.outcome()
    assert restored.dumps() == state
    return restored


def _start(engine: Engine, definition: ProcessDefinition, at: dt.datetime = AT) -> Case:
    case, log = engine.start(definition, {}, at)
    assert [step["element"] for step in log.routing] == ["start", "init_case"]
    assert _only_task(case).name == "compile_dossier"
    return _save_restore(engine, case)


def _step(engine: Engine, case: Case, task_name: str, data: dict[str, Any],
          at: dt.datetime = AT) -> tuple[Case, StepLog]:
    """Complete the one ready task (which must be ``task_name``) and hand back the restored case."""
    task = _only_task(case)
    assert task.name == task_name
    log = engine.complete(case, task.id, data, at)
    return _save_restore(engine, case), log


def _reason_codes(case: Case) -> list[str]:
    return [reason["code"] for reason in case.data()["ineligibility_reasons"]]


def test_happy_path_disburses(engine: Engine, loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """The example dossier goes police → commune → bank appraiser → bank teller and ends "disbursed"."""
    case = _start(engine, loan_definition)
    case, log = _step(engine, case, "compile_dossier", dossier)
    assert {"element": "gw_eligible", "kind": "ExclusiveGateway",
            "chosen": ["confirm_at_commune.BoundaryEventSplit"]} in paths(log)
    assert case.data()["eligible"] is True
    assert case.data()["ineligibility_reasons"] == []
    assert _only_task(case).lane == "commune"
    case, _ = _step(engine, case, "confirm_at_commune", CONFIRM)
    assert _only_task(case).lane == "bank_appraiser"
    case, _ = _step(engine, case, "appraise_loan", APPROVE)
    assert _only_task(case).lane == "bank_teller"
    case, log = _step(engine, case, "disburse_loan", DISBURSE)
    assert case.is_completed
    assert case.outcome() == "disbursed"
    assert case.ready_tasks() == []
    assert case.next_timer_at() is None
    data = case.data()
    assert (data["full_name"], data["disbursed_amount_vnd"], data["return_count"]) == ("Trần Văn Bình", 60_000_000, 0)


def test_ready_task_describes_the_inbox_row(engine: Engine, loan_definition: ProcessDefinition,
                                            dossier: dict[str, Any]) -> None:
    """A ready task carries its lane, titles, form properties and instructions for the inbox."""
    case = _start(engine, loan_definition)
    first = _only_task(case)
    assert (first.name, first.lane, first.title_en, first.due_at) == (
        "compile_dossier", "police", "Compile loan dossier", None)
    assert first.properties["formJsonSchemaFilename"] == "compile_dossier.schema.json"
    assert first.instructions
    case, _ = _step(engine, case, "compile_dossier", dossier)
    commune = _only_task(case)
    assert commune.properties["candidateUnitVariable"] == "residence_commune_code"
    assert case.data()["residence_commune_code"] == "10001"
    form = case.form(commune.name)
    assert form is not None
    assert form.name == "confirm_at_commune"


@pytest.mark.parametrize(("at", "rate", "overdue"), [
    (dt.datetime(2025, 11, 28, 2, 0, tzinfo=dt.UTC), 6.6, 8.58),
    (dt.datetime(2025, 11, 30, 16, 59, tzinfo=dt.UTC), 6.6, 8.58),
    (dt.datetime(2025, 11, 30, 17, 0, tzinfo=dt.UTC), 6.24, 8.112),
    (AT, 6.24, 8.112),
])
def test_interest_rate_is_read_on_the_confirmation_day(engine: Engine, loan_definition: ProcessDefinition,
                                                       dossier: dict[str, Any], at: dt.datetime, rate: float,
                                                       overdue: float) -> None:
    """The rate is the table's rate on the Vietnamese date of the commune's confirmation; overdue is 130 %."""
    case = _start(engine, loan_definition, at)
    case, _ = _step(engine, case, "compile_dossier", {**dossier, "sentence_completed_on": "2024-06-01"}, at)
    case, _ = _step(engine, case, "confirm_at_commune", CONFIRM, at)
    data = case.data()
    assert (data["interest_rate_pct_year"], data["overdue_interest_rate_pct_year"]) == (rate, overdue)


def test_amount_over_limit_goes_back_with_r6(engine: Engine, loan_definition: ProcessDefinition,
                                             dossier: dict[str, Any]) -> None:
    """150,000,000 VND for production is over the ceiling: back to compile_dossier with reason R6."""
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", {**dossier, "requested_amount_vnd": 150_000_000})
    assert _only_task(case).name == "compile_dossier"
    assert _reason_codes(case) == ["R6"]
    assert case.data()["eligible"] is False
    assert "100 triệu" in case.data()["ineligibility_reasons"][0]["text"]
    case, _ = _step(engine, case, "compile_dossier", dossier)
    assert _only_task(case).name == "confirm_at_commune"
    assert _reason_codes(case) == []
    assert case.data()["eligibility_attempts"] == 2


@pytest.mark.parametrize(("completed_on", "codes"), [
    ("2020-03-02", ["R3"]),
    ("2021-03-01", ["R3"]),
    ("2021-03-02", []),
    ("2025-02-01", []),
])
def test_release_more_than_five_years_ago_goes_back_with_r3(engine: Engine, loan_definition: ProcessDefinition,
                                                            dossier: dict[str, Any], completed_on: str,
                                                            codes: list[str]) -> None:
    """A sentence completed more than 5 years before the engine clock's date is reason R3; exactly 5 is fine."""
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", {**dossier, "sentence_completed_on": completed_on})
    assert _reason_codes(case) == codes
    assert _only_task(case).name == ("compile_dossier" if codes else "confirm_at_commune")


@pytest.mark.parametrize(("change", "codes"), [
    ({"release_certificate_number": "  "}, ["R1"]),
    ({"form01_list_ref": ""}, ["R2"]),
    ({"has_same_purpose_debt": True}, ["R5"]),
    ({"loan_term_months": 121}, ["R7"]),
    ({"loan_purpose": "vocational_training", "training_months": 10, "requested_amount_vnd": 40_000_001}, ["R6"]),
    ({"loan_purpose": "vocational_training", "training_months": 10, "requested_amount_vnd": 40_000_000}, []),
    ({"sentence_completed_on": "2019-01-01", "requested_amount_vnd": 150_000_000, "has_same_purpose_debt": True},
     ["R3", "R5", "R6"]),
])
def test_eligibility_reasons_collected_in_rule_order(engine: Engine, loan_definition: ProcessDefinition,
                                                     dossier: dict[str, Any], change: dict[str, Any],
                                                     codes: list[str]) -> None:
    """The decision table collects every reason that applies, in rule order, each with Vietnamese text."""
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", {**dossier, **change})
    assert _reason_codes(case) == codes
    assert all(reason["text"] for reason in case.data()["ineligibility_reasons"])


def test_too_many_failed_checks_rejects(engine: Engine, loan_definition: ProcessDefinition,
                                        dossier: dict[str, Any]) -> None:
    """After max_eligibility_attempts (10) failed checks the case ends "rejected"."""
    case = _start(engine, loan_definition)
    for attempt in range(1, 11):
        case, _ = _step(engine, case, "compile_dossier", {**dossier, "requested_amount_vnd": 150_000_000})
        assert case.is_completed == (attempt == 10)
    assert case.outcome() == "rejected"


def test_four_commune_returns_reject(engine: Engine, loan_definition: ProcessDefinition,
                                     dossier: dict[str, Any]) -> None:
    """Returned three times the dossier comes back; the fourth return ends it "rejected"."""
    case = _start(engine, loan_definition)
    for returns in range(1, 4):
        case, _ = _step(engine, case, "compile_dossier", dossier)
        case, log = _step(engine, case, "confirm_at_commune", RETURN)
        assert {"element": "count_return", "kind": "ScriptTask"} in paths(log)
        assert _only_task(case).name == "compile_dossier"
        assert case.data()["return_count"] == returns
    case, _ = _step(engine, case, "compile_dossier", dossier)
    case, _ = _step(engine, case, "confirm_at_commune", RETURN)
    assert case.is_completed
    assert case.outcome() == "rejected"
    assert case.ready_tasks() == []
    assert case.data()["return_count"] == 4


def test_appraisal_return_counts_too(engine: Engine, loan_definition: ProcessDefinition,
                                     dossier: dict[str, Any]) -> None:
    """A bank return also counts: three commune returns and one bank return end the case "rejected"."""
    case = _start(engine, loan_definition)
    for _ in range(3):
        case, _ = _step(engine, case, "compile_dossier", dossier)
        case, _ = _step(engine, case, "confirm_at_commune", RETURN)
    case, _ = _step(engine, case, "compile_dossier", dossier)
    case, _ = _step(engine, case, "confirm_at_commune", CONFIRM)
    case, _ = _step(engine, case, "appraise_loan", RETURN)
    assert case.outcome() == "rejected"


@pytest.mark.parametrize(("task", "answer"), [
    ("confirm_at_commune", {"decision": "reject", "comment": "Không cư trú tại xã"}),
    ("appraise_loan", {"decision": "reject", "comment": "Chưa bố trí được nguồn vốn", "reason_code": "R12"}),
])
def test_reject_ends_rejected(engine: Engine, loan_definition: ProcessDefinition, dossier: dict[str, Any],
                              task: str, answer: dict[str, Any]) -> None:
    """A commune or bank rejection ends the case "rejected" at once."""
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", dossier)
    if task == "appraise_loan":
        case, _ = _step(engine, case, "confirm_at_commune", CONFIRM)
    case, _ = _step(engine, case, task, answer)
    assert (case.is_completed, case.outcome()) == (True, "rejected")


def test_withdraw_ends_withdrawn(engine: Engine, loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """The officer's withdraw action ends the case "withdrawn" without checking eligibility."""
    case = _start(engine, loan_definition)
    case, log = _step(engine, case, "compile_dossier", {**dossier, "action": "withdraw"})
    assert (case.is_completed, case.outcome()) == (True, "withdrawn")
    assert paths(log) == [{"element": "gw_action", "kind": "ExclusiveGateway", "chosen": ["withdrawn"]},
                           {"element": "withdrawn", "kind": "EndEvent"}]


def test_withdraw_after_a_return(engine: Engine, loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """A returned dossier can still be withdrawn."""
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", dossier)
    case, _ = _step(engine, case, "confirm_at_commune", RETURN)
    case, _ = _step(engine, case, "compile_dossier", {**dossier, "action": "withdraw"})
    assert case.outcome() == "withdrawn"


def test_cancel_completes_without_outcome(engine: Engine, loan_definition: ProcessDefinition) -> None:
    """Cancelling stops the case where it stands: no ready task and no end event reached."""
    case = _start(engine, loan_definition)
    engine.cancel(case)
    assert case.is_completed
    assert case.outcome() is None


TWO_ENDS_BODY = """    <bpmn:startEvent id="start">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:parallelGateway id="fork">
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_first</bpmn:outgoing>
      <bpmn:outgoing>flow_second</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:endEvent id="first_end">
      <bpmn:incoming>flow_first</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="second_end">
      <bpmn:incoming>flow_second</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="fork" />
    <bpmn:sequenceFlow id="flow_first" sourceRef="fork" targetRef="first_end" />
    <bpmn:sequenceFlow id="flow_second" sourceRef="fork" targetRef="second_end" />
"""


def test_outcome_of_several_ends_is_the_last_in_tree_order(engine: Engine, tiny_bpmn: Callable[[str], str]) -> None:
    """Two branches that each reach an end: the outcome is the end the depth-first order reaches last."""
    definition = load_sources({"tiny.bpmn": tiny_bpmn(TWO_ENDS_BODY)})["tiny"]
    case, _ = engine.start(definition, {}, AT)
    ends = [t.task_spec.name for t in case.workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.name.endswith("_end")]
    assert case.is_completed
    assert sorted(ends) == ["first_end", "second_end"]
    assert case.outcome() == ends[-1]


# --- submitted data -------------------------------------------------------------------------------------------


def test_submitted_data_is_copied_and_replaces_top_level_keys(engine: Engine, loan_definition: ProcessDefinition,
                                                              dossier: dict[str, Any]) -> None:
    """Submitted data is deep-copied into the engine; a resubmission replaces top-level keys, never merges."""
    plan = {"items": ["máy hàn", "máy nén khí"]}
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", {**dossier, "requested_amount_vnd": 150_000_000,
                                                      "use_of_funds_plan": plan})
    plan["items"].append("changed after submit")
    assert case.data()["use_of_funds_plan"] == {"items": ["máy hàn", "máy nén khí"]}
    case, _ = _step(engine, case, "compile_dossier", {**dossier, "use_of_funds_plan": {"items": ["máy hàn"]}})
    assert case.data()["use_of_funds_plan"] == {"items": ["máy hàn"]}


def test_start_data_is_copied(engine: Engine, loan_definition: ProcessDefinition) -> None:
    """Initial data is deep-copied: changing the caller's dict later changes nothing in the case."""
    initial: dict[str, Any] = {"business_key": {"year": 2026}}
    case, _ = engine.start(loan_definition, initial, AT)
    initial["business_key"]["year"] = 1999
    assert case.data()["business_key"] == {"year": 2026}


def test_completed_task_cannot_be_completed_twice(engine: Engine, loan_definition: ProcessDefinition,
                                                  dossier: dict[str, Any]) -> None:
    """A second submit of the same task is refused as an unknown task (no double submission)."""
    case = _start(engine, loan_definition)
    task = _only_task(case)
    engine.complete(case, task.id, dossier, AT)
    with pytest.raises(UnknownTask):
        engine.complete(case, task.id, dossier, AT)


@pytest.mark.parametrize("task_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_task_id_refused(engine: Engine, loan_definition: ProcessDefinition, task_id: str) -> None:
    """A task id that is not a ready task of this case is refused."""
    case = _start(engine, loan_definition)
    with pytest.raises(UnknownTask):
        engine.complete(case, task_id, {}, AT)
    with pytest.raises(UnknownTask):
        engine.prefill(case, task_id, {})


def test_prefill_sets_draft_without_completing(engine: Engine, loan_definition: ProcessDefinition) -> None:
    """Prefill puts draft values into the ready task and leaves it ready."""
    case = _start(engine, loan_definition)
    task = _only_task(case)
    engine.prefill(case, task.id, {"full_name": "Trần Văn Bình"})
    assert _only_task(case) == task
    assert case.data()["full_name"] == "Trần Văn Bình"
    _save_restore(engine, case)


# --- SLA timers -----------------------------------------------------------------------------------------------


def _at_commune(engine: Engine, definition: ProcessDefinition, dossier: dict[str, Any],
                at: dt.datetime) -> tuple[Case, ReadyTask]:
    case = _start(engine, definition, at)
    case, _ = _step(engine, case, "compile_dossier", dossier, at)
    return case, _only_task(case)


def test_commune_due_at_is_five_working_days(engine: Engine, loan_definition: ProcessDefinition,
                                             calendar: WorkingCalendar, dossier: dict[str, Any]) -> None:
    """The commune task is due 5 working days after it was reached, at 17:00 Hà Nội time."""
    case, task = _at_commune(engine, loan_definition, dossier, AT)
    due = calendar.due_after(AT, 5)
    assert due == dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
    assert task.due_at == due
    assert case.next_timer_at() == due


def test_commune_due_at_skips_tet(engine: Engine, loan_definition: ProcessDefinition, calendar: WorkingCalendar,
                                  dossier: dict[str, Any]) -> None:
    """Reached on the Friday before Tết 2026, the commune task is due 5 working days after the holiday week."""
    friday = dt.datetime(2026, 2, 13, 3, 0, tzinfo=dt.UTC)
    _, task = _at_commune(engine, loan_definition, dossier, friday)
    assert task.due_at == calendar.due_after(friday, 5) == dt.datetime(2026, 2, 27, 10, 0, tzinfo=dt.UTC)


def test_overdue_commune_task_escalates_and_stays_ready(engine: Engine, loan_definition: ProcessDefinition,
                                                        calendar: WorkingCalendar, dossier: dict[str, Any]) -> None:
    """Firing timers before the due time does nothing; after it, the task is escalated once and stays ready."""
    case, task = _at_commune(engine, loan_definition, dossier, AT)
    due = calendar.due_after(AT, 5)
    for early in (AT, due - dt.timedelta(minutes=1)):
        assert engine.fire_due_timers(case, early) == StepLog()
        case = _save_restore(engine, case)
        assert _only_task(case) == task
    log = engine.fire_due_timers(case, due + dt.timedelta(minutes=1))
    assert log.escalated_tasks == ["confirm_at_commune"]
    assert [step["element"] for step in log.routing] == ["sla_commune", "escalate_commune", "commune_escalated"]
    case = _save_restore(engine, case)
    still = _only_task(case)
    assert (still.id, still.name) == (task.id, "confirm_at_commune")
    assert not case.is_completed
    assert case.outcome() is None
    assert engine.fire_due_timers(case, due + dt.timedelta(days=30)) == StepLog()


def test_escalated_case_still_reaches_disbursed(engine: Engine, loan_definition: ProcessDefinition,
                                                calendar: WorkingCalendar, dossier: dict[str, Any]) -> None:
    """After an escalation the commune can still confirm, and the outcome is the main path's end."""
    case, _ = _at_commune(engine, loan_definition, dossier, AT)
    late = calendar.due_after(AT, 5) + dt.timedelta(hours=1)
    assert engine.fire_due_timers(case, late).escalated_tasks == ["confirm_at_commune"]
    case, _ = _step(engine, case, "confirm_at_commune", CONFIRM, late)
    appraisal = _only_task(case)
    assert appraisal.due_at == calendar.due_after(late, 3)
    case, _ = _step(engine, case, "appraise_loan", {**APPROVE, "approved_on": "2026-03-09"}, late)
    case, _ = _step(engine, case, "disburse_loan", {**DISBURSE, "disbursed_on": "2026-03-09"}, late)
    assert case.outcome() == "disbursed"


def test_overdue_appraisal_escalates(engine: Engine, loan_definition: ProcessDefinition, calendar: WorkingCalendar,
                                     dossier: dict[str, Any]) -> None:
    """The bank appraisal escalates once its 3 working days are over (not at the due instant), and stays ready."""
    case, _ = _at_commune(engine, loan_definition, dossier, AT)
    case, _ = _step(engine, case, "confirm_at_commune", CONFIRM)
    due = calendar.due_after(AT, 3)
    assert _only_task(case).due_at == due
    assert engine.fire_due_timers(case, due) == StepLog()
    assert engine.fire_due_timers(case, due + dt.timedelta(seconds=1)).escalated_tasks == ["appraise_loan"]
    assert _only_task(case).name == "appraise_loan"


def test_completing_before_due_cancels_the_timer(engine: Engine, loan_definition: ProcessDefinition,
                                                 calendar: WorkingCalendar, dossier: dict[str, Any]) -> None:
    """A commune task done in time leaves no commune timer to fire later."""
    case, _ = _at_commune(engine, loan_definition, dossier, AT)
    case, _ = _step(engine, case, "confirm_at_commune", CONFIRM)
    log = engine.fire_due_timers(case, calendar.due_after(AT, 5) + dt.timedelta(days=1))
    assert "confirm_at_commune" not in log.escalated_tasks
    assert log.escalated_tasks == ["appraise_loan"]


def test_each_route_records_its_condition_and_the_data_it_read(engine: Engine, loan_definition: ProcessDefinition,
                                                               dossier: dict[str, Any]) -> None:
    """Explainable routing: the decision table's inputs and outputs, and for each gateway why its flow was taken."""
    case = _start(engine, loan_definition)
    _case, log = _step(engine, case, "compile_dossier", {**dossier, "requested_amount_vnd": 150_000_000})
    steps = {entry["element"]: entry for entry in log.routing}
    decision = steps["check_eligibility"]["decision"]
    assert decision["inputs"]["requested_amount_vnd"] == 150_000_000
    assert decision["outputs"]["eligibility_reason_code"] == ["R6"]
    assert steps["gw_eligible"]["because"] == [{
        "to": "gw_attempts", "condition": None, "not_taken": ["eligible"], "inputs": {"eligible": False}}]
    _case, log = _step(engine, _case, "compile_dossier", dossier)
    eligible = next(e for e in log.routing if e["element"] == "gw_eligible")
    assert eligible["because"] == [{"to": "confirm_at_commune", "condition": "eligible", "inputs": {"eligible": True}}]


def _depth_first(task: Any) -> list[list[str]]:
    """[element, state] of ``task`` and its descendants, depth first in child order, through the library's API."""
    found = [[task.task_spec.name, TaskState.get_name(task.state)]]
    for child in task.children:
        found += _depth_first(child)
    return found


def test_fingerprint_is_the_hash_the_audit_log_was_written_with(engine: Engine, loan_definition: ProcessDefinition,
                                                                dossier: dict[str, Any]) -> None:
    """The state hash of every audit event is sha256 over the canonical JSON of the tasks (element and state,
    depth first) and the case data; stored hashes stay verifiable only while this stays exactly so."""
    case = _start(engine, loan_definition)
    case, _ = _step(engine, case, "compile_dossier", dossier)
    document = {"tasks": _depth_first(case.workflow.task_tree), "data": case.data()}
    expected = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert case.fingerprint() == hashlib.sha256(expected.encode()).hexdigest()
    assert len(document["tasks"]) > 10 and ["compile_dossier", "COMPLETED"] in document["tasks"]
