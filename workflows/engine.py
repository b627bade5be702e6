"""Runs cases on SpiffWorkflow: start, complete a human task, fire due timers, cancel, save and restore.

This is the only module that drives the engine loop. Every call runs with the engine clock frozen at
the command's time, so scripts, SLA timers and replays see one consistent "now".
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from workflows import clock
from workflows import routing
from workflows.calendar import WorkingCalendar
from workflows.errors import EngineStepFailed
from workflows.errors import UnknownTask
from workflows.errors import WorkflowError
from workflows.forms import FormSpec
from workflows.registry import ProcessDefinition
from workflows.scripting import restricted_engine
from workflows.settings import Settings

SPLIT_SUFFIX = ".BoundaryEventSplit"


def canonical_json(value: Any) -> str:
    """The one JSON spelling used for hashing: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ReadyTask:
    """A human task waiting for input, as the inbox needs it."""

    id: str
    name: str
    title: str
    title_en: str
    lane: str | None
    properties: dict[str, str]
    instructions: str | None
    due_at: dt.datetime | None


@dataclass
class StepLog:
    """What the engine did during one command, in order: the routing record of the audit event."""

    routing: list[dict[str, Any]] = field(default_factory=list)
    escalated_tasks: list[str] = field(default_factory=list)


class Case:
    """A live workflow of one process version."""

    def __init__(self, definition: ProcessDefinition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self.workflow = workflow

    def ready_tasks(self) -> list[ReadyTask]:
        """Human tasks waiting for input."""
        return [_ready_task(t) for t in _ready_human_tasks(self.workflow)]

    def ready_task_ids(self) -> set[str]:
        """Ids of the human tasks waiting for input."""
        return {str(t.id) for t in _ready_human_tasks(self.workflow)}

    def trail(self) -> tuple[list[str], list[str]]:
        """The diagram elements the case has passed through, and the human tasks waiting now (BPMN ids)."""
        done = self.workflow.get_tasks(state=TaskState.COMPLETED)
        passed = dict.fromkeys(t.task_spec.bpmn_id for t in done if getattr(t.task_spec, "bpmn_id", None))
        waiting = dict.fromkeys(t.task_spec.name for t in _ready_human_tasks(self.workflow))
        return list(passed), list(waiting)

    def form(self, task_name: str) -> FormSpec | None:
        """The form of the task named ``task_name`` (a BPMN element id)."""
        return self.definition.form(task_name)

    @property
    def is_completed(self) -> bool:
        """True when the workflow reached its end (or was cancelled)."""
        workflow = self.workflow
        # The library walks the tree for an unfinished task on every call; a scan of the task map finds
        # one for a running case at a sixth of the cost. Only a case with none left takes the library's
        # own answer (which also records that the workflow is completed).
        if not workflow.completed and any(t.state & TaskState.NOT_FINISHED_MASK for t in workflow.tasks.values()):
            return False
        return bool(workflow.is_completed())

    def outcome(self) -> str | None:
        """The id of the end event reached on the main path (escalation branches are not outcomes)."""
        workflow = self.workflow
        # The step that ends a case asks this, and the ordered walk costs more than the rest of saving the case;
        # a scan of the task map settles the usual single end. Several ends (or subprocesses, whose tasks the map
        # does not hold) take the walk, whose order decides which end is the outcome.
        if not workflow.subprocesses:
            ends = [t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED
                    and isinstance(t.task_spec, EndEvent) and not _inside_boundary_branch(t)]
            if len(ends) < 2:
                return ends[0].task_spec.name if ends else None
        ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent)
                if not _inside_boundary_branch(t)]
        return ends[-1].task_spec.name if ends else None

    def data(self, snapshot: bool = True) -> dict[str, Any]:
        """The case data as it stands now: a copy, or (``snapshot=False``) the live dict for read-only use."""
        if self.workflow.data and self.workflow.is_completed():  # the cheap test first: this runs on every step
            live = self.workflow.data
        else:
            ready = _ready_human_tasks(self.workflow)
            live = (ready[0] if ready else self.workflow.last_task or self.workflow.task_tree).data
        return copy.deepcopy(dict(live)) if snapshot else dict(live)

    def next_timer_at(self) -> dt.datetime | None:
        """When the earliest waiting timer is due, if any."""
        due = [dt.datetime.fromisoformat(e.value) for e in self.workflow.waiting_events()
               if e.event_type.startswith("Time")]
        return min(due) if due else None

    def dumps(self) -> str:
        """The state as JSON (no spec)."""
        return self.definition.serializer.dumps(self.workflow)

    def fingerprint(self, data: dict[str, Any] | None = None) -> str:
        """sha256 of what the case is: every task's element and state, and the case data.

        Task ids and engine timestamps are left out so that a replay of the same inputs gives the
        same fingerprint as the original run.
        """
        data = self.data(snapshot=False) if data is None else data
        document = canonical_json({"tasks": _element_states(self.workflow), "data": data})
        return hashlib.sha256(document.encode()).hexdigest()


_state_name = functools.cache(TaskState.get_name)


def _element_states(workflow: BpmnWorkflow) -> list[list[str]]:
    """[element, state name] of the top workflow's tasks, depth first in child order."""
    # Through the id lists and the task map (``Task.children`` builds a list per call), in one loop rather
    # than a generator: this runs on every step.
    tasks = workflow.tasks
    found: list[list[str]] = []
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        found.append([task.task_spec.name, _state_name(task.state)])
        if task._children:
            stack.extend([tasks[child] for child in reversed(task._children)])
    return found


def _ready_human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """READY manual tasks in the order ``get_tasks`` gives them."""
    # get_tasks walks the whole tree and costs more than the rest of a step's bookkeeping; a scan of the
    # task map finds the same tasks. Only the order of several needs the walk (``data`` takes the first).
    if workflow.subprocesses:
        return list(workflow.get_tasks(state=TaskState.READY, manual=True))
    found = [t for t in workflow.tasks.values() if t.state == TaskState.READY and t.task_spec.manual]
    return found if len(found) < 2 else list(workflow.get_tasks(state=TaskState.READY, manual=True))


def _inside_boundary_branch(task: Any) -> bool:
    node = task.parent
    while node is not None:
        if isinstance(node.task_spec, BoundaryEvent):
            return True
        node = node.parent
    return False


def _ready_task(task: Any) -> ReadyTask:
    spec = task.task_spec
    properties = dict(spec.extensions.get("properties", {}))
    return ReadyTask(id=str(task.id), name=spec.name, title=spec.bpmn_name or spec.name,
                     title_en=properties.get("titleEn", spec.bpmn_name or spec.name), lane=spec.lane,
                     properties=properties, instructions=spec.extensions.get("instructionsForEndUser"),
                     due_at=_due_at(task))


def _due_at(task: Any) -> dt.datetime | None:
    parent = task.parent
    if parent is None or not parent.task_spec.name.endswith(SPLIT_SUFFIX):
        return None
    values = [s.internal_data.get("event_value") for s in parent.children
              if isinstance(s.task_spec, BoundaryEvent) and s.state == TaskState.WAITING]
    due = [dt.datetime.fromisoformat(v) for v in values if isinstance(v, str)]
    return min(due) if due else None


class Engine:
    """Starts, advances and restores cases; one per process (it holds the restricted script engine)."""

    def __init__(self, settings: Settings, calendar: WorkingCalendar) -> None:
        self.settings = settings
        self.calendar = calendar
        self.script_engine = restricted_engine(settings, calendar)

    def start(self, definition: ProcessDefinition, data: dict[str, Any], at: dt.datetime) -> tuple[Case, StepLog]:
        """A new case of ``definition`` with ``data`` as its initial data, run to its first wait."""
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(data))
        case = Case(definition, workflow)
        with clock.frozen_at(at):
            log = self._advance(workflow)
        return case, log

    def load(self, definition: ProcessDefinition, state: str) -> Case:
        """A case restored from saved state, with the restricted script engine set again."""
        workflow = definition.serializer.loads(state)
        workflow.script_engine = self.script_engine
        return Case(definition, workflow)

    def complete(self, case: Case, task_id: str, data: dict[str, Any], at: dt.datetime) -> StepLog:
        """Complete a READY human task with ``data`` (replacing top-level keys) and run to the next wait."""
        task = self._ready_human_task(case, task_id)
        task.data.update(copy.deepcopy(data))
        with clock.frozen_at(at):
            try:
                task.run()
            except SpiffWorkflowException as exc:
                raise EngineStepFailed(str(exc).split("\n")[0], task.task_spec.name) from exc
            return self._advance(case.workflow)

    def fire_due_timers(self, case: Case, at: dt.datetime) -> StepLog:
        """Let every timer due at ``at`` fire, and run what follows."""
        with clock.frozen_at(at):
            return self._advance(case.workflow)

    def prefill(self, case: Case, task_id: str, data: dict[str, Any]) -> None:
        """Put draft values into a READY human task's form without completing it."""
        self._ready_human_task(case, task_id).data.update(copy.deepcopy(data))

    def cancel(self, case: Case) -> None:
        """Stop the case where it stands (a withdrawal outside the officer's own task)."""
        case.workflow.cancel()

    def _ready_human_task(self, case: Case, task_id: str) -> Any:
        try:
            task = case.workflow.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError) as exc:
            raise UnknownTask(task_id) from exc
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise UnknownTask(task_id)
        return task

    def _advance(self, workflow: BpmnWorkflow) -> StepLog:
        log = StepLog()

        def record(task: Any) -> None:
            _record_step(task, log)

        try:
            workflow.refresh_timers()
            workflow.do_engine_steps(did_complete_task=record)
        except SpiffWorkflowException as exc:
            task = getattr(exc, "task", None)
            name = task.task_spec.name if task is not None else None
            raise EngineStepFailed(str(exc).split("\n")[0], name) from exc
        except WorkflowError:
            raise
        return log


def _record_step(task: Any, log: StepLog) -> None:
    spec = task.task_spec
    if spec.name.startswith(("Start", "End")) or spec.name.endswith((SPLIT_SUFFIX, ".BoundaryEventJoin", ".EndJoin")):
        return
    entry: dict[str, Any] = {"element": spec.name, "kind": type(spec).__name__}
    if isinstance(spec, ExclusiveGateway):
        entry["chosen"] = [c.task_spec.name for c in task.children if c.state != TaskState.CANCELLED
                           and c.state & ~TaskState.PREDICTED_MASK]
        entry["because"] = routing.gateway_reasons(task, entry["chosen"])
    decision = routing.decision_reasons(task)
    if decision is not None:
        entry["decision"] = decision
    if isinstance(spec, BoundaryEvent) and task.parent is not None:
        attached = task.parent.task_spec.name.removesuffix(SPLIT_SUFFIX)
        entry["attached_to"] = attached
        log.escalated_tasks.append(attached)
    log.routing.append(entry)
