"""API for the care queue: ``GET /api/v1/care-queue`` and ``POST /api/v1/care-queue/actions``.

The items are the same as the care queue page's (every registered queue source, ranked), so an
integration sees exactly what a practitioner sees.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from aftercare import clock
from aftercare.api.auth import api_actor
from aftercare.api.pagination import PageParams, _page_url
from aftercare.queue import items, selectors, services

router = Router(tags=["Care queue"])


class QueueFilters(Schema):
    scope: Literal["mine", "practice"] = Field(
        "mine", description="mine: the token user's items and unassigned ones; practice: all"
    )
    kind: str | None = Field(None, description="Only items of this kind, e.g. promise, task")


class QueueItemOut(Schema):
    id: str
    kind: str
    client_id: int | None
    client_name: str
    title: str
    reason: str
    urgency: str
    due_at: dt.datetime | None
    estimated_minutes: int
    value: int
    actions: list[str]


class QueuePage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[QueueItemOut]


def serialize(item: items.QueueItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "client_id": item.client_id,
        "client_name": item.client_name,
        "title": item.title,
        "reason": item.reason,
        "urgency": item.urgency,
        "due_at": item.due_at,
        "estimated_minutes": item.estimated_minutes,
        "value": item.value,
        "actions": list(item.actions),
    }


@router.get("", response=QueuePage, summary="The care queue, most valuable first")
def care_queue(
    request: HttpRequest, filters: Query[QueueFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Everything that needs a person, ranked by urgency, value and due time (paginated)."""
    actor = api_actor(request)
    end = page.offset + page.limit
    if filters.kind:
        # An item's kind is not its source's (a promise source gives broken promises too):
        # filter the queue's first items.
        found = [
            item
            for item in selectors.care_queue(actor, clock.now(), scope=filters.scope)
            if item.kind == filters.kind
        ]
        count, results = len(found), found[page.offset : end]
    else:
        # Each source reads only as far as this page reaches.
        first = selectors.care_queue_page(actor, clock.now(), scope=filters.scope, limit=end)
        count, results = first.total, first.items[page.offset : end]
    return {
        "count": count,
        "next": _page_url(request, end, page.limit) if end < count else None,
        "previous": (
            _page_url(request, max(page.offset - page.limit, 0), page.limit)
            if page.offset > 0
            else None
        ),
        "results": [serialize(item) for item in results],
    }


class ActionIn(Schema):
    item: str = Field(description='The item\'s id, e.g. "promise:12"')
    action: Literal["done", "snooze", "skip"]
    until: dt.datetime | None = Field(None, description="For snooze: an aware date-time")
    reason: str = Field("", description="For skip: why (required)")


@router.post("/actions", response={204: None}, summary="Done, snooze or skip one item")
def care_queue_action(request: HttpRequest, body: ActionIn) -> Status:
    """Records who did it and when, like the buttons on the care queue page."""
    services.queue_item_perform(
        actor=api_actor(request),
        item_id=body.item,
        action=body.action,
        until=body.until,
        reason=body.reason,
    )
    return Status(204, None)
