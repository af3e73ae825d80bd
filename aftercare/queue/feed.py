"""The practitioner's own calendar feed (iCalendar): care hours, and events other features add.

Calendar apps cannot sign in, so the feed lives at a secret URL holding a signed token
(``care-feed``; the user can reset it, which revokes every URL handed out before). The feed is
assembled from *feed event providers*; the care hours are the first. Another feature adds its
events (the absences feature adds the user's absences) without editing this module:

    from aftercare.queue.feed import FeedEvent, register_feed_provider

    def absence_events(user, practice, now) -> list[FeedEvent]:
        ...  # a fixed number of queries
    register_feed_provider(absence_events)   # from your AppConfig.ready()

A provider returns ``FeedEvent``s: a stable ``uid`` (unique across the feed, e.g.
``absence-12``), a summary, aware start and end (or dates for all-day events), for repeating
events an ``rrule`` dict as icalendar expects (``{"freq": "weekly", "byday": "TU"}``), and when
the row was created and last changed.

What calendar programs expect of a subscribed feed, and how ``render_feed`` gives it:

1. UIDs unique across installations: ``absence-12@<this installation's host>`` (from
   ``BASE_URL``), so two Aftercare servers never collide in one calendar.
2. ``DTSTAMP`` and ``LAST-MODIFIED`` are when the row last changed, and ``SEQUENCE`` grows with
   every change (the seconds from creation to the last change), so a program replaces an
   event that changed and keeps one that did not. The document is then the same bytes until
   something changes, and the view answers ``If-None-Match`` with ``304`` and ``HEAD`` with
   the headers alone.
3. Time zones as yearly rules (``yearly_vtimezone``: this year's changes as ``RRULE:FREQ=YEARLY``),
   not a list of dates that stops in 2038 as a generated zone would.
4. A repeating event starts when it was made (its first occurrence on or after its creation),
   so past occurrences stay in the calendar instead of moving with "this week".
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import icalendar
from django.conf import settings

from aftercare.queue.models import CareHour

if TYPE_CHECKING:
    from aftercare.practice.models import Practice, User

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PRODID = "-//Aftercare//Care hours and absences//EN"


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    summary: str
    starts: dt.datetime | dt.date
    ends: dt.datetime | dt.date
    description: str = ""
    rrule: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    created: dt.datetime | None = None
    last_modified: dt.datetime | None = None


FeedProvider = Callable[["User", "Practice", dt.datetime], list[FeedEvent]]
_providers: list[FeedProvider] = []


def register_feed_provider(provider: FeedProvider) -> FeedProvider:
    """Add a provider (usable as a decorator); registering twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def feed_providers() -> list[FeedProvider]:
    return list(_providers)


def care_hour_events(user: User, practice: Practice, now: dt.datetime) -> list[FeedEvent]:
    """Each care hour as a weekly repeating event in the practice's time zone (one query)."""

    tz = practice.tz
    events = []
    for hour in CareHour.objects.filter(practice=practice, user=user):
        # The first occurrence: the box's day on or after the day it was made (step 4).
        made = hour.created_at.astimezone(tz).date()
        first_day = made + dt.timedelta(days=(hour.weekday - made.weekday()) % 7)
        events.append(
            FeedEvent(
                uid=f"care-hour-{hour.pk}",
                summary=f"Care hour ({practice.name})",
                starts=dt.datetime.combine(first_day, hour.starts, tzinfo=tz),
                ends=dt.datetime.combine(first_day, hour.ends, tzinfo=tz),
                description="Time set aside to work the care queue in Aftercare.",
                rrule={"freq": "weekly", "byday": ICAL_DAYS[hour.weekday]},
                created=hour.created_at,
                last_modified=hour.created_at,
            )
        )
    return events


register_feed_provider(care_hour_events)


def uid_host() -> str:
    return urlsplit(settings.BASE_URL).hostname or "aftercare.invalid"


def render_feed(*, user: User, practice: Practice, now: dt.datetime) -> bytes:
    """The iCalendar document of every provider's events for ``user`` in ``practice``."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Aftercare · {practice.name}")
    calendar.add("x-wr-timezone", practice.time_zone)
    host = uid_host()
    zones: set[str] = set()
    for provider in _providers:
        for item in provider(user, practice, now):
            event = icalendar.Event()
            event.add("uid", f"{item.uid.split('@', 1)[0]}@{host}")
            changed = item.last_modified or item.created
            event.add("dtstamp", (changed or now).astimezone(dt.UTC))
            if changed is not None:
                event.add("last-modified", changed.astimezone(dt.UTC))
            if item.created is not None:
                event.add("created", item.created.astimezone(dt.UTC))
                event.add("sequence", int((changed - item.created).total_seconds()))  # type: ignore[operator]
            event.add("summary", item.summary)
            event.add("dtstart", item.starts)
            event.add("dtend", item.ends)
            if item.description:
                event.add("description", item.description)
            if item.url:
                event.add("url", item.url)
            if item.rrule:
                event.add("rrule", item.rrule)
            calendar.add_component(event)
            for moment in (item.starts, item.ends):
                if isinstance(moment, dt.datetime) and isinstance(moment.tzinfo, zoneinfo.ZoneInfo):
                    zones.add(moment.tzinfo.key)
    year = now.year
    for zone in sorted(zones):
        calendar.add_component(yearly_vtimezone(zone, year))
    return calendar.to_ical()


def _transitions(
    zone: zoneinfo.ZoneInfo, year: int
) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """``(instant in UTC, offset before, offset after)`` for each change of ``zone`` in ``year``."""
    found = []
    moment = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    before = moment.astimezone(zone).utcoffset()
    while moment < end:
        step = moment + dt.timedelta(hours=1)
        after = step.astimezone(zone).utcoffset()
        if after != before:
            exact = moment
            while exact.astimezone(zone).utcoffset() == before:  # to the minute
                exact += dt.timedelta(minutes=1)
            found.append((exact, before, after))  # type: ignore[arg-type]
            before = after
        moment = step
    return found


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    days = month_calendar.monthrange(year, month)[1]
    if nth < 0:
        last = dt.date(year, month, days)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def yearly_vtimezone(name: str, year: int) -> icalendar.Timezone:
    """``name``'s VTIMEZONE with this year's changes as yearly rules (the module's step 3).

    1. Find the instants the offset changes in ``year`` (none: one STANDARD part).
    2. Each change happens on the n-th (or last) weekday of its month, at a wall-clock time
       before the change: that is its ``RRULE:FREQ=YEARLY;BYMONTH=…;BYDAY=…``.
    3. Each part starts in 1970 on its rule's day, so every date since is covered.
    """
    zone = zoneinfo.ZoneInfo(name)
    timezone = icalendar.Timezone()
    timezone.add("tzid", name)
    changes = _transitions(zone, year)
    if not changes:
        offset = dt.datetime(year, 1, 1, tzinfo=dt.UTC).astimezone(zone)
        part = icalendar.TimezoneStandard()
        # A VTIMEZONE's DTSTART is wall-clock time in the zone itself: naive by the standard.
        part.add("dtstart", dt.datetime(1970, 1, 1))  # noqa: DTZ001
        part.add("tzoffsetfrom", offset.utcoffset())
        part.add("tzoffsetto", offset.utcoffset())
        part.add("tzname", offset.tzname())
        timezone.add_component(part)
        return timezone
    for instant, before, after in changes:
        wall = (instant + before).replace(tzinfo=None)  # the local time it happens at
        days = month_calendar.monthrange(wall.year, wall.month)[1]
        nth = -1 if wall.day + 7 > days else (wall.day - 1) // 7 + 1
        local_after = instant.astimezone(zone)
        part = icalendar.TimezoneDaylight() if local_after.dst() else icalendar.TimezoneStandard()
        start = _nth_weekday(1970, wall.month, wall.weekday(), nth)
        part.add("dtstart", dt.datetime.combine(start, wall.time()))
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", local_after.tzname())
        part.add(
            "rrule",
            {"freq": "yearly", "bymonth": wall.month, "byday": f"{nth}{ICAL_DAYS[wall.weekday()]}"},
        )
        timezone.add_component(part)
    return timezone
