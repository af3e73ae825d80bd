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


def test_time_zones_are_yearly_rules_not_dates_that_end_in_2038(personas: Personas) -> None:
    make_care_hour(personas.owner, personas.client)
    body = ics.render_feed(user=personas.owner, practice=personas.practice, now=NOW).decode()
    (zone,) = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    rules = {str(part["TZNAME"]): part["RRULE"] for part in zone.subcomponents}
    assert rules["BST"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert rules["GMT"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert "RDATE" not in body and "2038" not in body


def test_yearly_rules_for_both_hemispheres_and_zones_without_summer_time() -> None:
    def rules(name: str) -> dict[str, bytes]:
        zone = ics.yearly_vtimezone(name, 2026)
        return {str(part["TZNAME"]): part["RRULE"].to_ical() for part in zone.subcomponents}

    assert rules("America/New_York") == {
        "EDT": b"FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
        "EST": b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
    }
    assert rules("Australia/Sydney") == {
        "AEST": b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=4",
        "AEDT": b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=10",
    }
    (kolkata,) = ics.yearly_vtimezone("Asia/Kolkata", 2026).subcomponents
    assert kolkata.name == "STANDARD" and "RRULE" not in kolkata
    # A calendar reading the rules places a summer and a winter event right.
    calendar = icalendar.Calendar()
    calendar.add_component(ics.yearly_vtimezone("America/New_York", 2026))
    text = calendar.to_ical().decode().replace("END:VCALENDAR", (
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=America/New_York:20270715T090000\r\n"
        "END:VEVENT\r\nEND:VCALENDAR"))  # fmt: skip
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=-4)


def test_a_series_starts_when_it_was_made_and_uids_name_the_installation(
    personas: Personas, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.BASE_URL = "https://care.riverside.example"
    hour = make_care_hour(personas.owner, personas.client, weekday=1)
    made = dt.datetime(2026, 9, 2, 12, tzinfo=dt.UTC)  # a Wednesday, months before NOW
    type(hour).objects.filter(pk=hour.pk).update(created_at=made)
    body = ics.render_feed(user=personas.owner, practice=personas.practice, now=NOW)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("DTSTART").date() == dt.date(2026, 9, 8)  # the Tuesday after
    assert str(event["UID"]) == f"care-hour-{hour.pk}@care.riverside.example"
    assert event.decoded("LAST-MODIFIED") == made
    assert event.decoded("DTSTAMP") == made


def test_a_changed_event_has_a_higher_sequence(personas: Personas) -> None:
    made = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def absence(changed: dt.datetime):  # type: ignore[no-untyped-def]
        return lambda user, practice, now: [
            ics.FeedEvent(uid="absence-3@aftercare", summary="Away", starts=dt.date(2026, 12, 20),
                          ends=dt.date(2027, 1, 3), created=made, last_modified=changed)
        ]  # fmt: skip

    sequences = []
    for changed in (made, made + dt.timedelta(hours=2)):
        provider = ics.register_feed_provider(absence(changed))
        try:
            body = ics.render_feed(user=personas.owner, practice=personas.practice, now=NOW)
        finally:
            ics._providers.remove(provider)
        (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
        sequences.append(int(event["SEQUENCE"]))
    assert sequences == [0, 7200]


def test_head_and_a_conditional_get_answer_without_the_body(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_care_hour(personas.owner, personas.client)
    url = feed_url(owner_client)
    with clock.at(NOW):
        first = owner_client.get(url)
        head = owner_client.head(url)
    with clock.at(NOW + dt.timedelta(minutes=10)):
        again = owner_client.get(url, headers={"If-None-Match": first["ETag"]})
    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert (head.status_code, head.content, head["ETag"]) == (200, b"", first["ETag"])
    assert (again.status_code, again.content) == (304, b"")
