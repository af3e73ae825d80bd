"""What messaging shows on the Today page: the replies waiting for a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from aftercare.messaging.inbox import (
    CALL_LEVELS,
    client_words,
    conversation_url,
    most_serious_waiting,
    triage_words,
)
from aftercare.messaging.models import TriageLevel
from aftercare.queue import items, today


def replies_waiting_card(actor: Any, now: dt.datetime, scope: str) -> today.TodayCard:
    """Replies waiting for a person, the most serious first, each with the client's words (one
    query). Urgent and crisis replies show the client's phone as a tap-to-call link."""
    shown, total = most_serious_waiting(actor, scope, today.CARD_LIMIT)
    next_url = reverse("queue-today")
    entries = []
    for message in shown:
        client = message.client
        level = message.triage_level or TriageLevel.ROUTINE
        kind = "flagged_reply" if message.is_flagged else "reply"
        entries.append(
            today.TodayEntry(
                title=client.full_name,
                client_id=client.pk,
                detail=client_words(message),
                note=triage_words(message),
                when=message.created_at,
                urgency=level,
                phone=client.phone if level in CALL_LEVELS else "",
                phone_label=client.phone_display if level in CALL_LEVELS else "",
                action=today.TodayAction("Answer", conversation_url(client.pk)),
                secondary=today.TodayAction(
                    "Mark read",
                    reverse("care-queue-act"),
                    method="post",
                    fields={"item": f"{kind}:{message.pk}", "action": "done", "next": next_url},
                ),
            )
        )
    return today.TodayCard(
        key="replies",
        title="Replies waiting for you" if scope == "mine" else "Replies waiting",
        entries=tuple(entries),
        order=10,
        summary=f"{items.count_words(total)} {'reply' if total == 1 else 'replies'} unread"
        if total
        else "",
        empty_text="No reply is waiting. Every client who wrote has been read.",
        more=items.count_words(total, less=len(shown)) if total > len(shown) else 0,
        link=today.TodayAction("Inbox", reverse("messaging-inbox")),
    )
