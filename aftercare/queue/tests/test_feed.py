"""The care-hour calendar feed at a secret, signed, revocable URL."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse

from aftercare import clock
from aftercare.practice.models import Membership
from aftercare.queue import feed as ics
from aftercare.queue.models import CalendarFeed
from aftercare.queue.tests.factories import NOW, make_care_hour
from aftercare.queue.views import feed_token
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def feed_url(owner_client) -> str:  # type: ignore[no-untyped-def]
    page = owner_client.get(reverse("care-hours")).content.decode()
    start = page.index("http://testserver/care/feed/")
    return page[start : page.index('"', start)].removeprefix("http://testserver")


def test_the_feed_lists_each_care_hour_as_a_weekly_event_in_local_time(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_care_hour(personas.owner, personas.client)
    make_care_hour(
        personas.colleague, personas.client, weekday=3, starts=dt.time(14), ends=dt.time(15)
    )
    with clock.at(NOW):
        response = owner_client.get(feed_url(owner_client))
        owner_client.logout()
        anonymous = owner_client.get(response.request["PATH_INFO"])
    assert response["Content-Type"].startswith("text/calendar")
    assert anonymous.status_code == 200  # calendar apps cannot sign in
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1  # only the owner's own care hour
    event = events[0]
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["RRULE"]["BYDAY"] == ["TU"]
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (8, 0, "Europe/London")
    assert list(calendar.walk("VTIMEZONE"))


def test_a_forged_or_reset_feed_url_is_not_found(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    url = feed_url(owner_client)
    assert owner_client.get(url.replace(".ics", "x.ics")).status_code == 404
    assert owner_client.get(reverse("care-feed", args=["1.abc:forged"])).status_code == 404
    owner_client.post(reverse("care-feed-reset"))
    assert owner_client.get(url).status_code == 404
    assert owner_client.get(feed_url(owner_client)).status_code == 200


def test_the_feed_stops_when_the_user_leaves_the_practice(personas: Personas, client) -> None:  # type: ignore[no-untyped-def]
    feed = CalendarFeed.objects.create(practice=personas.practice, user=personas.colleague, key="k")
    url = reverse("care-feed", args=[feed_token(feed)])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=personas.colleague).delete()
    assert client.get(url).status_code == 404


def test_other_features_add_events_through_the_provider_registry(personas: Personas) -> None:
    def absences(user, practice, now):  # type: ignore[no-untyped-def]
        return [
            ics.FeedEvent(
                uid="absence-1@aftercare",
                summary="Away",
                starts=dt.date(2026, 12, 20),
                ends=dt.date(2027, 1, 3),
            )
        ]

    ics.register_feed_provider(absences)
    try:
        body = ics.render_feed(user=personas.owner, practice=personas.practice, now=NOW)
    finally:
        ics._providers.remove(absences)
    summaries = [
        str(event["SUMMARY"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT")
    ]
    assert summaries == ["Away"]
