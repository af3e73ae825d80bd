"""Demo data for the portal: clients who answered their check-in through its page.

One answer reports side effects and is flagged for the practitioner (it tops the care queue);
one is a friendly "sleeping better", which the practitioner answers by SMS — link-only, so the
text says there is a message and the client reads it on the portal's message page. Each
check-in is sent through the outbox first, then answered at its own moment (``clock.at``),
through the same service the check-in page uses.
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.messaging.demo import mark_sent
from aftercare.messaging.services import message_queue
from aftercare.portal.services import Answer, check_in_answer
from aftercare.practice.models import Practice

FLAGGED_ANSWER = "hot sweats and nausea since the new tablets"
REPLY_BY_SMS = (
    "Dear {name}, glad you are sleeping better. Keep taking the magnesium an hour before bed "
    "for another month, and tell me if the headaches come back."
)


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    candidates = list(
        Client.objects.filter(practice=practice, archived=False, consent_care=True)
        .exclude(email="")
        .select_related("practice", "primary_practitioner")
        .order_by("id")[:200]
    )
    if len(candidates) < 2:
        return
    flagged, steady = rng.sample(candidates, 2)

    # A check-in sent two days ago, answered yesterday evening: side effects, flagged.
    sent_at = now - dt.timedelta(days=2, hours=3)
    with clock.at(sent_at):
        check_in_message = message_queue(client=flagged, template_key="check_in", channel="email")
    mark_sent(check_in_message, sent_at)
    with clock.at(now - dt.timedelta(hours=15)):
        check_in_answer(
            check_in=check_in_message.check_in,
            answer=Answer(score=4, side_effects=FLAGGED_ANSWER, contact_me=True, free_text=""),
        )

    # A routine check-in and a friendly answer by email.
    sent_at = now - dt.timedelta(days=5)
    with clock.at(sent_at):
        routine = message_queue(client=steady, template_key="check_in", channel="email")
    mark_sent(routine, sent_at)
    with clock.at(sent_at + dt.timedelta(hours=6)):
        check_in_answer(
            check_in=routine.check_in,
            answer=Answer(
                score=8,
                side_effects="none",
                contact_me=False,
                free_text="Sleeping better, thank you!",
            ),
        )

    # The practitioner's answer, by SMS: link-only, so the client reads it on the portal.
    if steady.phone:
        answered_at = sent_at + dt.timedelta(days=1)
        with clock.at(answered_at):
            reply = message_queue(
                client=steady,
                template_key="personal",
                channel="sms",
                automated=False,
                sent_by=steady.primary_practitioner,
                details={
                    "subject": "Sleeping better",
                    "body": REPLY_BY_SMS.format(name=steady.name_to_use),
                },
            )
        mark_sent(reply, answered_at)
