from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client as WebClient

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas, make_appointment, make_client

LONDON = zoneinfo.ZoneInfo("Europe/London")


def booking(personas: Personas, **changes: str) -> dict[str, str]:
    data = {
        "client": str(personas.client.pk),
        "practitioner": str(personas.owner.pk),
        "starts_at": "2026-07-01T09:30",
        "ends_at": "2026-07-01T10:20",
        "kind": "first_visit",
        "status": "booked",
        "fee": "80.00",
    }
    data.update(changes)
    return data


class TestBooking:
    def test_the_form_is_prefilled_with_the_client(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        page = owner_client.get(f"/appointments/new/?client={personas.client.pk}").content.decode()
        assert "Book an appointment for Ruth Miller" in page
        assert f'name="client" value="{personas.client.pk}"' in page
        assert "Europe/London" in page

    def test_times_are_read_in_the_practice_time_zone(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        response = owner_client.post(
            f"/appointments/new/?client={personas.client.pk}", booking(personas)
        )
        assert response.status_code == 302
        appointment = Appointment.objects.get(kind="first_visit")
        # 09:30 in London in July is 08:30 UTC (British Summer Time).
        assert appointment.starts_at == dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
        assert appointment.practice == personas.practice
        assert AuditEvent.objects.filter(
            action="create", object_type="appointments.appointment"
        ).exists()

    def test_an_end_before_the_start_names_the_field_and_saves_nothing(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        before = Appointment.objects.count()
        response = owner_client.post(
            f"/appointments/new/?client={personas.client.pk}",
            booking(personas, ends_at="2026-07-01T09:00"),
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert '<a href="#id_ends_at">Ends: The end must be after the start.' in page
        assert Appointment.objects.count() == before

    @pytest.mark.parametrize(
        ("starts_at", "ends_at", "field", "message"),
        [
            ("9999-12-31T10:00", "9999-12-31T11:00", "starts_at", "at most 5 years ahead"),
            ("1926-07-01T09:30", "1926-07-01T10:20", "starts_at", "at most 30 years ago"),
            ("2026-07-01T09:30", "2026-07-03T10:20", "ends_at", "lasts less than a day"),
        ],
    )
    def test_a_date_out_of_range_names_the_field_and_saves_nothing(
        self,
        owner_client: WebClient,
        personas: Personas,
        starts_at: str,
        ends_at: str,
        field: str,
        message: str,
    ) -> None:
        before = Appointment.objects.count()
        with clock.at(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)):
            response = owner_client.post(
                f"/appointments/new/?client={personas.client.pk}",
                booking(personas, starts_at=starts_at, ends_at=ends_at),
            )
        page = response.content.decode()
        assert response.status_code == 200
        assert f'<a href="#id_{field}">' in page and message in page
        assert Appointment.objects.count() == before

    def test_without_a_client_it_offers_a_search(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        page = owner_client.get("/appointments/new/", {"q": "ruth"}).content.decode()
        assert f'href="?client={personas.client.pk}"' in page

    def test_a_client_of_another_practice_is_not_found(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        url = f"/appointments/new/?client={personas.other_client.pk}"
        assert owner_client.get(url).status_code == 404
        assert (
            owner_client.post(
                url, booking(personas, client=str(personas.other_client.pk))
            ).status_code
            == 404
        )


class TestEditing:
    def test_it_shows_and_saves_times_in_the_practice_time_zone(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        appointment = make_appointment(
            personas.client,
            personas.owner,
            starts_at=dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC),
        )
        url = f"/appointments/{appointment.pk}/edit/"
        assert 'value="2026-07-01T09:30"' in owner_client.get(url).content.decode()
        response = owner_client.post(
            url, booking(personas, starts_at="2026-07-01T11:00", ends_at="2026-07-01T12:00")
        )
        assert response.status_code == 302
        appointment.refresh_from_db()
        assert appointment.starts_at == dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
        change = AuditEvent.objects.get(action="change", object_id=str(appointment.pk))
        assert set(change.changes) >= {"starts_at", "ends_at", "kind", "fee"}

    def test_it_cannot_move_the_appointment_to_another_client(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        other = make_client(personas.practice, given_name="Other")
        url = f"/appointments/{personas.appointment.pk}/edit/"
        response = owner_client.post(url, booking(personas, client=str(other.pk)))
        assert response.status_code == 200
        personas.appointment.refresh_from_db()
        assert personas.appointment.client == personas.client


class TestStatus:
    @pytest.mark.parametrize("status", ["attended", "no_show", "late_cancelled", "cancelled"])
    def test_it_marks_what_became_of_the_appointment(
        self, owner_client: WebClient, personas: Personas, status: str
    ) -> None:
        url = f"/appointments/{personas.appointment.pk}/status/"
        response = owner_client.post(url, {"status": status, "next": "/appointments/day/"})
        assert response.status_code == 302
        assert response["Location"] == "/appointments/day/"
        personas.appointment.refresh_from_db()
        assert personas.appointment.status == status
        assert AuditEvent.objects.filter(
            action="change", object_id=str(personas.appointment.pk)
        ).exists()

    def test_an_unknown_status_changes_nothing(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        url = f"/appointments/{personas.appointment.pk}/status/"
        response = owner_client.post(url, {"status": "vanished"}, follow=True)
        assert "Status:" in response.content.decode()
        personas.appointment.refresh_from_db()
        assert personas.appointment.status == "booked"

    def test_it_never_redirects_to_another_site(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        url = f"/appointments/{personas.appointment.pk}/status/"
        response = owner_client.post(url, {"status": "attended", "next": "https://evil.example/"})
        assert response["Location"] == f"/clients/{personas.client.pk}/"


class TestDay:
    def test_it_shows_the_signed_in_practitioners_day_in_the_practice_time_zone(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        # 23:30 UTC on 30 June is 00:30 on 1 July in London: it belongs to 1 July.
        late = make_client(personas.practice, given_name="Late", family_name="Owl")
        make_appointment(
            late, personas.owner, starts_at=dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)
        )
        colleagues = make_client(personas.practice, given_name="Colins", family_name="Client")
        make_appointment(
            colleagues, personas.colleague, starts_at=dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)
        )
        page = owner_client.get("/appointments/day/", {"date": "2026-07-01"}).content.decode()
        assert "Late Owl" in page and "00:30" in page
        assert "Colins Client" not in page
        everyone = owner_client.get(
            "/appointments/day/", {"date": "2026-07-01", "practitioner": "all"}
        ).content.decode()
        assert "Colins Client" in everyone
        june = owner_client.get("/appointments/day/", {"date": "2026-06-30"}).content.decode()
        assert "Late Owl" not in june

    def test_it_defaults_to_today_with_links_to_the_days_around(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        with clock.at(dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC)):  # 00:30 BST on 30 March
            page = owner_client.get("/appointments/day/").content.decode()
        assert "Monday, 30 March 2026 (today)" in page
        assert "date=2026-03-29" in page and "date=2026-03-31" in page

    def test_another_practices_practitioner_is_not_found(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        response = owner_client.get("/appointments/day/", {"practitioner": personas.outsider.pk})
        assert response.status_code == 404

    @pytest.mark.parametrize("count", [2, 30])
    def test_it_costs_a_fixed_number_of_queries(
        self,
        owner_client: WebClient,
        personas: Personas,
        django_assert_max_num_queries,
        count: int,
    ) -> None:
        start = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
        for number in range(count):
            client = make_client(personas.practice, given_name=f"Day{number}")
            make_appointment(
                client, personas.owner, starts_at=start + dt.timedelta(minutes=15 * number)
            )
        with django_assert_max_num_queries(7):
            response = owner_client.get("/appointments/day/", {"date": "2026-11-20"})
        assert response.content.decode().count("Mark attended") == count + 1


def test_only_booked_appointments_get_one_click_status_buttons(
    owner_client: WebClient, personas: Personas
) -> None:
    make_appointment(
        personas.client,
        personas.owner,
        starts_at=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC),
        status="attended",
    )
    page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert page.count("Mark no-show") == 1  # the booked one only
    assert page.count('class="status status-attended">Attended') == 1


def test_an_assistant_sees_everyones_day_by_default(client: WebClient, personas: Personas) -> None:
    client.force_login(personas.assistant)
    page = client.get("/appointments/day/", {"date": "2026-11-20"}).content.decode()
    assert "Everyone’s day" in page
    assert "Ruth Miller" in page
