"""What keeps ``aftercare tick`` safe to run often: the daily re-plan and the tick lease.

**Daily re-plan** (tick step ``care: daily re-plan``): yearly and long-horizon touchpoints
(birthdays, anniversaries, recalls) only move forward when the planner runs again, so once per
calendar day of each practice (its time zone) the first tick of that day re-plans every client
of the practice with the same batched sweep as ``aftercare plan --all``. ``CarePolicy.swept_on``
records the local day of the last sweep; claiming a day is one conditional UPDATE
(``WHERE swept_on IS DISTINCT FROM today``), so however many ticks run, one sweeps. Any other
day counts as "not today", so ``tick --at`` time travel works both ways.

**Tick lease**: two ``tick`` runs must not overlap (a slow tick under ``aftercare up``, or cron
plus ``up``). ``claim_tick_lease`` takes the single ``TickLease`` row with a conditional UPDATE
(free, or its lease expired) like the messaging worker's claim; it works the same on SQLite and
PostgreSQL. A tick that finds the lease held exits quietly. A tick that dies keeps the lease
until it expires (``TICK_LEASE``), then the next tick takes over.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.db.models import Q

from aftercare import clock
from aftercare.care.models import CarePolicy, TickLease
from aftercare.care.reconcile import reconcile_all
from aftercare.practice.models import Practice

TICK_LEASE = dt.timedelta(minutes=15)
LEASE_ROW = 1


def practice_today(time_zone: str, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def daily_replan(now: dt.datetime, *, batch_size: int = 1000) -> int:
    """Tick step: re-plan each practice not yet swept on its local day; returns rows changed."""
    practices = list(Practice.objects.values_list("id", "time_zone"))
    missing = set(dict(practices)) - set(CarePolicy.objects.values_list("practice_id", flat=True))
    if missing:
        CarePolicy.objects.bulk_create(
            [CarePolicy(practice_id=pk) for pk in sorted(missing)], ignore_conflicts=True
        )
    changed = 0
    for practice_id, time_zone in practices:
        today = practice_today(time_zone, now)
        previous = (
            CarePolicy.objects.filter(practice_id=practice_id)
            .values_list("swept_on", flat=True)
            .first()
        )
        if previous == today:
            continue
        # The claim: of two ticks that read the same day, only one UPDATE changes the row.
        claimed = (
            CarePolicy.objects.filter(practice_id=practice_id)
            .filter(Q(swept_on__isnull=True) | ~Q(swept_on=today))
            .update(swept_on=today)
        )
        if not claimed:
            continue
        try:
            changed += reconcile_all(
                practice_id=practice_id, batch_size=batch_size, now=now
            ).changed
        except BaseException:
            # Give the day back so the next tick tries again rather than waiting a day.
            CarePolicy.objects.filter(practice_id=practice_id, swept_on=today).update(
                swept_on=previous
            )
            raise
    return changed


def claim_tick_lease(*, lease: dt.timedelta = TICK_LEASE) -> str | None:
    """Take the tick lease; returns its token, or None when another tick holds it."""
    TickLease.objects.bulk_create([TickLease(pk=LEASE_ROW)], ignore_conflicts=True)
    now = clock.now()
    token = uuid.uuid4().hex
    claimed = (
        TickLease.objects.filter(pk=LEASE_ROW)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lte=now))
        .update(owner=token, expires_at=now + lease)
    )
    return token if claimed else None


def release_tick_lease(token: str, *, finished: bool = False) -> None:
    """Give the lease back, only if this tick still holds it; ``finished``: it ran to its end."""
    done = {"last_finished_at": clock.now()} if finished else {}
    TickLease.objects.filter(pk=LEASE_ROW, owner=token).update(owner="", expires_at=None, **done)


def tick_lease_holder() -> TickLease | None:
    return TickLease.objects.filter(pk=LEASE_ROW).first()
