"""Vietnamese working days: weekends, public holidays, the province's overrides, and 17:00 due times in UTC."""
from __future__ import annotations

import datetime as dt

import pytest

from workflows.calendar import VIETNAM_TZ
from workflows.calendar import WorkingCalendar

D = dt.date


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 3, 2), True),     # Monday
    (D(2026, 3, 6), True),     # Friday
    (D(2026, 3, 7), False),    # Saturday
    (D(2026, 3, 8), False),    # Sunday
])
def test_weekends_are_not_working_days(calendar: WorkingCalendar, day: dt.date, working: bool) -> None:
    """Saturday and Sunday are days off; weekdays without a holiday are working days."""
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize("day", [
    D(2025, 1, 1),                                   # New Year
    D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31),  # Tết Ất Tỵ
    D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),  # Tết Bính Ngọ
    D(2025, 4, 7),                                   # Hùng Kings (10/3 lunar)
    D(2025, 4, 30), D(2026, 4, 30),                  # 30-4
    D(2025, 5, 1), D(2026, 5, 1),                    # 1-5
    D(2025, 9, 1), D(2025, 9, 2), D(2026, 9, 1), D(2026, 9, 2),  # 2-9 and the day next to it
])
def test_public_holidays_are_not_working_days(calendar: WorkingCalendar, day: dt.date) -> None:
    """Tết, Hùng Kings' day, 30-4, 1-5 and National Day are days off even on weekdays."""
    assert day.weekday() < 5
    assert not calendar.is_working_day(day)


@pytest.mark.parametrize("day", [D(2026, 2, 13), D(2026, 2, 23), D(2025, 4, 29), D(2025, 9, 3)])
def test_days_around_holidays_are_working_days(calendar: WorkingCalendar, day: dt.date) -> None:
    """The weekdays just before and after a holiday are ordinary working days."""
    assert calendar.is_working_day(day)


def test_extra_holidays_add_days_off() -> None:
    """A bridge day off decided by the province (extra_holidays) is not a working day."""
    calendar = WorkingCalendar(extra_holidays=["2026-01-02"])
    assert not calendar.is_working_day(D(2026, 1, 2))
    assert WorkingCalendar().is_working_day(D(2026, 1, 2))
    assert calendar.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)


def test_extra_working_days_add_make_up_saturdays() -> None:
    """A make-up Saturday (extra_working_days) is a working day and counts when adding days."""
    calendar = WorkingCalendar(extra_working_days=["2025-04-26"])
    assert calendar.is_working_day(D(2025, 4, 26))
    assert not WorkingCalendar().is_working_day(D(2025, 4, 26))
    assert calendar.add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 26)
    assert WorkingCalendar().add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 28)


def test_extra_working_day_overrides_public_holiday_and_extra_holiday() -> None:
    """An explicit working day wins over both a public holiday and an extra day off on the same date."""
    calendar = WorkingCalendar(extra_holidays=["2026-04-30"], extra_working_days=["2026-04-30"])
    assert calendar.is_working_day(D(2026, 4, 30))


def test_overrides_must_be_iso_dates() -> None:
    """An override that is not an ISO date is refused when the calendar is built."""
    with pytest.raises(ValueError, match="Invalid isoformat"):
        WorkingCalendar(extra_holidays=["30/04/2026"])


@pytest.mark.parametrize(("start", "days", "expected"), [
    (D(2026, 3, 2), 0, D(2026, 3, 2)),
    (D(2026, 3, 2), 1, D(2026, 3, 3)),
    (D(2026, 3, 2), 5, D(2026, 3, 9)),
    (D(2026, 3, 6), 1, D(2026, 3, 9)),      # Friday → Monday
    (D(2026, 3, 7), 1, D(2026, 3, 9)),      # from a Saturday, the first working day counts
    (D(2026, 2, 13), 1, D(2026, 2, 23)),    # across Tết 2026
    (D(2026, 2, 13), 5, D(2026, 2, 27)),
    (D(2026, 4, 29), 1, D(2026, 5, 4)),     # across 30-4 and 1-5
    (D(2026, 8, 28), 1, D(2026, 9, 3)),     # across 31-8 (swapped day off), 1-9 and 2-9
    (D(2026, 3, 9), -5, D(2026, 3, 2)),     # backwards
    (D(2026, 2, 23), -1, D(2026, 2, 13)),
])
def test_add_working_days(calendar: WorkingCalendar, start: dt.date, days: int, expected: dt.date) -> None:
    """Adding N working days skips weekends and holidays; the start day itself never counts."""
    assert calendar.add_working_days(start, days) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    (D(2026, 3, 2), D(2026, 3, 2), 0),
    (D(2026, 3, 2), D(2026, 3, 6), 4),
    (D(2026, 3, 2), D(2026, 3, 9), 5),
    (D(2026, 3, 6), D(2026, 3, 8), 0),
    (D(2026, 2, 13), D(2026, 2, 23), 1),
    (D(2026, 3, 9), D(2026, 3, 2), -5),
])
def test_working_days_between(calendar: WorkingCalendar, start: dt.date, end: dt.date, expected: int) -> None:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is earlier."""
    assert calendar.working_days_between(start, end) == expected


@pytest.mark.parametrize("start", [D(2026, 2, 13), D(2026, 3, 2), D(2026, 4, 29), D(2025, 12, 31)])
@pytest.mark.parametrize("days", [0, 1, 3, 5, 20])
def test_between_inverts_add(calendar: WorkingCalendar, start: dt.date, days: int) -> None:
    """Counting the working days up to start + N working days gives N back."""
    assert calendar.working_days_between(start, calendar.add_working_days(start, days)) == days


@pytest.mark.parametrize(("moment", "days", "expected"), [
    (dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), 5, dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)),
    # 23:30 UTC on Sunday is already Monday 06:30 in Hà Nội.
    (dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), 1, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)),
    # 16:59 UTC on Friday is still Friday 23:59 in Hà Nội.
    (dt.datetime(2026, 3, 6, 16, 59, tzinfo=dt.UTC), 1, dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)),
    (dt.datetime(2026, 3, 6, 20, 0, tzinfo=VIETNAM_TZ), 1, dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)),
    (dt.datetime(2026, 2, 13, 9, 0, tzinfo=VIETNAM_TZ), 5, dt.datetime(2026, 2, 27, 10, 0, tzinfo=dt.UTC)),
])
def test_due_after_is_1700_vietnam_time_in_utc(calendar: WorkingCalendar, moment: dt.datetime, days: int,
                                               expected: dt.datetime) -> None:
    """The due time is 17:00 Hà Nội time (10:00 UTC) on the N-th working day after the moment's local date."""
    due = calendar.due_after(moment, days)
    assert due == expected
    assert due.tzinfo == dt.UTC
    assert due.astimezone(VIETNAM_TZ).time() == dt.time(17, 0)


def test_due_after_honours_overrides() -> None:
    """A province's extra day off pushes the due date back by one working day."""
    moment = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    calendar = WorkingCalendar(extra_holidays=["2026-03-04"])
    assert calendar.due_after(moment, 5) == dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
