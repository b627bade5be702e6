"""Audit figures of issue 5: how long checking the hash chains of a large database takes.

**verify**: a fresh temp-file SQLite database (schema by ``services.schema.upgrade``) is filled, outside
the timing, with ``--cases`` loan cases of ``--events`` audit events each (default 100,000 × 10 =
1,000,000 events). Each case's chain is what the application writes: the events are linked and hashed by
``services.audit.link``, the function every command uses, and the case row keeps the head; rows go in with
``executemany`` in batches of 50,000. Event contents cycle through what a loan case records (the dossier at
compile time, a claim, a return with a comment, approval, disbursement, a timer firing) with routing
entries, so rows are as wide as real ones. Filling takes about a minute. The timed region is one
``audit.verify(session)`` over every case in a fresh read session, as ``reentry audit verify`` runs it.

Printed: ``verify 1,000,000 events: X.X s`` and the events per second.

**replay**: another fresh SQLite database gets the processes of ``bpmn/`` and the people of a loan; one
dossier is worked through the service layer as people would: compiled, returned by the commune three
times and corrected each time, confirmed, an SLA timer fired, approved and disbursed (12 audit events).
Timed: ``services.replay.replay_case`` for step N, as ``GET /api/v1/instances/{id}/replay?step=N`` calls it,
in a read session, with the worker's case cache emptied first; every step N is replayed ``--repeat``
times. Printed: the median for the last step (the whole log re-executed and checked) and over all steps.

Each figure is one function that sets up its own data and returns what it measured; ``main`` prints them
in turn.

Run from the project root: ``python -m bench.replay [--cases N] [--events N] [--repeat N] [--dir PATH]``
(``--dir`` keeps the database in PATH instead of a temporary folder, and a later run with the same PATH
verifies it again without refilling it).
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import insert

from services import audit
from services import cases
from services import replay
from services import timers
from services import users
from services.backend import Backend
from services.deploy import deploy_sources
from services.models import AuditEvent
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.schema import upgrade
from services.status import AuditType
from services.status import InstanceStatus
from workflows.registry import read_folder

BATCH = 50_000
START = dt.datetime(2026, 1, 5, 1, 30, tzinfo=dt.UTC)
DOSSIER: dict[str, Any] = {
    "full_name": "Trần Văn Bình", "date_of_birth": "1988-03-04", "sex": "male", "national_id_number": "001088004321",
    "residence_commune_code": "10001", "residence_detail": "Thôn 2", "phone": "0987654321",
    "release_certificate_type": "amnesty", "release_certificate_number": "45/GCN",
    "sentence_completed_on": "2025-02-03", "form01_list_ref": "01/DS-2026", "loan_purpose": "production_business",
    "requested_amount_vnd": 60_000_000, "loan_term_months": 24, "use_of_funds_plan": "Mở tiệm sửa xe máy",
    "has_same_purpose_debt": False, "action": "submit",
}
# (type, actor, task, data, routing) of a loan case's events, in the order a returned-then-disbursed case has them.
EVENTS: list[tuple[str, str, str | None, dict[str, Any], list[dict[str, Any]]]] = [
    (AuditType.STARTED, "police.an", None, {},
     [{"element": "start", "kind": "StartEvent"}, {"element": "init_case", "kind": "ScriptTask"}]),
    (AuditType.COMPLETED, "police.an", "compile_dossier", DOSSIER,
     [{"element": "gw_action", "kind": "ExclusiveGateway", "chosen": ["check_eligibility"]},
      {"element": "check_eligibility", "kind": "BusinessRuleTask"},
      {"element": "gw_eligible", "kind": "ExclusiveGateway", "chosen": ["confirm_at_commune"]}]),
    (AuditType.CLAIMED, "commune.binh", "confirm_at_commune", {}, []),
    (AuditType.COMPLETED, "commune.binh", "confirm_at_commune",
     {"decision": "return", "comment": "Thiếu giấy chứng nhận chấp hành xong án phạt tù"},
     [{"element": "gw_commune", "kind": "ExclusiveGateway", "chosen": ["compile_dossier"]}]),
    (AuditType.COMPLETED, "police.an", "compile_dossier", {**DOSSIER, "release_certificate_number": "46/GCN"},
     [{"element": "gw_action", "kind": "ExclusiveGateway", "chosen": ["check_eligibility"]}]),
    (AuditType.COMPLETED, "commune.binh", "confirm_at_commune", {"decision": "confirm", "comment": "Đủ điều kiện"},
     [{"element": "gw_commune", "kind": "ExclusiveGateway", "chosen": ["lookup_interest_rate"]}]),
    (AuditType.TIMER_FIRED, "system", None, {},
     [{"element": "appraisal_reminder", "kind": "BoundaryEvent"}]),
    (AuditType.COMPLETED, "bank.dung", "appraise_loan",
     {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
      "approval_notice_ref": "04/TD-117", "approved_on": "2026-01-20"},
     [{"element": "gw_appraisal", "kind": "ExclusiveGateway", "chosen": ["disburse_loan"]}]),
    (AuditType.UNCLAIMED, "bank.em", "disburse_loan", {}, []),
    (AuditType.COMPLETED, "bank.em", "disburse_loan",
     {"disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-01-22", "loan_account_number": "7600112233"},
     [{"element": "disbursed", "kind": "EndEvent"}]),
]


@dataclass(frozen=True)
class VerifyFigure:
    """How long ``audit.verify`` took over every chain of the database."""

    events: int
    seconds: float
    ok: bool


def verify_figure(folder: Path, case_count: int, events_per_case: int) -> VerifyFigure:
    """Fill a database with ``case_count`` chains of ``events_per_case`` events, then time one full verify.

    A database already in ``folder`` (from an earlier run with ``--dir``) is verified as it is.
    """
    path = folder / "verify.db"
    reuse = path.exists()
    backend = Backend.connect(f"sqlite:///{path}")
    if not reuse:
        upgrade(backend.engine)
        fill(backend.engine, case_count, events_per_case)
    with backend.sessions() as session:
        started = time.perf_counter()
        result = audit.verify(session)
        seconds = time.perf_counter() - started
    backend.engine.dispose()
    return VerifyFigure(result.events_checked, seconds, result.ok)


def fill(engine: Engine, case_count: int, events_per_case: int) -> None:
    """One process version, then the cases and their chains, written in batches of ``BATCH`` rows."""
    with engine.begin() as conn:
        version_id = conn.execute(insert(ProcessVersion).returning(ProcessVersion.id), {
            "process_key": "loan_dossier", "version": 1, "version_hash": "0" * 64, "name": "Hồ sơ vay vốn",
            "sources": {}, "spec": {}, "deployed_at": START}).scalar_one()
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for case, chain in _chains(version_id, case_count, events_per_case):
        cases.append(case)
        events.extend(chain)
        if len(events) >= BATCH:
            _write(engine, cases, events)
            cases, events = [], []
    _write(engine, cases, events)


def _chains(version_id: int, case_count: int, events_per_case: int) -> Iterator[tuple[dict[str, Any],
                                                                                      list[dict[str, Any]]]]:
    for number in range(1, case_count + 1):
        instance = ProcessInstance(id=number, business_key=f"HS-2026-{number:06d}", audit_seq=0, audit_head="")
        at = START + dt.timedelta(minutes=number)
        chain = []
        for step in range(events_per_case):
            kind, actor, task, data, routing = EVENTS[step % len(EVENTS)]
            at += dt.timedelta(hours=3, microseconds=step * 7919)
            row = audit.link(instance, audit.AuditEntry(
                type=kind, actor=actor, at=at, state_hash=f"{number:032x}{step:032x}", task_name=task,
                task_id=f"00000000-0000-4000-8000-{number * 100 + step:012d}" if task else None,
                data=data, routing=routing))
            instance.audit_seq, instance.audit_head = row["seq"], row["hash"]
            chain.append(row)
        yield ({"id": number, "business_key": instance.business_key, "process_version_id": version_id,
                "process_key": "loan_dossier", "status": InstanceStatus.COMPLETED, "outcome": "disbursed",
                "state": "{}", "state_token": "0", "started_at": START, "updated_at": at, "search_text": "",
                "audit_seq": instance.audit_seq, "audit_head": instance.audit_head}, chain)


def _write(engine: Engine, cases: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    if not cases:
        return
    with engine.begin() as conn:
        conn.execute(insert(ProcessInstance), cases)
        conn.execute(insert(AuditEvent), events)


@dataclass(frozen=True)
class ReplayFigure:
    """Milliseconds to replay step N of a thrice-returned case, for every N."""

    steps: int
    last_step_ms: list[float]
    any_step_ms: list[float]


REPLAY_CAST = [("police.an", "police", "10001"), ("commune.binh", "commune", "10001"),
               ("bank.dung", "bank_appraiser", None), ("bank.em", "bank_teller", None), ("inspector", "auditor", None)]


def replay_figure(folder: Path, repeat: int) -> ReplayFigure:
    """Work one dossier with three returns through the services, then time replaying each of its steps."""
    backend = Backend.connect(f"sqlite:///{folder / 'replay.db'}")
    upgrade(backend.engine)
    with backend.transaction() as session:
        deploy_sources(session, read_folder(Path("bpmn")))
        for username, group, unit in REPLAY_CAST:
            users.add_user(session, username, "bench-password-1", [group], unit=unit)
    instance_id = _returned_three_times(backend)
    timings: dict[int, list[float]] = {}
    with backend.sessions() as session:
        inspector = users.get_user(session, "inspector")
        total = replay.replay_case(session, backend.runtime, inspector, instance_id).total_steps
        for _ in range(repeat):
            for step in range(1, total + 1):
                backend.runtime.forget()
                started = time.perf_counter()
                view = replay.replay_case(session, backend.runtime, inspector, instance_id, step)
                timings.setdefault(step, []).append((time.perf_counter() - started) * 1000)
                if view.first_mismatch is not None:
                    raise RuntimeError(f"replay does not match the log at step {view.first_mismatch}")
    backend.engine.dispose()
    return ReplayFigure(total, timings[total], [ms for values in timings.values() for ms in values])


def _returned_three_times(backend: Backend) -> int:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    day = at.date().isoformat()
    with backend.transaction() as session:
        instance_id = cases.start_case(session, backend.runtime, users.get_user(session, "police.an"),
                                       "loan_dossier", at=at).id
    steps: list[tuple[str, str, dict[str, Any]]] = [("police.an", "compile_dossier", DOSSIER)]
    for number in range(1, 4):
        steps += [("commune.binh", "confirm_at_commune", {"decision": "return", "comment": f"Bổ sung lần {number}"}),
                  ("police.an", "compile_dossier", {**DOSSIER, "phone": f"098765430{number}"})]
    steps += [("commune.binh", "confirm_at_commune", {"decision": "confirm"})]
    for username, task_name, data in steps:
        _step(backend, username, instance_id, task_name, data, at)
    late = at + dt.timedelta(days=10)
    with backend.transaction() as session:
        timers.fire_timers(session, backend.runtime, instance_id, late)
    _step(backend, "bank.dung", instance_id, "appraise_loan", {
        "decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
        "approval_notice_ref": "04/TD-117", "approved_on": day}, late)
    _step(backend, "bank.em", instance_id, "disburse_loan", {
        "disbursed_amount_vnd": 60_000_000, "disbursed_on": day, "loan_account_number": "7600112233"}, late)
    return instance_id


def _step(backend: Backend, username: str, instance_id: int, task_name: str, data: dict[str, Any],
          at: dt.datetime) -> None:
    with backend.transaction() as session:
        cases.complete_waiting_task(session, backend.runtime, users.get_user(session, username), instance_id,
                                    task_name, data, at=at)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure every figure and print it."""
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the verify database (default 100,000)")
    parser.add_argument("--events", type=int, default=10, help="audit events per case (default 10)")
    parser.add_argument("--repeat", type=int, default=20, help="replays of each step (default 20)")
    parser.add_argument("--dir", type=Path, default=None, help="keep the databases here instead of a temp folder")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.events < 1:
        parser.error("--cases and --events must be at least 1")
    with tempfile.TemporaryDirectory(prefix="reentry-bench-") as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        replayed = replay_figure(Path(tmp), max(args.repeat, 1))
        print(f"replay step N of a case with 3 returns ({replayed.steps} steps): median "
              f"{statistics.median(replayed.last_step_ms):.1f} ms for the last step, "
              f"{statistics.median(replayed.any_step_ms):.1f} ms over all steps (SQLite, hashes checked)")
        figure = verify_figure(folder, args.cases, args.events)
    state = "ok" if figure.ok else "CHAIN BROKEN"
    print(f"verify {figure.events:,} events: {figure.seconds:.1f} s "
          f"({figure.events / figure.seconds:,.0f} events/s, SQLite, {state})")


if __name__ == "__main__":
    main()
