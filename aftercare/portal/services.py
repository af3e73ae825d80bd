"""Writes from the client portal: a check-in answer, a request for a new link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from aftercare import clock
from aftercare.messaging.inbound import route_inbound
from aftercare.messaging.models import CheckIn, Direction, Message, MessageStatus
from aftercare.messaging.services import message_queue
from aftercare.messaging.triaging import Triage

NEW_LINK_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Answer:
    score: int | None
    side_effects: str
    contact_me: bool
    free_text: str

    def as_text(self) -> str:
        """How the answer reads in the client's thread."""
        lines = []
        if self.score is not None:
            lines.append(f"How are you doing: {self.score}/10")
        if self.side_effects:
            lines.append(f"Side effects or anything new: {self.side_effects}")
        if self.contact_me:
            lines.append("Please contact me.")
        if self.free_text:
            lines.append(self.free_text)
        return "\n".join(lines) or "(answered without details)"


def previous_score(check_in: CheckIn) -> int | None:
    return (
        CheckIn.objects.filter(
            client_id=check_in.client_id, answered_at__isnull=False, score__isnull=False
        )
        .exclude(pk=check_in.pk)
        .order_by("-answered_at")
        .values_list("score", flat=True)
        .first()
    )


@transaction.atomic
def check_in_answer(*, check_in: CheckIn, answer: Answer) -> Triage | None:
    """Save the answer (opened twice → the same answer updated) and triage it."""
    check_in = (
        CheckIn.objects.select_for_update().select_related("client__practice").get(pk=check_in.pk)
    )
    now = clock.now()
    before = previous_score(check_in)
    check_in.score = answer.score
    check_in.previous_score = before
    check_in.side_effects = answer.side_effects
    check_in.contact_me = answer.contact_me
    check_in.free_text = answer.free_text
    check_in.answered_at = now
    reply = check_in.reply
    if reply is None:
        reply = Message.objects.create(
            practice=check_in.practice,
            client=check_in.client,
            direction=Direction.INBOUND,
            channel="portal",
            subject="Check-in answer",
            text_body=answer.as_text(),
            status=MessageStatus.RECEIVED,
            automated=False,
            in_reply_to=check_in.message,
            created_at=now,
        )
        check_in.reply = reply
    else:
        reply.text_body = answer.as_text()
        reply.save(update_fields=["text_body"])
    check_in.save()
    reply.client = check_in.client
    return route_inbound(
        reply,
        text=answer.free_text,
        score=answer.score,
        previous_score=before,
        side_effects=answer.side_effects,
        contact_me=answer.contact_me,
    )


@transaction.atomic
def check_in_send_new_link(*, check_in: CheckIn) -> Message | None:
    """A fresh link by the same channel as the expired one; at most one an hour."""
    now = clock.now()
    updated = (
        CheckIn.objects.filter(pk=check_in.pk)
        .exclude(new_link_sent_at__gt=now - NEW_LINK_EVERY)
        .update(new_link_sent_at=now)
    )
    if not updated:
        return None
    channel = check_in.message.channel if check_in.message else ""
    return message_queue(
        client=check_in.client,
        template_key="new_link",
        channel=channel,
        in_reply_to=check_in.message,
        details={"replaces_check_in": check_in.pk},
    )
