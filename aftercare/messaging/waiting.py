"""A client who wrote waits for a person: nothing automated asks them anything until then.

1. Every inbound message from a client is *unread* until a person reads it: marks it read in
   the care queue (where every unread reply waits, routine ones too), or answers the client —
   an answer reads everything the client wrote before it (``messaging.services.message_reply``).
2. While one of their messages is unread, automated check-ins and recalls wait: the care
   planner moves them to the next day, saying why (an adjuster, re-applied at every re-plan,
   so they go as soon as the message is read), and the worker re-checks just before sending.

Registered from ``MessagingConfig.ready()`` (``plugins.register_all``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

from aftercare.care.planner import local_moment
from aftercare.locales import format_date
from aftercare.messaging.checks import Verdict, batch_cached
from aftercare.messaging.models import Direction, Message

# Automated messages that ask the client something: they wait while the client waits. Other
# apps add theirs (``register_asking_templates``: measures adds "measure_").
ASKING_TEMPLATES = {"check_in", "recall", "referral_follow_up"}
_asking_prefixes: set[str] = set()


def register_asking_templates(*, keys: tuple[str, ...] = (), prefix: str = "") -> None:
    """Templates that ask the client something (by key, or every key with ``prefix``)."""
    ASKING_TEMPLATES.update(keys)
    if prefix:
        _asking_prefixes.add(prefix)


def asks_the_client(template_key: str) -> bool:
    return template_key in ASKING_TEMPLATES or any(
        template_key.startswith(prefix) for prefix in _asking_prefixes
    )


HOLD = dt.timedelta(days=1)


def unread_from_clients() -> Any:
    """Inbound messages of clients that no person has read yet."""
    return Message.objects.filter(
        direction=Direction.INBOUND, client__isnull=False, acknowledged_at__isnull=True
    )


def load_waiting_since(client_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """Fact loader: ``{client_id: when their oldest unread message came}`` (one query)."""
    waiting: dict[int, dt.datetime] = {}
    rows = (
        unread_from_clients()
        .filter(client_id__in=client_ids)
        .values_list("client_id", "created_at")
    )
    for client_id, created_at in rows:
        if client_id not in waiting or created_at < waiting[client_id]:
            waiting[client_id] = created_at
    return waiting


def answer_first(facts: Any, policy: Any, touchpoints: list[Any], now: dt.datetime) -> list[Any]:
    """Planner adjuster: a client's unread message holds their automated questions a day."""
    since = facts.extra.get("waiting_since")
    if since is None:
        return touchpoints
    tz = zoneinfo.ZoneInfo(facts.time_zone or policy.time_zone)
    a_day_on = now + HOLD
    result = []
    for touchpoint in touchpoints:
        if (
            touchpoint.status == "planned"
            and touchpoint.action == "message"
            and asks_the_client(touchpoint.template_key or touchpoint.kind)
        ):
            # At its own local time, a day or more from now: stable within a day, so the
            # daily re-plan (not every re-plan) moves it on while the message stays unread.
            time = touchpoint.due_at.astimezone(tz).time()
            held = local_moment(a_day_on.astimezone(tz).date(), time, tz)
            if held < a_day_on:
                held = local_moment(a_day_on.astimezone(tz).date() + dt.timedelta(days=1), time, tz)
            if touchpoint.due_at < held:
                wrote = since.astimezone(tz)
                touchpoint = touchpoint.with_changes(
                    due_at=held,
                    held_back_reason=(
                        f"Waits: the client wrote on {format_date(wrote, 'D j M', policy.locale)} "
                        f"{format_date(wrote, 'H:i', policy.locale)} and "
                        "nobody has read it yet. Answer first; this goes once it is read."
                    ),
                )
        result.append(touchpoint)
    return result


def no_question_while_unread(message: Message, now: dt.datetime) -> Verdict | None:
    """Send check: an automated question waits while the client's own message is unread."""
    if (
        message.client_id is None
        or not message.automated
        or message.in_reply_to_id is not None
        or not asks_the_client(message.template_key)
    ):
        return None

    def load(batch: tuple[Message, ...]) -> set[int]:
        clients = {m.client_id for m in batch if m.client_id is not None}
        return set(
            unread_from_clients().filter(client_id__in=clients).values_list("client_id", flat=True)
        )

    if message.client_id not in batch_cached("clients_with_unread", message, load):
        return None
    return Verdict(
        "reschedule",
        "Waits: the client wrote and nobody has read it yet; answer first",
        now + HOLD,
    )
