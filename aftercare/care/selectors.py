"""Reads for the care queue: the built-in queue sources and the assembled, ranked queue.

Each source costs one query whatever the number of items, so the queue page costs a fixed
number of queries (see tests/test_views_queue.py). How other apps add sources: queue.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from aftercare.care import queue
from aftercare.care.models import OPEN_STATUSES as OPEN_TOUCHPOINT_STATUSES
from aftercare.care.models import (
    Action,
    CareHour,
    Promise,
    PromiseStatus,
    Referral,
    ResourceShare,
    Touchpoint,
)
from aftercare.clients.models import Client
from aftercare.practice.access import Actor

# Open promises show in the queue from this long before they can first be kept.
PROMISE_LEAD_TIME = dt.timedelta(days=2)
PROMISE_VALUE = 80
PROMISE_MINUTES = 10
QUEUE_PAGE_SIZE = 100
# Each built-in source reads at most this many rows, the most valuable (and oldest) first, so
# the queue costs the same whatever its backlog; nobody works through more in one sitting.
SOURCE_LIMIT = 500


def client_url(client_id: int | None) -> str:
    """The client page, once the UI has it (a plain string so the pure queue needs no Django)."""
    if client_id is None:
        return ""
    try:
        return reverse("clients-detail", args=[client_id])
    except NoReverseMatch:
        return ""


def _client_label(client: Client) -> str:
    return client.full_name


def task_touchpoint_items(actor: Actor, now: dt.datetime) -> list[queue.QueueItem]:
    """Task touchpoints whose time has come (due, or planned and not yet ticked), not snoozed."""
    rows = (
        Touchpoint.objects.filter(
            practice=actor.practice,
            action=Action.TASK,
            status__in=OPEN_TOUCHPOINT_STATUSES,
            due_at__lte=now,
            client__archived=False,
        )
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
        .select_related("client", "rule")
        .only(
            "id",
            "kind",
            "title",
            "due_at",
            "value",
            "estimated_minutes",
            "held_back_reason",
            "client_id",
            "rule_id",
            "client__given_name",
            "client__family_name",
            "client__primary_practitioner_id",
            "rule__name",
        )
        .order_by("-value", "due_at", "id")[:SOURCE_LIMIT]
    )
    items = []
    for touchpoint in rows:
        reason = touchpoint.rule.name if touchpoint.rule else "Planned by the care engine"
        if touchpoint.held_back_reason:
            reason = f"{reason} (held back: {touchpoint.held_back_reason})"
        items.append(
            queue.QueueItem(
                id=f"touchpoint:{touchpoint.pk}",
                kind="recall" if touchpoint.kind == "recall" else "task",
                client_id=touchpoint.client_id,
                client_name=_client_label(touchpoint.client),
                title=touchpoint.title or touchpoint.kind.replace("_", " ").capitalize(),
                reason=reason,
                urgency="routine",
                due_at=touchpoint.due_at,
                estimated_minutes=touchpoint.estimated_minutes or queue.DEFAULT_MINUTES,
                value=touchpoint.value,
                owner_id=touchpoint.client.primary_practitioner_id,
                url=client_url(touchpoint.client_id),
            )
        )
    return items


def promise_items(actor: Actor, now: dt.datetime) -> list[queue.QueueItem]:
    """Open promises from shortly before they are due, and broken ones until acknowledged."""
    lead = now + PROMISE_LEAD_TIME
    rows = (
        Promise.objects.filter(practice=actor.practice)
        .filter(
            Q(
                status=PromiseStatus.OPEN,
                client__archived=False,
            )
            # From shortly before it can first be kept; a window with no start, at once.
            & (
                Q(due_from__lte=lead)
                | Q(due_at__lte=lead)
                | Q(due_at__isnull=True, due_from__isnull=True)
            )
            & (Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
            | Q(status=PromiseStatus.BROKEN, acknowledged_at__isnull=True)
        )
        .select_related("client")
        # Broken ones first, then by deadline: the order they rank in.
        .order_by("status", Coalesce("due_at", "due_until"), "id")[:SOURCE_LIMIT]
    )
    items = []
    for promise in rows:
        deadline = promise.deadline
        if promise.status == PromiseStatus.BROKEN:
            items.append(
                queue.QueueItem(
                    id=f"promise:{promise.pk}",
                    kind="broken_promise",
                    client_id=promise.client_id,
                    client_name=_client_label(promise.client),
                    title=f"Promise broken: {promise.what}",
                    reason="Not kept by its due time; tell the client and put it right",
                    urgency="urgent",
                    due_at=deadline,
                    estimated_minutes=PROMISE_MINUTES,
                    value=PROMISE_VALUE,
                    actions=("done", "open"),
                    owner_id=promise.practitioner_id or promise.client.primary_practitioner_id,
                    done_label="Acknowledge",
                    url=client_url(promise.client_id),
                )
            )
            continue
        overdue = deadline is not None and deadline <= now
        due_soon = deadline is not None and deadline - now <= dt.timedelta(days=1)
        items.append(
            queue.QueueItem(
                id=f"promise:{promise.pk}",
                kind="promise",
                client_id=promise.client_id,
                client_name=_client_label(promise.client),
                title=f"Promise: {promise.what}",
                reason=_promise_reason(promise, actor.practice.tz),
                urgency="urgent" if overdue else "attention" if due_soon else "routine",
                due_at=deadline,
                estimated_minutes=PROMISE_MINUTES,
                value=PROMISE_VALUE,
                owner_id=promise.practitioner_id or promise.client.primary_practitioner_id,
                done_label="Kept",
                url=client_url(promise.client_id),
            )
        )
    return items


def _promise_reason(promise: Promise, tz: dt.tzinfo) -> str:
    deadline = promise.deadline
    if deadline is None:
        return "Promised to the client"
    when = deadline.astimezone(tz).strftime("%a %d %b %H:%M")
    if promise.due_from and promise.due_until:
        return f"Promised within a window ending {when}"
    return f"Promised for {when}"


def care_queue(
    actor: Actor, now: dt.datetime, *, scope: str = "mine", kinds: set[str] | None = None
) -> list[queue.QueueItem]:
    """Every registered source's items for the actor's practice, in scope, ranked."""
    items: list[queue.QueueItem] = []
    for source in queue.queue_sources():
        if kinds is not None and source.kind not in kinds:
            continue
        items.extend(source.list_items(actor, now))
    user_id = actor.user.pk if actor.user else None
    return queue.rank(queue.in_scope(items, scope, user_id), now)


def care_hours_of(actor: Actor) -> list[CareHour]:
    return list(CareHour.objects.filter(practice=actor.practice, user=actor.user))


def time_boxes(hours: list[CareHour]) -> list[queue.TimeBox]:
    return [queue.TimeBox(weekday=h.weekday, starts=h.starts, ends=h.ends) for h in hours]


@dataclass(frozen=True)
class ClientCareRecords:
    promises: list[Promise]
    shares: list[ResourceShare]
    referrals: list[Referral]


def client_care_records(client: Client, *, limit: int = 100) -> ClientCareRecords:
    """Promises, shared resources and referrals of one client (the latest ``limit`` of each)."""
    return ClientCareRecords(
        promises=list(
            Promise.objects.filter(client=client, practice_id=client.practice_id)
            .select_related("practitioner")
            .order_by("-created_at", "-id")[:limit]
        ),
        shares=list(
            ResourceShare.objects.filter(client=client, practice_id=client.practice_id)
            .select_related("resource", "shared_by")
            .order_by("-shared_at", "-id")[:limit]
        ),
        referrals=list(
            Referral.objects.filter(client=client, practice_id=client.practice_id).order_by(
                "-referred_at", "-id"
            )[:limit]
        ),
    )
