"""One place that builds the database engine, the session factory and the process runtime."""
from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from services.db import WRITE_OPTION
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
    _kept: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)

    @classmethod
    def connect(cls, url: str | None = None, settings: Settings | None = None) -> Backend:
        """A backend for ``url`` (default: ``REENTRY_DATABASE_URL`` or SQLite under ``instance/``)."""
        engine = make_engine(url or default_database_url())
        return cls(engine, session_factory(engine), write_session_factory(engine), Runtime(settings))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error: one command.

        On SQLite a thread's commands run one after another in one session on one connection that the
        thread keeps (see ``_KeptSession``); elsewhere each command takes a new session from the pool.
        """
        kept = self._kept_session()
        if kept is None:
            with self.write_sessions() as session, session.begin():
                yield session
            return
        try:
            with kept.begin():
                yield kept
        finally:
            # What close() would leave: no object and nothing noted from this command carried to the next.
            kept.expunge_all()
            kept.info.clear()

    def _kept_session(self) -> Session | None:
        if self.engine.dialect.name != "sqlite":
            return None
        kept: _KeptSession | None = getattr(self._kept, "session", None)
        if kept is None:
            kept = self._kept.session = _KeptSession(self.engine)
        # A command inside another on the same thread, or a process forked from the one that opened the
        # connection, takes a session of its own.
        if kept.pid != os.getpid() or kept.session.in_transaction():
            return None
        return kept.session


class _KeptSession:
    """One thread's command session on SQLite, bound to a connection it keeps between commands.

    Checking a connection out of the pool and building a session around it cost ~60 µs per command,
    about a twentieth of what a persisted step adds to the engine's own work. SQLite has no server whose restart
    a kept connection could miss, and an idle one holds no lock and no snapshot. The connection is
    closed when the thread (or the backend) goes, or at exit, and only by the process that opened it.
    """

    def __init__(self, engine: Engine) -> None:
        self.pid = os.getpid()
        connection = engine.connect().execution_options(**{WRITE_OPTION: True})
        self.session = Session(bind=connection, expire_on_commit=False)
        weakref.finalize(self, _close_kept, self.pid, self.session, connection)


def _close_kept(pid: int, session: Session, connection: Connection) -> None:
    if os.getpid() == pid:
        session.close()
        connection.close()
