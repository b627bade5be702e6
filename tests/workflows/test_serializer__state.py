"""Case state is stored without the spec; the spec is stored once per version and restores cases."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG

from workflows.engine import Engine
from workflows.registry import ProcessDefinition


def test_state_has_no_spec_and_round_trips(engine: Engine, loan_definition: ProcessDefinition,
                                           monday_morning: dt.datetime, dossier: dict[str, Any]) -> None:
    """dumps() holds tasks and data but no spec, and dumps(loads(text)) is the same text."""
    case, _ = engine.start(loan_definition, {}, monday_morning)
    engine.complete(case, case.ready_tasks()[0].id, dossier, monday_morning)
    text = loan_definition.serializer.dumps(case.workflow)
    document = json.loads(text)
    assert "tasks" in document
    assert "spec" not in document
    assert '"task_specs"' not in text
    assert loan_definition.serializer.dumps(loan_definition.serializer.loads(text)) == text


def test_spec_dict_is_json_and_holds_task_specs(loan_definition: ProcessDefinition) -> None:
    """The spec, stored once per version, is plain JSON naming every task of the process."""
    spec = loan_definition.serializer.spec_dict()
    assert spec["name"] == "loan_dossier"
    assert {"compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan"} <= set(spec["task_specs"])
    assert json.loads(json.dumps(spec)) == spec


def test_state_is_much_smaller_than_spec(engine: Engine, loan_definition: ProcessDefinition,
                                         monday_morning: dt.datetime) -> None:
    """A fresh case's state is smaller than the spec it no longer carries."""
    case, _ = engine.start(loan_definition, {}, monday_morning)
    assert len(case.dumps()) < len(json.dumps(loan_definition.serializer.spec_dict()))


def test_loaded_case_gets_the_restricted_script_engine(engine: Engine, loan_definition: ProcessDefinition,
                                                       monday_morning: dt.datetime) -> None:
    """After a load the workflow runs scripts through the engine's restricted script engine again."""
    case, _ = engine.start(loan_definition, {}, monday_morning)
    restored = engine.load(loan_definition, case.dumps())
    assert restored.workflow.script_engine is engine.script_engine
    assert restored.definition is loan_definition


def _library_dumps(definition: ProcessDefinition, workflow: BpmnWorkflow) -> str:
    """The state as SpiffWorkflow's own converters write it, with the spec parts taken out."""
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    stock.registry._encoder_mode = True
    try:
        document = stock.to_dict(workflow)
    finally:
        stock.registry._encoder_mode = False
    del document["spec"], document["subprocess_specs"]
    document[stock.VERSION_KEY] = stock.VERSION
    return json.dumps(document, cls=stock._encoder_cls)


RETURN = {"decision": "return", "comment": "Bổ sung"}
CONFIRM = {"decision": "confirm", "comment": "ok"}
APPROVE = {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
           "approval_notice_ref": "04/TD-1", "approved_on": "2026-03-02"}
DISBURSE = {"disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-03-02", "loan_account_number": "760011"}


@pytest.mark.parametrize("path", [
    ["over_limit", "dossier", "return", "dossier", "confirm", "late", "approve", "disburse"],
    ["dossier", "return", "dossier", "return", "dossier", "return", "dossier", "return"],
    ["withdraw"],
])
def test_state_text_is_the_librarys(engine: Engine, loan_definition: ProcessDefinition, monday_morning: dt.datetime,
                                    dossier: dict[str, Any], path: list[str]) -> None:
    """At every step (returns, loops, a fired SLA timer, the end) dumps() writes the library's document."""
    answers: dict[str, dict[str, Any]] = {
        "dossier": dossier, "over_limit": {**dossier, "requested_amount_vnd": 150_000_000},
        "withdraw": {**dossier, "action": "withdraw"}, "return": RETURN, "confirm": CONFIRM, "approve": APPROVE,
        "disburse": DISBURSE}
    at = monday_morning
    case, _ = engine.start(loan_definition, {}, at)
    assert json.loads(case.dumps()) == json.loads(_library_dumps(loan_definition, case.workflow))
    for move in path:
        if move == "late":
            at += dt.timedelta(days=30)
            assert engine.fire_due_timers(case, at).escalated_tasks
        else:
            engine.complete(case, case.ready_tasks()[0].id, answers[move], at)
        assert json.loads(case.dumps()) == json.loads(_library_dumps(loan_definition, case.workflow))
    assert case.is_completed
