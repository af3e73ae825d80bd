from __future__ import annotations

import datetime as dt
import random

from aftercare.messaging.models import Direction, Message
from aftercare.messaging.plugins import flagged_reply_items
from aftercare.portal.demo import FLAGGED_ANSWER, add_demo_data
from aftercare.testing import Personas, make_client

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def test_the_demo_puts_the_side_effects_answer_at_the_top_of_the_care_queue(
    personas: Personas,
) -> None:
    for number in range(5):
        make_client(
            personas.practice,
            given_name=f"Demo{number}",
            email=f"d{number}@example.org",
            primary_practitioner=personas.owner,
        )
    add_demo_data(personas.practice, rng=random.Random(3), now=NOW)
    flagged = flagged_reply_items(personas.actor(), NOW).items
    assert [item.title for item in flagged] == ["attention: side effects"]
    assert FLAGGED_ANSWER in Message.objects.get(pk=int(flagged[0].object_id)).text_body
    sent = Message.objects.filter(direction=Direction.OUTBOUND, status="sent")
    assert sent.count() == 3
    # The practitioner's answer by SMS is link-only: the magnesium is only behind the link.
    by_sms = sent.get(channel="sms")
    assert "magnesium" not in by_sms.text_body and "/p/m/" in by_sms.text_body
    assert "magnesium" in by_sms.portal_text
