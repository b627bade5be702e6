"""Loads diagrams, decision tables and forms, refuses broken ones, and versions each process by content.

A process version is the sha256 over the files it is made of (its BPMN file, the decision tables, the
forms its user tasks name), so deploying the same files twice yields the same version.
"""
from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from workflows.errors import DiagramProblem
from workflows.errors import DiagramRejected
from workflows.errors import ScriptRefused
from workflows.forms import KNOWN_CHECKS
from workflows.forms import SCHEMA_PROPERTY
from workflows.forms import UI_SCHEMA_PROPERTY
from workflows.forms import FormSpec
from workflows.forms import check_form_schema
from workflows.forms import form_for
from workflows.scripting import compile_code
from workflows.serializer import StateSerializer

BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
           "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
SOURCE_SUFFIXES = (".bpmn", ".dmn", ".json")


@dataclass
class ProcessDefinition:
    """One deployable process: its parsed spec, its forms and the files it was built from."""

    key: str
    name: str
    version_hash: str
    sources: dict[str, str]
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    _serializer: StateSerializer | None = field(default=None, repr=False)

    @property
    def serializer(self) -> StateSerializer:
        """The state serializer bound to this version's spec."""
        if self._serializer is None:
            self._serializer = StateSerializer(self.spec, self.subprocess_specs)
        return self._serializer

    @property
    def start_lane(self) -> str | None:
        """The lane of the start event: its group may start cases."""
        starts = [s for s in self.spec.task_specs.values() if type(s).__name__ == "StartEvent"]
        return starts[0].lane if starts else None

    def form(self, task_name: str) -> FormSpec | None:
        """The form of the task named ``task_name`` (a BPMN element id), if it has one."""
        task_spec = self.spec.task_specs[task_name]
        return form_for(task_spec.extensions.get("properties", {}), self.forms)

    def task_properties(self, task_name: str) -> dict[str, str]:
        """The SpiffArena extension properties of the task named ``task_name``."""
        return dict(self.spec.task_specs[task_name].extensions.get("properties", {}))

    def field_schemas(self) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """Every form field of the process: its schema and UI schema, by field name.

        A name used by several forms (``decision`` at the commune and at the bank) gets their choices
        together and their titles joined, so a stored value always finds its label. Case data that no form
        asks for (counters, rates a script sets) is labelled by a UI schema's ``ui:labels``.
        """
        found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for name, schema in self.forms.items():
            if not name.endswith(".schema.json"):
                continue
            ui = self.forms.get(name.replace(".schema.json", ".uischema.json"), {})
            labels: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
                k: (dict(v), {}) for k, v in ui.get("ui:labels", {}).items()}
            found.update({k: v for k, v in labels.items() if k not in found})
            for field_name, prop in schema.get("properties", {}).items():
                if field_name in found:
                    found[field_name] = (_merge_fields(found[field_name][0], prop), found[field_name][1])
                else:
                    found[field_name] = (dict(prop), ui.get(field_name, {}))
        return found | {k: v for k, v in self._row_columns().items() if k not in found}

    def _row_columns(self) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        # The columns of repeating rows (a nominee's name, a vote count), so a list of rows in the case data
        # reads as a table with titled columns wherever it is shown.
        columns: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for name, schema in self.forms.items():
            ui = self.forms.get(name.replace(".schema.json", ".uischema.json"), {})
            for array, prop in schema.get("properties", {}).items() if name.endswith(".schema.json") else ():
                item_ui = ui.get(array, {}).get("items", {})
                for column, column_prop in prop.get("items", {}).get("properties", {}).items():
                    columns.setdefault(column, (dict(column_prop), item_ui.get(column, {})))
        return columns

    def element_names(self) -> dict[str, str]:
        """The name each diagram element carries (its id where it has none), by element id."""
        return {name: spec.bpmn_name or name for name, spec in self.spec.task_specs.items()
                if getattr(spec, "bpmn_id", None)}

    def diagram_xml(self) -> str:
        """The BPMN file of this process (for the diagram viewer)."""
        return next(text for name, text in self.sources.items() if name.endswith(".bpmn"))


def _merge_fields(first: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    merged = dict(first)
    for key in ("title", "x-title-en"):
        if other.get(key) and other.get(key) != first.get(key):
            merged[key] = f"{first.get(key, '')} / {other[key]}"
    if "oneOf" in other:
        known = {c.get("const") for c in first.get("oneOf", [])}
        merged["oneOf"] = list(first.get("oneOf", [])) + [c for c in other["oneOf"] if c.get("const") not in known]
    return merged


def read_folder(folder: Path) -> dict[str, str]:
    """Every source file under ``folder`` (forms in ``forms/``), keyed by its path relative to the folder."""
    if not folder.is_dir():
        raise DiagramRejected([DiagramProblem(str(folder), None, None, "không phải là thư mục")])
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES)
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in files}


def load_sources(sources: Mapping[str, str]) -> dict[str, ProcessDefinition]:
    """Parse and check every file; return the processes by key, or raise DiagramRejected naming each defect."""
    problems: list[DiagramProblem] = []
    forms = _load_forms(sources, problems)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    trees = _add_xml(parser, sources, problems)
    definitions: dict[str, ProcessDefinition] = {}
    if not problems:
        for key in parser.get_process_ids():
            definition = _build(parser, key, sources, trees, forms, problems)
            if definition:
                definitions[key] = definition
    if problems:
        raise DiagramRejected(problems)
    if not definitions:
        raise DiagramRejected([DiagramProblem("(triển khai)", None, None, "không có quy trình nào để triển khai")])
    return definitions


def _load_forms(sources: Mapping[str, str], problems: list[DiagramProblem]) -> dict[str, dict[str, Any]]:
    forms: dict[str, dict[str, Any]] = {}
    for name, text in sources.items():
        if not name.endswith(".json"):
            continue
        try:
            document = json.loads(text)
            if name.endswith(".schema.json"):
                check_form_schema(document)
                _check_rules(name, document, problems)
        except json.JSONDecodeError as exc:
            problems.append(DiagramProblem(name, exc.lineno, None, f"JSON không hợp lệ: {exc.msg}"))
            continue
        except Exception as exc:  # noqa: BLE001 - jsonschema's SchemaError and friends carry the reason
            problems.append(DiagramProblem(name, None, None, f"lược đồ biểu mẫu không hợp lệ: {exc}"))
            continue
        forms[name.rsplit("/", 1)[-1]] = document
    return forms


def _check_rules(name: str, schema: dict[str, Any], problems: list[DiagramProblem]) -> None:
    for rule in schema.get("x-checks", []):
        if rule.get("check") not in KNOWN_CHECKS:
            problems.append(DiagramProblem(name, None, rule.get("field"),
                                           f"quy tắc '{rule.get('check')}' không tồn tại"))


def _add_xml(parser: SpiffBpmnParser, sources: Mapping[str, str],
             problems: list[DiagramProblem]) -> dict[str, Any]:
    trees: dict[str, Any] = {}
    for name in sorted(sources, key=lambda n: not n.endswith(".dmn")):
        if not name.endswith((".bpmn", ".dmn")):
            continue
        tree = None
        try:
            tree = etree.fromstring(sources[name].encode("utf-8"))  # noqa: S320 - admins' own files
            if name.endswith(".dmn"):
                _check_decision_cells(name, tree, problems)
                parser.add_dmn_xml(tree, filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
            trees[name] = tree
        except etree.XMLSyntaxError as exc:
            problems.append(DiagramProblem(name, exc.lineno, None, f"XML không hợp lệ: {exc.msg}"))
        except ValidationException as exc:
            problems.append(_locate(_problem_from(exc, name), {name: tree} if tree is not None else {}))
    return trees


def _problem_from(exc: ValidationException, default_file: str) -> DiagramProblem:
    message = str(exc).split("\n")[0]
    return DiagramProblem(exc.file_name or default_file, exc.line_number or None, exc.id or None, message)


def _build(parser: SpiffBpmnParser, key: str, sources: Mapping[str, str], trees: dict[str, Any],
           forms: dict[str, dict[str, Any]], problems: list[DiagramProblem]) -> ProcessDefinition | None:
    file_name = parser.process_parsers[key].filename
    before = len(problems)
    _check_model(file_name, trees[file_name], problems)
    if len(problems) > before:
        return None
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        problems.append(_locate(_problem_from(exc, file_name), trees))
        return None
    used_forms = _check_forms(file_name, spec, trees[file_name], forms, problems)
    if len(problems) > before:
        return None
    used = {file_name: sources[file_name]}
    used.update({n: t for n, t in sources.items() if n.endswith(".dmn")})
    used.update({n: t for n, t in sources.items() if n.rsplit("/", 1)[-1] in used_forms})
    return ProcessDefinition(key=key, name=spec.description or key, version_hash=_hash(used), sources=used,
                             spec=spec, subprocess_specs=subprocess_specs,
                             forms={n: forms[n] for n in used_forms})


def _locate(problem: DiagramProblem, trees: dict[str, Any]) -> DiagramProblem:
    """Fill in what a parser error left out: the line of the element it names, or the element at its line."""
    tree = trees.get(problem.file_name)
    if tree is None or (problem.line and problem.element_id):
        return problem
    if problem.element_id:
        nodes = tree.xpath("//*[@id=$id]", id=problem.element_id)
        return DiagramProblem(problem.file_name, _line(nodes[0]) if nodes else None, problem.element_id,
                              problem.message)
    if problem.line:
        node = next((n for n in tree.iter() if n.sourceline == problem.line), None)
        return DiagramProblem(problem.file_name, problem.line, _owner_id(node), problem.message)
    return problem


def _owner_id(node: Any) -> str | None:
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return str(node.get("id")) if node is not None else None


def _hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name].encode()).digest())
    return digest.hexdigest()


def _line(node: Any) -> int | None:
    line = node.sourceline
    return int(line) if line else None


def _check_model(file_name: str, tree: Any, problems: list[DiagramProblem]) -> None:
    for node in tree.xpath("//bpmn:task", namespaces=BPMN_NS):
        problems.append(DiagramProblem(file_name, _line(node), node.get("id"),
                                       "không dùng bpmn:task không định kiểu; hãy chọn userTask, scriptTask…"))
    for node in tree.xpath("//bpmn:exclusiveGateway", namespaces=BPMN_NS):
        outgoing = node.xpath("bpmn:outgoing", namespaces=BPMN_NS)
        if len(outgoing) > 1 and not node.get("default"):
            problems.append(DiagramProblem(file_name, _line(node), node.get("id"),
                                           "cổng rẽ nhánh thiếu luồng mặc định"))
    code_paths = {"exec": "//bpmn:scriptTask/bpmn:script|//spiffworkflow:preScript|//spiffworkflow:postScript",
                  "eval": "//bpmn:conditionExpression|//bpmn:timeDate|//bpmn:timeDuration|//bpmn:timeCycle"}
    for mode, xpath in code_paths.items():
        for node in tree.xpath(xpath, namespaces=BPMN_NS):
            _check_code(file_name, node, mode, problems)


def _check_code(file_name: str, node: Any, mode: str, problems: list[DiagramProblem]) -> None:
    try:
        compile_code((node.text or "").strip() or "None", mode)
    except (ScriptRefused, SyntaxError) as exc:
        problems.append(DiagramProblem(file_name, _line(node), _owner_id(node), f"kịch bản bị từ chối: {exc}"))


DMN_CELLS = ("//*[local-name()='inputExpression']/*[local-name()='text']"
             "|//*[local-name()='inputEntry']/*[local-name()='text']"
             "|//*[local-name()='outputEntry']/*[local-name()='text']")


def _check_decision_cells(file_name: str, tree: Any, problems: list[DiagramProblem]) -> None:
    """Compile every DMN cell as the engine will: as an expression, or as the right side of a comparison."""
    for node in tree.xpath(DMN_CELLS):
        text = (node.text or "").strip()
        if text in {"", "-"}:
            continue
        candidate = text.replace("?", "dmninputexpr")
        try:
            ast.parse(candidate, mode="eval")
        except SyntaxError:
            candidate = f"dmninputexpr {candidate}"
        try:
            compile_code(candidate, "eval")
        except ScriptRefused as exc:
            problems.append(DiagramProblem(file_name, _line(node), _owner_id(node),
                                           f"ô bảng quyết định bị từ chối: {exc}"))


def _check_forms(file_name: str, spec: Any, tree: Any, forms: dict[str, dict[str, Any]],
                 problems: list[DiagramProblem]) -> set[str]:
    used: set[str] = set()
    for task_spec in spec.task_specs.values():
        if not getattr(task_spec, "manual", False):
            continue
        properties = task_spec.extensions.get("properties", {})
        for prop in (SCHEMA_PROPERTY, UI_SCHEMA_PROPERTY):
            form_name = properties.get(prop)
            if form_name and form_name not in forms:
                node = tree.xpath("//*[@id=$id]", id=task_spec.name)
                problems.append(DiagramProblem(file_name, _line(node[0]) if node else None, task_spec.name,
                                               f"không tìm thấy biểu mẫu forms/{form_name}"))
            elif form_name:
                used.add(form_name)
        _check_task_rules(file_name, task_spec.name, properties, tree, problems)
    return used


# A task property that needs its companions to mean anything (see services.task_rules).
RULE_COMPANIONS = {"numberInto": ("numberBookVariable", "numberWhen"), "claimRows": ("claimKeys", "claimScope")}


def _check_task_rules(file_name: str, task_name: str, properties: Mapping[str, str], tree: Any,
                      problems: list[DiagramProblem]) -> None:
    wanted = [(rule, c) for rule, companions in RULE_COMPANIONS.items() if rule in properties
              for c in companions if not properties.get(c)]
    if "=" not in properties.get("numberWhen", "="):
        wanted.append(("numberWhen", "<trường>=<giá trị>"))
    if wanted:
        node = tree.xpath("//*[@id=$id]", id=task_name)
        needs = ", ".join(f"{rule} cần {companion}" for rule, companion in wanted)
        problems.append(DiagramProblem(file_name, _line(node[0]) if node else None, task_name,
                                       f"thuộc tính của công việc chưa đủ: {needs}"))
