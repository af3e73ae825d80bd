"""The inbox (what clients wrote, unread first, filtered) and one client's conversation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.urls import reverse

from aftercare import clock
from aftercare.messaging import inbox
from aftercare.messaging.inbox import oldest_ids_of_each
from aftercare.messaging.models import AwayRouting, Direction, Message
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def inbound(client, text: str, **fields):  # type: ignore[no-untyped-def]
    defaults = {"channel": "sms", "status": "received", "triage_level": "routine"}
    defaults.update(fields)
    return Message.objects.create(
        practice=client.practice,
        client=client,
        direction=Direction.INBOUND,
        from_address=client.phone,
        text_body=text,
        **defaults,
    )


def outbound(client, text: str, **fields):  # type: ignore[no-untyped-def]
    defaults = {"channel": "email", "status": "sent", "to_address": client.email}
    defaults.update(fields)
    return Message.objects.create(
        practice=client.practice,
        client=client,
        direction=Direction.OUTBOUND,
        text_body=text,
        **defaults,
    )


def test_the_inbox_lists_unread_first_and_never_what_we_sent(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    inbound(personas.client, "Old and read", acknowledged_at=NOW - dt.timedelta(days=1))
    inbound(personas.client, "New and unread", created_at=NOW - dt.timedelta(days=2))
    outbound(personas.client, "How are you getting on?")
    inbound(personas.other_client, "Another practice's words")

    page = owner_client.get(reverse("messaging-inbox")).content.decode()

    assert page.index("New and unread") < page.index("Old and read")
    assert "How are you getting on?" not in page
    assert "Another practice" not in page
    assert AuditEvent.objects.filter(summary__startswith="Opened the inbox").exists()


def test_unread_replies_are_counted_up_to_a_bound_and_the_pages_still_join_up(
    owner_client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Past ``UNREAD_COUNTED_UP_TO`` the inbox says "more than", and the pages past the
    bound still show every unread reply, then the read ones, each once."""
    monkeypatch.setattr(inbox, "UNREAD_COUNTED_UP_TO", 3)
    for number in range(5):
        inbound(personas.client, f"Unread {number}", created_at=NOW - dt.timedelta(hours=number))
    for number in range(2):
        inbound(
            personas.client,
            f"Read {number}",
            created_at=NOW - dt.timedelta(days=1, hours=number),
            acknowledged_at=NOW,
        )
    first = inbox.inbox_page(
        personas.actor(), 1, 2, level="", practitioner="", channel="", state=""
    )
    assert first.unread_words == "More than 3 unread"
    shown = []
    for number in range(1, 5):
        page = inbox.inbox_page(
            personas.actor(), number, 2, level="", practitioner="", channel="", state=""
        )
        shown += [message.text_body for message in page]
        assert page.has_next == (number < 4)
    assert shown == [*(f"Unread {n}" for n in range(5)), "Read 0", "Read 1"]
    # A page reaching past the bound counts as far as it reaches (the web page shows 50).
    assert "5 unread" in owner_client.get(reverse("messaging-inbox")).content.decode()
    monkeypatch.setattr(inbox, "UNREAD_COUNTED_UP_TO", 10)
    page = inbox.inbox_page(personas.actor(), 1, 2, level="", practitioner="", channel="", state="")
    assert page.unread_words == "5 unread"


def test_filters_by_triage_level_practitioner_channel_and_state(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    colins = make_client(
        personas.practice,
        given_name="Bea",
        email="bea@x.org",
        primary_practitioner=personas.colleague,
    )
    inbound(personas.client, "Crisis words", triage_level="crisis")
    inbound(colins, "Colin's client by email", channel="email")
    inbox = reverse("messaging-inbox")

    crisis = owner_client.get(inbox, {"level": "crisis"}).content.decode()
    assert "Crisis words" in crisis and "by email" not in crisis
    by_colin = owner_client.get(inbox, {"practitioner": personas.colleague.pk}).content.decode()
    assert "Colin&#x27;s client by email" in by_colin and "Crisis words" not in by_colin
    by_email = owner_client.get(inbox, {"channel": "email"}).content.decode()
    assert "Colin&#x27;s client" in by_email and "Crisis words" not in by_email
    read = owner_client.get(inbox, {"state": "read"}).content.decode()
    assert "No message from a client matches these filters." in read


def test_an_unknown_filter_says_so_instead_of_failing(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    inbound(personas.client, "Still listed")
    response = owner_client.get(reverse("messaging-inbox"), {"level": "panic", "practitioner": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown level “panic”" in page
    assert "Still listed" in page


def test_read_and_unread_per_message(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    message = inbound(personas.client, "Please call me")
    owner_client.post(reverse("messaging-acknowledge", args=[message.pk]), {"next": "/"})
    message.refresh_from_db()
    assert message.acknowledged_by == personas.owner

    owner_client.post(reverse("messaging-unread", args=[message.pk]), {"next": "/"})

    message.refresh_from_db()
    assert message.acknowledged_at is None
    assert AuditEvent.objects.filter(summary="Marked unread").count() == 1


def test_the_conversation_shows_both_directions_and_says_held_in_preview(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    outbound(personas.client, "How are you after the visit?", provider_id="preview")
    inbound(personas.client, "Much better, thank you")
    outbound(
        personas.client,
        "Ruth wrote: crisis words",
        template_key="staff_alert",
        to_address="olivia@riverside.example",
    )

    page = owner_client.get(
        reverse("messaging-conversation", args=[personas.client.pk])
    ).content.decode()

    assert page.index("How are you after the visit?") < page.index("Much better, thank you")
    assert "Held in preview" in page
    assert ">Sent<" not in page
    assert "Staff alert</strong> to olivia@riverside.example, not sent to the client" in page
    assert 'value="sms"' in page and 'value="email"' in page


def test_answering_on_a_chosen_channel_reads_what_the_client_wrote(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    waiting = inbound(personas.client, "Can we talk?")
    url = reverse("messaging-conversation", args=[personas.client.pk])

    response = owner_client.post(
        reverse("messaging-reply", args=[personas.client.pk]),
        {"body": "Of course — I'll call at 4.", "channel": "sms", "next": url},
    )

    assert response["Location"] == url
    sent = Message.objects.get(direction=Direction.OUTBOUND, client=personas.client)
    assert sent.channel == "sms"
    waiting.refresh_from_db()
    assert waiting.acknowledged_at == NOW


def test_a_channel_without_an_address_is_refused_and_nothing_is_queued(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    no_phone = make_client(personas.practice, given_name="Nia", email="nia@x.org", phone="")
    owner_client.post(
        reverse("messaging-reply", args=[no_phone.pk]), {"body": "Hello", "channel": "sms"}
    )
    assert not Message.objects.filter(client=no_phone).exists()
    page = owner_client.get(reverse("messaging-conversation", args=[no_phone.pk])).content.decode()
    assert "cannot be reached by sms" in page


def test_inbox_and_conversation_cost_a_fixed_number_of_queries(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    def grow(count: int) -> None:
        for number in range(count):
            inbound(personas.client, f"Reply {number}", triage_level="attention")
            outbound(personas.client, f"Answer {number}")

    grow(2)
    inbox = reverse("messaging-inbox")
    thread = reverse("messaging-conversation", args=[personas.client.pk])
    with django_assert_max_num_queries(30) as small_inbox:
        owner_client.get(inbox)
    with django_assert_max_num_queries(30) as small_thread:
        owner_client.get(thread)
    grow(30)
    with django_assert_max_num_queries(len(small_inbox.captured_queries)):
        owner_client.get(inbox)
    with django_assert_max_num_queries(len(small_thread.captured_queries)):
        owner_client.get(thread)


def test_the_outbox_holds_only_what_we_send(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    outbound(personas.client, "Your check-in", subject="How are you?", provider_id="preview")
    inbound(personas.client, "A reply from the client")
    page = owner_client.get(reverse("messaging-outbox")).content.decode()
    assert "How are you?" in page
    assert "Held in preview" in page
    assert "A reply from the client" not in page


def test_an_unmatched_reply_is_assigned_with_the_client_picker(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    stray = Message.objects.create(
        practice=personas.practice,
        direction=Direction.INBOUND,
        channel="sms",
        from_address="+447700900777",
        text_body="New phone, it's Ruth",
        status="received",
    )
    page = owner_client.get(reverse("messaging-unmatched")).content.decode()
    assert "Find a client by name, email or phone" in page
    assert "<option" not in page  # no list of every client
    field = f"client_{stray.pk}"

    searched = owner_client.post(
        reverse("messaging-assign", args=[stray.pk]), {f"{field}_q": "ruth", f"{field}_search": "1"}
    )
    results = owner_client.get(searched["Location"]).content.decode()
    assert "ruth@example.org · +44 7911 123456" in results
    assert f'name="{field}" value="{personas.client.pk}"' in results

    owner_client.post(reverse("messaging-assign", args=[stray.pk]), {field: personas.client.pk})
    stray.refresh_from_db()
    assert stray.client == personas.client


def test_a_client_of_another_practice_cannot_be_assigned(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    stray = Message.objects.create(
        practice=personas.practice,
        direction=Direction.INBOUND,
        channel="sms",
        from_address="+447700900777",
        text_body="Hello",
        status="received",
    )
    response = owner_client.post(
        reverse("messaging-assign", args=[stray.pk]),
        {f"client_{stray.pk}": personas.other_client.pk},
    )
    assert response.status_code == 404
    stray.refresh_from_db()
    assert stray.client is None


def test_a_template_is_previewed_for_a_client_chosen_with_the_picker(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    bea = make_client(personas.practice, given_name="Bea", family_name="Stone", email="bea@x.org")
    url = reverse("messaging-template-edit", args=["check_in", "en"])
    page = owner_client.get(url).content.decode()
    assert "Check-in after a visit or a new medication" in page
    assert "Django" not in page and "<select" not in page

    searched = owner_client.post(
        url,
        {
            "subject": "Hi {{ name }}",
            "text": "Edited text",
            "client_q": "stone",
            "client_search": "1",
        },
    ).content.decode()
    assert "Edited text" in searched  # the edit survives the search
    assert f'name="client" value="{bea.pk}"' in searched

    preview = owner_client.post(
        url,
        {"subject": "Hi {{ name }}", "text": "Edited text", "client": bea.pk, "action": "preview"},
    ).content.decode()
    assert "Preview for Bea Stone" in preview
    assert "Email: Hi Bea" in preview


def _plan(rows: Any) -> str:
    """The plan each database makes for ``rows`` (PostgreSQL with sequential scans off: on a
    test's few rows it would scan the table whatever the indexes)."""
    return _plan_of(*rows.query.sql_with_params())


def _plan_of(sql: str, params: Any = None) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(row[3] for row in cursor.fetchall())


def test_a_triage_level_with_no_unread_reply_is_found_empty_through_its_own_index(
    personas: Personas,
) -> None:
    """Each level's part seeks its own rows: through ``message_unread_inbound`` (PostgreSQL) or
    ``message_unread_order`` (SQLite) a level with no unread reply walked every unread reply
    of the practice (10,000 at 100,000 clients)."""
    for number in range(30):
        inbound(personas.client, f"Reply {number}", triage_level="urgent")
    part = Message.objects.filter(
        practice=personas.practice,
        direction=Direction.INBOUND,
        acknowledged_at__isnull=True,
        triage_level="crisis",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")
    plan = _plan(oldest_ids_of_each([part], 100))
    if connection.vendor == "postgresql":  # the small partial index
        assert "message_unread_by_level" in plan, plan
    else:  # SQLite proves no partial index's condition here: the composite one
        # Seeking the level, not walking the practice's unread replies for it.
        seek = "(practice_id=? AND direction=? AND acknowledged_at=? AND triage_level=?)"
        assert f"INDEX message_unread_level_order {seek}" in plan, plan


def test_replies_passed_on_during_an_absence_are_sought_not_found_among_every_unread_one(
    personas: Personas,
) -> None:
    """The care queue's emergency messages (``away_routing`` passed on, unread) are sought in
    ``message_unread_away`` on both databases. Found by the context's key, they were a walk
    through every unread reply of the practice, each one's JSON read (10,000 at 100,000
    clients, a third of the care queue's time on SQLite)."""
    for number in range(30):
        inbound(personas.client, f"Reply {number}")
    passed_on = Message.objects.filter(
        practice=personas.practice,
        direction=Direction.INBOUND,
        acknowledged_at__isnull=True,
        away_routing=AwayRouting.PASSED_ON,
    ).order_by("created_at")[:200]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")
    plan = _plan(passed_on)
    if connection.vendor == "postgresql":
        assert "message_unread_away" in plan, plan
    else:
        seek = "(practice_id=? AND direction=? AND acknowledged_at=? AND away_routing=?)"
        assert f"INDEX message_unread_away {seek}" in plan, plan


def test_flagged_replies_are_counted_a_level_at_a_time_each_in_its_own_index_range(
    personas: Personas,
) -> None:
    """The care queue's flagged replies: their bounded count seeks each level as their rows
    do. Counted together, in one order, SQLite walked every unread reply of the practice
    (``message_unread_order``) looking up each one's level."""
    from django.test.utils import CaptureQueriesContext

    from aftercare.messaging.plugins import flagged_reply_items

    for level in ("urgent", "attention", "routine"):
        for number in range(5):
            inbound(personas.client, f"Reply {number}", triage_level=level)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")
    with CaptureQueriesContext(connection) as queries:
        page = flagged_reply_items(personas.actor(), clock.now(), scope="mine", limit=2, count=3)
    assert (len(page.items), page.total) == (2, 4)  # ten flagged, counted up to three: "3+"
    exact = flagged_reply_items(personas.actor(), clock.now(), scope="mine", limit=2)
    assert exact.total == 10
    plan = _plan_of(queries.captured_queries[-1]["sql"])
    if connection.vendor == "postgresql":
        assert plan.count("message_unread_by_level") >= 6, plan  # rows and count, per level
    else:
        assert "message_unread_order" not in plan, plan
        assert plan.count("triage_level=?") >= 6, plan


def test_unmatched_replies_are_sought_in_their_own_index_not_among_every_reply(
    personas: Personas,
) -> None:
    """The unmatched page: replies no client could be matched to, newest first, through
    ``message_unmatched`` (PostgreSQL may seek NULL in the client index instead). Through
    (practice, direction, created_at), SQLite walked every reply of the practice checking its
    client (30 ms at 100,000 clients)."""
    for number in range(30):
        inbound(personas.client, f"Reply {number}")
    unmatched = Message.objects.filter(
        practice=personas.practice, direction=Direction.INBOUND, client__isnull=True
    ).order_by("-created_at")[:50]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")
    plan = _plan(unmatched)
    if connection.vendor == "postgresql":  # this index, or the client's own, sought for NULL
        assert "message_unmatched" in plan or "Index Cond: (client_id IS NULL)" in plan, plan
    else:
        assert "message_unmatched" in plan, plan
