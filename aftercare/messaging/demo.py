"""Demo data for messaging: a few sent messages, a flagged check-in answer, an unmatched reply.

Called by ``aftercare demo`` (and ``aftercare up`` on an empty database) after the care engine
planned the demo clients. History is written as it would have happened, each step at its own
moment (``clock.at``), through the same services the worker and the portal use.
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Message, MessageStatus
from aftercare.messaging.services import message_queue
from aftercare.portal.services import Answer, check_in_answer
from aftercare.practice.models import Practice

FLAGGED_ANSWER = "hot sweats and nausea since the new tablets"


def mark_sent(message: Message, at: dt.datetime) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=at, provider_id="preview"
    )


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    candidates = list(
        Client.objects.filter(practice=practice, archived=False, consent_care=True)
        .exclude(email="")
        .select_related("practice", "primary_practitioner")
        .order_by("id")[:200]
    )
    if len(candidates) < 4:
        return
    chosen = rng.sample(candidates, 4)
    flagged, steady, unreachable, unmatched_sender = chosen

    # 1. A check-in sent two days ago, answered yesterday evening: side effects, flagged.
    sent_at = now - dt.timedelta(days=2, hours=3)
    with clock.at(sent_at):
        check_in_message = message_queue(client=flagged, template_key="check_in", channel="email")
    mark_sent(check_in_message, sent_at)
    with clock.at(now - dt.timedelta(hours=15)):
        check_in_answer(
            check_in=check_in_message.check_in,
            answer=Answer(score=4, side_effects=FLAGGED_ANSWER, contact_me=True, free_text=""),
        )

    # 2. A routine check-in and a friendly answer by email.
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
    with clock.at(now - dt.timedelta(days=9)):
        card = message_queue(client=steady, template_key="recall", channel="email")
    mark_sent(card, now - dt.timedelta(days=9))

    # 3. A hard bounce: the address no longer exists, so a person should call.
    with clock.at(now - dt.timedelta(days=1)):
        bounced = message_queue(client=unreachable, template_key="recall", channel="email")
    Message.objects.filter(pk=bounced.pk).update(
        status=MessageStatus.FAILED,
        status_reason=f"Could not reach {bounced.to_address}: mail server said 550 '5.1.1 no such user'",
    )
    Client.objects.filter(pk=unreachable.pk).update(email_unusable=True)

    # 4. A text from a number nobody knows: waits in the unmatched inbox to be assigned.
    with clock.at(now - dt.timedelta(hours=5)):
        receive_inbound(
            channel="sms",
            from_address="+447700900777",
            text=f"Hi, it's {unmatched_sender.given_name}, new phone. Can I move Thursday's appointment?",
            practice=practice,
        )
