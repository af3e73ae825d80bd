"""Moving a booking: the Move form, the week view's drag and drop (the same endpoint), the
overlap warning and what the form says about telling the client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as WebClient

from aftercare.appointments.models import Appointment
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.services import care_setup_practice
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas, make_appointment

pytestmark = pytest.mark.django_db

THURSDAY_TEN = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)  # 10:00 in London


@pytest.fixture
def booked(personas: Personas) -> Appointment:
    care_setup_practice(practice=personas.practice)
    return make_appointment(personas.client, personas.owner, starts_at=THURSDAY_TEN)


def test_the_form_starts_at_the_current_time_and_says_the_client_will_be_told(
    owner_client: WebClient, booked: Appointment, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(8):
        response = owner_client.get(f"/appointments/{booked.pk}/move/")
    page = response.content.decode()
    assert 'name="day" value="2026-12-03"' in page
    assert 'name="time" value="10:00"' in page
    assert "It keeps its length, 50 min" in page and "10:50" in page
    assert (
        "Ruth Miller will be told of the new time by email "
        "(care rule “Tell the client when their appointment moves”)" in page
    )


def test_moving_with_the_form_keeps_the_length_and_is_audited(
    owner_client: WebClient, booked: Appointment
) -> None:
    response = owner_client.post(
        f"/appointments/{booked.pk}/move/",
        {"day": "2026-12-04", "time": "14:30", "next": "/appointments/week/?date=2026-12-04"},
        follow=True,
    )
    booked.refresh_from_db()
    assert booked.starts_at == dt.datetime(2026, 12, 4, 14, 30, tzinfo=dt.UTC)
    assert booked.ends_at == dt.datetime(2026, 12, 4, 15, 20, tzinfo=dt.UTC)
    assert booked.moved_by_practice_at is not None
    assert response.redirect_chain[-1][0] == "/appointments/week/?date=2026-12-04"
    page = response.content.decode()
    assert "Moved Ruth Miller to Fri, 4 Dec 2026, 14:30." in page
    assert "will be told of the new time" in page
    assert AuditEvent.objects.filter(
        object_type="appointments.appointment",
        object_id=str(booked.pk),
        summary__contains="starts_at",
    ).exists()


def test_the_week_view_offers_move_and_drag_for_booked_visits_only(
    owner_client: WebClient, booked: Appointment, personas: Personas
) -> None:
    page = owner_client.get("/appointments/week/?date=2026-12-03").content.decode()
    assert f'data-move-url="/appointments/{booked.pk}/move/" data-time="10:00"' in page
    assert f'href="/appointments/{booked.pk}/move/?next=' in page
    assert 'data-day="2026-12-04"' in page
    past = owner_client.get("/appointments/week/?date=2026-11-20").content.decode()
    assert f"/appointments/{personas.appointment.pk}/move/" in past  # still booked
    Appointment.objects.filter(pk=personas.appointment.pk).update(status="attended")
    past = owner_client.get("/appointments/week/?date=2026-11-20").content.decode()
    assert f"/appointments/{personas.appointment.pk}/move/" not in past


def test_a_drop_in_the_week_view_posts_the_same_form_with_its_csrf_token(
    personas: Personas, booked: Appointment
) -> None:
    browser = WebClient(enforce_csrf_checks=True)
    browser.force_login(personas.owner)
    week = browser.get("/appointments/week/?date=2026-12-03").content.decode()
    form = re.search(r'<form method="post" class="week-move-form".*?</form>', week, re.S)
    assert form is not None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token is not None
    url = f"/appointments/{booked.pk}/move/"
    # What schedule.js submits when the booking is dropped on Friday: its time, the new day.
    fields = {"next": "/appointments/week/?date=2026-12-03", "day": "2026-12-04", "time": "10:00"}
    refused = browser.post(url, fields)
    assert refused.status_code == 403
    booked.refresh_from_db()
    assert booked.starts_at == THURSDAY_TEN
    response = browser.post(url, {"csrfmiddlewaretoken": token.group(1), **fields})
    assert response.status_code == 302
    assert response["Location"] == "/appointments/week/?date=2026-12-03"
    booked.refresh_from_db()
    assert booked.starts_at == THURSDAY_TEN + dt.timedelta(days=1)


def test_the_week_offers_each_usual_hour_of_each_day_as_a_place_to_drop(
    owner_client: WebClient, booked: Appointment
) -> None:
    page = owner_client.get("/appointments/week/?date=2026-12-03").content.decode()
    hours = re.findall(r'<li class="week-hour" data-time="(\d\d:\d\d)" data-minutes="60">', page)
    # The usual hours (09:00–17:00 until the owner sets them), in each of the seven days.
    assert hours == [f"{hour:02d}:00" for hour in range(9, 17)] * 7
    assert '<ol class="week-hours" aria-hidden="true" data-step="15">' in page


def test_a_drop_on_an_hour_moves_to_that_day_and_time_through_the_move_form(
    owner_client: WebClient, booked: Appointment, django_capture_on_commit_callbacks
) -> None:
    # What schedule.js posts for a drop a quarter down Friday's 14:00 hour.
    with django_capture_on_commit_callbacks(execute=True):  # the care engine re-plans
        response = owner_client.post(
            f"/appointments/{booked.pk}/move/",
            {"next": "/appointments/week/?date=2026-12-03", "day": "2026-12-04", "time": "14:15"},
        )
    assert response.status_code == 302
    assert response["Location"] == "/appointments/week/?date=2026-12-03"
    booked.refresh_from_db()
    assert booked.starts_at == dt.datetime(2026, 12, 4, 14, 15, tzinfo=dt.UTC)
    assert booked.ends_at == dt.datetime(2026, 12, 4, 15, 5, tzinfo=dt.UTC)  # the same length
    event = AuditEvent.objects.filter(object_id=str(booked.pk)).latest("id")
    assert "2026-12-04" in str(event.changes["starts_at"][1])
    # The practice's "tell the client of the move" rule planned its message (the trigger).
    assert Touchpoint.objects.filter(
        client=booked.client, template_key="appointment_moved"
    ).exists()


def test_moving_onto_another_booking_warns_of_the_overlap(
    owner_client: WebClient, booked: Appointment, personas: Personas
) -> None:
    other = make_appointment(
        personas.client, personas.owner, starts_at=dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)
    )
    page = owner_client.post(
        f"/appointments/{booked.pk}/move/", {"day": "2026-12-04", "time": "10:00"}, follow=True
    ).content.decode()
    assert "This overlaps another booking of the practitioner: Ruth Miller 09:30–10:20." in page
    assert other.pk


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"day": "2026-12-03", "time": "10:00"}, "That is when it is booked already"),
        ({"day": "3 Dec", "time": "10:00"}, "Enter a valid date"),
        ({"day": "2035-12-03", "time": "10:00"}, "An appointment can be at most 5 years"),
    ],
)
def test_a_refused_move_changes_nothing_and_says_why(
    owner_client: WebClient, booked: Appointment, fields: dict[str, str], problem: str
) -> None:
    response = owner_client.post(f"/appointments/{booked.pk}/move/", fields)
    assert response.status_code == 400
    assert problem in response.content.decode()
    booked.refresh_from_db()
    assert booked.starts_at == THURSDAY_TEN and booked.moved_by_practice_at is None


def test_only_a_booked_appointment_moves(owner_client: WebClient, booked: Appointment) -> None:
    Appointment.objects.filter(pk=booked.pk).update(status="cancelled")
    response = owner_client.post(
        f"/appointments/{booked.pk}/move/", {"day": "2026-12-04", "time": "10:00"}
    )
    assert response.status_code == 400
    assert "Only a booked appointment can be moved; this one is cancelled." in (
        response.content.decode()
    )


def test_the_form_says_when_the_client_will_not_be_told(
    owner_client: WebClient, booked: Appointment, personas: Personas
) -> None:
    CareRule.objects.filter(practice=personas.practice, trigger="appointment_moved").update(
        enabled=False
    )
    page = owner_client.get(f"/appointments/{booked.pk}/move/").content.decode()
    assert "Ruth Miller will not be told: the care rule that tells clients of moves is off." in page


def test_another_practice_cannot_move_it(
    client: WebClient, booked: Appointment, personas: Personas
) -> None:
    client.force_login(personas.outsider)
    url = f"/appointments/{booked.pk}/move/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"day": "2026-12-04", "time": "10:00"}).status_code == 404
    booked.refresh_from_db()
    assert booked.starts_at == THURSDAY_TEN
