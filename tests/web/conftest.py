"""Fixtures for the web tests: an app on each database, people with API tokens, loan cases at a given step.

Passwords are hashed with argon2's cheapest settings here, and so is the dummy hash that makes unknown
usernames cost as much as wrong passwords: the real cost (~0.2 s a hash) would dominate tests that create
a dozen people each. Sign-in throttling does not depend on the hash cost.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from werkzeug.test import TestResponse

import web
from services import cases
from services import tasks
from services import users
from services.backend import Backend
from services.deploy import deploy_sources
from services.models import HumanTask
from tests.conftest import BPMN
from tests.conftest import DATABASES
from tests.support import PASSWORD
from tests.support import fresh_database_url
from tests.support import loan_dossier
from tests.support import read
from tests.support import run
from web import openapi
from workflows.calendar import VIETNAM_TZ
from workflows.registry import read_folder
from workflows.settings import Settings

OWN, OTHER = "10001", "10002"
LOAN = "loan_dossier"
LOAN_STEPS = ("compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan")
# Who works each step of a loan case, and the people every API test starts with: (username, group, unit).
CAST = [("police.a", "police", OWN), ("police.b", "police", OTHER), ("commune.a", "commune", OWN),
        ("commune.a2", "commune", OWN), ("commune.b", "commune", OTHER), ("appraiser", "bank_appraiser", None),
        ("teller", "bank_teller", None), ("auditor", "auditor", None), ("admin", "admin", None),
        ("unit.head", "unit_head", OWN)]
WORKS = {"compile_dossier": "police.a", "confirm_at_commune": "commune.a", "appraise_loan": "appraiser",
         "disburse_loan": "teller"}
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_HASHES = {"_hasher": CHEAP_HASHER, "_DUMMY_HASH": CHEAP_HASHER.hash("reentry-timing-equaliser")}
ENGLISH = {"Accept-Language": "en"}
TASK_FIELDS = {"id", "instance_id", "process_key", "name", "title", "lane", "candidate_group", "unit", "assignee",
               "status", "due_at", "overdue"}


def today() -> str:
    """Today in Vietnam, as the forms' date fields want it."""
    return dt.datetime.now(VIETNAM_TZ).date().isoformat()


def dossier(borrower: str = "Trần Văn Bình", **changes: Any) -> dict[str, Any]:
    """The compile form as the officer fills it, in this module's own commune."""
    return loan_dossier(borrower, **({"residence_commune_code": OWN} | changes))


def step_data(step: str) -> dict[str, Any]:
    """Valid data for each step of the happy path."""
    return {
        "compile_dossier": dossier(),
        "confirm_at_commune": {"decision": "confirm", "comment": "Đủ điều kiện"},
        "appraise_loan": {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                          "approval_notice_ref": "04/TD-117", "approved_on": today()},
        "disburse_loan": {"disbursed_amount_vnd": 60_000_000, "disbursed_on": today(),
                          "loan_account_number": "7600112233"},
    }[step]


@dataclass
class Api:
    """A Flask test client that signs its requests as one of the test's people."""

    client: FlaskClient
    backend: Backend
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        """A bearer token for ``username`` (issued directly; the sign-in endpoint has its own tests)."""
        if username not in self.tokens:
            token, _ = run(self.backend, lambda s: users.issue_token(s, users.get_user(s, username)))
            self.tokens[username] = token
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None) -> TestResponse:
        """``method path`` under /api/v1, as ``user`` when given."""
        sent = dict(headers or {})
        if user is not None:
            sent["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(f"/api/v1{path}", method=method, json=body, headers=sent)

    def get(self, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        """GET under /api/v1."""
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = None, body: Any = None, **kwargs: Any) -> TestResponse:
        """POST under /api/v1."""
        return self.call("POST", path, user, body, **kwargs)


def add_people(backend: Backend, people: list[tuple[str, str, str | None]]) -> None:
    """Create ``people`` as (username, group, unit), all with the test password."""
    def create(s: Any) -> None:
        for name, group, unit in people:
            users.add_user(s, name, PASSWORD, [group], unit=unit, full_name=name.replace(".", " ").title())
    run(backend, create)


def open_task_id(backend: Backend, instance_id: int, step: str) -> str:
    """The open inbox row of ``step`` in case ``instance_id``."""
    return read(backend, lambda s: s.scalars(sa.select(HumanTask.id).where(
        HumanTask.instance_id == instance_id, HumanTask.task_name == step, HumanTask.status == "open")).one())


def loan_at(backend: Backend, step: str, starter: str = "police.a", workers: dict[str, str] | None = None) -> int:
    """A loan case started by ``starter`` and worked (through services) until ``step`` waits."""
    who = {**WORKS, "compile_dossier": starter, **(workers or {})}
    instance_id = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, starter), LOAN).id)
    for done in LOAN_STEPS[:LOAN_STEPS.index(step)]:
        complete(backend, who[done], open_task_id(backend, instance_id, done), step_data(done))
    return instance_id


def complete(backend: Backend, username: str, task_id: str, data: dict[str, Any]) -> None:
    """``username`` completes ``task_id`` through the service layer."""
    run(backend, lambda s: tasks.complete_task(s, backend.runtime, users.get_user(s, username), task_id, data))


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest for this test."""
    for name, value in CHEAP_HASHES.items():
        monkeypatch.setattr(users, name, value)


@pytest.fixture
def app(backend: Backend) -> Flask:
    """The app on this test's database (SQLite, then PostgreSQL), CSRF checks off."""
    return web.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, backend=backend)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def api(backend: Backend, client: FlaskClient, cheap_passwords: None) -> Api:
    """An API client on this test's database, with the ``CAST`` created."""
    add_people(backend, CAST)
    return Api(client, backend)


@pytest.fixture(scope="module", params=DATABASES)
def module_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One database (SQLite, then PostgreSQL) shared by a whole module, with bpmn/ deployed.

    For large parametrized modules whose tests each make their own cases, so none depends on another.
    """
    url = fresh_database_url(request, request.param, tmp_path_factory.mktemp("module-db"))
    backend = Backend.connect(url, Settings())
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_HASHES.items():
            patch.setattr(users, name, value)
        run(backend, lambda s: deploy_sources(s, read_folder(BPMN), actor="tests"))
        yield backend
    backend.engine.dispose()


@pytest.fixture(scope="module")
def module_api(module_backend: Backend) -> Api:
    """An API client on the module's database, with the ``CAST`` created."""
    add_people(module_backend, CAST)
    app = web.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, backend=module_backend)
    return Api(app.test_client(), module_backend)


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the API's JSON error ``code`` with a message; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json or {}
    assert body["error"] == code and body["message"]
    return body


def assert_conforms(body: Any, schema_name: str) -> None:
    """Fail unless ``body`` matches ``#/components/schemas/<schema_name>`` of the served OpenAPI document."""
    document = openapi.document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(body)
