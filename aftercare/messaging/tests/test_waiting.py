"""A client who wrote waits for a person: their reply is unread until read, and nothing
automated asks them anything until then."""

from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Message
from aftercare.messaging.plugins import unread_reply_items
from aftercare.messaging.services import message_acknowledge, message_queue, message_reply
from aftercare.messaging.waiting import no_question_while_unread
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

VISIT = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)  # Monday
WROTE = dt.datetime(2026, 11, 19, 18, 0, tzinfo=dt.UTC)  # Thursday evening
FRIDAY = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def attended(personas: Personas) -> Personas:
    """Ruth's first visit on Monday: a check-in is planned for Thursday 09:00."""
    care_setup_practice(practice=personas.practice)
    appointment = personas.appointment
    appointment.kind, appointment.status = "first_visit", "attended"
    appointment.starts_at, appointment.ends_at = VISIT, VISIT + dt.timedelta(minutes=50)
    appointment.save()
    return personas


def check_in_of(personas: Personas) -> Touchpoint:
    return Touchpoint.objects.get(client=personas.client, kind="check_in")


def test_a_routine_reply_waits_in_the_queue_until_someone_reads_it(personas: Personas) -> None:
    with clock.at(WROTE):
        reply = receive_inbound(
            channel="email", from_address=personas.client.email, text="Thanks, all good!"
        )
    [item] = unread_reply_items(personas.actor(), FRIDAY).items
    assert item.title == "Read Ruth Miller's reply" and item.reason == "Thanks, all good!"
    assert item.urgency == "routine" and item.done_label == "Read"
    with clock.at(FRIDAY):
        message_acknowledge(actor=personas.actor(), message=reply)
    assert unread_reply_items(personas.actor(), FRIDAY).items == []


def test_answering_the_client_reads_everything_they_wrote_before(personas: Personas) -> None:
    with clock.at(WROTE):
        for text in ("Hello", "Are you there?"):
            receive_inbound(channel="email", from_address=personas.client.email, text=text)
    with clock.at(FRIDAY):
        message_reply(actor=personas.actor(), client=personas.client, body="Yes, here I am.")
    assert unread_reply_items(personas.actor(), FRIDAY).items == []
    assert not Message.objects.filter(direction="in", acknowledged_at__isnull=True).exists()


def test_an_automated_check_in_waits_while_the_clients_own_message_is_unread(
    attended: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    personas = attended
    reconcile_client(personas.client.pk, now=dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC))
    planned = check_in_of(personas).due_at
    assert planned == dt.datetime(2026, 11, 19, 9, 0, tzinfo=dt.UTC)
    # She wrote on Wednesday evening, before it went; nobody has read it yet.
    with (
        clock.at(dt.datetime(2026, 11, 18, 19, 0, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reply = receive_inbound(
            channel="email", from_address=personas.client.email, text="Can I take it with food?"
        )
    held = check_in_of(personas)
    assert held.due_at == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)  # a day on, at 09:00
    assert held.held_back_reason.startswith("Waits: the client wrote on Wed 18 Nov 19:00")
    # Read (and answered) on Thursday morning: the check-in goes again as planned.
    with (
        clock.at(dt.datetime(2026, 11, 19, 8, 0, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message_acknowledge(actor=personas.actor(), message=reply)
    assert check_in_of(personas).due_at == planned


def test_the_worker_holds_an_automated_question_queued_before_the_client_wrote(
    personas: Personas,
) -> None:
    with clock.at(WROTE):
        queued = message_queue(client=personas.client, template_key="check_in")
        receive_inbound(channel="email", from_address=personas.client.email, text="Question...")
    verdict = no_question_while_unread(queued, FRIDAY)
    assert verdict is not None and verdict.action == "reschedule"
    assert verdict.until == FRIDAY + dt.timedelta(days=1)
    # A birthday card asks nothing: it goes.
    card = message_queue(client=personas.client, template_key="birthday_card", purpose="care")
    assert no_question_while_unread(card, FRIDAY) is None


def test_a_questionnaire_waits_too_while_the_clients_message_is_unread(personas: Personas) -> None:
    with clock.at(WROTE):
        queued = message_queue(client=personas.client, template_key="measure_phq9")
        receive_inbound(channel="email", from_address=personas.client.email, text="Question...")
    verdict = no_question_while_unread(queued, FRIDAY)
    assert verdict is not None and verdict.action == "reschedule"
