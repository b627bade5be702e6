"""Workflow state serialized without its spec: the spec is stored once per process version."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG


class _StateOnlyConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """The library's workflow converter, minus the spec it embeds in every document."""

    def __init__(self, registry: Any, spec: Any, subprocess_specs: dict[str, Any]) -> None:
        super().__init__(BpmnWorkflow, registry)
        self.spec = spec
        self.subprocess_specs = subprocess_specs

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(self.spec, self.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateSerializer:
    """Dumps and loads the state of workflows of one process version."""

    def __init__(self, spec: Any, subprocess_specs: dict[str, Any]) -> None:
        registry = BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)
        _StateOnlyConverter(registry, spec, subprocess_specs)
        self._serializer = BpmnWorkflowSerializer(registry)
        self._spec_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
        self.spec = spec

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The workflow's state as JSON text (no spec inside)."""
        text: str = self._serializer.serialize_json(workflow)
        return text

    def loads(self, text: str) -> BpmnWorkflow:
        """A workflow restored against this version's spec (the caller sets the script engine)."""
        return self._serializer.deserialize_json(text)

    def spec_dict(self) -> dict[str, Any]:
        """The spec itself as a JSON-ready dict, stored once per version."""
        converted: dict[str, Any] = self._spec_serializer.to_dict(self.spec)
        return converted
