"""Why a case went where it went, recorded with each step ("explainable routing", DESIGN §5).

For an exclusive gateway: the flow taken, its condition as written in the diagram (None for the default
flow) and the values of the case data the condition reads. For a decision table: the data its input
expressions read and the outputs it produced. Both are plain JSON, so they go into the audit event and
are covered by its hash.
"""
from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from typing import Any


def gateway_reasons(task: Any, chosen: list[str]) -> list[dict[str, Any]]:
    """For each flow taken out of an exclusive gateway: target, condition text and the data it read.

    The default flow is taken because every other condition was false, so its reason lists those
    conditions (``not_taken``) and the data they read.
    """
    conditions = {target: str(c.args[0]) for c, target in task.task_spec.cond_task_specs if c is not None}
    reasons: list[dict[str, Any]] = []
    for target in chosen:
        text = conditions.get(target)
        if text is not None:
            reasons.append({"to": _element(target), "condition": text, "inputs": _read(text, task.data)})
            continue
        others = [c for t, c in conditions.items() if t != target]
        read: dict[str, Any] = {}
        for other in others:
            read.update(_read(other, task.data))
        reasons.append({"to": _element(target), "condition": None, "not_taken": others, "inputs": read})
    return reasons


def _element(task_spec_name: str) -> str:
    # A task with a boundary timer is entered through the engine's split task; the diagram knows the task.
    return task_spec_name.removesuffix(".BoundaryEventSplit")


def decision_reasons(task: Any) -> dict[str, Any] | None:
    """The decision table a business rule task ran: its id, the data its inputs read and its outputs."""
    engine = getattr(task.task_spec, "dmnEngine", None)
    if engine is None:
        return None
    table = engine.decision_table
    read: dict[str, Any] = {}
    for column in table.inputs:
        read.update(_read(column.expression, task.data))
    return {"table": table.id, "inputs": read, "outputs": {o.name: task.data.get(o.name) for o in table.outputs}}


def _read(expression: str | None, data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in _names(expression or "") if name in data}


@functools.lru_cache(maxsize=2048)
def _names(expression: str) -> tuple[str, ...]:
    # Diagrams repeat the same few conditions: parse each once per worker.
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return ()
    return tuple(sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}))
