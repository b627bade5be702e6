"""Deploying refuses broken diagrams and forms with file, line and element id, and versions processes by content."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workflows.errors import DiagramProblem
from workflows.errors import DiagramRejected
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources
from workflows.registry import read_folder

USER_TASK_BODY = """    <bpmn:startEvent id="start">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="fill_in" name="Fill in">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="fill_in.schema.json" />
          <spiffworkflow:property name="formUiSchemaFilename" value="fill_in.uischema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done">
      <bpmn:incoming>flow_done</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="fill_in" />
    <bpmn:sequenceFlow id="flow_done" sourceRef="fill_in" targetRef="done" />
"""

GATEWAY_BODY = """    <bpmn:startEvent id="start">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw_amount" name="Large?">
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_big</bpmn:outgoing>
      <bpmn:outgoing>flow_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="big">
      <bpmn:incoming>flow_big</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="small">
      <bpmn:incoming>flow_small</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="gw_amount" />
    <bpmn:sequenceFlow id="flow_big" sourceRef="gw_amount" targetRef="big">
      <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_small" sourceRef="gw_amount" targetRef="small">
      <bpmn:conditionExpression>amount &lt;= 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
"""

FORM_SCHEMA = """{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "note": {"type": "string"}
  }
}
"""
UI_SCHEMA = '{"ui:order": ["note"]}\n'


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def _rejected(sources: dict[str, str]) -> list[DiagramProblem]:
    with pytest.raises(DiagramRejected) as info:
        load_sources(sources)
    assert str(info.value) == "; ".join(str(p) for p in info.value.problems)
    return info.value.problems


def _forms(schema: str = FORM_SCHEMA, ui: str = UI_SCHEMA) -> dict[str, str]:
    return {"forms/fill_in.schema.json": schema, "forms/fill_in.uischema.json": ui}


# --- the real diagrams ----------------------------------------------------------------------------------------


LOAN_FORMS = ("compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan")


def test_real_folder_loads_loan_dossier(loan_sources: dict[str, str]) -> None:
    """bpmn/ also deploys award_nomination; loan_dossier keeps its police start lane, its DMN and four forms."""
    definitions = load_sources(loan_sources)
    assert sorted(definitions) == ["award_nomination", "loan_dossier"]
    definition = definitions["loan_dossier"]
    assert definition.key == "loan_dossier"
    assert definition.start_lane == "police"
    assert definition.name
    assert len(definition.version_hash) == 64
    forms = sorted(f"{name}.{kind}.json" for name in LOAN_FORMS for kind in ("schema", "uischema"))
    assert set(definition.sources) == {"loan_dossier.bpmn", "loan_eligibility.dmn", *(f"forms/{f}" for f in forms)}
    assert definition.diagram_xml() == loan_sources["loan_dossier.bpmn"]
    assert sorted(definition.forms) == forms


def test_real_user_tasks_have_lanes_and_forms(loan_definition: ProcessDefinition) -> None:
    """Every user task of the loan process sits in a lane and names a form that was deployed with it."""
    tasks = {name: spec for name, spec in loan_definition.spec.task_specs.items() if getattr(spec, "manual", False)}
    assert sorted(tasks) == ["appraise_loan", "compile_dossier", "confirm_at_commune", "disburse_loan"]
    assert {name: spec.lane for name, spec in tasks.items()} == {
        "compile_dossier": "police", "confirm_at_commune": "commune",
        "appraise_loan": "bank_appraiser", "disburse_loan": "bank_teller"}
    for name, spec in tasks.items():
        assert spec.extensions["properties"]["formJsonSchemaFilename"] == f"{name}.schema.json"


def test_read_folder_keys_relative_paths_and_skips_other_files(tmp_path: Path) -> None:
    """read_folder returns .bpmn, .dmn and .json files by their path relative to the folder."""
    (tmp_path / "forms").mkdir()
    (tmp_path / "a.bpmn").write_text("<a/>", encoding="utf-8")
    (tmp_path / "b.dmn").write_text("<b/>", encoding="utf-8")
    (tmp_path / "forms" / "c.schema.json").write_text("{}", encoding="utf-8")
    (tmp_path / "README.md").write_text("no", encoding="utf-8")
    (tmp_path / "a.bpmn.bak").write_text("no", encoding="utf-8")
    assert read_folder(tmp_path) == {"a.bpmn": "<a/>", "b.dmn": "<b/>", "forms/c.schema.json": "{}"}


def test_read_folder_refuses_missing_folder(tmp_path: Path) -> None:
    """A path that is not a folder is refused, naming the path."""
    with pytest.raises(DiagramRejected, match="missing"):
        read_folder(tmp_path / "missing")


def test_nothing_to_deploy_is_refused() -> None:
    """A deploy without any process is refused rather than silently doing nothing."""
    assert len(_rejected({})) == 1
    assert len(_rejected(_forms())) == 1


# --- broken files ---------------------------------------------------------------------------------------------


def test_malformed_xml_names_file_and_line(script_bpmn: Callable[[str], str]) -> None:
    """XML that does not parse is refused with the file and the line of the damage."""
    text = script_bpmn("total = 1").replace("</bpmn:scriptTask>", "</bpmn:scriptTsk>")
    [problem] = _rejected({"tiny.bpmn": text})
    assert (problem.file_name, problem.line) == ("tiny.bpmn", _line_of(text, "</bpmn:scriptTsk>"))
    assert "XML" in problem.message
    assert f"tiny.bpmn, dòng {problem.line}" in str(problem)


def test_xsd_invalid_element_names_file_and_line(script_bpmn: Callable[[str], str]) -> None:
    """An element the BPMN schema does not allow is refused with the file and the element's line."""
    text = script_bpmn("total = 1").replace('<bpmn:scriptTask id="calc" name="Calculate">',
                                            '<bpmn:scriptTask id="calc" name="Calculate">\n      <bpmn:notAThing />')
    [problem] = _rejected({"tiny.bpmn": text})
    assert (problem.file_name, problem.line) == ("tiny.bpmn", _line_of(text, "<bpmn:notAThing />"))
    assert "notAThing" in problem.message


def test_xsd_invalid_element_names_element_id(script_bpmn: Callable[[str], str]) -> None:
    """An XSD error names the element it sits in (here the script task ``calc``)."""
    text = script_bpmn("total = 1").replace('<bpmn:scriptTask id="calc" name="Calculate">',
                                            '<bpmn:scriptTask id="calc" name="Calculate">\n      <bpmn:notAThing />')
    [problem] = _rejected({"tiny.bpmn": text})
    assert problem.element_id == "calc"


def test_plain_task_refused_with_element_id(tiny_bpmn: Callable[[str], str]) -> None:
    """An untyped bpmn:task is refused (it would silently become a human task), naming it."""
    body = USER_TASK_BODY.replace("userTask", "task")
    text = tiny_bpmn(body)
    problems = _rejected({"tiny.bpmn": text, **_forms()})
    assert [(p.file_name, p.line, p.element_id) for p in problems] == [
        ("tiny.bpmn", _line_of(text, '<bpmn:task id="fill_in"'), "fill_in")]
    assert "bpmn:task" in problems[0].message


def test_exclusive_gateway_without_default_refused(tiny_bpmn: Callable[[str], str]) -> None:
    """A splitting exclusive gateway without a default flow is refused, naming the gateway and its line."""
    text = tiny_bpmn(GATEWAY_BODY)
    [problem] = _rejected({"tiny.bpmn": text})
    assert (problem.file_name, problem.line, problem.element_id) == (
        "tiny.bpmn", _line_of(text, 'id="gw_amount"'), "gw_amount")


def test_exclusive_gateway_with_default_loads(tiny_bpmn: Callable[[str], str]) -> None:
    """The same gateway with a default flow deploys."""
    body = GATEWAY_BODY.replace('name="Large?"', 'name="Large?" default="flow_small"')
    assert list(load_sources({"tiny.bpmn": tiny_bpmn(body)})) == ["tiny"]


def test_every_model_defect_is_named(tiny_bpmn: Callable[[str], str]) -> None:
    """Several defects in one diagram are all reported, not just the first."""
    body = GATEWAY_BODY + """    <bpmn:task id="loose" />
"""
    problems = _rejected({"tiny.bpmn": tiny_bpmn(body)})
    assert sorted(p.element_id or "" for p in problems) == ["gw_amount", "loose"]


@pytest.mark.parametrize("missing", ["forms/fill_in.schema.json", "forms/fill_in.uischema.json"])
def test_user_task_naming_missing_form_refused(tiny_bpmn: Callable[[str], str], missing: str) -> None:
    """A user task naming a form file that is not deployed is refused with the task's id and line."""
    text = tiny_bpmn(USER_TASK_BODY)
    sources = {"tiny.bpmn": text, **_forms()}
    del sources[missing]
    [problem] = _rejected(sources)
    assert (problem.file_name, problem.line, problem.element_id) == (
        "tiny.bpmn", _line_of(text, '<bpmn:userTask id="fill_in"'), "fill_in")
    assert missing in problem.message


def test_user_task_with_its_forms_loads(tiny_bpmn: Callable[[str], str]) -> None:
    """A user task deployed with both its forms loads, and the process keeps only the forms it uses."""
    sources = {"tiny.bpmn": tiny_bpmn(USER_TASK_BODY), **_forms(), "forms/unused.schema.json": FORM_SCHEMA}
    definition = load_sources(sources)["tiny"]
    assert sorted(definition.forms) == ["fill_in.schema.json", "fill_in.uischema.json"]
    assert "forms/unused.schema.json" not in definition.sources


def test_form_with_invalid_json_names_file_and_line(tiny_bpmn: Callable[[str], str]) -> None:
    """A form that is not JSON is refused with the form's file and the line of the error."""
    broken = FORM_SCHEMA.replace('{"type": "string"}', '{"type": "string"},')
    problems = _rejected({"tiny.bpmn": tiny_bpmn(USER_TASK_BODY), **_forms(schema=broken)})
    line_after_trailing_comma = _line_of(broken, '"note"') + 1
    assert [(p.file_name, p.line) for p in problems] == [("forms/fill_in.schema.json", line_after_trailing_comma)]
    assert "JSON" in problems[0].message


def test_invalid_ui_schema_json_names_file(tiny_bpmn: Callable[[str], str]) -> None:
    """A UI schema that is not JSON is refused too, naming its file and line."""
    problems = _rejected({"tiny.bpmn": tiny_bpmn(USER_TASK_BODY), **_forms(ui='{\n  "ui:order": [\n}')})
    assert [(p.file_name, p.line) for p in problems] == [("forms/fill_in.uischema.json", 3)]


def test_form_schema_not_json_schema_refused(tiny_bpmn: Callable[[str], str]) -> None:
    """A form whose JSON is not a valid JSON Schema is refused, naming the file."""
    problems = _rejected({"tiny.bpmn": tiny_bpmn(USER_TASK_BODY), **_forms(schema='{"type": "objectx"}')})
    assert [p.file_name for p in problems] == ["forms/fill_in.schema.json"]


def test_form_with_unknown_check_refused(tiny_bpmn: Callable[[str], str]) -> None:
    """An x-checks rule the engine does not know is refused, naming the file and the rule's field."""
    schema = '{"type": "object", "x-checks": [{"check": "looks_right", "field": "note"}]}'
    problems = _rejected({"tiny.bpmn": tiny_bpmn(USER_TASK_BODY), **_forms(schema=schema)})
    assert [(p.file_name, p.element_id) for p in problems] == [("forms/fill_in.schema.json", "note")]
    assert "looks_right" in problems[0].message


def test_broken_real_folder_is_refused(loan_sources: dict[str, str]) -> None:
    """A defect in the real diagram refuses the whole deploy, naming the element."""
    sources = {**loan_sources, "loan_dossier.bpmn": loan_sources["loan_dossier.bpmn"].replace(
        '<bpmn:exclusiveGateway id="gw_action" name="Gửi hay rút hồ sơ?" default="flow_action_submit">',
        '<bpmn:exclusiveGateway id="gw_action" name="Gửi hay rút hồ sơ?">')}
    [problem] = _rejected(sources)
    assert (problem.file_name, problem.element_id) == ("loan_dossier.bpmn", "gw_action")


def test_escape_in_decision_table_refused_at_deploy(loan_sources: dict[str, str]) -> None:
    """A decision table cell holding an escape is refused at deploy, like a script is."""
    sources = {**loan_sources, "loan_eligibility.dmn": loan_sources["loan_eligibility.dmn"].replace(
        "<text>bool(has_same_purpose_debt)</text>", "<text>__import__('os').system('id')</text>")}
    [problem] = _rejected(sources)
    assert (problem.file_name, problem.element_id) == ("loan_eligibility.dmn", "input_same_purpose_debt_expr")


# --- versions -------------------------------------------------------------------------------------------------


def test_same_sources_same_version_hash(loan_sources: dict[str, str]) -> None:
    """Deploying the same files twice gives the same version."""
    first = load_sources(loan_sources)["loan_dossier"].version_hash
    second = load_sources(dict(sorted(loan_sources.items(), reverse=True)))["loan_dossier"].version_hash
    assert first == second


@pytest.mark.parametrize("name", ["loan_dossier.bpmn", "loan_eligibility.dmn", "forms/compile_dossier.schema.json",
                                  "forms/disburse_loan.uischema.json"])
def test_any_byte_change_changes_version_hash(loan_sources: dict[str, str], name: str) -> None:
    """One added byte in any file of the process gives a new version."""
    before = load_sources(loan_sources)["loan_dossier"].version_hash
    after = load_sources({**loan_sources, name: loan_sources[name] + "\n"})["loan_dossier"].version_hash
    assert after != before


def test_renaming_a_file_changes_version_hash(tiny_bpmn: Callable[[str], str]) -> None:
    """The file name is part of the version, not only its content."""
    text = tiny_bpmn(USER_TASK_BODY)
    first = load_sources({"tiny.bpmn": text, **_forms()})["tiny"].version_hash
    second = load_sources({"other.bpmn": text, **_forms()})["tiny"].version_hash
    assert first != second


def test_unused_file_does_not_change_version_hash(loan_sources: dict[str, str]) -> None:
    """A form no task of the process uses is not part of its version."""
    before = load_sources(loan_sources)["loan_dossier"].version_hash
    after = load_sources({**loan_sources, "forms/unused.schema.json": FORM_SCHEMA})["loan_dossier"].version_hash
    assert after == before
