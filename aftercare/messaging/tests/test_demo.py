from __future__ import annotations

import datetime as dt
import random

from aftercare.messaging.demo import DEMO_TEMPLATE, add_demo_data
from aftercare.messaging.models import Direction, Message, MessageKind, MessageTemplate
from aftercare.messaging.plugins import unreachable_items
from aftercare.messaging.services import template_check
from aftercare.testing import Personas, make_client

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def test_the_demo_has_a_bounced_address_to_call_about_and_an_unmatched_text(
    personas: Personas,
) -> None:
    for number in range(5):
        make_client(
            personas.practice,
            given_name=f"Demo{number}",
            email=f"d{number}@example.org",
            phone=f"+4479111234{number:02d}",
            primary_practitioner=personas.owner,
        )
    add_demo_data(personas.practice, rng=random.Random(3), now=NOW)
    assert Message.objects.filter(direction=Direction.OUTBOUND, status="sent").count() >= 1
    assert len(unreachable_items(personas.actor(), NOW).items) == 1
    assert Message.objects.filter(direction=Direction.INBOUND, client=None).count() == 1
    # The bounce came back through the inbound path and is on the client's thread.
    bounce = Message.objects.get(kind=MessageKind.BOUNCE)
    assert bounce.client is not None and bounce.client.email_unusable
    # A Gmail reply with a photo: only the new text, the photo kept, flagged for a person.
    reply = Message.objects.get(kind=MessageKind.REPLY, channel="email")
    assert reply.text_body.startswith("Thanks for the reminder.")
    assert "wrote:" not in reply.text_body
    assert reply.attachment_summary == "sent a photo"
    assert reply.triage_level == "attention"
    # An out-of-office answer: kept, not triaged, no acknowledgement back to it.
    away = Message.objects.get(kind=MessageKind.AUTO_REPLY)
    assert away.triage_level == ""
    assert not Message.objects.filter(in_reply_to=away).exists()
    # Replies waiting on the owner's Today, triaged by the real word lists.
    levels = set(
        Message.objects.filter(direction=Direction.INBOUND, client__isnull=False).values_list(
            "triage_level", flat=True
        )
    )
    assert "crisis" in levels


def test_the_demo_practice_has_a_template_of_its_own_that_checks(personas: Personas) -> None:
    add_demo_data(personas.practice, rng=random.Random(3), now=NOW)
    row = MessageTemplate.objects.get(practice=personas.practice, key=DEMO_TEMPLATE["key"])
    assert row.name == "Winter wellbeing note"
    assert template_check({"subject": row.subject, "text": row.text, "sms": row.sms}) == []
