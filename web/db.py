"""Per-request database access: one read session per request, one transaction per command."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask import g
from sqlalchemy.orm import Session

from services.backend import Backend
from services.runtime import Runtime
from web.extensions import BACKEND


def backend() -> Backend:
    """The app's database and runtime."""
    found: Backend = current_app.extensions[BACKEND]
    return found


def runtime() -> Runtime:
    """The app's process runtime."""
    return backend().runtime


def db() -> Session:
    """The request's read session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = backend().sessions()
    session: Session = g.db_session
    return session


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's read session (registered as an app-context teardown)."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def command() -> Iterator[Session]:
    """A write transaction for one command: committed on success, rolled back on any error."""
    with backend().transaction() as session:
        yield session
