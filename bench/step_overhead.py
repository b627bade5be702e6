"""Overhead of a persisted human step over the bare engine step, on the loan process (happy path).

What is measured, per human step of ``loan_dossier`` (compile_dossier -> confirm_at_commune ->
appraise_loan -> disburse_loan):

(a) **In-memory engine.** ``workflows.engine.Engine`` (our restricted script engine, no persistence)
    driving the definition from ``load_sources(read_folder(Path("bpmn")))``. The timed region is one
    ``Engine.complete(case, task_id, data, at)`` call. Finding the ready task id is outside it.

(b) **Service layer on SQLite.** A fresh temp-file SQLite database (WAL, ``synchronous=FULL``, i.e.
    durable commits), schema by ``services.schema.upgrade``, the process deployed with
    ``services.deploy.deploy_sources`` and users created with ``services.users.add_user``, all outside
    the timed region. The timed region is one command, exactly as a request would run it::

        with backend.transaction() as s:                        # BEGIN IMMEDIATE ... COMMIT (fsync)
            me = users.get_user(s, username)
            tasks.complete_task(s, backend.runtime, me, task_id, data)

    That covers the form validation, the engine step, saving the state, inbox sync, the hash-chained
    audit event, the flush and the durable commit. The task id is looked up the way a client would
    (the open ``HumanTask`` row of the case), in a separate read session outside the timed region.
    The worker's runtime keeps its workflow cache, and the thread its command session and connection
    (``Backend.transaction`` on SQLite), as a real worker thread does.

Starting a case (``Engine.start`` vs. a ``cases.start_case`` transaction) is timed too but reported
separately; it is not part of the per-step figures. Cases alternate A, B, A, B ... after a warm-up,
so machine noise hits both sides equally. The last line is ``overhead_ratio <x>`` with
x = median ms per persisted step (b) / median ms per in-memory step (a), where a step's figure is its
case's four steps together divided by four. The four steps differ (the engine spends ~1.1 ms on the
dossier and ~0.35 ms on the appraisal), so a median taken over all steps at once falls in the gap between
the two slow and the two fast steps and swings with whichever steps sit at its edge: 2.59 to 3.09 in five
runs of the same code. The median over cases has no such gap; the pooled figures are still printed.

Run from the project root: ``python -m bench.step_overhead [--cases N] [--warmup N] [--dir PATH]``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from services import audit
from services import cases
from services import tasks
from services import users
from services.backend import Backend
from services.deploy import deploy_sources
from services.models import HumanTask
from services.models import ProcessInstance
from services.schema import upgrade
from services.status import InstanceStatus
from services.status import TaskStatus
from workflows.calendar import WorkingCalendar
from workflows.engine import Case
from workflows.engine import Engine
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources
from workflows.registry import read_folder
from workflows.settings import Settings

PROCESS_KEY = "loan_dossier"
BPMN_DIR = Path("bpmn")
PASSWORD = "secret-pass-1"
EXPECTED_OUTCOME = "disbursed"

USERS: list[tuple[str, str, str | None]] = [
    ("police_1", "police", "10001"),
    ("commune_1", "commune", "10001"),
    ("appraiser_1", "bank_appraiser", None),
    ("teller_1", "bank_teller", None),
]

DOSSIER: dict[str, Any] = {
    "full_name": "Trần Văn Bình", "date_of_birth": "1988-03-04", "sex": "male",
    "national_id_number": "001088004321", "residence_commune_code": "10001",
    "residence_detail": "Thôn 2", "phone": "0987654321", "release_certificate_type": "amnesty",
    "release_certificate_number": "45/GCN", "sentence_completed_on": "2025-02-01",
    "form01_list_ref": "01/DS-2026", "loan_purpose": "production_business",
    "requested_amount_vnd": 60_000_000, "loan_term_months": 24, "use_of_funds_plan": "Mở tiệm sửa xe",
    "has_same_purpose_debt": False, "action": "submit",
}

# (who completes it, task name, submitted form data): the happy path, 4 human steps.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("police_1", "compile_dossier", DOSSIER),
    ("commune_1", "confirm_at_commune", {"decision": "confirm", "comment": "ok"}),
    ("appraiser_1", "appraise_loan", {
        "decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
        "approval_notice_ref": "04/TD-1", "approved_on": "2026-11-29"}),
    ("teller_1", "disburse_loan", {
        "disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-11-29", "loan_account_number": "760011"}),
]


@dataclass
class CaseTiming:
    """Milliseconds spent starting one case and on each of its human steps, in order."""

    start_ms: float
    step_ms: list[float] = field(default_factory=list)

    @property
    def total_ms(self) -> float:
        """The case's human steps together (the start is not included)."""
        return sum(self.step_ms)


class BenchFailure(RuntimeError):
    """The process did not run the path the benchmark expects."""


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


# --- (a) in memory -------------------------------------------------------------------------------

def run_in_memory(engine: Engine, definition: ProcessDefinition) -> CaseTiming:
    """One case through the bare engine; each ``Engine.complete`` call is timed."""
    at = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    case, _log = engine.start(definition, {}, at)
    timing = CaseTiming(_ms(began))
    for _user, name, data in STEPS:
        task_id = _ready_task_id(case, name)
        at = dt.datetime.now(dt.UTC)
        began = time.perf_counter()
        engine.complete(case, task_id, data, at)
        timing.step_ms.append(_ms(began))
    if not case.is_completed or case.outcome() != EXPECTED_OUTCOME:
        raise BenchFailure(f"in-memory case ended as {case.outcome()!r}, expected {EXPECTED_OUTCOME!r}")
    return timing


def _ready_task_id(case: Case, name: str) -> str:
    ready = [t for t in case.ready_tasks() if t.name == name]
    if len(ready) != 1:
        raise BenchFailure(f"in-memory case: expected one ready {name}, got {[t.name for t in case.ready_tasks()]}")
    return ready[0].id


# --- (b) service layer on SQLite -----------------------------------------------------------------

def setup_backend(folder: Path) -> Backend:
    """A fresh SQLite database in ``folder`` with the schema, the loan process and its users."""
    backend = Backend.connect(f"sqlite:///{folder / 'bench.db'}")
    upgrade(backend.engine)
    with backend.transaction() as session:
        deploy_sources(session, read_folder(BPMN_DIR))
        for username, group, unit in USERS:
            users.add_user(session, username, PASSWORD, [group], unit=unit)
    return backend


def run_persisted(backend: Backend) -> CaseTiming:
    """One case through the service layer; each command transaction (with its commit) is timed."""
    began = time.perf_counter()
    with backend.transaction() as session:
        instance = cases.start_case(session, backend.runtime, users.get_user(session, USERS[0][0]), PROCESS_KEY)
    timing = CaseTiming(_ms(began))
    instance_id = instance.id
    for username, name, data in STEPS:
        task_id = _open_task_id(backend, instance_id, name)
        began = time.perf_counter()
        with backend.transaction() as session:
            me = users.get_user(session, username)
            tasks.complete_task(session, backend.runtime, me, task_id, data)
        timing.step_ms.append(_ms(began))
    _check_finished(backend, instance_id)
    return timing


def _open_task_id(backend: Backend, instance_id: int, name: str) -> str:
    """The case's open inbox row, read as a client would (separate read session, not timed)."""
    with backend.sessions() as session:
        rows = session.execute(select(HumanTask.id, HumanTask.task_name).where(
            HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)).all()
    ids = [task_id for task_id, task_name in rows if task_name == name]
    if len(rows) != 1 or not ids:
        raise BenchFailure(f"case {instance_id}: expected one open {name}, got {[r[1] for r in rows]}")
    return ids[0]


def _check_finished(backend: Backend, instance_id: int) -> None:
    with backend.sessions() as session:
        instance = session.get_one(ProcessInstance, instance_id)
        status, outcome = instance.status, instance.outcome
    if status != InstanceStatus.COMPLETED or outcome != EXPECTED_OUTCOME:
        raise BenchFailure(f"case {instance_id} ended as {status}/{outcome}, expected completed/{EXPECTED_OUTCOME}")


def bare_commit_ms(folder: Path, commits: int = 300) -> float:
    """Median ms of a bare durable SQLite commit (one small row, WAL, synchronous=FULL) in ``folder``.

    Printed as context: every persisted step pays one such commit, and its cost is the disk's, not ours.
    """
    connection = sqlite3.connect(folder / "bare.db", isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        timings = []
        for index in range(commits):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t (v) VALUES (?)", (str(index),))
            began = time.perf_counter()
            connection.execute("COMMIT")
            timings.append(_ms(began))
    finally:
        connection.close()
    return statistics.median(timings)


# --- driver and report ---------------------------------------------------------------------------

def _percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, p10 and p90."""
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return statistics.median(values), deciles[0], deciles[-1]


def _per_step(timings: Sequence[CaseTiming]) -> float:
    """Median ms per human step: the median case's steps together, divided by the steps in a case."""
    return statistics.median(c.total_ms for c in timings) / len(STEPS)


def _line(label: str, values: Sequence[float]) -> str:
    median, p10, p90 = _percentiles(values)
    return f"{label:<34} median {median:8.3f}   p10 {p10:8.3f}   p90 {p90:8.3f}   (n={len(values)})"


def run(case_count: int, warmup: int, folder: Path) -> tuple[list[CaseTiming], list[CaseTiming]]:
    """Warm up, then alternate one in-memory and one persisted case ``case_count`` times."""
    settings = Settings.from_environment()
    engine = Engine(settings, WorkingCalendar(settings["extra_holidays"], settings["extra_working_days"]))
    definition = load_sources(read_folder(BPMN_DIR))[PROCESS_KEY]
    backend = setup_backend(folder)
    try:
        for _ in range(warmup):
            run_in_memory(engine, definition)
            run_persisted(backend)
        memory: list[CaseTiming] = []
        persisted: list[CaseTiming] = []
        for _ in range(case_count):
            memory.append(run_in_memory(engine, definition))
            persisted.append(run_persisted(backend))
        with backend.sessions() as session:
            verification = audit.verify(session)
        if not verification.ok:
            raise BenchFailure(f"audit chain broken: {verification.first_bad}")
    finally:
        backend.engine.dispose()
    return memory, persisted


def report(memory: list[CaseTiming], persisted: list[CaseTiming], warmup: int, database: Path) -> None:
    """Print the figures; the last line is ``overhead_ratio <x>``."""
    mem_steps = [ms for c in memory for ms in c.step_ms]
    db_steps = [ms for c in persisted for ms in c.step_ms]
    print(f"cases {len(memory)} per side (interleaved A/B after {warmup} warm-up cases each); "
          f"{len(STEPS)} human steps per case; SQLite file {database} (WAL, synchronous=FULL)")
    print("ms per human step")
    print(_line("  (a) in-memory engine.complete", mem_steps))
    print(_line("  (b) service txn + commit", db_steps))
    print("ms per human step, by task (median (a) / (b))")
    for index, (_user, name, _data) in enumerate(STEPS):
        mem = statistics.median(c.step_ms[index] for c in memory)
        db = statistics.median(c.step_ms[index] for c in persisted)
        print(f"  {name:<20} {mem:8.3f} / {db:8.3f}   x{db / mem:5.2f}")
    print("ms per case, 4 human steps together (start excluded)")
    print(_line("  (a) in-memory", [c.total_ms for c in memory]))
    print(_line("  (b) service + SQLite", [c.total_ms for c in persisted]))
    print("ms to start a case (reported separately)")
    print(_line("  (a) Engine.start", [c.start_ms for c in memory]))
    print(_line("  (b) start_case txn + commit", [c.start_ms for c in persisted]))
    quarter = max(len(persisted) // 4, 1)
    first, last = _per_step(persisted[:quarter]), _per_step(persisted[-quarter:])
    print(f"(b) median per step, first vs last quarter of the cases (drift as the database grows): "
          f"{first:.3f} / {last:.3f} ms")
    print(f"bare durable SQLite commit on this disk (every persisted step pays one): "
          f"median {bare_commit_ms(database.parent):.3f} ms")
    step_a, step_b = _per_step(memory), _per_step(persisted)
    print(f"median per step (a case's {len(STEPS)} steps together / {len(STEPS)}): (a) {step_a:.3f} ms, "
          f"(b) {step_b:.3f} ms, added by persistence {step_b - step_a:.3f} ms")
    print(f"overhead_ratio {step_b / step_a:.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options, run the interleaved benchmark and print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.step_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="measured cases per side (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up cases per side, not measured (default 20)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder for the temporary SQLite file (default: the system temp folder)")
    args = parser.parse_args(argv)
    if args.cases < 2:
        parser.error("--cases must be at least 2")
    with tempfile.TemporaryDirectory(prefix="reentry-bench-", dir=args.dir) as tmp:
        folder = Path(tmp)
        memory, persisted = run(args.cases, max(args.warmup, 0), folder)
        report(memory, persisted, max(args.warmup, 0), folder / "bench.db")


if __name__ == "__main__":
    main()
