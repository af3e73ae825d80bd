"""Care hours as weekly time boxes: which one is going on, or comes next (pure Python, no models).

A care hour is stored as a weekday and local start and end times (``queue.models.CareHour``);
these functions turn boxes into instants in the practice's time zone, so the care-hour page
and the calendar feed agree across daylight-saving changes. Tested without a database
(tests/test_items.py).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TimeBox:
    """A weekly box: weekday 0 = Monday, local start and end times (end after start)."""

    weekday: int
    starts: dt.time
    ends: dt.time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if self.ends <= self.starts:
            raise ValueError("a time box must end after it starts")


@dataclass(frozen=True)
class Occurrence:
    starts_at: dt.datetime
    ends_at: dt.datetime
    box: TimeBox = field(compare=False)

    def contains(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def minutes_left(self, now: dt.datetime) -> int:
        """Whole minutes left in the box (all of it before it starts)."""
        start = max(self.starts_at, now)
        return max(0, int((self.ends_at - start).total_seconds() // 60))


def current_or_next_occurrence(
    boxes: Iterable[TimeBox], now: dt.datetime, tz: zoneinfo.ZoneInfo | dt.tzinfo
) -> Occurrence | None:
    """The occurrence going on at ``now``, else the next one to start (local wall-clock times).

    Local times are turned into instants on their own date, so a Tuesday 08:00 box is at
    08:00 local on both sides of a daylight-saving change.
    """
    boxes = list(boxes)
    if not boxes:
        return None
    today = now.astimezone(tz).date()
    best: Occurrence | None = None
    for offset in range(-1, 8):
        day = today + dt.timedelta(days=offset)
        for box in boxes:
            if box.weekday != day.weekday():
                continue
            occurrence = Occurrence(
                starts_at=dt.datetime.combine(day, box.starts, tzinfo=tz).astimezone(dt.UTC),
                ends_at=dt.datetime.combine(day, box.ends, tzinfo=tz).astimezone(dt.UTC),
                box=box,
            )
            if occurrence.ends_at <= now:
                continue
            if best is None or occurrence.starts_at < best.starts_at:
                best = occurrence
    return best
