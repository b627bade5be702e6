"""UTC times are written to SQLite as exactly the text SQLAlchemy's own path writes, and read back unchanged."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from services.db import UTCDateTime

SQLITE = sqlite.dialect()
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
AWARE = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=OFFSETS)


def _general_path() -> object:
    """This type's process_bind_param followed by SQLAlchemy's SQLite DATETIME formatting."""
    return TypeDecorator.bind_processor(UTCDateTime().dialect_impl(SQLITE), SQLITE)


def _fast_path() -> object:
    """What SQLAlchemy (and services.driver) use for a UTC column on SQLite."""
    return UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)


@settings(max_examples=500, deadline=None)
@given(AWARE)
def test_sqlite_text_is_the_general_paths_text(value: dt.datetime) -> None:
    """For any aware time (any offset, with or without microseconds, years 1 to 9999) the text is the same."""
    fast, general = _fast_path(), _general_path()
    assert callable(fast) and callable(general) and fast is not general
    assert fast(value) == general(value)
    assert UTCDateTime().process_result_value(dt.datetime.fromisoformat(str(fast(value))), SQLITE) == value


def test_naive_times_and_none() -> None:
    """A naive time is refused as before; None stays NULL."""
    fast = _fast_path()
    assert callable(fast) and fast(None) is None
    with pytest.raises(ValueError, match="naive"):
        fast(dt.datetime(2026, 11, 29, 22, 0))
    hanoi = dt.timezone(dt.timedelta(hours=7))
    assert fast(dt.datetime(2026, 11, 30, 5, 0, tzinfo=hanoi)) == "2026-11-29 22:00:00.000000"
