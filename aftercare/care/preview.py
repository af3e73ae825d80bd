"""What the care engine will do for some clients in a date range, without changing anything."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aftercare.care.facts import PlannedTouchpoint
from aftercare.care.planner import local_moment
from aftercare.care.reconcile import load_batch, plan_batch
from aftercare.clients.models import Client


@dataclass(frozen=True)
class ClientPreview:
    client_id: int
    client_name: str
    time_zone: str
    touchpoints: list[PlannedTouchpoint]

    def as_dict(self) -> dict[str, object]:
        tz = zoneinfo.ZoneInfo(self.time_zone)
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "time_zone": self.time_zone,
            "touchpoints": [
                {
                    "key": t.key,
                    "kind": t.kind,
                    "action": t.action,
                    "channel": t.channel,
                    "title": t.title,
                    "due_at": t.due_at.isoformat(),
                    "due_local": t.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    "status": t.status,
                    "blocked": t.blocked,
                    "held_back_reason": t.held_back_reason,
                    "status_reason": t.status_reason,
                    "value": t.value,
                    "essential": t.essential,
                    "bundle_with": t.context.get("bundle_with", ""),
                }
                for t in self.touchpoints
            ],
        }


def preview(
    client_ids: Iterable[int], *, start: dt.date, end: dt.date, now: dt.datetime
) -> Iterator[ClientPreview]:
    """Touchpoints due from ``start`` to ``end`` (inclusive, each client's local dates).

    Read-only: it loads and plans exactly like reconciliation but writes nothing.
    """
    ids = list(client_ids)
    batch = load_batch(ids, now)
    planned, _ = plan_batch(batch, now)
    names = {
        pk: f"{given} {family}".strip()
        for pk, given, family in Client.objects.filter(id__in=ids).values_list(
            "id", "given_name", "family_name"
        )
    }
    for row in batch.clients:
        facts = batch.facts[row["id"]]
        tz = zoneinfo.ZoneInfo(facts.time_zone)
        low = local_moment(start, dt.time(0), tz)
        high = local_moment(end + dt.timedelta(days=1), dt.time(0), tz)
        touchpoints = [t for t in planned[row["id"]] if low <= t.due_at < high]
        if touchpoints:
            yield ClientPreview(row["id"], names.get(row["id"], ""), facts.time_zone, touchpoints)
