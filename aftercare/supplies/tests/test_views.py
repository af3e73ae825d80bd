from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.supplies.models import Supply
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


def test_running_out_lists_supplies_within_the_days_asked_for(
    owner_client: HttpClient, personas: Personas
) -> None:
    actor = personas.actor()
    add_supply(actor, personas.client, name="Soon", started_on=dt.date(2026, 10, 20))
    add_supply(actor, personas.client, name="Later", started_on=dt.date(2026, 12, 20))
    response = owner_client.get(reverse("supplies-running-out") + "?days=14")
    assert response.status_code == 200
    assert "Soon" in response.text
    assert "Later" not in response.text
    response = owner_client.get(reverse("supplies-running-out") + "?days=90")
    assert "Later" in response.text


def test_running_out_shows_the_order_by_day_moved_for_an_absence(
    owner_client: HttpClient, personas: Personas
) -> None:
    Absence.objects.create(
        practice=personas.practice,
        practitioner=personas.owner,
        first_day=dt.date(2027, 1, 18),
        last_day=dt.date(2027, 2, 7),
    )
    # 90 capsules from 6 Nov run out on 4 Feb, inside the absence.
    add_supply(personas.actor(), personas.client, started_on=dt.date(2026, 11, 6))
    response = owner_client.get(reverse("supplies-running-out") + "?days=30")
    assert "order by 4 Jan" in response.text
    assert "moved for an absence" in response.text


def test_running_out_shows_what_really_happened_not_what_the_projection_hoped(
    owner_client: HttpClient, personas: Personas
) -> None:
    care_setup_practice(practice=personas.practice)
    supply = add_supply(personas.actor(), personas.client, started_on=dt.date(2026, 10, 20))
    reconcile_client(personas.client)
    first = (
        Touchpoint.objects.filter(client=personas.client, kind="reorder_reminder")
        .order_by("due_at")
        .first()
    )
    assert first is not None
    # The first reminder never went: its day passed while the worker was down.
    Touchpoint.objects.filter(pk=first.pk).update(
        status="expired", status_reason="More than 7 days late: the worker was not running."
    )
    text = owner_client.get(reverse("supplies-running-out") + "?days=30").text
    assert "Reminder not sent" in text and "the worker was not running" in text
    assert "Call the client planned for" in text
    assert supply.name in text


def test_running_out_refuses_a_days_value_it_cannot_read(owner_client: HttpClient) -> None:
    response = owner_client.get(reverse("supplies-running-out") + "?days=soon")
    assert response.status_code == 400
    assert "days: give a whole number" in response.text


def test_running_out_costs_the_same_queries_for_many_supplies(
    owner_client: HttpClient, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    care_setup_practice(practice=personas.practice)
    actor = personas.actor()
    url = reverse("supplies-running-out") + "?days=30"

    def add_running_out(count: int) -> None:
        for number in range(count):
            client = make_client(
                personas.practice, given_name=f"C{number}", primary_practitioner=personas.owner
            )
            add_supply(actor, client, started_on=dt.date(2026, 10, 20))
            reconcile_client(client)  # the re-order steps the page shows

    add_running_out(1)
    owner_client.get(url)  # the session's once-a-minute write out of the way
    with CaptureQueriesContext(connection) as one:
        assert owner_client.get(url).text.count("Mark re-ordered") == 1
    add_running_out(14)
    with django_assert_max_num_queries(9):  # + what the care engine planned for them
        response = owner_client.get(url)
    assert response.text.count("Mark re-ordered") == 15
    assert response.text.count("Call the client planned for") == 15
    with CaptureQueriesContext(connection) as fifteen:
        owner_client.get(url)
    assert len(fifteen) == len(one), [query["sql"] for query in fifteen]


def test_running_out_escapes_what_clients_and_practitioners_typed(
    owner_client: HttpClient, personas: Personas
) -> None:
    """The rows are written in Python (``supplies.rows``): every value must be escaped."""
    care_setup_practice(practice=personas.practice)
    client = make_client(
        personas.practice,
        given_name="<script>alert(1)</script>",
        family_name="O'Neil & Co",
        primary_practitioner=personas.owner,
    )
    add_supply(
        personas.actor(),
        client,
        name='Drops "<b>strong</b>"',
        unit="ml <i>",
        started_on=dt.date(2026, 10, 20),
    )
    reconcile_client(client)
    Touchpoint.objects.filter(client=client, kind="reorder_reminder").update(
        status="expired", status_reason="Late: <img src=x onerror=alert(2)>"
    )
    text = owner_client.get(reverse("supplies-running-out") + "?days=30").text
    assert "<script>alert(1)" not in text and "<b>strong" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Neil &amp; Co" in text
    assert "Drops &quot;&lt;b&gt;strong&lt;/b&gt;&quot;" in text
    assert "(supplement, 1 ml &lt;i&gt; a day)" in text
    assert "— Late: &lt;img src=x onerror=alert(2)&gt;" in text
    # The page's own address, as the form's way back, escaped too.
    text = owner_client.get(reverse("supplies-running-out") + '?days=30&x="><b>').text
    assert 'name="next" value="/supplies/running-out/?days=30&amp;x=%22%3E%3Cb%3E"' in text


def test_running_out_leaves_out_archived_clients_supplies_from_the_list_and_its_count(
    owner_client: HttpClient, seven_running_out: list[str]
) -> None:
    Client.objects.filter(supplies__name__in=seven_running_out[:2]).update(archived=True)
    text = owner_client.get(reverse("supplies-running-out") + "?days=30").text
    assert "5 supplies run out in the next 30 days; showing 1–3, soonest first." in text
    assert "Remedy0" not in text and "Remedy2" in text
    assert "Page 1 of 2" in text


@pytest.fixture
def seven_running_out(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Seven supplies running out a day apart (soonest first), three to a page."""
    from aftercare.supplies import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    actor = personas.actor()
    names = []
    for number in range(7):
        client = make_client(
            personas.practice, given_name=f"C{number}", primary_practitioner=personas.owner
        )
        name = f"Remedy{number}"
        add_supply(actor, client, name=name, started_on=dt.date(2026, 10, 20 + number))
        names.append(name)
    return names


def test_running_out_shows_the_soonest_first_a_page_at_a_time(
    owner_client: HttpClient, seven_running_out: list[str]
) -> None:
    url = reverse("supplies-running-out") + "?days=30"
    first = owner_client.get(url).text
    assert "7 supplies run out in the next 30 days; showing 1–3, soonest first." in first
    assert [name in first for name in seven_running_out] == [True] * 3 + [False] * 4
    assert first.index("Remedy0") < first.index("Remedy1") < first.index("Remedy2")
    assert "Page 1 of 3" in first and 'href="?days=30&amp;page=2" rel="next"' in first
    assert "Previous" not in first
    last = owner_client.get(url + "&page=3").text
    assert "showing 7–7" in last and "Remedy6" in last and "Remedy5" not in last
    assert 'href="?days=30&amp;page=2" rel="prev"' in last and "Next" not in last
    assert 'href="?days=30&amp;page=1">« First' in last


def test_running_out_reads_an_unreadable_page_number_as_the_first_and_404s_past_the_last(
    owner_client: HttpClient, seven_running_out: list[str]
) -> None:
    url = reverse("supplies-running-out") + "?days=30&page="
    for page in ("abc", "0", "-2"):
        response = owner_client.get(url + page)
        assert response.status_code == 200
        assert "Page 1 of 3" in response.text
    response = owner_client.get(url + "4")
    assert response.status_code == 404
    assert "There is no page 4: the list has 3 pages. Showing the first page." in response.text
    assert "Page 1 of 3" in response.text


def test_running_out_costs_the_same_queries_on_every_page(
    owner_client: HttpClient, seven_running_out: list[str]
) -> None:
    url = reverse("supplies-running-out") + "?days=30"
    owner_client.get(url)  # the session's once-a-minute write out of the way
    counts = []
    for page in ("1", "2", "3"):
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(f"{url}&page={page}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2] <= 9, counts


def test_running_out_says_when_nothing_runs_out(owner_client: HttpClient) -> None:
    response = owner_client.get(reverse("supplies-running-out") + "?days=3")
    assert response.status_code == 200
    assert "Nothing runs out in the next 3 days." in response.text
    assert "pagination" not in response.text


def test_adding_a_supply_from_the_web_derives_its_run_out_day(
    owner_client: HttpClient, personas: Personas
) -> None:
    response = owner_client.post(
        reverse("supplies-create", args=[personas.client.pk]),
        {
            "name": "Vitamin D",
            "kind": "supplement",
            "prepared_by": "client",
            "quantity": "60",
            "unit": "drops",
            "daily_dose": "2",
            "every_days": "1",
            "started_on": "2027-01-10",
            "lead_time_days": "2",
            "status": "active",
        },
    )
    assert response.status_code == 302
    supply = Supply.objects.get(name="Vitamin D")
    assert supply.runs_out_on == dt.date(2027, 2, 9)


def test_a_zero_dose_from_the_web_is_refused_and_nothing_is_saved(
    owner_client: HttpClient, personas: Personas
) -> None:
    response = owner_client.post(
        reverse("supplies-create", args=[personas.client.pk]),
        {
            "name": "X",
            "kind": "remedy",
            "prepared_by": "practice",
            "quantity": "-1",
            "unit": "g",
            "daily_dose": "0",
            "every_days": "1",
            "started_on": "2027-01-10",
            "lead_time_days": "0",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "The dose must be more than zero." in response.text
    assert "The quantity cannot be negative." in response.text
    assert not Supply.objects.exists()


def test_editing_and_marking_re_ordered(owner_client: HttpClient, personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    response = owner_client.get(reverse("supplies-edit", args=[supply.pk]))
    assert response.status_code == 200
    assert "Magnesium citrate" in response.text
    response = owner_client.post(
        reverse("supplies-status", args=[supply.pk]),
        {"status": "reordered", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/")
    supply.refresh_from_db()
    assert supply.status == "reordered"


def test_another_practices_supply_is_not_found(client: HttpClient, personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    client.force_login(personas.outsider)
    assert client.get(reverse("supplies-edit", args=[supply.pk])).status_code == 404
    assert (
        client.post(reverse("supplies-status", args=[supply.pk]), {"status": "stopped"}).status_code
        == 404
    )
    assert client.get(reverse("supplies-create", args=[personas.client.pk])).status_code == 404
    assert "Magnesium" not in client.get(reverse("supplies-running-out") + "?days=365").text


def test_a_reorder_link_expires_after_60_days_and_says_so(personas) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.test import Client as WebClient

    from aftercare import clock
    from aftercare.supplies.reorder_link import reorder_url
    from aftercare.supplies.tests.factories import add_supply

    sent = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    supply = add_supply(personas.actor(), personas.client)
    with clock.at(sent):
        path = reorder_url(supply.pk, supply.started_on).split("care.example.org")[-1]
        path = path[path.index("/supplies/") :]
    with clock.at(sent + dt.timedelta(days=59)):
        assert WebClient().get(path).status_code == 200
    with clock.at(sent + dt.timedelta(days=61)):
        expired = WebClient().get(path)
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()


def test_unsubscribe_links_last_a_year_and_a_month() -> None:
    import datetime as dt

    from aftercare.links import REORDER_MAX_AGE, UNSUBSCRIBE_MAX_AGE

    assert dt.timedelta(days=365) < UNSUBSCRIBE_MAX_AGE <= dt.timedelta(days=400)
    assert dt.timedelta(days=60) == REORDER_MAX_AGE


def test_a_start_in_year_9999_from_the_web_is_refused_and_nothing_is_saved(
    owner_client: HttpClient, personas: Personas
) -> None:
    response = owner_client.post(
        reverse("supplies-create", args=[personas.client.pk]),
        {
            "name": "Arnica C30",
            "kind": "remedy",
            "prepared_by": "practice",
            "quantity": "80",
            "unit": "globules",
            "daily_dose": "3",
            "every_days": "1",
            "started_on": "9999-12-31",
            "lead_time_days": "0",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "A supply&#x27;s start can be at most 1 year ahead" in response.text
    assert not Supply.objects.exists()
