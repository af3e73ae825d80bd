"""The Today page: appointments, replies waiting (most serious first, with the call link),
promises due, supplies to prepare, the care hour's progress and the next absence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.messaging.models import Direction, Message
from aftercare.practice.models import AuditEvent
from aftercare.queue import items, today
from aftercare.queue.models import QueueAct
from aftercare.queue.selectors import appointments_card
from aftercare.queue.tests.factories import make_care_hour, make_promise, make_task
from aftercare.supplies.models import Supply
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)  # Monday, 14:30 in London


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def inbound(client, text: str, level: str = "routine", reasons=(), **fields):  # type: ignore[no-untyped-def]
    return Message.objects.create(
        practice=client.practice,
        client=client,
        direction=Direction.INBOUND,
        channel="sms",
        from_address=client.phone,
        text_body=text,
        status="received",
        triage_level=level,
        triage_reasons=list(reasons),
        **fields,
    )


def test_progress_words_read_like_a_person_would_say_them() -> None:
    assert today.progress_words(4, 9, 35) == "4 of 9 done, 35 min left"
    assert today.progress_words(9, 9, 0) == "9 of 9 done, time is up"
    assert today.plural(1, "reply", "replies") == "1 reply"
    assert today.plural(2, "reply", "replies") == "2 replies"


def test_an_unknown_scope_is_refused(personas: Personas) -> None:
    with pytest.raises(ValueError, match="scope"):
        today.today_cards(personas.actor(), NOW, "everyone")


def test_sign_in_lands_on_today(owner_client) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("queue-today")


def test_replies_show_the_most_serious_first_with_words_reason_and_call_link(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    inbound(personas.client, "Thanks, the exercises help.")
    crisis = inbound(
        personas.client,
        "I can't go on, I want to end it all.",
        "crisis",
        ["crisis language: 'end it all'"],
    )
    inbound(personas.client, "Bit of a headache since Tuesday", "attention", ["side effects"])
    inbound(personas.other_client, "Outsider's words")

    page = owner_client.get(reverse("queue-today")).content.decode()

    assert page.index("I can&#x27;t go on") < page.index("Bit of a headache")
    assert page.index("Bit of a headache") < page.index("Thanks, the exercises help.")
    assert "Flagged for: crisis language: &#x27;end it all&#x27;" in page
    assert 'href="tel:+447911123456"' in page
    assert page.count('href="tel:') == 1  # only the crisis reply asks for a call
    assert f'value="flagged_reply:{crisis.pk}"' in page
    assert reverse("messaging-conversation", args=[personas.client.pk]) in page
    assert "Outsider" not in page
    assert "3 replies unread" in page


def test_replies_are_counted_up_to_the_bound(
    owner_client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(items, "COUNT_UP_TO", 2)
    for number in range(4):
        inbound(personas.client, f"Reply {number}")
    assert "2+ replies unread" in owner_client.get(reverse("queue-today")).content.decode()


def test_marking_a_reply_read_from_today_counts_for_the_care_hour(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_care_hour(
        personas.owner, personas.client, weekday=0, starts=dt.time(14, 0), ends=dt.time(15, 0)
    )
    reply = inbound(personas.client, "All good", "attention", ["low score"])
    make_task(personas.client, title="Call about the new remedy", estimated_minutes=10)

    response = owner_client.post(
        reverse("care-queue-act"),
        {"item": f"flagged_reply:{reply.pk}", "action": "done", "next": reverse("queue-today")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("queue-today")
    reply.refresh_from_db()
    assert reply.acknowledged_at == NOW
    assert QueueAct.objects.filter(user=personas.owner, action="done").count() == 1
    page = owner_client.get(reverse("queue-today")).content.decode()
    assert "1 of 2 done, 30 min left" in page
    assert "No reply is waiting" in page


def test_appointments_today_and_tomorrow_with_their_state(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    bea = make_client(personas.practice, given_name="Bea", family_name="Stone", email="b@x.org")
    cal = make_client(personas.practice, given_name="Cal", family_name="Reed", email="c@x.org")
    make_appointment(bea, personas.owner, starts_at=NOW - dt.timedelta(hours=2))
    make_appointment(cal, personas.owner, starts_at=NOW + dt.timedelta(days=1))
    make_appointment(
        personas.client, personas.colleague, starts_at=NOW + dt.timedelta(hours=1)
    )  # a colleague's: only in the whole-practice view
    make_appointment(bea, personas.owner, starts_at=NOW + dt.timedelta(days=3))

    page = owner_client.get(reverse("queue-today")).content.decode()

    assert "Bea Stone" in page and "Today 12:30" in page
    assert "Cal Reed" in page and "Tomorrow 14:30" in page
    assert "Mark attended" in page  # Bea's visit has begun and is still marked booked
    assert (
        "Ruth Miller" not in page.split("Appointments today and tomorrow")[1].split("</section>")[0]
    )
    practice = owner_client.get(reverse("queue-today"), {"scope": "practice"}).content.decode()
    assert "with Colin Colleague" in practice


def test_a_practitioner_cannot_widen_today_to_the_practice(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.colleague)
    make_appointment(personas.client, personas.owner, starts_at=NOW + dt.timedelta(hours=1))
    page = client.get(reverse("queue-today"), {"scope": "practice"}).content.decode()
    assert "No appointments today or tomorrow." in page
    assert "Whole practice" not in page


def test_promises_due_today_supplies_to_prepare_and_the_next_absence(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_promise(personas.client, personas.owner, what="Send the sleep diary", due_at=NOW)
    make_promise(
        personas.client,
        personas.owner,
        what="Call back next month",
        due_at=NOW + dt.timedelta(days=30),
    )
    Supply.objects.create(
        practice=personas.practice,
        client=personas.client,
        name="Magnesium compound",
        prepared_by="practice",
        quantity=60,
        daily_dose=2,
        started_on=dt.date(2026, 11, 1),
        status="reorder_requested",
    )
    Absence.objects.create(
        practice=personas.practice,
        practitioner=personas.owner,
        first_day=dt.date(2026, 12, 21),
        last_day=dt.date(2027, 1, 3),
    )

    page = owner_client.get(reverse("queue-today")).content.decode()

    assert "Send the sleep diary" in page
    assert "Call back next month" not in page
    assert "Magnesium compound (supplement)" in page
    assert ">Re-ordered<" in page
    assert "You are away from Monday 21 December to Sunday 3 January" in page
    assert "It will send" in page


def test_today_costs_a_fixed_number_of_queries_and_audits_what_it_showed(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    def grow(count: int) -> None:
        for number in range(count):
            someone = make_client(
                personas.practice,
                given_name=f"C{number}",
                email=f"c{number}@x.org",
                primary_practitioner=personas.owner,
            )
            inbound(someone, "Worse today", "urgent", ["worsening"])
            make_appointment(someone, personas.owner, starts_at=NOW + dt.timedelta(hours=2))
            make_promise(someone, personas.owner, due_at=NOW)
            make_task(someone)

    make_care_hour(
        personas.owner, personas.client, weekday=0, starts=dt.time(14, 0), ends=dt.time(15, 0)
    )
    grow(2)
    with django_assert_max_num_queries(40) as small:
        owner_client.get(reverse("queue-today"))
    grow(25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get(reverse("queue-today"))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(summary__startswith="Opened Today").exists()


def test_an_assistant_sees_the_whole_practice(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.assistant)
    make_appointment(personas.client, personas.owner, starts_at=NOW + dt.timedelta(hours=1))
    page = client.get(reverse("queue-today")).content.decode()
    assert "Ruth Miller" in page


def test_the_appointments_card_lists_the_first_and_counts_the_rest_in_one_query(
    personas: Personas,
) -> None:
    for minutes in range(0, 30 * (today.CARD_LIMIT + 2), 30):
        make_appointment(
            personas.client, personas.owner, starts_at=NOW + dt.timedelta(minutes=minutes)
        )
    actor = personas.actor()
    with CaptureQueriesContext(connection) as queries:
        card = appointments_card(actor, NOW, "mine")
    assert len(queries.captured_queries) == 1
    assert len(card.entries) == today.CARD_LIMIT and card.more == 2
    assert card.entries[0].when == NOW
