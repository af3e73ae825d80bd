"""Reads for the care queue: the care engine's tasks as a source, and the assembled, ranked queue.

Each source costs one query whatever the number of items, so the queue page costs a fixed
number of queries (see tests/test_views.py). How other apps add sources: items.py.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from aftercare.care.models import OPEN_STATUSES as OPEN_TOUCHPOINT_STATUSES
from aftercare.care.models import Action, Touchpoint
from aftercare.practice.access import Actor
from aftercare.queue import hours, items
from aftercare.queue.models import CareHour

QUEUE_PAGE_SIZE = 100
# Each built-in source reads at most this many rows, the most valuable (and oldest) first, so
# the queue costs the same whatever its backlog; nobody works through more in one sitting.
SOURCE_LIMIT = 500


# An id no client has: reversed once, then replaced by each client's id.
_MARKER_ID = 987654321


def client_url(client_id: int | None) -> str:
    """The client page, once the UI has it (a plain string so the pure queue needs no Django).

    The queue links every item to its client (up to SOURCE_LIMIT per source), and ``reverse``
    costs tens of microseconds a call: the client page's path is reversed once per URLconf and
    script prefix, and each client's id put into it.
    """
    if client_id is None:
        return ""
    parts = _client_url_parts(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    if parts is None:
        return ""
    return f"{parts[0]}{int(client_id)}{parts[1]}"


@functools.lru_cache(maxsize=16)
def _client_url_parts(
    root_urlconf: str, urlconf: str | None, script_prefix: str
) -> tuple[str, str] | None:
    try:
        path = reverse("clients-detail", args=[_MARKER_ID], urlconf=urlconf)
    except NoReverseMatch:
        return None
    before, marker, after = path.partition(str(_MARKER_ID))
    return (before, after) if marker else None


def task_touchpoint_items(actor: Actor, now: dt.datetime) -> list[items.QueueItem]:
    """Task touchpoints whose time has come (due, or planned and not yet ticked), not snoozed.

    Read as plain rows, not model instances: the queue reads up to SOURCE_LIMIT of them per
    page load, and building a touchpoint, its client and its rule for each cost more than the
    query itself.
    """
    rows = (
        Touchpoint.objects.filter(
            practice=actor.practice,
            action=Action.TASK,
            status__in=OPEN_TOUCHPOINT_STATUSES,
            due_at__lte=now,
            client__archived=False,
        )
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
        .order_by("-value", "due_at", "id")
        .values_list(
            "id",
            "kind",
            "title",
            "due_at",
            "value",
            "estimated_minutes",
            "held_back_reason",
            "client_id",
            "client__given_name",
            "client__family_name",
            "client__primary_practitioner_id",
            "rule__name",
        )[:SOURCE_LIMIT]
    )
    found = []
    for (
        pk,
        kind,
        title,
        due_at,
        value,
        estimated_minutes,
        held_back_reason,
        client_id,
        given_name,
        family_name,
        practitioner_id,
        rule_name,
    ) in rows:
        reason = rule_name or "Planned by the care engine"
        if held_back_reason:
            reason = f"{reason} (held back: {held_back_reason})"
        found.append(
            items.QueueItem(
                id=f"touchpoint:{pk}",
                kind="recall" if kind == "recall" else "task",
                client_id=client_id,
                client_name=f"{given_name} {family_name}".strip(),
                title=title or kind.replace("_", " ").capitalize(),
                reason=reason,
                urgency="routine",
                due_at=due_at,
                estimated_minutes=estimated_minutes or items.DEFAULT_MINUTES,
                value=value,
                owner_id=practitioner_id,
                url=client_url(client_id),
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
