"""Resources (useful information), sharing them with clients, and referrals.

Sharing a resource and making a referral call ``client_changed`` so the care engine's
"resource assigned" and "referral made" triggers can plan their follow-ups.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from aftercare import clock
from aftercare.care.models import Referral, Resource, ResourceShare, Touchpoint
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit

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


def resource_share_for_touchpoint(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """Share the resource a care rule names, as its due message is written (a worker preparer).

    Runs inside the worker's savepoint for this touchpoint, so the share and the message
    commit together. The resource is looked up again now: one deleted since planning skips
    the touchpoint with the reason instead of sending a broken link.
    """
    from aftercare.messaging.worker import SkipTouchpoint
    from aftercare.portal.links import portal_url

    resource_id = details.get("resource_id")
    if not resource_id:
        return
    resource = Resource.objects.filter(pk=resource_id, practice_id=touchpoint.practice_id).first()
    if resource is None:
        raise SkipTouchpoint(
            "The resource this message would share was deleted after it was planned; "
            "nothing was sent."
        )
    client = touchpoint.client
    rule = touchpoint.rule if touchpoint.rule_id else None
    rule_name = rule.name if rule is not None else touchpoint.title or "a care rule"
    share = ResourceShare.objects.create(
        practice_id=touchpoint.practice_id,
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
    details["title"] = resource.title
    details["url"] = portal_url("resource", share.pk)
    details["resource_share_id"] = share.pk
    client_changed(client)


@transaction.atomic
def referral_create(
    *, actor: Actor, client: Client, referred_to: str, why: str, referred_at: Any = None
) -> Referral:
    """Record a referral; the care engine's "referral made" rule plans the follow-up."""
    if client.practice_id != actor.practice.pk:
        raise ValidationError({"client": "This client is not in your practice."})
    referred_to = (referred_to or "").strip()
    why = (why or "").strip()
    errors = {}
    if not referred_to:
        errors["referred_to"] = "Say who the client was referred to."
    elif len(referred_to) > 200:
        errors["referred_to"] = "Keep it under 200 characters."
    if not why:
        errors["why"] = "Say why, so the follow-up can ask the right question."
    now = clock.now()
    if referred_at is not None and (referred_at.tzinfo is None or referred_at > now):
        errors["referred_at"] = "The referral cannot be in the future."
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        practice=actor.practice,
        client=client,
        referred_to=referred_to,
        why=why,
        referred_at=referred_at or now,
        created_by=actor.user,
    )
    record_audit(actor, "create", referral, summary=f"Referred {client.full_name} to {referred_to}")
    client_changed(client)
    return referral


@transaction.atomic
def referral_record_outcome(*, actor: Actor, referral: Referral, outcome: str) -> Referral:
    """What the follow-up found ("found a sleep clinic, first visit next week")."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": "Write what the follow-up found."})
    referral.outcome = outcome
    referral.outcome_at = clock.now()
    referral.save(update_fields=["outcome", "outcome_at"])
    record_audit(actor, "change", referral, summary="Recorded the referral's outcome")
    return referral
