from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.absences.tests.factories import plan_absence
from aftercare.absences.views import notice_token
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
FORM = {
    "first_day": "2027-03-15",
    "last_day": "2027-04-04",
    "public_note": "On holiday",
    "cover_contact": "Dr Colin, 020 7946 0000",
    "notify_days_before": "21",
    "private_reason": "Wedding in Italy",
}


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


def test_planning_shows_a_preview_before_saving(
    owner_client: HttpClient, personas: Personas
) -> None:
    add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
    data = {**FORM, "practitioner": personas.owner.pk, "preview": "1"}
    response = owner_client.post(reverse("absences-create"), data)
    assert response.status_code == 200
    assert "Preview: what this absence will do" in response.text
    assert "order Magnesium citrate by Monday 1 March" in response.text
    assert not Absence.objects.exists()
    response = owner_client.post(reverse("absences-create"), {**data, "save": "1"})
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert absence.cover_contact == "Dr Colin, 020 7946 0000"


def test_bad_dates_are_refused_with_a_clear_message(
    owner_client: HttpClient, personas: Personas
) -> None:
    data = {**FORM, "practitioner": personas.owner.pk, "last_day": "2027-03-01", "save": "1"}
    response = owner_client.post(reverse("absences-create"), data)
    assert response.status_code == 200
    assert "before it starts" in response.text
    assert not Absence.objects.exists()


def test_an_absence_in_year_9999_is_refused_with_the_range(
    owner_client: HttpClient, personas: Personas
) -> None:
    data = {
        **FORM,
        "practitioner": personas.owner.pk,
        "first_day": "9999-12-01",
        "last_day": "9999-12-24",
        "save": "1",
    }
    response = owner_client.post(reverse("absences-create"), data)
    assert response.status_code == 200
    assert "An absence can be at most 3 years ahead" in response.text
    assert not Absence.objects.exists()


def test_the_list_shows_absences_with_their_emergency_list(
    owner_client: HttpClient, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    plan_absence(personas.actor(), emergency_client_ids=[personas.client.pk])
    plan_absence(personas.actor(), first_day=dt.date(2027, 6, 1), last_day=dt.date(2027, 6, 5))
    with django_assert_max_num_queries(12):
        response = owner_client.get(reverse("absences-list"))
    assert "1 client" in response.text
    assert "Wedding" not in response.text or "Family wedding" in response.text


def test_cancelling_an_absence(owner_client: HttpClient, personas: Personas) -> None:
    absence = plan_absence(personas.actor())
    response = owner_client.post(reverse("absences-cancel", args=[absence.pk]))
    assert response.status_code == 302
    absence.refresh_from_db()
    assert absence.cancelled


def test_the_public_notice_shows_no_private_reason(client: HttpClient, personas: Personas) -> None:
    plan_absence(personas.actor())
    url = reverse("absences-notice", args=[personas.practice.pk, notice_token(personas.practice)])
    response = client.get(url)
    assert response.status_code == 200
    assert "I am on holiday." in response.text
    assert "Dr Colin Colleague" in response.text
    assert "Family wedding" not in response.text
    forged = reverse("absences-notice", args=[personas.practice.pk, "forged"])
    assert client.get(forged).status_code == 404
    other = reverse(
        "absences-notice", args=[personas.other_practice.pk, notice_token(personas.practice)]
    )
    assert client.get(other).status_code == 404


def test_another_practices_absence_is_not_found(client: HttpClient, personas: Personas) -> None:
    absence = plan_absence(personas.actor())
    client.force_login(personas.outsider)
    assert client.get(reverse("absences-edit", args=[absence.pk])).status_code == 404
    assert client.post(reverse("absences-cancel", args=[absence.pk])).status_code == 404
    assert "Family wedding" not in client.get(reverse("absences-list")).text


def test_changing_a_colleagues_absence_keeps_it_theirs_and_moves_it(
    owner_client: HttpClient, personas: Personas
) -> None:
    absence = plan_absence(personas.actor(personas.colleague))
    page = owner_client.get(reverse("absences-edit", args=[absence.pk])).text
    assert f'<option value="{personas.colleague.pk}" selected>' in page
    data = {
        **FORM,
        "practitioner": personas.colleague.pk,
        "first_day": "2027-03-16",
        "emergency_client_ids": "",
        "save": "1",
    }
    response = owner_client.post(reverse("absences-edit", args=[absence.pk]), data)
    assert response.status_code == 302
    absence.refresh_from_db()
    assert (absence.practitioner, absence.first_day) == (personas.colleague, dt.date(2027, 3, 16))


# --- the emergency list: the client picker ------------------------------------------------


def test_two_clients_typed_with_a_comma_or_a_space_are_never_a_server_error(
    owner_client: HttpClient, personas: Personas
) -> None:
    second = make_client(personas.practice, given_name="Nina", primary_practitioner=personas.owner)
    for typed in (f"{personas.client.pk},{second.pk}", f"{personas.client.pk} {second.pk}"):
        data = {**FORM, "practitioner": personas.owner.pk, "preview": "1"}
        response = owner_client.post(
            reverse("absences-create"), {**data, "emergency_client_ids": typed}
        )
        assert response.status_code == 200
        assert "The emergency list (2)" in response.text
    garbage = owner_client.post(
        reverse("absences-create"),
        {**FORM, "practitioner": personas.owner.pk, "save": "1", "emergency_client_ids": "7; x"},
    )
    assert garbage.status_code == 200
    assert "“x” is not a client: choose clients from the list." in garbage.text
    assert not Absence.objects.exists()


def test_another_practices_client_is_refused_by_name_of_the_field_and_nothing_is_saved(
    owner_client: HttpClient, personas: Personas
) -> None:
    data = {**FORM, "practitioner": personas.owner.pk, "save": "1"}
    response = owner_client.post(
        reverse("absences-create"), {**data, "emergency_client_ids": [personas.other_client.pk]}
    )
    assert response.status_code == 200
    assert "in this practice" in response.text
    assert not Absence.objects.exists()


def test_the_form_suggests_clients_in_active_care_with_why_before_any_preview(
    owner_client: HttpClient, personas: Personas
) -> None:
    nina = make_client(
        personas.practice,
        given_name="Nina",
        email="nina@example.org",
        primary_practitioner=personas.owner,
    )
    make_appointment(
        nina,
        personas.owner,
        kind="first_visit",
        status="attended",
        starts_at=NOW - dt.timedelta(days=3),
    )
    page = owner_client.get(reverse("absences-create")).text
    assert "Find a client by name, email or phone" in page
    assert "client ids" not in page and "address" not in page.split("Emergency list")[1][:600]
    assert f'name="emergency_client_ids" value="{nina.pk}">' in page  # suggested, not ticked
    assert "Suggested: first visit on 29 Jan" in page


def test_without_javascript_search_reloads_the_form_keeping_what_was_typed_and_ticked(
    owner_client: HttpClient, personas: Personas
) -> None:
    nina = make_client(personas.practice, given_name="Nina", family_name="Adler", email="")
    data = {
        **FORM,
        "practitioner": personas.owner.pk,
        "emergency_client_ids": [nina.pk],
        "emergency_client_ids_q": "07911 123456",
        "emergency_client_ids_search": "1",
    }
    response = owner_client.post(reverse("absences-create"), data)
    assert response.status_code == 200
    page = response.text
    assert 'value="Dr Colin, 020 7946 0000"' in page
    assert f'name="emergency_client_ids" value="{nina.pk}" checked' in page
    assert f'name="emergency_client_ids" value="{personas.client.pk}">' in page  # the match
    assert "ruth@example.org · +44 7911 123456" in page
    assert not Absence.objects.exists()
    # Tick the match too and save: both are on the list.
    saved = owner_client.post(
        reverse("absences-create"),
        {**data, "emergency_client_ids": [nina.pk, personas.client.pk], "save": "1"},
    )
    assert saved.status_code == 302
    absence = Absence.objects.get()
    assert sorted(e.client_id for e in absence.emergency_entries.all()) == sorted(
        [nina.pk, personas.client.pk]
    )


def test_changing_an_absence_lists_its_emergency_list_ticked(
    owner_client: HttpClient, personas: Personas
) -> None:
    absence = plan_absence(personas.actor(), emergency_client_ids=[personas.client.pk])
    page = owner_client.get(reverse("absences-edit", args=[absence.pk])).text
    assert f'name="emergency_client_ids" value="{personas.client.pk}" checked' in page


def test_the_form_with_its_picker_costs_the_same_queries_for_few_or_many_clients(
    owner_client: HttpClient, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    def post() -> str:
        data = {
            **FORM,
            "practitioner": personas.owner.pk,
            "preview": "1",
            "emergency_client_ids_q": "miller",
            "emergency_client_ids": [personas.client.pk],
        }
        return owner_client.post(reverse("absences-create"), data).text

    post()
    with django_assert_max_num_queries(40) as few:
        post()
    for number in range(12):
        client = make_client(
            personas.practice, given_name=f"Sam{number:02d}", primary_practitioner=personas.owner
        )
        make_appointment(
            client,
            personas.owner,
            kind="first_visit",
            status="attended",
            starts_at=NOW - dt.timedelta(days=2),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = post()
    assert page.count("Suggested: first visit") == 12


@pytest.mark.parametrize(
    "odd",
    [
        {"emergency_client_ids": ["9" * 40, "", " , "]},
        {"emergency_client_ids_q": "x" * 5000, "emergency_client_ids_search": "1"},
        {"emergency_client_ids_listed": ["abc", "-1"], "emergency_client_ids_search": "1"},
        {"practitioner": "abc", "first_day": "tomorrow", "emergency_client_ids": ["1,x"]},
    ],
)
def test_odd_input_to_the_form_is_a_page_with_errors_never_a_server_error(
    owner_client: HttpClient, personas: Personas, odd: dict[str, object]
) -> None:
    data = {**FORM, "practitioner": personas.owner.pk, "save": "1", **odd}
    response = owner_client.post(reverse("absences-create"), data)
    assert response.status_code in {200, 302}
    if "emergency_client_ids_search" not in odd:
        assert response.status_code == 200
        assert not Absence.objects.exists()


def test_the_list_puts_each_absence_under_upcoming_cancelled_or_past(
    owner_client: HttpClient, personas: Personas
) -> None:
    """Upcoming ones first (soonest first), then the cancelled ones still to come, then the
    last ten past ones, newest first; another practice's never."""

    def absence(first: dt.date, days: int, **more: object) -> Absence:
        return Absence.objects.create(
            practice=personas.practice,
            practitioner=personas.owner,
            first_day=first,
            last_day=first + dt.timedelta(days=days),
            created_by=personas.owner,
            **more,
        )

    absence(dt.date(2027, 3, 1), 4, private_reason="Conference")
    absence(dt.date(2027, 5, 1), 2, cancelled=True, cancelled_at=NOW)
    absence(dt.date(2026, 8, 1), 10)
    absence(dt.date(2026, 12, 20), 5)
    Absence.objects.create(
        practice=personas.other_practice,
        practitioner=personas.outsider,
        first_day=dt.date(2027, 3, 2),
        last_day=dt.date(2027, 3, 3),
        created_by=personas.outsider,
    )
    page = owner_client.get(reverse("absences-list")).text
    upcoming, rest = page.split("<h2>Cancelled</h2>")
    cancelled, past = rest.split("<h2>Past</h2>")
    assert (
        "Mon, 1 Mar 2027 – Fri, 5 Mar 2027" in upcoming
        and "0 clients" in upcoming
        and "Conference" in upcoming
    )
    assert "1 May – 3 May 2027" in cancelled and "(cancelled 1 Feb)" in cancelled
    assert past.index("20 Dec – 25 Dec 2026") < past.index("1 Aug – 11 Aug 2026")
    assert "Oscar" not in page
