"""Resources (useful information) and sharing them with clients, by hand or by a care rule.

Sharing a resource calls ``client_changed`` so the care engine's "resource assigned" trigger
can plan its follow-up.

A share by hand must also *reach* the client, but this app sits below messaging and cannot send:
apps above register ``on_shared_by_hand(hook)``, and ``resource_share`` runs every hook inside
its transaction (messaging's queues the "information" message with the signed link). Each hook
returns a ``ShareNotice`` telling the person sharing whether the client will get it, and if not,
why; the share is recorded either way. A share by a care rule runs no hooks: the rule's own
message is what carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class ShareNotice:
    """What a share hook tells the person sharing: whether the client will get it, in words."""

    reached: bool
    text: str


@dataclass(frozen=True)
class SharedByHand:
    """The recorded share and what the hooks said about reaching the client."""

    share: ResourceShare
    notices: list[ShareNotice] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        """True when some hook got it on its way to the client."""
        return any(notice.reached for notice in self.notices)


ShareHook = Callable[[ResourceShare, Actor], "ShareNotice | None"]
_share_hooks: list[ShareHook] = []


def on_shared_by_hand(hook: ShareHook) -> ShareHook:
    """Register ``hook(share, actor)`` to run after a person shares a resource (usable as a
    decorator; registering twice is harmless). It runs inside the share's transaction."""
    if hook not in _share_hooks:
        _share_hooks.append(hook)
    return hook


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
            {
                "resource": f"It was shared with {shared} client{'' if shared == 1 else 's'}; "
                "edit it instead of deleting."
            }
        )
    record_audit(actor, "delete", resource, summary=f"Deleted resource {resource.title}")
    resource.delete()


@transaction.atomic
def resource_share(
    *, actor: Actor, resource: Resource, client: Client, note: str = ""
) -> SharedByHand:
    """Share ``resource`` with ``client`` (both of the actor's practice) by hand.

    1. Record the share (audited) and tell the care engine (``client_changed``).
    2. Run the share hooks: they send it to the client and say whether they could.
    """
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
    notices = [notice for hook in list(_share_hooks) if (notice := hook(share, actor)) is not None]
    return SharedByHand(share=share, notices=notices)


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
