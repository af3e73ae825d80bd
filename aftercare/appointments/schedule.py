"""The schedule's arithmetic (pure Python, no Django): the week, the first free start, overlaps.

1. ``week_of(day)``: the Monday of the week holding ``day`` and its seven days.
2. ``default_start(now, day_starts, day_ends, step)``: where a new booking starts when nobody
   said — the next ``step``-minute mark inside the usual hours, today if there is still room,
   else the next day's opening (never 01:00, never in the past).
3. ``overlapping(intervals)``: the ids of intervals that overlap another one of the same owner
   (a practitioner double-booked); touching ends do not overlap.
4. ``drop_slots(day_starts, day_ends)``: the week view's places to drop a booking at a time —
   one per hour of the usual hours from the opening (the last one shorter when the day ends
   between two), each split by the page into ``DROP_STEP``-minute starts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

WEEK_DAYS = 7
DROP_STEP = 15  # minutes: a drop starts a booking on a quarter hour from the opening


def week_of(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=offset) for offset in range(WEEK_DAYS)]


def default_start(
    now: dt.datetime,
    *,
    day_starts: dt.time,
    day_ends: dt.time,
    minutes: int,
    step: int = 30,
) -> dt.datetime:
    """The first ``step``-minute mark after ``now`` (aware, in the practice's zone) at which a
    ``minutes``-long visit fits inside the usual hours."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    if step <= 0 or minutes <= 0:
        raise ValueError("step and minutes must be positive")
    tz = now.tzinfo
    day = now.date()
    opening = dt.datetime.combine(day, day_starts, tzinfo=tz)
    closing = dt.datetime.combine(day, day_ends, tzinfo=tz)
    if now < opening:
        return opening
    since_opening = (now - opening).total_seconds() / 60
    marks = int(since_opening // step) + 1
    candidate = opening + dt.timedelta(minutes=marks * step)
    if candidate + dt.timedelta(minutes=minutes) <= closing:
        return candidate
    return dt.datetime.combine(day + dt.timedelta(days=1), day_starts, tzinfo=tz)


class Interval(NamedTuple):
    """A booking's time (a tuple: a busy week makes hundreds of them per page)."""

    id: int
    owner: int | None  # the practitioner; None never overlaps anyone
    starts: dt.datetime
    ends: dt.datetime


def overlapping(intervals: Iterable[Interval]) -> set[int]:
    """Ids of intervals that share time with another of the same owner (a sweep per owner)."""
    by_owner: dict[int, list[Interval]] = defaultdict(list)
    for interval in intervals:
        if interval.owner is not None:
            by_owner[interval.owner].append(interval)
    found: set[int] = set()
    for rows in by_owner.values():
        rows.sort(key=attrgetter("starts", "ends", "id"))
        latest: Interval | None = None
        for row in rows:
            if latest is not None and row.starts < latest.ends:
                found.update({row.id, latest.id})
            if latest is None or row.ends > latest.ends:
                latest = row
    return found


@dataclass(frozen=True)
class DropSlot:
    starts: dt.time
    minutes: int  # how long the slot is; a drop in it starts at a DROP_STEP mark within it

    @property
    def clock(self) -> str:
        """ "09:00": the 24-hour time the week's drag and drop reads (as ``|time:'H:i'``)."""
        return self.starts.strftime("%H:%M")


def drop_slots(day_starts: dt.time, day_ends: dt.time, *, hour: int = 60) -> list[DropSlot]:
    """One slot per ``hour`` minutes of the usual hours, from the opening to the close.

    A day that ends before (or when) it starts has no slots: its bookings still move by day.
    """
    opening = day_starts.hour * 60 + day_starts.minute
    closing = day_ends.hour * 60 + day_ends.minute
    slots = []
    for start in range(opening, closing, hour):
        length = min(hour, closing - start)
        slots.append(DropSlot(dt.time(start // 60, start % 60), length))
    return slots
