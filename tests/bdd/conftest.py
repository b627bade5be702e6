"""Steps shared by every area: the people, their inboxes, refused attempts and the audit chain."""
from __future__ import annotations

import pytest
from pytest_bdd import given
from pytest_bdd import parsers
from pytest_bdd import then

from services import audit
from services import cases
from services import users
from services.backend import Backend
from services.errors import NotAllowed
from tests.support import PASSWORD
from tests.support import Attempt
from tests.support import CaseRef
from tests.support import Clock
from tests.support import attempt
from tests.support import inbox
from tests.support import read
from tests.support import reentry_cli
from tests.support import run


@given(parsers.parse("these people work on loan dossiers:"))
@given(parsers.parse("these people work on award nominations:"))
def people(backend: Backend, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        person = dict(zip(header, row, strict=True))
        run(backend, lambda s, p=person: users.add_user(
            s, p["username"], PASSWORD, p["groups"].split(","), unit=p["unit"] or None, full_name=p["full name"]))


@pytest.fixture(autouse=True)
def each_database(backend: Backend) -> Backend:
    """Every scenario runs once on SQLite and once on PostgreSQL (the backend fixture's parameters)."""
    return backend


@pytest.fixture
def clock() -> Clock:
    """Real time unless a step fixes it."""
    return Clock()


@then(parsers.parse('"{username}" sees the task "{task_name}" in the group queue'))
def sees_in_group_queue(backend: Backend, case: CaseRef, username: str, task_name: str) -> None:
    names = [t.task_name for t in inbox(backend, username, "group") if t.instance_id == case.id]
    assert names == [task_name]


@then(parsers.parse('"{username}" sees the task "{task_name}" in their own inbox'))
def sees_in_own_inbox(backend: Backend, case: CaseRef, username: str, task_name: str) -> None:
    names = [t.task_name for t in inbox(backend, username, "mine") if t.instance_id == case.id]
    assert names == [task_name]


@then(parsers.parse('"{username}" has nothing waiting'))
def nothing_waiting(backend: Backend, username: str) -> None:
    assert inbox(backend, username, "mine") == []
    assert inbox(backend, username, "group") == []


@then(parsers.parse('"{username}" cannot see the case'))
def cannot_see_case(backend: Backend, case: CaseRef, username: str) -> None:
    outcome = attempt(lambda: read(backend, lambda s: cases.get_case(s, users.get_user(s, username), case.id)))
    assert outcome.error is not None and outcome.error.message("en") == "Not found"


@then("the attempt is refused as not allowed")
def refused_not_allowed(attempted: Attempt) -> None:
    assert isinstance(attempted.error, NotAllowed)
    assert attempted.error.message("vi") == "Bạn không có quyền thực hiện thao tác này"


@then("the audit chain verifies")
def audit_chain_verifies(backend: Backend) -> None:
    result = read(backend, audit.verify)
    assert result.ok, result.first_bad
    assert result.events_checked > 0


@given('"reentry audit verify" succeeds')
@then('"reentry audit verify" succeeds')
def cli_verify_succeeds(db_url: str) -> None:
    result = reentry_cli(db_url, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "toàn vẹn" in result.stdout


@then(parsers.parse("\"reentry audit verify\" fails naming audit event {seq:d} of the case"))
def cli_verify_fails(db_url: str, case: CaseRef, seq: int) -> None:
    result = reentry_cli(db_url, "audit", "verify")
    assert result.returncode == 1
    assert f"hồ sơ {case.business_key} sự kiện số {seq}" in result.stderr
    assert "nội dung sự kiện đã bị sửa" in result.stderr
