"""Resources (useful information) and sharing them with clients, by hand or by a care rule.

Sharing a resource calls ``client_changed`` so the care engine's "resource assigned" trigger
can plan its follow-up.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from aftercare import clock
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.resources.models import Resource, ResourceShare

RESOURCE_FIELDS = ("title", "body", "link", "topics")


def _check_resource(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: (data.get(name) or "").strip() for name in RESOURCE_FIELDS}
    if not cleaned["title"]:
        raise ValidationError({"title": "Give the resource a title."})
    if not cleaned["body"] and not cleaned["link"]:
        raise ValidationError({"body": "Write the text or give a link (or both)."})
    cleaned["topics"] = ", ".join(
        dict.fromkeys(t.strip().lower() for t in cleaned["topics"].split(",") if t.strip())
    )
    return cleaned


@transaction.atomic
def resource_create(*, actor: Actor, data: dict[str, Any]) -> Resource:
    cleaned = _check_resource(data)
    resource = Resource.objects.create(practice=actor.practice, created_by=actor.user, **cleaned)
    record_audit(actor, "create", resource, summary=f"Created resource {resource.title}")
    return resource


@transaction.atomic
def resource_update(*, actor: Actor, resource: Resource, data: dict[str, Any]) -> Resource:
    cleaned = _check_resource(data)
    before = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    for name, value in cleaned.items():
        setattr(resource, name, value)
    resource.updated_at = clock.now()
    resource.save(update_fields=[*RESOURCE_FIELDS, "updated_at"])
    record_audit(
        actor,
        "change",
        resource,
        summary=f"Edited resource {resource.title}",
        changes=diff_fields(before, cleaned),
    )
    return resource


@transaction.atomic
def resource_delete(*, actor: Actor, resource: Resource) -> None:
    """Delete a resource nobody has received yet (a shared one is part of clients' records)."""
    shared = resource.shares.count()
    if shared:
        raise ValidationError(
            {"resource": f"It was shared with {shared} client(s); edit it instead of deleting."}
        )
    record_audit(actor, "delete", resource, summary=f"Deleted resource {resource.title}")
    resource.delete()


@transaction.atomic
def resource_share(
    *, actor: Actor, resource: Resource, client: Client, note: str = ""
) -> ResourceShare:
    """Share ``resource`` with ``client`` (both of the actor's practice) and tell the care engine."""
    if resource.practice_id != actor.practice.pk:
        raise ValidationError({"resource": "Choose a resource of your practice."})
    if client.practice_id != actor.practice.pk:
        raise ValidationError({"client": "This client is not in your practice."})
    share = ResourceShare.objects.create(
        practice=actor.practice,
        resource=resource,
        client=client,
        note=(note or "").strip()[:300],
        shared_by=actor.user,
    )
    record_audit(actor, "create", share, summary=f"Shared {resource.title} with {client.full_name}")
    client_changed(client)
    return share


def resource_share_by_rule(*, resource: Resource, client: Client, rule_name: str) -> ResourceShare:
    """Share ``resource`` with ``client`` because a care rule's message names it (no person acts).

    Called while the message is written, inside the worker's savepoint, so the share and the
    message commit together.
    """
    share = ResourceShare.objects.create(
        practice_id=client.practice_id,
        resource=resource,
        client=client,
        note=f"By care rule: {rule_name}"[:300],
        shared_by=None,
    )
    record_audit(
        Actor(user=None, practice=client.practice, via="care rule"),
        "create",
        share,
        summary=f"Shared {resource.title} with {client.full_name} by care rule {rule_name}",
    )
    client_changed(client)
    return share
