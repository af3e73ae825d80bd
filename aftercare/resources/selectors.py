"""Reads for resources: what was shared with one client, read once per client page."""

from __future__ import annotations

from aftercare import statements
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
        shares = statements.objects(
            ("resources: shared with a client", limit),
            lambda client, practice: ResourceShare.objects.filter(
                client_id=client, practice_id=practice
            ).order_by("-shared_at", "-id")[:limit],
            model=ResourceShare,
            related=("resource", "shared_by"),
            client=client.pk,
            practice=client.practice_id,
        )
        setattr(client, _CACHE_ATTRIBUTE, shares)
    return shares
