"""The restricted script environment for scripts, gateway conditions, timer expressions and DMN cells.

Everything a diagram evaluates is compiled by RestrictedPython with a stricter policy on top: no
imports, no names or attributes that start with an underscore, no ``while``, no ``def``/``class``, no
``**``; ``range`` is limited and every loop draws on one work budget per evaluation, so no diagram can
hang a worker. Scripts see the case data, a few builtins and the helpers in ``script_helpers``.
"""
from __future__ import annotations

import ast
import copy
import datetime as dt
import math
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval
from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import full_write_guard
from RestrictedPython.Guards import guarded_iter_unpack_sequence
from RestrictedPython.Guards import guarded_unpack_sequence
from RestrictedPython.Guards import safe_builtins
from RestrictedPython.Guards import safer_getattr
from RestrictedPython.Limits import limited_builtins
from RestrictedPython.transformer import RestrictingNodeTransformer
from RestrictedPython.Utilities import utility_builtins
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows import clock
from workflows.calendar import VIETNAM_TZ
from workflows.calendar import WorkingCalendar
from workflows.errors import ScriptBudgetExceeded
from workflows.errors import ScriptRefused
from workflows.settings import Settings

WORK_BUDGET = 100_000
JSON_SCALARS = (str, int, float, bool, type(None))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, minus the constructs that allow unbounded work or new code."""

    def _refuse(self, node: ast.AST, what: str) -> ast.AST:
        self.error(node, f"{what} không được phép trong kịch bản quy trình")
        return node

    def visit_While(self, node: ast.While) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Vòng lặp while")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Định nghĩa hàm")

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Định nghĩa hàm")

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Định nghĩa lớp")

    def visit_Import(self, node: ast.Import) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Lệnh import")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Lệnh import")

    def visit_Pow(self, node: ast.Pow) -> ast.AST:  # noqa: N802
        return self._refuse(node, "Phép lũy thừa")

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802
        # "a" * 10**8 or [0] * 10**8 would allocate without looping; multiplication goes through a guard.
        node = self.node_contents_visit(node)
        if not isinstance(node.op, ast.Mult):
            return node
        call = ast.Call(func=ast.Name(id="_guarded_mul_", ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


@lru_cache(maxsize=2048)
def compile_code(source: str, mode: str) -> CodeType:
    """Compile diagram code under the restricted policy (cached); raise ScriptRefused when refused."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename="<quy-trinh>", policy=_Policy)
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    code: CodeType | None = result.code
    if code is None:
        raise ScriptRefused("Không biên dịch được kịch bản")
    return code


class _WorkBudget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.left -= 1
            if self.left < 0:
                raise ScriptBudgetExceeded(f"Kịch bản vượt quá {WORK_BUDGET} bước lặp")
            yield item


MAX_SEQUENCE = 100_000
# Padding methods build strings of any length in one call; no diagram needs them.
_DENIED_ATTRIBUTES = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "format_map"})


def _guarded_mul(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | bytes | list | tuple) and isinstance(count, int):
            if len(sequence) * count > MAX_SEQUENCE:
                raise ScriptBudgetExceeded(f"Kết quả phép nhân vượt quá {MAX_SEQUENCE} phần tử")
    return left * right


def _guarded_getattr(obj: Any, name: str, default: Any = None, getattr: Any = getattr) -> Any:  # noqa: A002
    if name in _DENIED_ATTRIBUTES:
        raise AttributeError(f"Thuộc tính '{name}' không được phép trong kịch bản quy trình")
    return safer_getattr(obj, name, default, getattr)  # type: ignore[no-untyped-call]


_BUILTINS: dict[str, Any] = {
    **{k: v for k, v in safe_builtins.items() if k not in {"pow"}},
    **limited_builtins,
    **{k: v for k, v in utility_builtins.items() if k in {"same_type"}},
    "dict": dict, "list": list, "sum": sum, "min": min, "max": max, "any": any, "all": all,
    "enumerate": enumerate, "sorted": sorted, "reversed": reversed, "map": map, "filter": filter,
}


def _base_globals(helpers: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    return {
        "__builtins__": _BUILTINS,
        "_getattr_": _guarded_getattr,
        "_guarded_mul_": _guarded_mul,
        "_getitem_": default_guarded_getitem,
        "_write_": full_write_guard,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        **helpers,
    }


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Evaluates diagram code with RestrictedPython; scripts write back top-level keys only."""

    def __init__(self, helpers: dict[str, Callable[..., Any]]) -> None:
        super().__init__({})
        self.helpers = helpers
        self._base = _base_globals(helpers)

    def _namespace(self, context: dict[str, Any], external: dict[str, Any] | None) -> dict[str, Any]:
        budget = _WorkBudget(WORK_BUDGET)
        namespace = {**copy.deepcopy(context), **(external or {}), **self._base}
        namespace["_getiter_"] = budget.iterate
        return namespace

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        return eval(compile_code(expression, "eval"), self._namespace(context, external_context))  # noqa: S307

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        clashes = set(self.helpers) & set(context)
        if clashes:
            raise ScriptRefused(f"Dữ liệu hồ sơ trùng tên hàm hỗ trợ: {sorted(clashes)}")
        namespace = self._namespace(context, external_context)
        exec(compile_code(script, "exec"), namespace)  # noqa: S102
        reserved = set(self._base) | set(external_context or {}) | {"_getiter_"}
        results = {k: v for k, v in namespace.items() if k not in reserved}
        for key, value in results.items():
            _require_json(key, value)
        # Only now, with every value checked, does the case data change: all of it or none of it.
        for key in [k for k in context if k not in results]:
            del context[key]
        for key, value in results.items():
            current = context.get(key, _MISSING)
            if type(current) is not type(value) or current != value:
                context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptRefused("Quy trình không được gọi dịch vụ bên ngoài")


_MISSING = object()


def _require_json(key: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ScriptRefused(f"Biến '{key}' có giá trị không phải số hữu hạn ({value})")
    if isinstance(value, JSON_SCALARS):
        return
    if isinstance(value, list):
        for item in value:
            _require_json(key, item)
        return
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for item in value.values():
            _require_json(key, item)
        return
    raise ScriptRefused(f"Biến '{key}' có giá trị không phải JSON ({type(value).__name__})")


def script_helpers(settings: Settings, calendar: WorkingCalendar) -> dict[str, Callable[..., Any]]:
    """The only functions diagrams may call; each reads the engine clock, never the wall clock."""

    def today() -> str:
        return clock.now().astimezone(VIETNAM_TZ).date().isoformat()

    def add_years(iso_date: str, years: int) -> str:
        day = dt.date.fromisoformat(iso_date)
        try:
            return day.replace(year=day.year + years).isoformat()
        except ValueError:  # 29 February in a non-leap target year
            return day.replace(year=day.year + years, day=28).isoformat()

    def max_loan_amount(loan_purpose: str, training_months: int | None = None) -> int:
        if loan_purpose == "vocational_training":
            return int(settings["max_training_loan_vnd_per_month"]) * int(training_months or 0)
        return int(settings["max_production_loan_vnd"])

    def interest_rate_on(iso_date: str) -> float:
        return settings.interest_rate_on(dt.date.fromisoformat(iso_date))

    def sla_due(task_name: str) -> str:
        return calendar.due_after(clock.now(), settings.sla_days(task_name)).isoformat()

    def setting(key: str) -> Any:
        return settings[key]

    return {
        "today": today, "add_years": add_years, "max_loan_amount": max_loan_amount,
        "interest_rate_on": interest_rate_on, "sla_due": sla_due, "setting": setting, **_award_helpers(settings),
    }


def _award_helpers(settings: Settings) -> dict[str, Callable[..., Any]]:
    """Bonus and council arithmetic for the award process, from the configured tables and fractions."""

    def base_salary_on(iso_date: str) -> int:
        return settings.base_salary_on(dt.date.fromisoformat(iso_date))

    def award_bonus(award_form: str, recipient_kind: str, iso_date: str) -> int:
        return settings.award_bonus(award_form, recipient_kind, dt.date.fromisoformat(iso_date))

    def quorum_reached(members_present: int, members_total: int) -> bool:
        return settings.quorum_reached(members_present, members_total)

    def vote_passes(votes_for: int, members_total: int) -> bool:
        return settings.vote_passes(votes_for, members_total)

    return {"base_salary_on": base_salary_on, "award_bonus": award_bonus, "quorum_reached": quorum_reached,
            "vote_passes": vote_passes}


def restricted_engine(settings: Settings, calendar: WorkingCalendar) -> PythonScriptEngine:
    """A script engine whose every evaluation goes through the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment(script_helpers(settings, calendar)))
