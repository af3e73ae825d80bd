"""Promises and referrals on the client page: timeline entries and the section that records them.

Registered with ``aftercare.clients.timeline`` from PromisesConfig.ready(). The section also
lists the resources shared with the client (one heading for what the practice committed to and
gave): promises and referrals cost one query each, the shares one (read once with the
resources timeline), the resources to share one.
"""

from __future__ import annotations

from aftercare import statements
from aftercare.clients.models import Client
from aftercare.clients.timeline import ClientSection, TimelineEntry
from aftercare.locales import format_date
from aftercare.practice.access import Actor
from aftercare.promises.models import PromiseStatus
from aftercare.promises.selectors import client_promise_records
from aftercare.resources.models import Resource
from aftercare.resources.selectors import client_shares

HISTORY_LIMIT = 100


def promise_entries(client: Client, actor: Actor) -> list[TimelineEntry]:
    """Promises (made, kept, broken) and referrals (made, followed up)."""
    records = client_promise_records(client, limit=HISTORY_LIMIT)
    entries = []
    for promise in records.promises:
        detail = (
            f"Due {format_date(promise.deadline.astimezone(actor.practice.tz), 'j M Y, H:i')}"
            if promise.deadline
            else ""
        )
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
        template_name="promises/client_section.html",
        context={
            "records": client_promise_records(client, limit=HISTORY_LIMIT),
            "shares": client_shares(client, limit=HISTORY_LIMIT),
            # (Through a statement: every client page shows the practice's resources to share.)
            "resources": statements.instances(
                Resource,
                ["id", "title"],
                statements.rows(
                    "promises: the practice's resources to share",
                    lambda practice: Resource.objects.filter(practice_id=practice).values_list(
                        "id", "title"
                    ),
                    practice=actor.practice.pk,
                ),
            ),
            "show_details": actor.sees_private_notes,
        },
        order=40,
    )
