"""The engine clock: the one "now" that scripts, timers and SLA helpers see during a command.

SpiffWorkflow's timer events read ``datetime.now(timezone.utc)`` directly. A replay must see the
clock the original command saw, so the timer module is pointed at a datetime class whose ``now``
reads this clock. The patch is installed once, here, and nowhere else.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_frozen_now: ContextVar[dt.datetime | None] = ContextVar("reentry_engine_now", default=None)


def now() -> dt.datetime:
    """The engine's current time (timezone-aware UTC)."""
    frozen = _frozen_now.get()
    return frozen if frozen is not None else dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[dt.datetime]:
    """Run a block with the engine clock stopped at ``moment`` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    token = _frozen_now.set(moment.astimezone(dt.UTC))
    try:
        yield moment
    finally:
        _frozen_now.reset(token)


class _EngineClockDatetime(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _EngineClockDatetime:
        m = now() if tz is None else now().astimezone(tz)
        return cls(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond,
                   tzinfo=None if tz is None else m.tzinfo)


_spiff_timer.datetime = _EngineClockDatetime
