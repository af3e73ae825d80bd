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
``absence-12@aftercare``), a summary, aware start and end (or dates for all-day events) and,
for repeating events, an ``rrule`` dict as icalendar expects (``{"freq": "weekly", "byday": "TU"}``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import icalendar

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
    today = now.astimezone(tz).date()
    events = []
    for hour in CareHour.objects.filter(practice=practice, user=user):
        # The first occurrence: this week's (or the coming) day of the box, at local times.
        first_day = today + dt.timedelta(days=(hour.weekday - today.weekday()) % 7)
        events.append(
            FeedEvent(
                uid=f"care-hour-{hour.pk}@aftercare",
                summary=f"Care hour ({practice.name})",
                starts=dt.datetime.combine(first_day, hour.starts, tzinfo=tz),
                ends=dt.datetime.combine(first_day, hour.ends, tzinfo=tz),
                description="Time set aside to work the care queue in Aftercare.",
                rrule={"freq": "weekly", "byday": ICAL_DAYS[hour.weekday]},
            )
        )
    return events


register_feed_provider(care_hour_events)


def render_feed(*, user: User, practice: Practice, now: dt.datetime) -> bytes:
    """The iCalendar document of every provider's events for ``user`` in ``practice``."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Aftercare · {practice.name}")
    calendar.add("x-wr-timezone", practice.time_zone)
    for provider in _providers:
        for item in provider(user, practice, now):
            event = icalendar.Event()
            event.add("uid", item.uid)
            event.add("dtstamp", now)
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
    # VTIMEZONE blocks for every TZID used, so calendar apps place the events right.
    calendar.add_missing_timezones()
    return calendar.to_ical()
