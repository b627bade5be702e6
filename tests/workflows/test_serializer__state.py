"""Case state is stored without the spec; the spec is stored once per version and restores cases."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

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
