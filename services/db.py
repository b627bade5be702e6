"""Database plumbing: the declarative base, engines for SQLite and PostgreSQL, the write lock.

Sessions belong to the caller (a request, a CLI command, a worker job); services receive one.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy import Dialect
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from sqlalchemy.types import TypeDecorator

WRITE_OPTION = "reentry_write"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[dt.datetime | None], Any] | None:
        """On SQLite, one function writing the very text the general path writes, at half its cost.

        SQLite keeps datetimes as text and every command writes several: the general path (this type's
        process_bind_param, then SQLAlchemy's SQLite DATETIME formatting) costs twice a single isoformat
        of the naive UTC value, which spells SQLAlchemy's storage format (YYYY-MM-DD HH:MM:SS.ffffff) exactly.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_utc_text

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _sqlite_utc_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class Base(DeclarativeBase):
    """Declarative base of every model."""

    type_annotation_map = {dt.datetime: UTCDateTime}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def default_database_url(instance_dir: Path | None = None) -> str:
    """``REENTRY_DATABASE_URL``, or an SQLite file under ``instance/``."""
    url = os.environ.get("REENTRY_DATABASE_URL")
    if url:
        return url
    folder = instance_dir or Path(os.environ.get("REENTRY_INSTANCE_DIR", "instance"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder.resolve() / 'reentry.db'}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, durable commits, foreign keys and IMMEDIATE write transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write command takes the write lock up front, so two writers queue instead of one failing
        # with "database is locked" when its read snapshot turns stale.
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        # Straight to the driver: this runs once per command, and SQLAlchemy's statement machinery
        # would cost ten times the statement.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit, so templates can read them."""
    return sessionmaker(engine, expire_on_commit=False)


def write_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for commands: on SQLite their transactions take the write lock when they begin."""
    return sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
