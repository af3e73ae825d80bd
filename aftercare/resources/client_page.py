"""Resources shared with a client, on the client page's timeline."""

from __future__ import annotations

from django.urls import reverse

from aftercare.clients.models import Client
from aftercare.clients.timeline import TimelineEntry
from aftercare.practice.access import Actor
from aftercare.resources.selectors import client_shares

HISTORY_LIMIT = 100


def share_entries(client: Client, actor: Actor) -> list[TimelineEntry]:
    entries = []
    for share in client_shares(client, limit=HISTORY_LIMIT):
        entries.append(
            TimelineEntry(
                at=share.shared_at,
                kind="resource",
                title=f"Shared: {share.resource.title}",
                detail=share.note,
                url=reverse("resources-detail", args=[share.resource_id]),
            )
        )
    return entries
