"""The week view, bookings that start in the usual hours with the kind's length, the managed
list of visit kinds and the overlap warning."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from aftercare import clock
from aftercare.appointments.models import Appointment, VisitKind
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)  # Monday 14:30 in London


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def test_the_week_shows_seven_days_with_bookings_and_a_book_link_per_day(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_appointment(personas.client, personas.owner, starts_at=NOW + dt.timedelta(days=2))
    make_appointment(
        personas.client, personas.colleague, starts_at=NOW + dt.timedelta(days=1)
    )  # Colin's: only in the practice's week
    page = owner_client.get(reverse("appointments-week")).content.decode()
    assert "Olivia Owner’s week: 30 Nov – 6 Dec 2026" in page
    assert page.count('class="week-day') == 7
    assert "14:30–15:20" in page and "Ruth Miller" in page and "Follow-up" in page
    assert "starts=2026-12-01T09%3A00" in page
    assert page.count("week-appointment ") == 1
    everyone = owner_client.get(reverse("appointments-week"), {"practitioner": "all"})
    assert everyone.content.decode().count("week-appointment ") == 2


def test_another_practices_practitioner_is_not_found(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.get(
        reverse("appointments-week"), {"practitioner": personas.outsider.pk}
    )
    assert response.status_code == 404


def test_a_new_booking_starts_in_the_usual_hours_and_lasts_the_kinds_length(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    page = owner_client.get(
        reverse("appointments-create"), {"client": personas.client.pk}
    ).content.decode()
    # 14:30 now: the next half hour with room for a 50-minute follow-up is 15:00.
    assert 'value="2026-11-30T15:00"' in page
    assert 'value="2026-11-30T15:50"' in page
    assert "Follow-up (50 min)" in page and "First visit (60 min)" in page
    minutes = re.search(r'data-kind-minutes="([^"]+)"', page).group(1).replace("&quot;", '"')
    assert json.loads(minutes) == {"first_visit": 60, "follow_up": 50}
    from_week = owner_client.get(
        reverse("appointments-create"),
        {"client": personas.client.pk, "starts": "2026-12-02T09:00"},
    ).content.decode()
    assert 'value="2026-12-02T09:00"' in from_week and 'value="2026-12-02T09:50"' in from_week


def test_the_owner_manages_visit_kinds_and_usual_hours(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    url = reverse("appointments-settings")
    owner_client.post(url, {"form": "kind", "new-name": "Acupuncture session", "new-minutes": "45"})
    kind = VisitKind.objects.get(practice=personas.practice)
    assert (kind.key, kind.name, kind.minutes) == ("acupuncture_session", "Acupuncture session", 45)
    owner_client.post(url, {"form": "hours", "day_starts": "08:00", "day_ends": "12:00"})

    page = owner_client.get(
        reverse("appointments-create"), {"client": personas.client.pk}
    ).content.decode()
    assert "Acupuncture session (45 min)" in page
    assert 'value="2026-12-01T08:00"' in page  # the morning is over: tomorrow at opening

    bad = owner_client.post(url, {"form": "hours", "day_starts": "18:00", "day_ends": "09:00"})
    assert bad.status_code == 400
    assert "The day must end after it starts." in bad.content.decode()
    too_long = owner_client.post(url, {"form": "kind", "new-name": "Retreat", "new-minutes": "900"})
    assert too_long.status_code == 400
    assert VisitKind.objects.filter(practice=personas.practice).count() == 1


def test_only_the_owner_changes_the_schedule_settings(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.colleague)
    url = reverse("appointments-settings")
    assert client.get(url).status_code == 200
    response = client.post(url, {"form": "kind", "new-name": "X", "new-minutes": "30"})
    assert response.status_code == 404
    assert not VisitKind.objects.exists()


def test_an_overlapping_booking_is_saved_with_a_warning_and_marked_in_the_week(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    bea = make_client(personas.practice, given_name="Bea", family_name="Stone", email="b@x.org")
    make_appointment(bea, personas.owner, starts_at=dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
    response = owner_client.post(
        f"{reverse('appointments-create')}?client={personas.client.pk}",
        {
            "client": personas.client.pk,
            "practitioner": personas.owner.pk,
            "starts_at": "2026-12-01T10:30",
            "ends_at": "2026-12-01T11:20",
            "kind": "follow_up",
            "status": "booked",
        },
        follow=True,
    )
    assert "This overlaps another booking of the practitioner: Bea Stone 10:00–10:50." in (
        response.content.decode()
    )
    assert Appointment.objects.filter(client=personas.client, starts_at__day=1).count() == 1
    week = owner_client.get(reverse("appointments-week")).content.decode()
    assert week.count("Overlaps another booking") == 2


def test_the_week_costs_a_fixed_number_of_queries(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    def grow(count: int) -> None:
        for number in range(count):
            make_appointment(
                personas.client,
                personas.owner,
                starts_at=NOW + dt.timedelta(days=number % 6, minutes=number),
            )

    grow(2)
    with django_assert_max_num_queries(20) as small:
        owner_client.get(reverse("appointments-week"), {"practitioner": "all"})
    grow(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        owner_client.get(reverse("appointments-week"), {"practitioner": "all"})


@pytest.mark.parametrize("name", ["appointments-week", "appointments-day"])
@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "2026-13-01", "soon"])
def test_a_date_out_of_range_or_malformed_shows_today(  # type: ignore[no-untyped-def]
    owner_client, personas: Personas, name: str, date: str
) -> None:
    response = owner_client.get(reverse(name), {"date": date})
    # Today's schedule, never a server error (the previous/next links of 9999-12-31 overflowed).
    assert response.status_code == 200
    assert response.context["time_zone"] == personas.practice.time_zone
