"""Today's replies card: the most serious waiting replies and how many wait, in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare import clock
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.today import replies_waiting_card
from aftercare.queue import today
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def test_the_card_reads_the_replies_and_their_count_in_one_query(personas: Personas) -> None:
    levels = ["routine"] * (today.CARD_LIMIT + 1) + ["crisis", "attention"]
    for number, level in enumerate(levels):
        Message.objects.create(
            practice=personas.practice,
            client=personas.client,
            direction=Direction.INBOUND,
            channel="sms",
            from_address=personas.client.phone,
            text_body=f"Reply {number}",
            status="received",
            triage_level=level,
        )
    actor = personas.actor()
    with CaptureQueriesContext(connection) as queries:
        card = replies_waiting_card(actor, clock.now(), "practice")
    assert len(queries.captured_queries) == 1
    assert card.summary == f"{len(levels)} replies unread"
    assert card.more == str(len(levels) - today.CARD_LIMIT)  # counted words: "3", or "980+"
    assert [entry.urgency for entry in card.entries[:3]] == ["crisis", "attention", "routine"]
    assert card.entries[0].phone == personas.client.phone  # a crisis shows the call link
    assert card.entries[2].detail == "Reply 0"  # the oldest routine reply first


def test_with_no_reply_waiting_the_card_says_so(personas: Personas) -> None:
    card = replies_waiting_card(personas.actor(), clock.now(), "mine")
    assert card.entries == () and card.summary == "" and card.more == 0
