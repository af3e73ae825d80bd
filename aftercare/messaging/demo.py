"""Demo data for messaging: a recall sent, a bounced address to call about, an unmatched reply.

Called by ``aftercare demo`` (and ``aftercare up`` on an empty database) after the care engine
planned the demo clients. History is written as it would have happened, each step at its own
moment (``clock.at``), through the same services the worker uses. The check-in answers
clients gave are the portal's demo (they answer through its pages).
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Message, MessageStatus
from aftercare.messaging.services import message_queue
from aftercare.practice.models import Membership, Practice


def mark_sent(message: Message, at: dt.datetime) -> None:
    """Record ``message`` as sent at ``at`` by the preview outbox (history, not a real send)."""
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
    if len(candidates) < 3:
        return
    steady, unreachable, unmatched_sender = rng.sample(candidates, 3)

    with clock.at(now - dt.timedelta(days=9)):
        card = message_queue(client=steady, template_key="recall", channel="email")
    mark_sent(card, now - dt.timedelta(days=9))

    # A recall card last week.
    # A hard bounce: the address no longer exists, so a person should call.
    with clock.at(now - dt.timedelta(days=1)):
        bounced = message_queue(client=unreachable, template_key="recall", channel="email")
    Message.objects.filter(pk=bounced.pk).update(
        status=MessageStatus.FAILED,
        status_reason=f"Could not reach {bounced.to_address}: mail server said 550 '5.1.1 no such user'",
    )
    Client.objects.filter(pk=unreachable.pk).update(email_unusable=True)

    # A text from a number nobody knows: waits in the unmatched inbox to be assigned.
    with clock.at(now - dt.timedelta(hours=5)):
        receive_inbound(
            channel="sms",
            from_address="+447700900777",
            text=f"Hi, it's {unmatched_sender.given_name}, new phone. Can I move Thursday's appointment?",
            practice=practice,
        )

    # Replies waiting on the owner's Today: a crisis text (triaged by the real word lists, so
    # the owner sees it first with a call link), a side effect, and a thank-you.
    owner = (
        Membership.objects.filter(practice=practice, role="owner")
        .values_list("user_id", flat=True)
        .first()
    )
    owners_clients = [
        c
        for c in candidates
        if c.primary_practitioner_id == owner
        and c.phone
        and c.pk not in {steady.pk, unreachable.pk, unmatched_sender.pk}
    ]
    replies = [
        (
            now - dt.timedelta(minutes=40),
            "I can't cope anymore. Some nights I just want to end it all.",
        ),
        (now - dt.timedelta(hours=3), "Since the new tablets I've had a rash and feel dizzy."),
        (now - dt.timedelta(hours=20), "Thank you, the breathing exercises really help."),
    ]
    for client, (at, text) in zip(owners_clients, replies, strict=False):
        with clock.at(at):
            receive_inbound(channel="sms", from_address=client.phone, text=text, practice=practice)
