"""The practice's messaging pages, the care queue items and the client thread."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftercare import clock
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message, WorkerHeartbeat
from aftercare.messaging.services import message_queue
from aftercare.testing import Personas, make_client

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with clock.at(NOW):
        yield NOW


def fill(personas: Personas, count: int) -> None:
    for number in range(count):
        client = make_client(
            personas.practice, given_name=f"Client{number}", email=f"c{number}@example.org"
        )
        message_queue(client=client, template_key="recall")
        receive_inbound(
            channel="sms",
            from_address=f"+4477009{number:05d}",
            text="Who is this?",
            practice=personas.practice,
        )


@pytest.mark.parametrize("count", [2, 25])
def test_the_outbox_and_unmatched_pages_cost_a_fixed_number_of_queries(
    owner_client: Any, personas: Personas, django_assert_max_num_queries: Any, count: int
) -> None:
    fill(personas, count)
    with django_assert_max_num_queries(11):  # + the audit of the page read
        response = owner_client.get("/messages/outbox/")
    assert response.status_code == 200
    assert b"Client1" in response.content
    with django_assert_max_num_queries(8):
        response = owner_client.get("/messages/unmatched/")
    assert response.content.count(b"Who is this?") == count


def test_the_outbox_shows_only_the_practices_own_messages(client: Any, personas: Personas) -> None:
    message_queue(client=personas.client, template_key="recall")
    client.force_login(personas.outsider)
    assert b"Ruth" not in client.get("/messages/outbox/").content


def test_a_stale_worker_shows_a_banner_on_every_page(owner_client: Any, personas: Personas) -> None:
    WorkerHeartbeat.objects.create(
        worker="w1", hostname="h", pid=1, seen_at=NOW - dt.timedelta(minutes=12)
    )
    page = owner_client.get("/messages/outbox/").content.decode()
    assert "No worker has been seen for 12 minutes — messages are not going out." in page
    WorkerHeartbeat.objects.create(
        worker="w2", hostname="h", pid=2, seen_at=NOW - dt.timedelta(seconds=20)
    )
    assert "No worker has been seen" not in owner_client.get("/messages/outbox/").content.decode()


def test_preview_mode_says_nothing_leaves_the_machine(
    owner_client: Any, personas: Personas
) -> None:
    assert (
        "Preview mode: nothing leaves this machine"
        in owner_client.get("/messages/outbox/").content.decode()
    )


def test_the_client_page_shows_the_thread_and_a_reply_goes_through_the_outbox(
    owner_client: Any, personas: Personas
) -> None:
    message_queue(client=personas.client, template_key="check_in")
    receive_inbound(
        channel="email", from_address="ruth@example.org", text="Rash on my arms since Monday"
    )
    page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "Rash on my arms since Monday" in page
    assert "How are you doing, Ruth?" in page
    response = owner_client.post(
        f"/messages/client/{personas.client.pk}/reply/",
        {"body": "Please stop the cream and call me.", "next": f"/clients/{personas.client.pk}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/clients/{personas.client.pk}/"
    reply = Message.objects.get(template_key="personal")
    assert reply.direction == Direction.OUTBOUND and reply.status == "queued"
    assert reply.automated is False and reply.sent_by == personas.owner
    assert reply.text_body.startswith("Please stop the cream and call me.")


def test_an_empty_reply_is_refused_naming_the_field(owner_client: Any, personas: Personas) -> None:
    owner_client.post(f"/messages/client/{personas.client.pk}/reply/", {"body": "  "})
    assert not Message.objects.filter(template_key="personal").exists()


def test_marking_a_flagged_reply_read_takes_it_out_of_the_care_queue(
    owner_client: Any, personas: Personas
) -> None:
    from aftercare.messaging.plugins import flagged_reply_items

    flagged = receive_inbound(
        channel="email",
        from_address="ruth@example.org",
        text="Terrible nausea since the new tablets",
    )
    assert flagged.triage_level == "attention"
    items = flagged_reply_items(personas.actor(), NOW).items
    assert [item.id for item in items] == [f"flagged_reply:{flagged.pk}"]
    response = owner_client.post("/care/queue/act/", {"item": items[0].id, "action": "done"})
    assert response.status_code in {200, 302}
    flagged.refresh_from_db()
    assert flagged.acknowledged_by == personas.owner
    assert flagged_reply_items(personas.actor(), NOW).items == []


def test_the_care_queue_with_flagged_replies_costs_a_fixed_number_of_queries(
    owner_client: Any, personas: Personas, django_assert_max_num_queries: Any
) -> None:
    for number in range(10):
        client = make_client(
            personas.practice, given_name=f"F{number}", email=f"f{number}@example.org"
        )
        receive_inbound(
            channel="email", from_address=f"f{number}@example.org", text="The rash is getting worse"
        )
    # + the unread routine replies' source, + the audit of the page read
    with django_assert_max_num_queries(16):
        response = owner_client.get("/care/")
    assert response.content.decode().count("attention:") >= 10
    assert client.full_name in response.content.decode()
