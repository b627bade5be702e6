"""Loan cases over HTTP: the REST API as a client sees it, end to end through `reentry serve`.

Setup, outside the timings: a fresh temp-file SQLite database (``REENTRY_DATABASE_URL``), then
``reentry init-db``, ``reentry deploy`` and ``reentry users add`` for an officer and a commune official of
commune 10001, a bank appraiser and a bank teller, then ``reentry serve`` (gunicorn, one gthread worker)
on a free local port, and one bearer token per user from ``POST /api/v1/auth/token``.

Timed, per case, with ``urllib`` over keep-alive-less HTTP/1.1 (a new connection per request, as the
contract harness does): ``POST /processes/loan_dossier/instances``; for each of the four steps
(compile_dossier → confirm_at_commune → appraise_loan → disburse_loan) ``GET /tasks/{id}`` (the form)
and ``POST /tasks/{id}/complete``, each next task id taken from the previous answer's ``ready_tasks``;
finally ``GET /instances/{id}``, which must say completed/disbursed. That is 10 requests per case.

Printed: the median and p90 of milliseconds per request (all requests, then by kind) and per case.
Run from the project root: ``python -m bench.http_loan [--cases N]``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROCESS_KEY = "loan_dossier"
PASSWORD = "bench-password-1"
USERS: list[tuple[str, str, str | None]] = [
    ("police_1", "police", "10001"),
    ("commune_1", "commune", "10001"),
    ("appraiser_1", "bank_appraiser", None),
    ("teller_1", "bank_teller", None),
]
STEPS = [("compile_dossier", "police_1"), ("confirm_at_commune", "commune_1"), ("appraise_loan", "appraiser_1"),
         ("disburse_loan", "teller_1")]
EXPECTED_OUTCOME = "disbursed"


def step_data(step: str, today: str) -> dict[str, Any]:
    """Valid form data for each step of the happy path."""
    forms: dict[str, dict[str, Any]] = {
        "compile_dossier": {
            "full_name": "Trần Văn Bình", "date_of_birth": "1988-03-04", "sex": "male",
            "national_id_number": "001088004321", "residence_commune_code": "10001", "residence_detail": "Thôn 2",
            "phone": "0987654321", "release_certificate_type": "amnesty", "release_certificate_number": "45/GCN",
            "sentence_completed_on": (dt.date.fromisoformat(today) - dt.timedelta(days=300)).isoformat(),
            "form01_list_ref": "01/DS-2026", "loan_purpose": "production_business",
            "requested_amount_vnd": 60_000_000, "loan_term_months": 24, "use_of_funds_plan": "Mở tiệm sửa xe máy",
            "has_same_purpose_debt": False, "action": "submit"},
        "confirm_at_commune": {"decision": "confirm", "comment": "Đủ điều kiện"},
        "appraise_loan": {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                          "approval_notice_ref": "04/TD-1", "approved_on": today},
        "disburse_loan": {"disbursed_amount_vnd": 60_000_000, "disbursed_on": today,
                          "loan_account_number": "7600112233"},
    }
    return forms[step]


class Client:
    """A JSON client of one server that records how long each request took, by kind."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens: dict[str, str] = {}
        self.timings: dict[str, list[float]] = defaultdict(list)

    def call(self, kind: str, method: str, path: str, user: str | None = None, body: object = None,
             expect: int = 200) -> Any:
        """Send one request; fail loudly on any answer but ``expect``."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)  # noqa: S310 (http only)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if user is not None:
            request.add_header("Authorization", f"Bearer {self.tokens[user]}")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own local server)
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        self.timings[kind].append((time.perf_counter() - started) * 1000)
        if status != expect:
            raise SystemExit(f"{method} {path} as {user}: expected {expect}, got {status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def sign_in(self, user: str) -> None:
        """Get the user's bearer token (not timed)."""
        body = self.call("sign_in", "POST", "/auth/token", body={"username": user, "password": PASSWORD})
        self.tokens[user] = body["token"]
        self.timings.pop("sign_in")


def run_case(client: Client, today: str) -> float:
    """One loan case from start to disbursement; returns its milliseconds."""
    started = time.perf_counter()
    case = client.call("start", "POST", f"/processes/{PROCESS_KEY}/instances", "police_1", {"data": {}}, expect=201)
    ready = case["ready_tasks"]
    for step, user in STEPS:
        [task] = [t for t in ready if t["name"] == step]
        client.call("get_task", "GET", f"/tasks/{task['id']}", user)
        done = client.call("complete", "POST", f"/tasks/{task['id']}/complete", user, {"data": step_data(step, today)})
        ready = done["instance"]["ready_tasks"]
    final = client.call("get_instance", "GET", f"/instances/{case['id']}", "police_1")
    if (final["status"], final["outcome"]) != ("completed", EXPECTED_OUTCOME):
        raise SystemExit(f"case {case['id']} ended {final['status']}/{final['outcome']}")
    return (time.perf_counter() - started) * 1000


# --- the server -------------------------------------------------------------------------------------------------

def reentry_command() -> list[str]:
    """The ``reentry`` entry point of this environment."""
    found = shutil.which("reentry") or str(Path(sys.executable).with_name("reentry"))
    return [found]


def free_port() -> int:
    """A local TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cli(env: dict[str, str], *args: str) -> None:
    """Run one ``reentry`` command; stop the benchmark if it fails."""
    done = subprocess.run([*reentry_command(), *args], env=env,  # noqa: S603 (our own CLI, fixed arguments)
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"reentry {' '.join(args)} failed: {done.stderr[-800:]}")


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """A prepared database served by ``reentry serve``; yields the API's base URL and stops the server."""
    env = {**os.environ, "REENTRY_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
           "REENTRY_SECRET_KEY": "bench-secret-key-0123456789abcdef", "REENTRY_LOCALE": "vi"}
    cli(env, "init-db")
    cli(env, "deploy")
    for name, group, unit in USERS:
        cli(env, "users", "add", name, "--password", PASSWORD, "--group", group, *(["--unit", unit] if unit else []))
    port = free_port()
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
            [*reentry_command(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log,
            stderr=subprocess.STDOUT)
        try:
            wait_for(port, server, log_path)
            yield f"http://127.0.0.1:{port}/api/v1"
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_for(port: int, server: subprocess.Popen[bytes], log_path: Path, seconds: float = 60) -> None:
    """Return once the server accepts connections; fail if it dies or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    raise SystemExit(f"reentry serve did not listen on {port}: {log_path.read_text()[-800:]}")


# --- figures ----------------------------------------------------------------------------------------------------

def p90(values: Sequence[float]) -> float:
    """The 90th percentile."""
    return statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]


def line(label: str, values: Sequence[float]) -> str:
    """One printed figure: count, median and p90 in milliseconds."""
    return f"{label:<22} n={len(values):<6} median {statistics.median(values):8.2f} ms   p90 {p90(values):8.2f} ms"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=200, help="loan cases to run (default 200)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date().isoformat()
    with tempfile.TemporaryDirectory(prefix="reentry-bench-") as tmp, served(Path(tmp)) as base:
        client = Client(base)
        for name, _group, _unit in USERS:
            client.sign_in(name)
        per_case = [run_case(client, today) for _ in range(args.cases)]
    requests = [ms for kind in client.timings.values() for ms in kind]
    print(f"http_loan: {args.cases} cases start to disbursement, {len(requests)} requests, "
          f"reentry serve (1 gthread worker) on SQLite")
    print(line("per request (all)", requests))
    for kind, values in client.timings.items():
        print(line(f"  {kind}", values))
    print(line("per case", per_case))


if __name__ == "__main__":
    main()
