"""Gapless yearly counters: case numbers now, decision numbers later.

The increment runs in the caller's transaction, so a rolled-back command gives its number back. On
PostgreSQL the upsert takes a row lock that queues concurrent writers; on SQLite the write lock does.
"""
from __future__ import annotations

from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from services.models import Counter


def next_number(session: Session, name: str, year: int) -> int:
    """The next number of counter ``name`` for ``year``, starting at 1."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(Counter).values(name=name, year=year, value=1)
                 .on_conflict_do_update(index_elements=["name", "year"], set_={"value": Counter.value + 1})
                 .returning(Counter.value))
    value: int = session.execute(statement).scalar_one()
    return value


def business_key(session: Session, year: int) -> str:
    """The next case number, ``HS-<year>-<6 digits>``."""
    return f"HS-{year}-{next_number(session, 'case', year):06d}"
