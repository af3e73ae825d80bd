"""The care queue's rows on the client page: promises, shared resources and referrals.

Registered with ``aftercare.clients.timeline`` from CareConfig.ready(); each function costs a
fixed number of queries: three for the records (shared by both), one for the resources
to share.
"""

from __future__ import annotations

from django.urls import reverse

from aftercare.care.models import PromiseStatus, Resource
from aftercare.care.selectors import ClientCareRecords, client_care_records
from aftercare.clients.models import Client
from aftercare.clients.timeline import ClientSection, TimelineEntry
from aftercare.practice.access import Actor

HISTORY_LIMIT = 100
_CACHE_ATTRIBUTE = "_care_records"


def _records(client: Client) -> ClientCareRecords:
    """Load once per client object: the timeline and the section of one page share them."""
    records = getattr(client, _CACHE_ATTRIBUTE, None)
    if records is None:
        records = client_care_records(client, limit=HISTORY_LIMIT)
        setattr(client, _CACHE_ATTRIBUTE, records)
    return records


def care_record_entries(client: Client, actor: Actor) -> list[TimelineEntry]:
    """Promises (made, kept, broken), resources shared and referrals (made, followed up)."""
    records = _records(client)
    entries = []
    for promise in records.promises:
        detail = f"Due {promise.deadline:%d %b %Y %H:%M}" if promise.deadline else ""
        if promise.status_reason:
            detail = f"{detail} · {promise.status_reason}" if detail else promise.status_reason
        entries.append(
            TimelineEntry(
                at=promise.created_at,
                kind="promise",
                title=f"Promised: {promise.what}",
                detail=detail,
                status=promise.status,
            )
        )
        if promise.status != PromiseStatus.OPEN and promise.closed_at:
            entries.append(
                TimelineEntry(
                    at=promise.closed_at,
                    kind="promise",
                    title=f"Promise {promise.get_status_display().lower()}: {promise.what}",
                    status=promise.status,
                )
            )
    for share in records.shares:
        entries.append(
            TimelineEntry(
                at=share.shared_at,
                kind="resource",
                title=f"Shared: {share.resource.title}",
                detail=share.note,
                url=reverse("care-resources-detail", args=[share.resource_id]),
            )
        )
    for referral in records.referrals:
        entries.append(
            TimelineEntry(
                at=referral.referred_at,
                kind="referral",
                title=f"Referred to {referral.referred_to}",
                # Why a client was referred is a health detail: not for assistants.
                detail=referral.why if actor.sees_private_notes else "",
            )
        )
        if referral.outcome_at:
            entries.append(
                TimelineEntry(
                    at=referral.outcome_at,
                    kind="referral",
                    title=f"Referral followed up: {referral.referred_to}",
                    detail=referral.outcome if actor.sees_private_notes else "",
                )
            )
    return entries


def care_records_section(client: Client, actor: Actor) -> ClientSection:
    return ClientSection(
        title="Promises, resources and referrals",
        template_name="care/client_section.html",
        context={
            "records": _records(client),
            "resources": list(Resource.objects.filter(practice=actor.practice).only("pk", "title")),
            "show_details": actor.sees_private_notes,
        },
        order=40,
    )
