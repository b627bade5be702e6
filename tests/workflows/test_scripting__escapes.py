"""Diagram code runs restricted: every known sandbox escape is refused, and only the exposed helpers work."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from workflows import clock
from workflows.calendar import WorkingCalendar
from workflows.engine import Engine
from workflows.errors import DiagramRejected
from workflows.errors import EngineStepFailed
from workflows.errors import ScriptBudgetExceeded
from workflows.errors import ScriptRefused
from workflows.registry import load_sources
from workflows.scripting import WORK_BUDGET
from workflows.scripting import RestrictedEnvironment
from workflows.scripting import compile_code
from workflows.scripting import restricted_engine
from workflows.scripting import script_helpers
from workflows.settings import Settings

# Expressions that must never evaluate, with the exception that stops each one.
EVAL_ESCAPES: list[tuple[str, type[BaseException]]] = [
    ("().__class__.__base__.__subclasses__()", ScriptRefused),
    ('__import__("os")', ScriptRefused),
    ('open("/etc/passwd")', NameError),
    ('"{0.__class__}".format(1)', NotImplementedError),
    ('"{.__globals__}".format(setting)', NotImplementedError),
    ('"{a.__class__}".format_map({"a": 1})', AttributeError),
    ('"a".ljust(100000000)', AttributeError),
    ('len("a" * 100000000)', ScriptBudgetExceeded),
    ('sum([1] * 30000000)', ScriptBudgetExceeded),
    ('getattr(1, "__class__")', NameError),
    ("x.__dict__", ScriptRefused),
    ("today.__globals__", ScriptRefused),
    ("(i for i in []).gi_frame", ScriptRefused),
    ("type(1)", NameError),
    ("vars(today)", NameError),
    ("2 ** 100000", ScriptRefused),
    ("range(10**9)", ScriptRefused),
    ("range(1000000000)", ValueError),
    ("[a * b for a in range(500) for b in range(500)]", ScriptBudgetExceeded),
    ("(lambda f: f(f))(lambda f: f(f))", RecursionError),
]

# Scripts that must never run, with the exception that stops each one.
EXEC_ESCAPES: list[tuple[str, type[BaseException]]] = [
    ("import os", ScriptRefused),
    ("from os import path", ScriptRefused),
    ('os = __import__("os")', ScriptRefused),
    ("subclasses = ().__class__.__base__.__subclasses__()", ScriptRefused),
    ('text = open("/etc/passwd").read()', NameError),
    ('leak = "{0.__class__}".format(1)', NotImplementedError),
    ('leak = "{.__globals__}".format(setting)', NotImplementedError),
    ('leak = getattr(1, "__class__")', NameError),
    ("leak = x.__dict__", ScriptRefused),
    ("while True:\n    pass", ScriptRefused),
    ("def f():\n    pass", ScriptRefused),
    ("async def f():\n    pass", ScriptRefused),
    ("class A:\n    pass", ScriptRefused),
    ("big = 2 ** 100000", ScriptRefused),
    ("big = 2\nbig **= 100000", ScriptRefused),
    ("for i in range(10**9):\n    pass", ScriptRefused),
    ("for i in range(1000000000):\n    pass", ValueError),
    ("total = 0\nfor a in range(999):\n    for b in range(999):\n        total = total + 1", ScriptBudgetExceeded),
    ("pairs = [[a, b] for a in range(999) for b in range(999)]", ScriptBudgetExceeded),
    ("f = lambda n: f(n + 1)\nx = f(0)", RecursionError),
]

COMPILE_TIME_EXEC = [source for source, error in EXEC_ESCAPES if error is ScriptRefused]
COMPILE_TIME_EVAL = [source for source, error in EVAL_ESCAPES if error is ScriptRefused]
RUN_TIME_EXEC = [(source, error) for source, error in EXEC_ESCAPES if error is not ScriptRefused]


def _context() -> dict[str, Any]:
    return {"x": {"a": 1}, "amount": 60_000_000}


@pytest.mark.parametrize(("expression", "error"), EVAL_ESCAPES)
def test_evaluate_refuses_escape(environment: RestrictedEnvironment, expression: str,
                                 error: type[BaseException]) -> None:
    """Evaluating an escape raises the restricted environment's error instead of returning anything."""
    with pytest.raises(error):
        environment.evaluate(expression, _context())


@pytest.mark.parametrize(("script", "error"), EXEC_ESCAPES)
def test_execute_refuses_escape_and_leaves_context(environment: RestrictedEnvironment, script: str,
                                                   error: type[BaseException]) -> None:
    """Executing an escape raises, and the case data is left as it was."""
    context = _context()
    with pytest.raises(error):
        environment.execute(script, context)
    assert context == _context()


@pytest.mark.parametrize("script", ["rate = 1e308 * 10", "rate = -1e308 * 10", "rate = 1e308 * 10 - 1e308 * 10",
                                    "rows = [1e308 * 10]"])
def test_execute_refuses_numbers_json_cannot_hold(environment: RestrictedEnvironment, script: str) -> None:
    """A script that ends with an infinite or undefined number is refused; the case data is left as it was."""
    context = _context()
    with pytest.raises(ScriptRefused, match="rate|rows"):
        environment.execute(script, context)
    assert context == _context()


@pytest.mark.parametrize("script", COMPILE_TIME_EXEC)
def test_compile_refuses_escape_script(script: str) -> None:
    """Imports, loops without bound, new code and dunder access are refused before anything runs."""
    with pytest.raises(ScriptRefused):
        compile_code(script, "exec")


@pytest.mark.parametrize("expression", COMPILE_TIME_EVAL)
def test_compile_refuses_escape_expression(expression: str) -> None:
    """Dunder names and ``**`` are refused when an expression is compiled."""
    with pytest.raises(ScriptRefused):
        compile_code(expression, "eval")


def test_compile_refuses_syntax_error_as_script_refused() -> None:
    """Broken code is refused with the same error as forbidden code."""
    with pytest.raises(ScriptRefused, match="SyntaxError"):
        compile_code("total = 1 +", "exec")


def test_budget_exceeded_is_a_script_refusal() -> None:
    """Callers catching ScriptRefused also catch a blown work budget."""
    assert issubclass(ScriptBudgetExceeded, ScriptRefused)


def test_budget_is_per_evaluation(environment: RestrictedEnvironment) -> None:
    """A loop just under the budget runs, and runs again: each evaluation gets a fresh budget."""
    script = "total = 0\nfor a in range(990):\n    for b in range(99):\n        total = total + 1"
    assert 990 + 990 * 99 < WORK_BUDGET
    for _ in range(2):
        context: dict[str, Any] = {}
        environment.execute(script, context)
        assert context == {"total": 990 * 99, "a": 989, "b": 98}


def test_call_service_is_refused(environment: RestrictedEnvironment) -> None:
    """Diagrams cannot call outside services."""
    with pytest.raises(ScriptRefused):
        environment.call_service({}, operation_name="fetch")


def test_restricted_engine_uses_restricted_environment(settings: Settings, calendar: WorkingCalendar) -> None:
    """The script engine handed to SpiffWorkflow evaluates through the restricted environment."""
    script_engine = restricted_engine(settings, calendar)
    assert isinstance(script_engine.environment, RestrictedEnvironment)
    assert set(script_engine.environment.helpers) == set(script_helpers(settings, calendar))


# --- the same escapes inside a deployed diagram -------------------------------------------------------------


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize("script", COMPILE_TIME_EXEC)
def test_deploy_refuses_escape_in_script_task(script_bpmn: Callable[[str], str], script: str) -> None:
    """A scriptTask holding an escape is refused at deploy, naming the file, the script's line and the task."""
    text = script_bpmn(script)
    with pytest.raises(DiagramRejected) as info:
        load_sources({"tiny.bpmn": text})
    [problem] = info.value.problems
    assert (problem.file_name, problem.line, problem.element_id) == ("tiny.bpmn", _line_of(text, "<bpmn:script>"),
                                                                      "calc")
    assert "calc" in str(info.value)


@pytest.mark.parametrize("expression", COMPILE_TIME_EVAL)
def test_deploy_refuses_escape_in_condition(tiny_bpmn: Callable[[str], str], expression: str) -> None:
    """A gateway condition holding an escape is refused at deploy, naming the sequence flow."""
    body = """    <bpmn:startEvent id="start"><bpmn:outgoing>flow_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="flow_no">
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_yes</bpmn:outgoing>
      <bpmn:outgoing>flow_no</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="yes"><bpmn:incoming>flow_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="no"><bpmn:incoming>flow_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="gw" />
    <bpmn:sequenceFlow id="flow_yes" sourceRef="gw" targetRef="yes">
      <bpmn:conditionExpression>{expression}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_no" sourceRef="gw" targetRef="no" />
"""
    text = tiny_bpmn(body.format(expression=expression.replace("<", "&lt;")))
    with pytest.raises(DiagramRejected) as info:
        load_sources({"tiny.bpmn": text})
    [problem] = info.value.problems
    assert (problem.line, problem.element_id) == (_line_of(text, "<bpmn:conditionExpression>"), "flow_yes")


@pytest.mark.parametrize(("script", "error"), RUN_TIME_EXEC)
def test_running_escape_in_workflow_fails_the_step(engine: Engine, script_bpmn: Callable[[str], str],
                                                   monday_morning: dt.datetime, script: str,
                                                   error: type[BaseException]) -> None:
    """An escape only caught when it runs fails the engine step, naming the script task and the refusal."""
    definition = load_sources({"tiny.bpmn": script_bpmn(script)})["tiny"]
    with pytest.raises(EngineStepFailed) as info:
        engine.start(definition, {"x": {"a": 1}}, monday_morning)
    assert info.value.task_name == "calc"
    assert error.__name__ in str(info.value)


def test_workflow_script_writes_json_result(engine: Engine, script_bpmn: Callable[[str], str],
                                            monday_morning: dt.datetime) -> None:
    """A harmless script in a real workflow runs with the helpers and the case ends with its results."""
    definition = load_sources({"tiny.bpmn": script_bpmn('limit = max_loan_amount("production_business")\n'
                                                        "ok = amount <= limit\nday = today()")})["tiny"]
    case, _ = engine.start(definition, {"amount": 60_000_000}, monday_morning)
    assert case.is_completed
    assert case.data() == {"amount": 60_000_000, "limit": 100_000_000, "ok": True, "day": "2026-03-02"}


def test_workflow_script_leaving_set_fails_the_step(engine: Engine, script_bpmn: Callable[[str], str],
                                                    monday_morning: dt.datetime) -> None:
    """A script leaving a non-JSON value fails its step instead of storing it."""
    definition = load_sources({"tiny.bpmn": script_bpmn("codes = {1, 2}")})["tiny"]
    with pytest.raises(EngineStepFailed) as info:
        engine.start(definition, {}, monday_morning)
    assert info.value.task_name == "calc"
    assert "ScriptRefused" in str(info.value)


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "expected"), [
    (dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), "2026-03-02"),
    (dt.datetime(2025, 12, 31, 16, 59, tzinfo=dt.UTC), "2025-12-31"),
    (dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC), "2026-01-01"),
    (dt.datetime(2025, 12, 31, 18, 0), "2026-01-01"),
])
def test_today_follows_frozen_engine_clock(environment: RestrictedEnvironment, moment: dt.datetime,
                                           expected: str) -> None:
    """today() is the engine clock's date in Vietnam, not the wall clock's (naive moments are UTC)."""
    with clock.frozen_at(moment):
        assert environment.evaluate("today()", {}) == expected


@pytest.mark.parametrize(("day", "years", "expected"), [
    ("2024-02-29", 1, "2025-02-28"),
    ("2024-02-29", 4, "2028-02-29"),
    ("2020-03-01", 5, "2025-03-01"),
    ("2025-02-01", -5, "2020-02-01"),
])
def test_add_years(environment: RestrictedEnvironment, day: str, years: int, expected: str) -> None:
    """add_years moves an ISO date by whole years; 29 February falls back to the 28th."""
    assert environment.evaluate(f'add_years("{day}", {years})', {}) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ('max_loan_amount("production_business")', 100_000_000),
    ('max_loan_amount("production_business", 12)', 100_000_000),
    ('max_loan_amount("vocational_training", 12)', 48_000_000),
    ('max_loan_amount("vocational_training", None)', 0),
    ("max_loan_amount(loan_purpose, training_months)", 24_000_000),
])
def test_max_loan_amount(environment: RestrictedEnvironment, expression: str, expected: int) -> None:
    """The loan ceiling is 100 million for production, 4 million per training month for training."""
    context = {"loan_purpose": "vocational_training", "training_months": 6}
    assert environment.evaluate(expression, context) == expected


def test_max_loan_amount_reads_settings(calendar: WorkingCalendar) -> None:
    """A province's settings change the ceiling without a diagram change."""
    environment = RestrictedEnvironment(script_helpers(Settings({"max_production_loan_vnd": 120_000_000}), calendar))
    assert environment.evaluate('max_loan_amount("production_business")', {}) == 120_000_000


@pytest.mark.parametrize(("day", "rate"), [
    ("2024-01-01", 6.6), ("2025-11-30", 6.6), ("2025-12-01", 6.24), ("2026-06-30", 6.24),
])
def test_interest_rate_on(environment: RestrictedEnvironment, day: str, rate: float) -> None:
    """The rate comes from the dated table: 6.6 %/yr until 2025-11-30, 6.24 %/yr from 2025-12-01."""
    assert environment.evaluate(f'interest_rate_on("{day}")', {}) == rate


@pytest.mark.parametrize(("task", "days"), [("confirm_at_commune", 5), ("appraise_loan", 3)])
def test_sla_due_is_utc_iso_n_working_days_later(environment: RestrictedEnvironment, calendar: WorkingCalendar,
                                                 monday_morning: dt.datetime, task: str, days: int) -> None:
    """sla_due(task) is an ISO UTC datetime at 17:00 Hà Nội time, the task's SLA in working days later."""
    with clock.frozen_at(monday_morning):
        due_text = environment.evaluate(f'sla_due("{task}")', {})
    due = dt.datetime.fromisoformat(due_text)
    assert due.utcoffset() == dt.timedelta(0)
    assert due == calendar.due_after(monday_morning, days)
    assert calendar.working_days_between(monday_morning.date(), due.date()) == days
    assert (due.hour, due.minute) == (10, 0)


def test_sla_due_skips_holidays_and_follows_settings(calendar: WorkingCalendar) -> None:
    """SLA days come from settings and skip Tết: 2 working days after Friday 13 February 2026 is 24 February."""
    environment = RestrictedEnvironment(script_helpers(Settings({"sla_days": {"confirm_at_commune": 2}}), calendar))
    with clock.frozen_at(dt.datetime(2026, 2, 13, 3, 0, tzinfo=dt.UTC)):
        due_text = environment.evaluate('sla_due("confirm_at_commune")', {})
    assert due_text == "2026-02-24T10:00:00+00:00"


def test_setting_returns_a_copy(environment: RestrictedEnvironment) -> None:
    """setting() reads configuration, and a script changing the answer changes nothing configured."""
    context: dict[str, Any] = {}
    environment.execute('days = setting("sla_days")\ndays["confirm_at_commune"] = 99', context)
    assert context["days"]["confirm_at_commune"] == 99
    assert environment.evaluate('setting("sla_days")["confirm_at_commune"]', {}) == 5


# --- what a script writes back ------------------------------------------------------------------------------


def test_script_writes_back_top_level_keys(environment: RestrictedEnvironment) -> None:
    """New and changed top-level names land in the data; untouched values stay the same objects."""
    address = {"commune": "10001"}
    context: dict[str, Any] = {"return_count": 1, "address": address}
    environment.execute("return_count = return_count + 1\nnote = 'ok'", context)
    assert context == {"return_count": 2, "address": {"commune": "10001"}, "note": "ok"}
    assert context["address"] is address


def test_script_does_not_mutate_nested_values_in_place(environment: RestrictedEnvironment) -> None:
    """A script changing a nested value works on a copy: the caller's nested objects keep their values."""
    geo = {"lat": 21.0}
    context: dict[str, Any] = {"address": {"geo": geo}, "people": [{"name": "An"}]}
    environment.execute('address["geo"]["lat"] = 10.8\npeople[0]["name"] = "Bình"', context)
    assert geo == {"lat": 21.0}
    assert context["address"] == {"geo": {"lat": 10.8}}
    assert context["address"]["geo"] is not geo
    assert context["people"] == [{"name": "Bình"}]


def test_evaluate_does_not_mutate_context(environment: RestrictedEnvironment) -> None:
    """An expression that changes a list it reads changes only its own copy."""
    context: dict[str, Any] = {"codes": ["R1"]}
    assert environment.evaluate('codes.append("R2") or codes', context) == ["R1", "R2"]
    assert context == {"codes": ["R1"]}


@pytest.mark.parametrize("script", [
    "codes = {1, 2}",
    "pair = (1, 2)",
    "f = lambda n: n",
    "nested = {'a': [1, {2, 3}]}",
    "keys = {1: 'a'}",
    "raw = b'bytes'",
    "fn = today",
])
def test_script_leaving_non_json_value_is_refused(environment: RestrictedEnvironment, script: str) -> None:
    """Task data stays JSON-native: a set, tuple, function, bytes or non-string key is refused."""
    context: dict[str, Any] = {}
    with pytest.raises(ScriptRefused, match="JSON"):
        environment.execute(script, context)
    assert context == {}


def test_script_deleting_a_variable_removes_it(environment: RestrictedEnvironment) -> None:
    """``del name`` in a script removes that key from the case data."""
    context: dict[str, Any] = {"eligibility_reason_code": ["R6"], "keep": 1}
    environment.execute("del eligibility_reason_code", context)
    assert context == {"keep": 1}


def test_script_cannot_shadow_helpers(environment: RestrictedEnvironment) -> None:
    """Case data named like a helper is refused, so a dossier cannot replace today()."""
    with pytest.raises(ScriptRefused):
        environment.execute("x = 1", {"today": "2000-01-01"})


def test_script_assigning_helper_name_is_not_written_back(environment: RestrictedEnvironment) -> None:
    """A script rebinding a helper name keeps it local: the helper is not written into the data."""
    context: dict[str, Any] = {}
    environment.execute('today = "2000-01-01"\nx = 1', context)
    assert context == {"x": 1}


def test_external_context_is_not_written_back(environment: RestrictedEnvironment) -> None:
    """Names the engine passes in for one evaluation do not become case data."""
    context: dict[str, Any] = {"a": 1}
    environment.execute("b = dmninputexpr + a", context, {"dmninputexpr": 41})
    assert context == {"a": 1, "b": 42}


def test_refused_write_back_leaves_context_unchanged(environment: RestrictedEnvironment) -> None:
    """A script refused for a non-JSON result changes none of the case data."""
    context: dict[str, Any] = {"a": 1, "b": 2}
    with pytest.raises(ScriptRefused):
        environment.execute("a = 5\ndel b\nz = {1, 2}", context)
    assert context == {"a": 1, "b": 2}


def test_pow_builtin_is_refused_like_power_operator(environment: RestrictedEnvironment) -> None:
    """pow(a, b) is not available, like ``a ** b``, so no diagram can compute huge powers."""
    with pytest.raises(NameError, match="pow"):
        environment.evaluate("pow(2, 100000) > 0", {})


def test_script_keeps_keys_it_cannot_name(environment: RestrictedEnvironment) -> None:
    """Data keys a script cannot even name (a leading underscore) survive the script untouched."""
    context: dict[str, Any] = {"_source": "api", "a": 1}
    environment.execute("b = 2", context)
    assert context == {"_source": "api", "a": 1, "b": 2}
