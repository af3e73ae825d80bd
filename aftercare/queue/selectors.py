"""Reads for the care queue: the care engine's tasks as a source, and the assembled, ranked queue.

Each source costs one query whatever the number of items, so the queue page costs a fixed
number of queries (see tests/test_views.py). How other apps add sources: items.py.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from aftercare.care.models import OPEN_STATUSES as OPEN_TOUCHPOINT_STATUSES
from aftercare.care.models import Action, Touchpoint
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.queue import hours, items
from aftercare.queue.models import CareHour

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


def task_touchpoint_items(actor: Actor, now: dt.datetime) -> list[items.QueueItem]:
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
    found = []
    for touchpoint in rows:
        reason = touchpoint.rule.name if touchpoint.rule else "Planned by the care engine"
        if touchpoint.held_back_reason:
            reason = f"{reason} (held back: {touchpoint.held_back_reason})"
        found.append(
            items.QueueItem(
                id=f"touchpoint:{touchpoint.pk}",
                kind="recall" if touchpoint.kind == "recall" else "task",
                client_id=touchpoint.client_id,
                client_name=_client_label(touchpoint.client),
                title=touchpoint.title or touchpoint.kind.replace("_", " ").capitalize(),
                reason=reason,
                urgency="routine",
                due_at=touchpoint.due_at,
                estimated_minutes=touchpoint.estimated_minutes or items.DEFAULT_MINUTES,
                value=touchpoint.value,
                owner_id=touchpoint.client.primary_practitioner_id,
                url=client_url(touchpoint.client_id),
            )
        )
    return found


def care_queue(
    actor: Actor, now: dt.datetime, *, scope: str = "mine", kinds: set[str] | None = None
) -> list[items.QueueItem]:
    """Every registered source's items for the actor's practice, in scope, ranked."""
    found: list[items.QueueItem] = []
    for source in items.queue_sources():
        if kinds is not None and source.kind not in kinds:
            continue
        found.extend(source.list_items(actor, now))
    user_id = actor.user.pk if actor.user else None
    return items.rank(items.in_scope(found, scope, user_id), now)


def care_hours_of(actor: Actor) -> list[CareHour]:
    return list(CareHour.objects.filter(practice=actor.practice, user=actor.user))


def time_boxes(care_hours: list[CareHour]) -> list[hours.TimeBox]:
    return [hours.TimeBox(weekday=h.weekday, starts=h.starts, ends=h.ends) for h in care_hours]
