"""What promises show on the Today page: the promises due by tonight, and broken ones."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from aftercare.practice.access import Actor
from aftercare.promises.selectors import promise_items
from aftercare.queue import items, today
from aftercare.queue.selectors import QUEUE_PAGE_SIZE, entries_from_items


def promises_due(
    actor: Actor, now: dt.datetime, scope: str, tonight: dt.datetime
) -> tuple[list[items.QueueItem], int]:
    """The first open promises due before ``tonight`` (or with no deadline) and the broken ones,
    in queue order, and how many there are.

    Taken from the promise source's page as the care hour reads it (the first
    ``QUEUE_PAGE_SIZE`` in queue order; Today's cards read it once, ``items.reads_shared``):
    when the page holds fewer, it holds every open promise, and the ones due tonight are among
    them. Only a longer backlog is read again, with the deadline in the query.
    """
    source = items.queue_source("promise")
    if source is not None:
        page = source.first_items(actor, now, scope, QUEUE_PAGE_SIZE, count=False)
        if len(page.items) < QUEUE_PAGE_SIZE:
            due = [
                item
                for item in page.items
                if item.kind == "broken_promise" or item.due_at is None or item.due_at < tonight
            ]
            return due[: today.CARD_LIMIT], len(due)
    found = promise_items(actor, now, scope=scope, limit=today.CARD_LIMIT, due_before=tonight)
    return found.items, found.total


def promises_due_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard:
    """Open promises due by the end of today (and broken ones not yet put right)."""
    tz = actor.practice.tz
    tonight = dt.datetime.combine(
        now.astimezone(tz).date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz
    )
    shown, total = promises_due(actor, now, scope, tonight)
    return today.TodayCard(
        key="promises",
        title="Promises due",
        entries=entries_from_items(shown, next_url=reverse("queue-today")),
        order=30,
        empty_text="No promise is due today.",
        more=total - len(shown),
        link=today.TodayAction("Care queue", reverse("care-queue")),
    )
