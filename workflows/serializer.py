"""Workflow state serialized without its spec: the spec is stored once per process version."""
from __future__ import annotations

import weakref
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.deep_merge import DeepMerge


class _StateOnlyConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """The library's workflow converter, minus the spec it embeds in every document."""

    def __init__(self, registry: Any, spec: Any, subprocess_specs: dict[str, Any]) -> None:
        super().__init__(BpmnWorkflow, registry)
        self.spec = spec
        self.subprocess_specs = subprocess_specs

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # WorkflowConverter.to_dict, with the top workflow's tasks converted by ``_task_dict``.
        registry = self.registry
        names = _id_texts(workflow)
        tasks = {task_id.int: task for task_id, task in workflow.tasks.items()}
        return {
            "data": registry.convert(registry.clean(workflow.data)), "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success, "completed": workflow.completed,
            "tasks": {names[key]: _task_dict(task, names, tasks, registry) for key, task in tasks.items()},
            "root": names[workflow.task_tree.id.int], "subprocesses": self.mapping_to_dict(workflow.subprocesses),
            "bpmn_events": registry.convert(workflow.bpmn_events),
        }

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(self.spec, self.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# Each workflow's task ids as text, keyed by the ids' integers (a UUID hashes in Python on every lookup, an int in C).
# Spelling a UUID costs more than the rest of a small task's document, and a task keeps its id for life, so each id
# is spelled once per live workflow rather than on every save.
_ID_TEXTS: weakref.WeakKeyDictionary[BpmnWorkflow, dict[int, str]] = weakref.WeakKeyDictionary()


def _id_texts(workflow: BpmnWorkflow) -> dict[int, str]:
    """The text of every task id of ``workflow`` (and of ids it no longer holds), by the ids' integers."""
    known = _ID_TEXTS.get(workflow)
    if known is None:
        known = _ID_TEXTS[workflow] = {}
    for task_id in workflow.tasks:
        if task_id.int not in known:
            known[task_id.int] = str(task_id)
    return known


def _task_dict(task: Any, names: dict[int, str], tasks: dict[int, Any], registry: Any) -> dict[str, Any]:
    """What the library's TaskConverter (with the registry's typename) makes of ``task``, only faster.

    Every step saves every task, and most tasks carry their parent's data unchanged: one dict comparison
    settles those instead of a key-by-key delta, and empty internal data needs no cleaning. ``names``
    spells the workflow's task ids once (UUID to text is the costliest part of a small task); ``names``
    and ``tasks`` are keyed by the ids' integers.
    """
    parent = tasks.get(task._parent.int) if task._parent is not None else None
    delta: dict[str, Any]
    if parent is None:
        data, delta = task.data, {}
    elif task.data == parent.data:
        data, delta = {}, {"updates": {}, "deletions": []}
    else:
        data, delta = {}, {"updates": DeepMerge.get_updated_keys(parent.data, task.data),
                           "deletions": DeepMerge.get_deleted_keys(parent.data, task.data)}
    return {
        "id": names[task.id.int], "parent": names[task._parent.int] if parent is not None else None,
        "children": [names[child.int] for child in task._children], "last_state_change": task.last_state_change,
        "state": task.state, "task_spec": task.task_spec.name, "triggered": task.triggered,
        "internal_data": registry.convert(task.internal_data) if task.internal_data else {},
        "data": data, "delta": delta, "typename": "Task",
    }


# Every value orjson would spell its own way goes to the library's encoder instead, so the document means
# exactly what the library's json.dumps writes (a datetime keeps its typename, a set becomes a list).
_ORJSON_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
                   | orjson.OPT_NON_STR_KEYS)


class StateSerializer:
    """Dumps and loads the state of workflows of one process version."""

    def __init__(self, spec: Any, subprocess_specs: dict[str, Any]) -> None:
        registry = BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)
        _StateOnlyConverter(registry, spec, subprocess_specs)
        self._serializer = BpmnWorkflowSerializer(registry)
        self._encoder = self._serializer._encoder_cls()
        self._spec_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
        self.spec = spec

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The workflow's state as JSON text (no spec inside).

        The library's document, encoded by orjson: every step saves the whole state, and the standard
        encoder took as long as building the document. What orjson refuses (an integer beyond 64 bits)
        falls back to the library's own encoding.
        """
        serializer = self._serializer
        serializer.registry._encoder_mode = True
        try:
            document = serializer.to_dict(workflow)
            document[serializer.VERSION_KEY] = serializer.VERSION
            try:
                return orjson.dumps(document, default=self._encoder.default, option=_ORJSON_OPTIONS).decode()
            except orjson.JSONEncodeError:
                text: str = serializer.serialize_json(workflow)
                return text
        finally:
            serializer.registry._encoder_mode = False

    def loads(self, text: str) -> BpmnWorkflow:
        """A workflow restored against this version's spec (the caller sets the script engine)."""
        return self._serializer.deserialize_json(text)

    def spec_dict(self) -> dict[str, Any]:
        """The spec itself as a JSON-ready dict, stored once per version."""
        converted: dict[str, Any] = self._spec_serializer.to_dict(self.spec)
        return converted
