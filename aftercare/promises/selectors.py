"""Reads for promises and referrals: the care queue's promise source and one client's records.

The queue source costs one query whatever the number of promises (see queue/items.py for
how sources plug in); a client's records cost one query each, loaded once per page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from aftercare import statements
from aftercare.clients.models import Client
from aftercare.locales import format_date
from aftercare.practice.access import Actor
from aftercare.promises.models import Promise, PromiseStatus, Referral
from aftercare.queue import items
from aftercare.queue.selectors import (
    SOURCE_LIMIT,
    client_urls,
    first_rows_of,
    first_rows_query,
    mine,
)

# Open promises show in the queue from this long before they can first be kept.
PROMISE_LEAD_TIME = dt.timedelta(days=2)
PROMISE_VALUE = 80
PROMISE_MINUTES = 10
_CACHE_ATTRIBUTE = "_promise_records"
# What a queue item needs of a promise (read into a ``Promise`` for its words) and its client.
_PROMISE_FIELDS = [
    "id",
    "status",
    "status_reason",
    "what",
    "client_id",
    "practitioner_id",
    "due_at",
    "due_from",
    "due_until",
    "client__given_name",
    "client__family_name",
    "client__primary_practitioner_id",
]


def promise_items(
    actor: Actor,
    now: dt.datetime,
    *,
    scope: str = "practice",
    limit: int = SOURCE_LIMIT,
    count: bool | int = True,
    due_before: dt.datetime | None = None,
) -> items.SourcePage:
    """Open promises from shortly before they are due, and broken ones until acknowledged.

    ``due_before``: only open promises whose deadline is before it (or that have none), and
    the broken ones (Today's "due by tonight"). The first ``limit`` in queue order and the
    total, in one query: the urgency (broken or overdue, due within a day, later) and then the
    deadline order them as ``items.sort_key`` does, as every promise has the same value.
    """

    def build(
        practice: int,
        now: dt.datetime,
        lead: dt.datetime,
        tomorrow: dt.datetime,
        due_before: dt.datetime | None = None,
        user: int | None = None,
    ) -> QuerySet[Promise]:
        deadline = Coalesce("due_at", "due_until")
        rows = (
            Promise.objects.filter(practice_id=practice)
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
            .alias(deadline=deadline)
        )
        if due_before is not None:
            rows = rows.filter(
                Q(status=PromiseStatus.BROKEN)
                | Q(deadline__lt=due_before)
                | Q(due_at__isnull=True, due_until__isnull=True)
            )
        if scope == "mine":
            rows = rows.filter(Q(practitioner_id=user) | Q(practitioner__isnull=True) & mine(user))
        urgency = Case(
            When(status=PromiseStatus.BROKEN, then=Value(0)),
            When(deadline__lte=now, then=Value(0)),
            When(deadline__lte=tomorrow, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return first_rows_query(
            rows,
            [urgency, deadline.asc(nulls_last=True), "id"],
            _PROMISE_FIELDS,
            limit,
            count=count,
        )

    found, total = first_rows_of(
        "queue: promises",
        build,
        actor,
        scope,
        limit,
        count=count,
        shape=(due_before is not None,),
        now=now,
        lead=now + PROMISE_LEAD_TIME,
        tomorrow=now + dt.timedelta(days=1),
        **({} if due_before is None else {"due_before": due_before}),
    )
    page = []
    page_of = client_urls()
    for promise in statements.instances(Promise, _PROMISE_FIELDS, found):
        client_name = promise.client.full_name
        client_practitioner_id = promise.client.primary_practitioner_id
        deadline = promise.deadline
        if promise.status == PromiseStatus.BROKEN:
            page.append(
                items.QueueItem(
                    id=f"promise:{promise.pk}",
                    kind="broken_promise",
                    client_id=promise.client_id,
                    client_name=client_name,
                    title=f"Promise broken: {promise.what}",
                    reason=f"{promise.status_reason or 'Not kept by its due time'}; "
                    "tell the client and put it right",
                    urgency="urgent",
                    due_at=deadline,
                    estimated_minutes=PROMISE_MINUTES,
                    value=PROMISE_VALUE,
                    actions=("done", "open"),
                    owner_id=promise.practitioner_id or client_practitioner_id,
                    done_label="Acknowledge",
                    url=page_of(promise.client_id),
                )
            )
            continue
        overdue = deadline is not None and deadline <= now
        due_soon = deadline is not None and deadline - now <= dt.timedelta(days=1)
        page.append(
            items.QueueItem(
                id=f"promise:{promise.pk}",
                kind="promise",
                client_id=promise.client_id,
                client_name=client_name,
                title=f"Promise: {promise.what}",
                reason=_promise_reason(promise, actor.practice.tz),
                urgency="urgent" if overdue else "attention" if due_soon else "routine",
                due_at=deadline,
                estimated_minutes=PROMISE_MINUTES,
                value=PROMISE_VALUE,
                owner_id=promise.practitioner_id or client_practitioner_id,
                done_label="Kept",
                url=page_of(promise.client_id),
            )
        )
    return items.SourcePage(items=items.rank(page, now), total=total)


def _promise_reason(promise: Promise, tz: dt.tzinfo) -> str:
    deadline = promise.deadline
    if deadline is None:
        return "Promised to the client"
    when = format_date(deadline.astimezone(tz), "D j M, H:i")
    if promise.due_from and promise.due_until:
        return f"Promised within a window ending {when}"
    return f"Promised for {when}"


@dataclass(frozen=True)
class ClientPromiseRecords:
    promises: list[Promise]
    referrals: list[Referral]


def client_promise_records(client: Client, *, limit: int = 100) -> ClientPromiseRecords:
    """Promises and referrals of one client (the latest ``limit`` of each), read once per client.

    The timeline and the client page's section share them: the first call stores them on the
    client object.
    """
    records = getattr(client, _CACHE_ATTRIBUTE, None)
    if records is None:
        records = ClientPromiseRecords(
            promises=statements.objects(
                ("promises: a client's", limit),
                lambda client, practice: Promise.objects.filter(
                    client_id=client, practice_id=practice
                ).order_by("-created_at", "-id")[:limit],
                model=Promise,
                related=("practitioner",),
                client=client.pk,
                practice=client.practice_id,
            ),
            referrals=statements.objects(
                ("promises: a client's referrals", limit),
                lambda client, practice: Referral.objects.filter(
                    client_id=client, practice_id=practice
                ).order_by("-referred_at", "-id")[:limit],
                model=Referral,
                client=client.pk,
                practice=client.practice_id,
            ),
        )
        setattr(client, _CACHE_ATTRIBUTE, records)
    return records
