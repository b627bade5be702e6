"""Statements run on the driver store and read values exactly as SQLAlchemy does, in the command's transaction."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import update

from services import cases
from services import driver
from services import progress
from services import users
from services.backend import Backend
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from tests.support import PASSWORD

USERS: Table = User.__table__  # type: ignore[assignment]
EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
NAMED = driver.Prepared(select(*USERS.c).where(USERS.c.username == bindparam("username")))
ADD_EVENT = driver.Prepared(insert(EVENTS).values({c.name: bindparam(c.name) for c in EVENTS.c if c.name != "id"}))
USER_UNIT = driver.Prepared(update(USERS).where(USERS.c.id == bindparam("user_id")).values(
    unit=bindparam("unit"), full_name=bindparam("full_name")))
EVENT_ROWS = driver.Prepared(select(*EVENTS.c).where(EVENTS.c.actor == bindparam("actor")).order_by(EVENTS.c.seq))
AT = dt.datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=dt.UTC)


@pytest.fixture
def officer(backend: Backend) -> str:
    """An officer of commune 10001 who has never signed in."""
    with backend.transaction() as session:
        users.add_user(session, "an.police", PASSWORD, ["police"], unit="10001", full_name="Nguyễn Văn An")
    return "an.police"


def test_attached_user_is_the_one_a_query_loads(backend: Backend, officer: str) -> None:
    """A row read on the driver becomes a persistent user equal, column by column, to the ORM's."""
    with backend.sessions() as session:
        expected = {key: getattr(session.scalar(select(User).where(User.username == officer)), key)
                    for key in driver.columns(User)}
    with backend.transaction() as session:
        row = NAMED.first(session, {"username": officer})
        assert row is not None
        attached = driver.attach(session, User, row)
        assert {key: getattr(attached, key) for key in driver.columns(User)} == expected
        assert attached.is_active is True and attached.groups == frozenset({"police"})
        state = inspect(attached)
        assert state.persistent and not session.dirty and not state.modified
        assert driver.attach(session, User, row) is attached


def test_changes_to_an_attached_object_are_flushed(backend: Backend, officer: str) -> None:
    """The attached object is an ordinary persistent object: what the command changes on it is written."""
    with backend.transaction() as session:
        user = users.get_user(session, officer)
        user.full_name = "Nguyễn Văn Ân"
    with backend.sessions() as session:
        assert session.scalar(select(User.full_name).where(User.username == officer)) == "Nguyễn Văn Ân"


def _case_id(backend: Backend, officer: str) -> int:
    with backend.transaction() as session:
        return cases.start_case(session, backend.runtime, users.get_user(session, officer), "loan_dossier").id


def _event(instance_id: int, actor: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"instance_id": instance_id, "seq": 100, "at": AT, "actor": actor, "type": "completed", "task_name": None,
            "task_id": None, "data": data, "routing": [], "state_hash": "s" * 64, "prev_hash": "0" * 64,
            "hash": "h" * 64, "idempotency_key": None}


def test_written_values_read_back_through_the_orm(backend: Backend, officer: str) -> None:
    """Times (UTC, microseconds), JSON with Vietnamese text and NULLs go in and come out as through SQLAlchemy."""
    event = _event(_case_id(backend, officer), "kiem.tra",
                   {"full_name": "Trần Thị Bình", "amount": 60_000_000, "rows": [1, None]})
    with backend.transaction() as session:
        ADD_EVENT.execute(session, event)
    with backend.sessions() as session:
        stored = session.scalars(select(AuditEvent).where(AuditEvent.actor == "kiem.tra")).one()
        assert (stored.at, stored.data, stored.routing, stored.task_name) == (AT, event["data"], [], None)
        rows = EVENT_ROWS.all(session, {"actor": "kiem.tra"})
    assert len(rows) == 1
    read_back = dict(zip(driver.columns(AuditEvent), rows[0], strict=True))
    assert read_back["at"] == AT and read_back["at"].tzinfo is not None and read_back["data"] == event["data"]


def test_a_rolled_back_command_leaves_nothing(backend: Backend, officer: str) -> None:
    """A driver statement belongs to the command's transaction: an error after it undoes it."""
    event = _event(_case_id(backend, officer), "rollback", {})
    with pytest.raises(RuntimeError), backend.transaction() as session:
        ADD_EVENT.execute(session, event)
        raise RuntimeError("the command fails after writing")
    with backend.sessions() as session:
        assert EVENT_ROWS.all(session, {"actor": "rollback"}) == []


def test_attached_objects_load_their_relations_and_leave_with_the_session(backend: Backend, officer: str) -> None:
    """A case and task attached by lock_task lazy-load what they refer to, refresh, and detach when the command ends."""
    case_id = _case_id(backend, officer)
    with backend.transaction() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == case_id))
        assert task_id is not None
        found = progress.lock_task(session, task_id)
        assert found is not None
        instance, task = found
        assert instance.started_by is not None and instance.started_by.username == officer
        assert instance.version.process_key == "loan_dossier" and task.assignee_id == instance.started_by.id
        assert task.assignee is instance.started_by  # one identity map: the same user object
        session.refresh(instance)
        assert inspect(instance).persistent and instance in session
    assert inspect(instance).detached and inspect(task).detached


def test_the_saved_state_is_read_only_when_asked_for(backend: Backend, officer: str) -> None:
    """lock_task leaves the case's saved state unread; reading it then loads what the ORM would have loaded."""
    case_id = _case_id(backend, officer)
    with backend.sessions() as session:
        expected = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == case_id))
    with backend.transaction() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == case_id))
        assert task_id is not None
        found = progress.lock_task(session, task_id)
        assert found is not None
        instance = found[0]
        assert "state" not in vars(instance) and instance.state == expected and expected
        again = progress.lock_task(session, task_id)  # an object already loaded is refreshed the same way
        assert again is not None and again[0] is instance and instance.state == expected


def test_values_written_below_the_orm_become_the_objects_committed_state(backend: Backend, officer: str) -> None:
    """set_committed: the object reads what the statement wrote, looks unchanged, and a later edit flushes alone."""
    with backend.transaction() as session:
        user = users.get_user(session, officer)
        user.unit = "10009"  # an edit the statement below supersedes
        assert user in session.dirty
        USER_UNIT.execute(session, {"user_id": user.id, "unit": "10002", "full_name": "Nguyễn Văn An (2)"})
        driver.set_committed(user, {"unit": "10002", "full_name": "Nguyễn Văn An (2)"})
        assert (user.unit, user.full_name) == ("10002", "Nguyễn Văn An (2)")
        assert not session.is_modified(user)  # the superseded edit is gone: nothing left to flush
        user.full_name = "Nguyễn Văn Ân"
        assert inspect(user).attrs.full_name.history.deleted == ["Nguyễn Văn An (2)"]
    with backend.sessions() as session:
        stored = session.scalars(select(User).where(User.username == officer)).one()
        assert (stored.unit, stored.full_name) == ("10002", "Nguyễn Văn Ân")
