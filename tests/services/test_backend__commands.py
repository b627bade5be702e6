"""One command, one transaction: what a command leaves behind for the next one on the same thread (nothing)."""
from __future__ import annotations

import gc
import os
import threading

import pytest
from sqlalchemy import inspect
from sqlalchemy import select

from services import users
from services.backend import Backend
from services.models import User
from tests.support import PASSWORD


def _usernames(backend: Backend) -> set[str]:
    with backend.sessions() as session:
        return set(session.scalars(select(User.username)))


def test_a_command_leaves_no_object_to_the_next(backend: Backend) -> None:
    """What one command loaded is detached when it commits; the next command loads its own copy."""
    with backend.transaction() as session:
        added = users.add_user(session, "an.police", PASSWORD, ["police"], unit="10001")
    with backend.transaction() as session:
        assert len(session.identity_map) == 0 and not session.info
        again = users.get_user(session, "an.police")
    assert inspect(added).detached and inspect(again).detached
    assert again is not added and again.id == added.id


def test_a_failed_command_writes_nothing_and_the_next_one_runs(backend: Backend) -> None:
    """An error rolls the whole command back; the same thread's next command starts clean and commits."""
    with pytest.raises(RuntimeError), backend.transaction() as session:
        users.add_user(session, "an.police", PASSWORD, ["police"], unit="10001")
        raise RuntimeError("the officer's browser went away")
    assert "an.police" not in _usernames(backend)
    with backend.transaction() as session:
        users.add_user(session, "an.police", PASSWORD, ["police"], unit="10001")
    assert "an.police" in _usernames(backend)


def test_a_command_inside_another_has_a_session_of_its_own(backend: Backend) -> None:
    with backend.transaction() as outer, backend.transaction() as inner:
        assert inner is not outer


def test_a_thread_gives_its_connection_back_when_it_ends(backend: Backend) -> None:
    """Commands on SQLite keep their thread's connection between them; the thread's end returns it."""
    pool = backend.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    seen: list[int] = []

    def officer_day() -> None:
        for name in ("an.police", "binh.police"):
            with backend.transaction() as session:
                users.add_user(session, name, PASSWORD, ["police"], unit="10001")
        seen.append(pool.checkedout())  # type: ignore[attr-defined]

    worker = threading.Thread(target=officer_day)
    worker.start()
    worker.join()
    gc.collect()
    assert seen == [before + 1 if backend.engine.dialect.name == "sqlite" else before]
    assert pool.checkedout() == before  # type: ignore[attr-defined]
    assert {"an.police", "binh.police"} <= _usernames(backend)


def test_a_forked_process_never_uses_its_parents_command_session(backend: Backend) -> None:
    """A child process (a worker forked after the parent ran commands) opens connections of its own."""
    with backend.transaction() as session:
        parents = session
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through its exit code
        code = 1
        try:
            backend.engine.dispose(close=False)  # SQLAlchemy's rule for a pool inherited across fork
            with backend.transaction() as session:
                users.add_user(session, "child.police", PASSWORD, ["police"], unit="10001")
                code = 0 if session is not parents else 2
        finally:
            os._exit(code)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with backend.transaction() as session:
        assert session is parents or backend.engine.dialect.name != "sqlite"
        assert users.get_user(session, "child.police").unit == "10001"
