"""A 50-nominee award batch: the council vote step and the decision's rendering, timed.

Setup, outside the timings: a fresh temp-file SQLite database (WAL, synchronous=FULL), the processes of
``bpmn/`` deployed, and a unit head, Sở Nội vụ, the provincial council and the chairman. Per case: the unit
head nominates 50 nominees (30 individuals, 20 collectives), Sở Nội vụ accepts them all; then, timed:

* **council vote**: one command transaction (``users.get_user`` + ``tasks.complete_task``, durable commit)
  recording 50 nominees' votes, the tally script and the routing to signature;
* the chairman signs (not timed), which numbers the decision and computes the 50 bonuses;
* **decision page**: ``GET /cases/<id>/documents/decision`` through the Flask app, signed in as the chairman;
* **decision PDF**: ``GET /cases/<id>/documents/decision.pdf`` the same way.

Printed: median, p10 and p90 in milliseconds of each. Run from the project root:
``python -m bench.award_batch [--cases N] [--nominees N]``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

import web
from services import cases
from services import tasks
from services import users
from services.backend import Backend
from services.deploy import deploy_sources
from services.schema import upgrade
from workflows.calendar import VIETNAM_TZ
from workflows.registry import read_folder

PASSWORD = "bench-password-1"
USERS = [("unit_1", "unit_head"), ("office_1", "home_affairs"), ("council_1", "provincial_council"),
         ("chairman_1", "chairman")]


def nomination(count: int, case_number: int, today: dt.date) -> dict[str, Any]:
    """A Bằng khen batch of ``count`` nominees, two in five of them collectives."""
    nominees = [{"recipient_kind": "collective" if i % 5 in (1, 3) else "individual",
                 "name": f"Đối tượng {case_number}-{i:03d}", "position": "Cán bộ", "work_unit": "Công an xã Hòa An",
                 "achievement_summary": f"Giúp đỡ người chấp hành xong án, đợt {case_number}",
                 "under_discipline_or_investigation": False} for i in range(count)]
    return {"award_form": "provincial_chairman_certificate_of_merit", "award_type": "topic",
            "proposal_number": f"{case_number}/TTr-CAX", "proposal_date": today.isoformat(),
            "council_minutes_ref": "05/BB-HĐTĐKT", "nominees": nominees}


def setup(folder: Path) -> Backend:
    """A fresh SQLite database with the processes and the four people."""
    backend = Backend.connect(f"sqlite:///{folder / 'bench.db'}")
    upgrade(backend.engine)
    with backend.transaction() as session:
        deploy_sources(session, read_folder(Path("bpmn")))
        for username, group in USERS:
            users.add_user(session, username, PASSWORD, [group])
    return backend


def act(backend: Backend, username: str, instance_id: int, task_name: str,
        data: Callable[[dict[str, Any]], dict[str, Any]]) -> float:
    """Complete a case's open task in one timed command; ``data`` builds the form from the case data."""
    with backend.sessions() as session:
        current = cases.case_data(session, backend.runtime, tasks.running_instance(session, instance_id))
    form = data(current)
    began = time.perf_counter()
    with backend.transaction() as session:
        cases.complete_waiting_task(session, backend.runtime, users.get_user(session, username), instance_id,
                                    task_name, form)
    return (time.perf_counter() - began) * 1000.0


def run_case(backend: Backend, client: FlaskClient, nominees: int, number: int) -> tuple[float, float, float]:
    """One batch to a signed decision; returns (vote ms, page ms, pdf ms)."""
    today = dt.datetime.now(VIETNAM_TZ).date()
    with backend.transaction() as session:
        instance = cases.start_and_submit(session, backend.runtime, users.get_user(session, "unit_1"),
                                          "award_nomination", nomination(nominees, number, today))
    act(backend, "office_1", instance.id, "appraise_dossier",
        lambda d: {"decision": "accept", "appraisal_results": d["appraisal_results"]})
    vote_ms = act(backend, "council_1", instance.id, "council_vote", lambda d: {
        "meeting_date": today.isoformat(), "members_total": 9, "members_present": 8,
        "council_votes": [c | {"votes_for": 7} for c in d["council_candidates"]]})
    act(backend, "chairman_1", instance.id, "sign_decision", lambda d: {"decision": "approve",
                                                                       "signing_capacity": "self"})
    return vote_ms, _get_ms(client, f"/cases/{instance.id}/documents/decision"), \
        _get_ms(client, f"/cases/{instance.id}/documents/decision.pdf")


def _get_ms(client: FlaskClient, path: str) -> float:
    began = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - began) * 1000.0
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return elapsed


def line(label: str, values: Sequence[float]) -> str:
    """Median, p10 and p90 of ``values``."""
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return (f"{label:<28} median {statistics.median(values):8.2f}   p10 {deciles[0]:8.2f}   p90 {deciles[-1]:8.2f}"
            f"   (n={len(values)})")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the batches and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.award_batch", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20, help="measured batches (default 20)")
    parser.add_argument("--nominees", type=int, default=50, help="nominees per batch (default 50)")
    args = parser.parse_args(argv)
    if args.cases < 2:
        parser.error("--cases must be at least 2 (the figures are percentiles)")
    if not 1 <= args.nominees <= 100:
        parser.error("--nominees must be between 1 and 100 (a nomination holds at most 100)")
    with tempfile.TemporaryDirectory(prefix="reentry-bench-") as tmp:
        backend = setup(Path(tmp))
        app = web.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, backend=backend)
        client = app.test_client()
        client.post("/login", data={"username": "chairman_1", "password": PASSWORD})
        run_case(backend, client, args.nominees, 0)  # warm-up: parsing, caches, first PDF font load
        timings = [run_case(backend, client, args.nominees, n) for n in range(1, args.cases + 1)]
        backend.engine.dispose()
    print(f"{args.cases} batches of {args.nominees} nominees (SQLite, WAL, synchronous=FULL), ms:")
    print(line("council vote (txn + commit)", [t[0] for t in timings]))
    print(line("decision page (HTML)", [t[1] for t in timings]))
    print(line("decision PDF", [t[2] for t in timings]))


if __name__ == "__main__":
    main()
