"""Calendars as calendar programs write them, read into occurrences (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aftercare.imports.calendars import CalendarError, read_calendar

START = dt.datetime(2025, 11, 30, tzinfo=dt.UTC)
END = dt.datetime(2027, 11, 30, tzinfo=dt.UTC)


def read(files: Path, name: str, time_zone: str = "Europe/London"):  # type: ignore[no-untyped-def]
    return read_calendar((files / name).read_bytes(), start=START, end=END, time_zone=time_zone)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_google_weekly_series_with_a_deleted_a_moved_and_a_cancelled_occurrence(
    files: Path,
) -> None:
    calendar = read(files, "google_weekly.ics")
    series = [o for o in calendar.occurrences if o.uid.startswith("7kuk")]
    assert [(o.starts_at, o.cancelled) for o in series] == [
        (utc(2026, 12, 7, 10), False),
        (utc(2026, 12, 16, 14), False),  # moved from Monday 14th
        (utc(2026, 12, 28, 10), True),
        (utc(2027, 1, 4, 10), False),
        (utc(2027, 1, 11, 10), False),
    ]
    moved = series[1]
    assert moved.key == "7kukuqrfedlm2f9t0vdpb3fnq8@google.com#20261214T100000Z"
    assert "ruth@example.org" in series[0].attendee_emails
    assert [(r.event, r.reason) for r in calendar.refused] == [
        ("“Christmas Day” 20261225", "an all-day event is not an appointment")
    ]
    assert calendar.name == "Olivia – sessions"


def test_summer_time_is_read_from_the_zone(files: Path) -> None:
    text = (files / "google_weekly.ics").read_bytes().replace(b"2026120", b"2026060")
    calendar = read_calendar(text, start=START, end=END, time_zone="UTC")
    assert calendar.occurrences[0].starts_at == utc(2026, 6, 7, 9)  # 10:00 BST


def test_an_outlook_zone_defined_only_by_its_vtimezone(files: Path) -> None:
    (occurrence,) = read(files, "outlook.ics", time_zone="Asia/Tokyo").occurrences
    assert occurrence.starts_at == utc(2026, 12, 8, 10, 30)
    assert occurrence.title == "Ruth Miller"
    assert occurrence.key.startswith("040000008200E000")


def test_thunderbird_in_berlin_and_apple_in_london(files: Path) -> None:
    (berlin,) = read(files, "thunderbird.ics").occurrences
    assert (berlin.starts_at, berlin.ends_at) == (utc(2026, 12, 10, 14), utc(2026, 12, 10, 15))
    (london,) = read(files, "apple.ics").occurrences
    assert london.starts_at == utc(2026, 12, 9, 9)


def test_floating_times_follow_x_wr_timezone(files: Path) -> None:
    (occurrence,) = read(files, "x_wr_timezone_only.ics").occurrences
    assert occurrence.starts_at == utc(2026, 12, 11, 14)  # 09:00 in New York


def test_broken_events_are_refused_one_by_one_and_the_good_one_stays(files: Path) -> None:
    calendar = read(files, "broken.ics")
    assert [o.key for o in calendar.occurrences] == ["good@example"]
    reasons = {r.event: r.reason for r in calendar.refused}
    assert reasons["“Ruth Miller” 2026120T1000"].startswith("its DTSTART cannot be read")
    assert reasons["“Ruth Miller” 20261212T100000"] == (
        "its time zone 'Mars/Olympus_Mons' is unknown and the file does not define it"
    )
    assert reasons["“No UID” 20261212T120000Z"] == "it has no UID"


def test_an_empty_calendar_is_no_events(files: Path) -> None:
    calendar = read(files, "empty.ics")
    assert (calendar.occurrences, calendar.refused) == ([], [])


@pytest.mark.parametrize("data", [b"", b"First name,Email\n", b"BEGIN:VCARD\r\nEND:VCARD\r\n"])
def test_a_file_that_is_no_calendar_is_refused_as_a_whole(data: bytes) -> None:
    with pytest.raises(CalendarError, match="not a calendar"):
        read_calendar(data, start=START, end=END, time_zone="UTC")
