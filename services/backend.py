"""One place that builds the database engine, the session factory and the process runtime."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from services.db import default_database_url
from services.db import make_engine
from services.db import session_factory
from services.db import write_session_factory
from services.runtime import Runtime
from workflows.settings import Settings


@dataclass
class Backend:
    """The database and the runtime a process (web worker, CLI, Celery worker) works with."""

    engine: Engine
    sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    runtime: Runtime

    @classmethod
    def connect(cls, url: str | None = None, settings: Settings | None = None) -> Backend:
        """A backend for ``url`` (default: ``REENTRY_DATABASE_URL`` or SQLite under ``instance/``)."""
        engine = make_engine(url or default_database_url())
        return cls(engine, session_factory(engine), write_session_factory(engine), Runtime(settings))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error: one command."""
        with self.write_sessions() as session, session.begin():
            yield session
