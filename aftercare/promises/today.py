"""What promises show on the Today page: the promises due by tonight, and broken ones."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from aftercare.practice.access import Actor
from aftercare.promises.selectors import promise_items
from aftercare.queue import today
from aftercare.queue.selectors import entries_from_items


def promises_due_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard:
    """Open promises due by the end of today (and broken ones not yet put right)."""
    tz = actor.practice.tz
    tonight = dt.datetime.combine(
        now.astimezone(tz).date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz
    )
    due = promise_items(actor, now, scope=scope, limit=today.CARD_LIMIT, due_before=tonight)
    shown = due.items
    return today.TodayCard(
        key="promises",
        title="Promises due",
        entries=entries_from_items(shown, next_url=reverse("queue-today")),
        order=30,
        empty_text="No promise is due today.",
        more=due.total - len(shown),
        link=today.TodayAction("Care queue", reverse("care-queue")),
    )
