"""What promises show on the Today page: the promises due by tonight, and broken ones."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from aftercare.practice.access import Actor
from aftercare.promises.selectors import promise_items
from aftercare.queue import items, today
from aftercare.queue.selectors import entries_from_items


def promises_due_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard:
    """Open promises due by the end of today (and broken ones not yet put right)."""
    tz = actor.practice.tz
    tonight = dt.datetime.combine(
        now.astimezone(tz).date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz
    )
    user_id = actor.user.pk if actor.user else None
    due = [
        item
        for item in items.in_scope(promise_items(actor, now), scope, user_id)
        if item.due_at is None or item.due_at < tonight or item.kind == "broken_promise"
    ]
    ranked = items.rank(due, now)
    shown = ranked[: today.CARD_LIMIT]
    return today.TodayCard(
        key="promises",
        title="Promises due",
        entries=entries_from_items(shown, next_url=reverse("queue-today")),
        order=30,
        empty_text="No promise is due today.",
        more=len(ranked) - len(shown),
        link=today.TodayAction("Care queue", reverse("care-queue")),
    )
