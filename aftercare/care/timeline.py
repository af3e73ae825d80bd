"""Touchpoints on the client page's timeline: what was planned, sent, done or skipped, and why."""

from __future__ import annotations

from django.urls import reverse

from aftercare import statements
from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.clients.timeline import TimelineEntry
from aftercare.practice.access import Actor

# The last this many touchpoints (one query); cancelled ones are left out as noise.
SHOWN = 100

LABELS = {
    TouchpointStatus.PLANNED: "Planned",
    TouchpointStatus.DUE: "Due",
    TouchpointStatus.SENT: "Sent",
    TouchpointStatus.DONE: "Done",
    TouchpointStatus.SKIPPED: "Skipped",
    TouchpointStatus.EXPIRED: "Expired",
}


# The care engine sits below messaging: its channel names, as people say them.
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp", "portal": "the portal"}


def touchpoint_entries(client: Client, actor: Actor) -> list[TimelineEntry]:
    rows = statements.objects(
        ("care: a client's touchpoints", SHOWN),
        lambda client: (
            Touchpoint.objects.filter(client_id=client)
            .exclude(status=TouchpointStatus.CANCELLED)
            .order_by("-due_at", "-id")[:SHOWN]
        ),
        model=Touchpoint,
        related=("completed_by",),
        client=client.pk,
    )
    entries = []
    for touchpoint in rows:
        what = "Message" if touchpoint.action == "message" else "Task"
        detail_parts = []
        if touchpoint.action == "message" and touchpoint.channel:
            channel = CHANNEL_WORDS.get(touchpoint.channel, touchpoint.channel.capitalize())
            detail_parts.append(f"{what} by {channel}")
        else:
            detail_parts.append(what)
        if touchpoint.status == TouchpointStatus.DONE and touchpoint.completed_by:
            detail_parts.append(f"done by {touchpoint.completed_by}")
        reason = touchpoint.status_reason or touchpoint.held_back_reason
        if reason:
            detail_parts.append(reason)
        label = LABELS.get(touchpoint.status, touchpoint.status.capitalize())
        if touchpoint.blocked and touchpoint.status == TouchpointStatus.PLANNED:
            label = "Held back"
        entries.append(
            TimelineEntry(
                at=touchpoint.completed_at or touchpoint.due_at,
                kind="touchpoint",
                title=touchpoint.title or touchpoint.kind.replace("_", " ").capitalize(),
                detail=" · ".join(detail_parts),
                status=touchpoint.status,
                status_label=label,
                url=reverse("care-rules-edit", args=[touchpoint.rule_id])
                if touchpoint.rule_id and actor.membership and actor.membership.role != "assistant"
                else "",
            )
        )
    return entries
