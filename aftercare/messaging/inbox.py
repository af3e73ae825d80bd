"""Reads for the inbox: replies waiting for a person, the inbox list and one client's conversation.

The inbox holds what clients wrote (inbound messages); the outbox what we send. Both are
``Message`` rows told apart by ``direction``. "Unread" means no person has read the message yet
(``acknowledged_at`` is empty): reading it in the inbox, the care queue or Today, or answering
the client, marks it read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse

from aftercare.messaging.models import Direction, Message, TriageLevel

# Most serious first: crisis, urgent, attention, then routine (and untriaged) replies.
SERIOUSNESS = Case(
    When(triage_level=TriageLevel.CRISIS, then=Value(3)),
    When(triage_level=TriageLevel.URGENT, then=Value(2)),
    When(triage_level=TriageLevel.ATTENTION, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
CALL_LEVELS = {TriageLevel.URGENT, TriageLevel.CRISIS}
WORDS_SHOWN = 280


def client_words(message: Message, limit: int = WORDS_SHOWN) -> str:
    """The client's own words, on one line, cut at ``limit`` characters."""
    words = " ".join((message.text_body or message.subject).split())
    return (words[:limit].rstrip() + "…") if len(words) > limit else words


def triage_words(message: Message) -> str:
    """Why the reply was flagged, in words: "Flagged for: crisis language: 'end it all'"."""
    reasons = [str(reason) for reason in (message.triage_reasons or []) if reason]
    if not reasons:
        return ""
    return "Flagged for: " + "; ".join(reasons)[:300]


def conversation_url(client_id: int) -> str:
    return reverse("messaging-conversation", args=[client_id])


def waiting_replies(actor: Any, scope: str) -> QuerySet[Message]:
    """Unread inbound messages of the actor's practice from known clients, most serious first."""
    rows = Message.objects.filter(
        practice=actor.practice,
        direction=Direction.INBOUND,
        client__isnull=False,
        acknowledged_at__isnull=True,
    )
    if scope == "mine":
        rows = rows.filter(
            Q(client__primary_practitioner=actor.user) | Q(client__primary_practitioner=None)
        )
    return rows.annotate(seriousness=SERIOUSNESS).order_by("-seriousness", "created_at", "id")


def status_words(message: Message) -> str:
    """What became of a message, in words: never "Sent" for one the preview outbox kept."""
    if message.direction == Direction.INBOUND:
        return "Read" if message.acknowledged_at else "Unread"
    if message.provider_id == "preview" and message.status in {"sent", "delivered"}:
        return "Held in preview"
    if message.template_key == "staff_alert":
        return f"Staff alert to {message.to_address}: {message.get_status_display().lower()}"
    return message.get_status_display()


INBOX_FILTERS = ("level", "practitioner", "channel", "state")


def inbox_messages(actor: Any, *, level: str, practitioner: str, channel: str, state: str) -> Any:
    """The practice's inbound messages from clients: unread first, then newest first.

    ``level``: a triage level; ``practitioner``: a member's id or ``none``; ``channel``: email,
    sms, whatsapp, portal; ``state``: unread or read. An unknown value is ignored (the view
    checks them first and says so).
    """
    rows = Message.objects.filter(
        practice=actor.practice, direction=Direction.INBOUND, client__isnull=False
    )
    if level:
        rows = rows.filter(triage_level=level)
    if practitioner == "none":
        rows = rows.filter(client__primary_practitioner__isnull=True)
    elif practitioner:
        rows = rows.filter(client__primary_practitioner_id=int(practitioner))
    if channel:
        rows = rows.filter(channel=channel)
    if state == "unread":
        rows = rows.filter(acknowledged_at__isnull=True)
    elif state == "read":
        rows = rows.filter(acknowledged_at__isnull=False)
    return (
        rows.annotate(
            unread=Case(
                When(acknowledged_at__isnull=True, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .select_related("client", "client__primary_practitioner")
        .order_by("-unread", "-created_at", "-id")
    )


def conversation_of(client: Any, limit: int = 200) -> list[Message]:
    """Both directions of one client's messages, oldest first (the newest ``limit``)."""
    newest = list(
        Message.objects.filter(client=client)
        .select_related("sent_by")
        .order_by("-created_at", "-id")[:limit]
    )
    return newest[::-1]
