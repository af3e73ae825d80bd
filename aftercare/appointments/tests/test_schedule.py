"""The schedule's pure arithmetic: the week, where a new booking starts, overlaps."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from aftercare.appointments.schedule import (
    DropSlot,
    Interval,
    default_start,
    drop_slots,
    overlapping,
    week_of,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
NINE, FIVE = dt.time(9, 0), dt.time(17, 0)


def at(hour: int, minute: int = 0, days_later: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 30, hour, minute, tzinfo=LONDON) + dt.timedelta(days=days_later)


def test_the_week_runs_monday_to_sunday() -> None:
    days = week_of(dt.date(2026, 12, 3))
    assert days[0] == dt.date(2026, 11, 30) and days[-1] == dt.date(2026, 12, 6)


def test_the_drop_slots_are_the_usual_hours_hour_by_hour_from_the_opening() -> None:
    assert drop_slots(NINE, dt.time(12, 0)) == [
        DropSlot(dt.time(9, 0), 60),
        DropSlot(dt.time(10, 0), 60),
        DropSlot(dt.time(11, 0), 60),
    ]
    # An opening on the half hour; a close between two hours shortens the last slot.
    assert drop_slots(dt.time(8, 30), dt.time(10, 45)) == [
        DropSlot(dt.time(8, 30), 60),
        DropSlot(dt.time(9, 30), 60),
        DropSlot(dt.time(10, 30), 15),
    ]
    assert drop_slots(FIVE, NINE) == [] and drop_slots(NINE, NINE) == []


@given(
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_the_drop_slots_cover_the_usual_hours_exactly(starts: dt.time, ends: dt.time) -> None:
    slots = drop_slots(starts, ends)
    minutes = (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    assert sum(slot.minutes for slot in slots) == max(minutes, 0)
    assert all(0 < slot.minutes <= 60 for slot in slots)
    if slots:
        assert slots[0].starts == starts


def test_a_new_booking_starts_inside_the_usual_hours_never_at_night() -> None:
    assert default_start(at(1, 0), day_starts=NINE, day_ends=FIVE, minutes=50) == at(9)
    assert default_start(at(14, 30), day_starts=NINE, day_ends=FIVE, minutes=50) == at(15)
    assert default_start(at(14, 10), day_starts=NINE, day_ends=FIVE, minutes=50) == at(14, 30)
    assert default_start(at(16, 20), day_starts=NINE, day_ends=FIVE, minutes=50) == at(
        9, days_later=1
    )
    assert default_start(at(22, 0), day_starts=NINE, day_ends=FIVE, minutes=50) == at(
        9, days_later=1
    )


@given(st.integers(0, 24 * 60 - 1), st.integers(5, 120))
def test_the_default_start_is_in_the_future_and_the_visit_fits(minute: int, length: int) -> None:
    now = at(0) + dt.timedelta(minutes=minute)
    start = default_start(now, day_starts=NINE, day_ends=FIVE, minutes=length)
    assert start > now
    assert start.timetz().replace(tzinfo=None) >= NINE
    if start.date() == now.date():
        assert (start + dt.timedelta(minutes=length)).time() <= FIVE


def test_overlaps_are_per_practitioner_and_touching_ends_do_not_count() -> None:
    rows = [
        Interval(1, 7, at(10), at(10, 50)),
        Interval(2, 7, at(10, 30), at(11)),
        Interval(3, 7, at(11), at(11, 50)),  # starts as 2 ends: fine
        Interval(4, 8, at(10), at(11)),  # another practitioner
        Interval(5, None, at(10), at(11)),  # nobody in particular
        Interval(6, 7, at(9), at(12)),  # spans everything of 7
    ]
    assert overlapping(rows) == {1, 2, 3, 6}
