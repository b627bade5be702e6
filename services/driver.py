"""The statements of a step's hot path, compiled once per dialect and run on the driver's own connection.

SQLAlchemy builds an execution context around every statement (~50 µs here) and an ORM query costs ~150 µs,
while the driver runs the same statement in a few microseconds; a step runs seven of them. A ``Prepared``
statement is an ordinary Core statement, compiled once for the session's dialect, whose parameters and results
go through the column types' own bind and result processors, so values are stored and read exactly as
SQLAlchemy would. It runs on the DBAPI connection of the session's transaction, so it commits or rolls back
with everything else the command writes. ``attach`` turns a row read this way into a persistent ORM object of
the session, as a query would have loaded it.
"""
from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TypeVar
from typing import cast

from sqlalchemy import Column
from sqlalchemy import Dialect
from sqlalchemy import Executable
from sqlalchemy import Table
from sqlalchemy import inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm import Session
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.compiler import Compiled

from services.db import Base

Model = TypeVar("Model", bound=Base)
Processor = Callable[[Any], Any] | None
_CONNECTION = "reentry_driver_connection"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the statement's order
    positional: bool  # qmark/format paramstyles take a list, the named ones a dict
    # Only the values whose type converts them, by position: most values go to the driver as they are.
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]


class Prepared:
    """A Core statement run on the session's DBAPI connection (see the module's docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # Keyed by the dialect object itself (held weakly): an id() could be reused by the next engine's dialect.
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def execute(self, session: Session, params: Mapping[str, Any]) -> Any:
        """Run the statement once; returns the DBAPI cursor (``rowcount`` tells how many rows it changed)."""
        compiled, connection = self._prepare(session)
        return connection.execute(compiled.sql, _bound(compiled, params))

    def execute_many(self, session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run the statement once per row of parameters."""
        compiled, connection = self._prepare(session)
        cursor = connection.cursor()
        try:
            cursor.executemany(compiled.sql, [_bound(compiled, row) for row in rows])
        finally:
            cursor.close()

    def first(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement selects, its values converted as SQLAlchemy converts them, or None."""
        compiled, connection = self._prepare(session)
        cursor = connection.execute(compiled.sql, _bound(compiled, params))
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else _converted(compiled, row)

    def all(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the statement selects, converted as in ``first``."""
        compiled, connection = self._prepare(session)
        cursor = connection.execute(compiled.sql, _bound(compiled, params))
        try:
            return [_converted(compiled, row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def _prepare(self, session: Session) -> tuple[_Compiled, Any]:
        dialect, connection = _transaction_connection(session)
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _compile(self.statement, dialect)
        return compiled, connection


def _transaction_connection(session: Session) -> tuple[Dialect, Any]:
    """The dialect and the DBAPI connection of the session's current transaction, looked up once per transaction."""
    transaction = session.get_transaction()
    known = session.info.get(_CONNECTION)
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1], known[2]
    # ``session.connection()`` begins the command's transaction (BEGIN IMMEDIATE on SQLite) on first use.
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), connection.dialect, connection.connection.driver_connection)
    return connection.dialect, connection.connection.driver_connection


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled: Compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    positiontup = compiled.positiontup  # type: ignore[attr-defined]
    names = tuple(positiontup) if positiontup else tuple(compiled.binds)  # type: ignore[attr-defined]
    types = [compiled.binds[name].type for name in names]  # type: ignore[attr-defined]
    columns = [column.type for column in getattr(statement, "selected_columns", ())]
    return _Compiled(compiled.string, names, bool(positiontup),
                     _conversions(t.dialect_impl(dialect).bind_processor(dialect) for t in types),
                     _conversions(t.dialect_impl(dialect).result_processor(dialect, None) for t in columns))


def _conversions(processors: Iterable[Processor]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    return tuple((index, convert) for index, convert in enumerate(processors) if convert is not None)


def _bound(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
    values = [params[name] for name in compiled.names]
    _apply(compiled.binds, values)
    return values if compiled.positional else dict(zip(compiled.names, values, strict=True))


def _converted(compiled: _Compiled, row: Sequence[Any]) -> tuple[Any, ...]:
    values = list(row)
    _apply(compiled.results, values)
    return tuple(values)


def _apply(conversions: tuple[tuple[int, Callable[[Any], Any]], ...], values: list[Any]) -> None:
    for index, convert in conversions:
        if values[index] is not None:
            values[index] = convert(values[index])


@functools.cache
def columns(model: type[Base], deferred: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The attribute names of ``model``'s table columns but ``deferred``, in table order (the order of
    ``select(*table.c)``, or of ``read_columns``)."""
    configure_mappers()  # a query would have configured them before making its first object; attach makes its own
    mapper = inspect(model)
    names = (mapper.get_property_by_column(column).key for column in mapper.local_table.columns)
    return tuple(name for name in names if name not in deferred)


def read_columns(table: Table, deferred: tuple[str, ...] = ()) -> list[Column[Any]]:
    """The columns of ``table`` but ``deferred``, in table order: what ``attach`` expects to be given."""
    return [column for column in table.columns if column.name not in deferred]


def attach(session: Session, model: type[Model], values: Sequence[Any], deferred: tuple[str, ...] = ()) -> Model:
    """A row of ``model``'s table (its columns in table order) as a persistent object of ``session``.

    The object is what a query would have loaded; one already in the session's identity map gets the
    row's values as its committed state, as ``populate_existing`` would give it. Columns named in ``deferred``
    were not read (``values`` leaves them out): they load on first access, as a deferred column does.
    """
    loaded = dict(zip(columns(model, deferred), values, strict=True))
    mapper = _mapper(model)
    identity = mapper.identity_key_from_primary_key(tuple(loaded[key] for key in _primary_key(model)))
    known = session.identity_map.get(identity)
    if known is not None:
        set_committed(known, loaded)
        if deferred:
            session.expire(known, deferred)
        return cast(Model, known)
    # Made as the ORM's own loader makes the object of a new row (sqlalchemy.orm.loading._instance): values
    # into its __dict__ (no attribute events), its state keyed and placed in the identity map, the values
    # committed. ``session.add`` would reach the same state through the save-update cascade and the attach
    # events, which a loaded object never goes through and which cost twice the rest here.
    fresh = cast(Model, mapper.class_manager.new_instance())
    fresh.__dict__.update(loaded)
    state = instance_state(fresh)
    state.key, state.identity_token = identity, identity[2]
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, identity)
    state._commit_all(state.dict, session.identity_map)
    if deferred:
        session.expire(fresh, deferred)
    return fresh


def set_committed(obj: Base, values: Mapping[str, Any]) -> None:
    """Give ``obj`` the column ``values`` as its committed state, as a refresh from its row would.

    For what a statement below the ORM wrote: the object reads the new values and does not look changed.
    ``set_committed_value`` key by key, in one step: a command commits a dozen values this way.
    """
    state = instance_state(obj)
    state.dict.update(values)
    state._commit(state.dict, list(values))


@functools.cache
def _mapper(model: type[Base]) -> Mapper[Any]:
    return inspect(model)


@functools.cache
def _primary_key(model: type[Base]) -> tuple[str, ...]:
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
