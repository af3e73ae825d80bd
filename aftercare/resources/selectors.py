"""Reads for resources: what was shared with one client, read once per client page."""

from __future__ import annotations

from aftercare.clients.models import Client
from aftercare.resources.models import ResourceShare

_CACHE_ATTRIBUTE = "_resource_shares"


def client_shares(client: Client, *, limit: int = 100) -> list[ResourceShare]:
    """The latest ``limit`` resources shared with ``client`` (one query, then kept on the client).

    The timeline and the client page's section both show them: the first call stores them on
    the client object so the page reads them once.
    """
    shares = getattr(client, _CACHE_ATTRIBUTE, None)
    if shares is None:
        shares = list(
            ResourceShare.objects.filter(client=client, practice_id=client.practice_id)
            .select_related("resource", "shared_by")
            .order_by("-shared_at", "-id")[:limit]
        )
        setattr(client, _CACHE_ATTRIBUTE, shares)
    return shares
