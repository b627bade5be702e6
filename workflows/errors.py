"""Errors raised by the engine layer; each carries the context a person needs to fix the cause."""
from __future__ import annotations

from dataclasses import dataclass


class WorkflowError(Exception):
    """Base of every error the workflows package raises."""


@dataclass
class DiagramProblem:
    """One defect found in a deployed file."""

    file_name: str
    line: int | None
    element_id: str | None
    message: str

    def __str__(self) -> str:
        where = self.file_name
        if self.line:
            where += f", dòng {self.line}"
        if self.element_id:
            where += f", phần tử '{self.element_id}'"
        return f"{where}: {self.message}"


class DiagramRejected(WorkflowError):
    """A diagram, decision table or form could not be loaded; nothing was registered."""

    def __init__(self, problems: list[DiagramProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class ScriptRefused(WorkflowError):
    """A script or expression uses something the restricted environment does not allow."""


class ScriptBudgetExceeded(ScriptRefused):
    """A script looped more than its work budget allows."""


class EngineStepFailed(WorkflowError):
    """A script, condition or decision table failed while the engine was advancing a case."""

    def __init__(self, message: str, task_name: str | None = None) -> None:
        self.task_name = task_name
        super().__init__(message)


class UnknownTask(WorkflowError):
    """The task is not part of this case, or is no longer waiting for input."""
