"""Vietnamese working days: weekends and public holidays (the `holidays` package) plus overrides.

Provinces add bridge days off and make-up Saturdays each year by decision; those come from settings as
``extra_holidays`` and ``extra_working_days`` (ISO dates), so a new decision needs no code change.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class WorkingCalendar:
    """Answers whether a day is a working day and adds working days to a date."""

    def __init__(self, extra_holidays: Iterable[str] = (), extra_working_days: Iterable[str] = ()) -> None:
        self._extra_off = frozenset(dt.date.fromisoformat(d) for d in extra_holidays)
        self._extra_on = frozenset(dt.date.fromisoformat(d) for d in extra_working_days)

    def is_working_day(self, day: dt.date) -> bool:
        """True when offices are open on ``day``."""
        if day in self._extra_on:
            return True
        if day in self._extra_off or day.weekday() >= 5:
            return False
        return day not in _public_holidays(day.year)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself is never counted)."""
        step = 1 if days >= 0 else -1
        current, remaining = start, abs(days)
        while remaining:
            current += dt.timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``; negative when ``end`` is earlier."""
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_working_day(current)
        return count

    def due_after(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The end of the working day that is ``days`` working days after ``moment`` (Vietnam time), in UTC."""
        local = moment.astimezone(VIETNAM_TZ)
        due_day = self.add_working_days(local.date(), days)
        end_of_day = dt.datetime.combine(due_day, dt.time(17, 0), tzinfo=VIETNAM_TZ)
        return end_of_day.astimezone(dt.UTC)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("VN", years=year))
