"""Care hours as weekly time boxes: the one going on, the next one, across clock changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from aftercare.queue.hours import TimeBox, current_or_next_occurrence

NOW = dt.datetime(2026, 11, 24, 8, 15, tzinfo=dt.UTC)


BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
TUESDAY_8_TO_9 = TimeBox(weekday=1, starts=dt.time(8, 0), ends=dt.time(9, 0))


def test_the_care_hour_going_on_now_is_the_current_one_with_the_minutes_left() -> None:
    now = dt.datetime(2026, 11, 24, 8, 20, tzinfo=BERLIN)
    occurrence = current_or_next_occurrence([TUESDAY_8_TO_9], now, BERLIN)
    assert occurrence is not None
    assert occurrence.contains(now)
    assert occurrence.minutes_left(now) == 40


def test_before_the_care_hour_the_next_one_offers_all_its_minutes() -> None:
    wednesday = dt.datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)
    friday = TimeBox(weekday=4, starts=dt.time(14, 0), ends=dt.time(14, 30))
    occurrence = current_or_next_occurrence([TUESDAY_8_TO_9, friday], wednesday, BERLIN)
    assert occurrence is not None
    assert occurrence.starts_at == dt.datetime(2026, 11, 27, 14, 0, tzinfo=BERLIN)
    assert occurrence.minutes_left(wednesday) == 30


def test_a_care_hour_after_the_clocks_change_stays_at_its_local_time() -> None:
    # Berlin leaves summer time on Sunday 25 October 2026.
    before_change = dt.datetime(2026, 10, 21, 12, 0, tzinfo=BERLIN)
    occurrence = current_or_next_occurrence([TUESDAY_8_TO_9], before_change, BERLIN)
    assert occurrence is not None
    assert occurrence.starts_at.astimezone(BERLIN).time() == dt.time(8, 0)
    assert occurrence.starts_at == dt.datetime(2026, 10, 27, 7, 0, tzinfo=dt.UTC)


def test_no_care_hours_means_no_occurrence() -> None:
    assert current_or_next_occurrence([], NOW, BERLIN) is None


def test_a_time_box_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after"):
        TimeBox(weekday=1, starts=dt.time(9, 0), ends=dt.time(9, 0))
