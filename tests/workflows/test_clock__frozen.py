"""The engine clock is the one "now" of a command: frozen inside a block, and read by SpiffWorkflow's timers."""
from __future__ import annotations

import datetime as dt

from workflows import clock

MOMENT = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def test_now_is_frozen_inside_the_block() -> None:
    """Inside frozen_at every call to now() returns the same moment, in UTC."""
    with clock.frozen_at(MOMENT) as moment:
        assert moment == MOMENT
        assert clock.now() == MOMENT
        assert clock.now() == MOMENT
        assert clock.now().utcoffset() == dt.timedelta(0)


def test_naive_moment_is_taken_as_utc() -> None:
    """A naive datetime is read as UTC."""
    with clock.frozen_at(dt.datetime(2026, 3, 2, 2, 0)):
        assert clock.now() == MOMENT


def test_aware_moment_is_converted_to_utc() -> None:
    """A moment in Hà Nội time is returned as the same instant in UTC."""
    hanoi = dt.timezone(dt.timedelta(hours=7))
    with clock.frozen_at(dt.datetime(2026, 3, 2, 9, 0, tzinfo=hanoi)):
        assert clock.now() == MOMENT
        assert clock.now().tzinfo == dt.UTC


def test_blocks_nest_and_unwind() -> None:
    """An inner block wins while it lasts; leaving it restores the outer moment, then the wall clock."""
    later = MOMENT + dt.timedelta(days=1)
    with clock.frozen_at(MOMENT):
        with clock.frozen_at(later):
            assert clock.now() == later
        assert clock.now() == MOMENT
    before = dt.datetime.now(dt.UTC)
    assert before - dt.timedelta(seconds=5) <= clock.now() <= dt.datetime.now(dt.UTC)


def test_unwinds_after_an_error() -> None:
    """An exception inside the block still restores the clock."""
    try:
        with clock.frozen_at(MOMENT):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert clock.now() != MOMENT
