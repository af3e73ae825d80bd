"""Re-order plans for many supplies at once, taking each practitioner's absences into account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from aftercare.absences.selectors import absence_ranges_by_practitioner
from aftercare.supplies.models import Status, Supply
from aftercare.supplies.projection import ReorderPlan, plan_reorder


def reorder_plans(supplies: Sequence[Supply], *, today: dt.date) -> dict[int, ReorderPlan]:
    """``supply.pk -> ReorderPlan`` for active supplies; one query for all the absences.

    The practitioner whose absences count is the client's primary practitioner (who
    prepares or prescribes the next supply). Needs ``client`` selected with each supply.
    """
    active = [s for s in supplies if s.status == Status.ACTIVE and s.runs_out_on is not None]
    if not active:
        return {}
    ranges = absence_ranges_by_practitioner(
        practice_id=active[0].practice_id,
        practitioner_ids=[s.client.primary_practitioner_id for s in active],
        since=today,
    )
    return {
        supply.pk: plan_reorder(
            runs_out_on=supply.runs_out_on,  # type: ignore[arg-type]
            lead_time_days=supply.lead_time_days,
            absences=ranges.get(supply.client.primary_practitioner_id or 0, []),
            today=today,
        )
        for supply in active
    }
