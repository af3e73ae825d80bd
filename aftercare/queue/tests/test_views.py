"""The care queue page, its one-click actions and the care hour walk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from aftercare import clock
from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.practice.models import AuditEvent
from aftercare.queue.tests.factories import NOW, make_care_hour, make_promise, make_task
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def test_the_queue_shows_due_tasks_and_promises_most_valuable_first(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_task(personas.client, title="Low-value note", value=10)
    make_task(personas.client, title="Call after the new remedy", value=90)
    make_promise(personas.client, personas.owner, what="Send the exercises")
    make_task(personas.client, title="Future task", due_at=NOW + dt.timedelta(days=3))
    make_task(personas.client, title="Already done", status=TouchpointStatus.DONE)
    make_task(personas.client, title="Snoozed task", snoozed_until=NOW + dt.timedelta(days=1))
    make_task(personas.other_client, title="Outsider's task")

    page = owner_client.get(reverse("care-queue")).content.decode()

    assert "Call after the new remedy" in page
    assert "Promise: Send the exercises" in page
    assert page.index("Promise: Send the exercises") < page.index("Call after the new remedy")
    assert page.index("Call after the new remedy") < page.index("Low-value note")
    for hidden in ("Future task", "Already done", "Snoozed task", "Outsider&#x27;s task"):
        assert hidden not in page


def test_mine_hides_a_colleagues_client_and_whole_practice_shows_it(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    colleagues_client = make_client(
        personas.practice, given_name="Bea", primary_practitioner=personas.colleague
    )
    make_task(colleagues_client, title="Colin's call")
    assert "Colin&#x27;s call" not in owner_client.get(reverse("care-queue")).content.decode()
    whole = owner_client.get(reverse("care-queue"), {"scope": "practice"}).content.decode()
    assert "Colin&#x27;s call" in whole


@pytest.mark.parametrize("count", [2, 30])
def test_the_queue_costs_a_fixed_number_of_queries(
    owner_client, personas: Personas, django_assert_max_num_queries, count: int
) -> None:  # type: ignore[no-untyped-def]
    for number in range(count):
        client = make_client(personas.practice, given_name=f"C{number}")
        make_task(client)
        make_promise(client, personas.owner)
    # + one each for the absences' "while you were away" and emergency-list sources, and for
    # messaging's unread replies; + the audit of the page read
    with django_assert_max_num_queries(16):  # one query per queue source
        response = owner_client.get(reverse("care-queue"), {"scope": "practice"})
    assert response.content.decode().count('class="card queue-item"') == 2 * count


def test_done_records_who_and_when_and_removes_the_item(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client, title="Ring Ruth")
    response = owner_client.post(
        reverse("care-queue-act"), {"item": f"touchpoint:{task.pk}", "action": "done"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.completed_by, task.completed_at) == ("done", personas.owner, NOW)
    assert AuditEvent.objects.filter(object_id=str(task.pk), summary__startswith="Done").exists()
    assert "Ring Ruth" not in owner_client.get(reverse("care-queue")).content.decode()


def test_with_htmx_done_answers_an_empty_fragment(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client)
    response = owner_client.post(
        reverse("care-queue-act"),
        {"item": f"touchpoint:{task.pk}", "action": "done"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content == b""


def test_snooze_hides_the_item_until_the_start_of_that_day(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client, title="Ring later")
    owner_client.post(
        reverse("care-queue-act"),
        {"item": f"touchpoint:{task.pk}", "action": "snooze", "until": "2026-11-27"},
    )
    task.refresh_from_db()
    assert task.status == "due"
    assert task.snoozed_until == dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.UTC)  # London, winter
    assert "Ring later" not in owner_client.get(reverse("care-queue")).content.decode()
    with clock.at(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)):
        assert "Ring later" in owner_client.get(reverse("care-queue")).content.decode()


def test_snoozing_into_the_past_is_refused_with_a_message_naming_the_field(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client)
    response = owner_client.post(
        reverse("care-queue-act"),
        {"item": f"touchpoint:{task.pk}", "action": "snooze", "until": "2026-11-01"},
        follow=True,
    )
    assert "until: Choose a date in the future" in response.content.decode()
    task.refresh_from_db()
    assert task.snoozed_until is None


def test_skip_needs_a_reason_and_records_it(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client)
    url = reverse("care-queue-act")
    response = owner_client.post(
        url, {"item": f"touchpoint:{task.pk}", "action": "skip"}, follow=True
    )
    assert "reason: Say why you skip it" in response.content.decode()
    task.refresh_from_db()
    assert task.status == "due"
    owner_client.post(
        url, {"item": f"touchpoint:{task.pk}", "action": "skip", "reason": "She called us first"}
    )
    task.refresh_from_db()
    assert (task.status, task.status_reason) == ("skipped", "She called us first")


def test_another_practices_item_is_not_found(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client)
    promise = make_promise(personas.client)
    client.force_login(personas.outsider)
    for item in (f"touchpoint:{task.pk}", f"promise:{promise.pk}", "nonsense", "unknown:1"):
        response = client.post(reverse("care-queue-act"), {"item": item, "action": "done"})
        assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == "due"


def test_the_next_parameter_cannot_send_the_user_elsewhere(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client)
    response = owner_client.post(
        reverse("care-queue-act"),
        {"item": f"touchpoint:{task.pk}", "action": "done", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("care-queue")


def test_the_care_hour_shows_only_what_fits_and_walks_it(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    make_care_hour(personas.owner, personas.client)  # Tuesday 08:00–09:00 London: 45 min left
    big = make_task(personas.client, title="Long review", value=95, estimated_minutes=50)
    first = make_task(personas.client, title="Call Ruth", value=90, estimated_minutes=30)
    second = make_task(personas.client, title="Write a note", value=40, estimated_minutes=15)
    make_task(personas.client, title="Post a card", value=30, estimated_minutes=5)

    page = owner_client.get(reverse("care-hour")).content.decode()
    assert "45 minutes left" in page
    assert "Item 1 of 2" in page
    assert "Call Ruth" in page
    assert "Long review" not in page

    response = owner_client.post(
        reverse("care-queue-act"),
        {"item": f"touchpoint:{first.pk}", "action": "done", "next": "/care/hour/?pos=0"},
    )
    assert response["Location"] == "/care/hour/?pos=0"
    first.refresh_from_db()
    assert first.completed_by == personas.owner
    page = owner_client.get(response["Location"]).content.decode()
    assert "Call Ruth" not in page
    assert "Write a note" in page
    big.refresh_from_db()
    second.refresh_from_db()
    assert big.status == second.status == "due"


def test_the_care_hour_without_any_care_hours_invites_to_set_one(owner_client) -> None:  # type: ignore[no-untyped-def]
    page = owner_client.get(reverse("care-hour")).content.decode()
    assert "You have no care hour yet" in page


def test_care_hours_can_be_added_and_bad_times_are_refused(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("care-hours")
    response = owner_client.post(url, {"weekday": "1", "starts": "09:00", "ends": "08:00"})
    assert response.status_code == 400
    assert "The care hour must end after it starts." in response.content.decode()
    response = owner_client.post(url, {"weekday": "1", "starts": "8am", "ends": "09:00"})
    assert "Enter a time as HH:MM" in response.content.decode()
    assert (
        owner_client.post(url, {"weekday": "1", "starts": "08:00", "ends": "09:00"}).status_code
        == 302
    )
    response = owner_client.post(url, {"weekday": "1", "starts": "08:30", "ends": "09:30"})
    assert "This overlaps your care hour Tuesday 08:00–09:00" in response.content.decode()
    assert personas.owner.care_hours.count() == 1


def test_a_colleague_cannot_remove_my_care_hour(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    hour = make_care_hour(personas.owner, personas.client)
    client.force_login(personas.colleague)
    assert client.post(reverse("care-hours-delete", args=[hour.pk])).status_code == 404
    assert Touchpoint.objects.count() == 0
    hour.refresh_from_db()


def test_an_assistant_sees_the_whole_practice_by_default(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    make_task(personas.client, title="Ring Ruth")  # Ruth's practitioner is the owner
    client.force_login(personas.assistant)
    assert "Ring Ruth" in client.get(reverse("care-queue")).content.decode()


def test_with_htmx_a_refused_action_shows_the_item_again_with_the_message(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    task = make_task(personas.client, title="Ring Ruth")
    response = owner_client.post(
        reverse("care-queue-act"),
        {"item": f"touchpoint:{task.pk}", "action": "skip", "reason": ""},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert fragment.startswith('<li class="card queue-item"')
    assert "Ring Ruth" in fragment
    assert "reason: Say why you skip it" in fragment


def test_the_care_hour_costs_the_same_queries_whatever_the_backlog(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    make_care_hour(personas.owner, personas.client, weekday=1, starts=dt.time(8), ends=dt.time(9))
    make_task(personas.client)
    with django_assert_max_num_queries(20) as small:
        assert owner_client.get(reverse("care-hour")).status_code == 200
    for number in range(120):
        make_task(personas.client, value=number % 90, due_at=NOW - dt.timedelta(hours=number))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get(reverse("care-hour"))
    # 120 tasks of 10 minutes wait; an hour (45 minutes left at 08:15) takes four of them
    assert "4 items fit (40 min)" in response.content.decode()
