"""The state of the whole installation, for ``/healthz`` and ``/metrics``.

Instance-wide figures only, never a client's data or a practice's name: ``/healthz`` answers
anyone who asks. Each read uses an index, so a load balancer polling every few seconds costs
a handful of index lookups.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Min, Q

from aftercare import clock
from aftercare.care.models import TickLease
from aftercare.messaging.models import Message, MessageStatus, WorkerHeartbeat

OUTBOX_STATUSES = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.UNCERTAIN)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.detail}


def _seconds(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else round(max(0.0, delta.total_seconds()), 3)


def database_check() -> Check:
    """One round trip to the database."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return Check(False, {"error": type(error).__name__})
    return Check(True, {"seconds": round(time.perf_counter() - started, 4)})


@dataclass(frozen=True)
class WorkerState:
    alive: int
    last_seen_seconds: float | None
    sent: dict[str, int]
    failed: dict[str, int]
    gave_up: dict[str, int]


def worker_state(now: dt.datetime) -> WorkerState:
    """Workers seen lately, and what every worker ever recorded (counters for /metrics)."""
    stale_before = now - dt.timedelta(seconds=settings.HEALTH_WORKER_STALE_SECONDS)
    rows = WorkerHeartbeat.objects.values_list("seen_at", "counts")
    alive = 0
    newest: dt.datetime | None = None
    totals: dict[str, dict[str, int]] = {"sent": {}, "failed": {}, "gave_up": {}}
    for seen_at, counts in rows:
        alive += seen_at >= stale_before
        newest = seen_at if newest is None or seen_at > newest else newest
        for what, per_channel in (counts or {}).items():
            if what in totals and isinstance(per_channel, dict):
                for channel, number in per_channel.items():
                    totals[what][channel] = totals[what].get(channel, 0) + int(number)
    return WorkerState(
        alive=alive,
        last_seen_seconds=_seconds(now - newest) if newest else None,
        sent=totals["sent"],
        failed=totals["failed"],
        gave_up=totals["gave_up"],
    )


def worker_check(now: dt.datetime) -> Check:
    """At least one worker touched its heartbeat within HEALTH_WORKER_STALE_SECONDS."""
    stale_before = now - dt.timedelta(seconds=settings.HEALTH_WORKER_STALE_SECONDS)
    found = WorkerHeartbeat.objects.aggregate(
        newest=Max("seen_at"), alive=Count("id", filter=Q(seen_at__gte=stale_before))
    )
    newest = found["newest"]
    return Check(
        found["alive"] > 0,
        {
            "alive": found["alive"],
            "last_seen_seconds": _seconds(now - newest) if newest else None,
        },
    )


@dataclass(frozen=True)
class OutboxState:
    by_status: dict[str, int]
    due: int
    oldest_due_seconds: float


def outbox_state(now: dt.datetime) -> OutboxState:
    """Messages waiting in the outbox, and how long the oldest due one has waited (2 queries)."""
    by_status = dict.fromkeys((s.value for s in OUTBOX_STATUSES), 0)
    by_status.update(
        Message.objects.filter(status__in=OUTBOX_STATUSES)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    due, oldest_due_seconds = _due_messages(now)
    return OutboxState(by_status=by_status, due=due, oldest_due_seconds=oldest_due_seconds)


def _due_messages(now: dt.datetime) -> tuple[int, float]:
    """How many queued messages are due, and the seconds the oldest has waited (1 query)."""
    due = Message.objects.filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now).aggregate(
        n=Count("id"), oldest=Min("next_attempt_at")
    )
    return due["n"], (_seconds(now - due["oldest"]) or 0.0) if due["oldest"] else 0.0


def outbox_check(now: dt.datetime) -> Check:
    """The oldest due message has waited at most HEALTH_OUTBOX_AGE_SECONDS (1 query)."""
    due, age = _due_messages(now)
    return Check(age <= settings.HEALTH_OUTBOX_AGE_SECONDS, {"due": due, "oldest_due_seconds": age})


def tick_lag(now: dt.datetime) -> float | None:
    """Seconds since a tick last ran to its end; None when none ever did."""
    finished = TickLease.objects.values_list("last_finished_at", flat=True).first()
    return _seconds(now - finished) if finished else None


def tick_check(now: dt.datetime) -> Check:
    lag = tick_lag(now)
    return Check(lag is not None and lag <= settings.HEALTH_TICK_LAG_SECONDS, {"lag_seconds": lag})


def health() -> dict[str, Check]:
    """Every check; when the database is down the others are not tried."""
    database = database_check()
    if not database.ok:
        return {"database": database}
    now = clock.now()
    try:
        return {
            "database": database,
            "worker": worker_check(now),
            "outbox": outbox_check(now),
            "tick": tick_check(now),
        }
    except DatabaseError as error:
        return {"database": Check(False, {"error": type(error).__name__})}
