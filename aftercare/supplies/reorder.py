"""Re-order plans for many supplies at once, taking each practitioner's absences into account.

The absences app sits above supplies (its notices build on supplies), so it tells re-order
planning when practitioners are away through ``register_absence_ranges`` instead of being
imported here. Without a registered provider nobody is ever away.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from aftercare.supplies.models import Status, Supply
from aftercare.supplies.projection import ReorderPlan, plan_reorder

DateRange = tuple[dt.date, dt.date]
# ``provider(practice_id=…, practitioner_ids=…, since=…) -> {practitioner_id: [(first, last)]}``
AbsenceRanges = Callable[..., dict[int, list[DateRange]]]
_absence_providers: list[AbsenceRanges] = []


def register_absence_ranges(provider: AbsenceRanges) -> AbsenceRanges:
    """Add a source of practitioners' absences (registering twice is harmless)."""
    if provider not in _absence_providers:
        _absence_providers.append(provider)
    return provider


def absence_ranges_by_practitioner(
    *, practice_id: int, practitioner_ids: Iterable[int | None], since: dt.date
) -> dict[int, list[DateRange]]:
    """Each practitioner's absences ending on or after ``since`` (one query per provider)."""
    ids = list(practitioner_ids)
    ranges: dict[int, list[DateRange]] = defaultdict(list)
    for provider in _absence_providers:
        found = provider(practice_id=practice_id, practitioner_ids=ids, since=since)
        for practitioner_id, dates in found.items():
            ranges[practitioner_id].extend(dates)
    return ranges


class ClientPlanned(Protocol):
    @property
    def primary_practitioner_id(self) -> int | None: ...


class SupplyPlanned(Protocol):
    """What re-order planning reads of a supply: a ``Supply``, or a row read as columns."""

    @property
    def pk(self) -> int: ...
    @property
    def practice_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def runs_out_on(self) -> dt.date | None: ...
    @property
    def lead_time_days(self) -> int: ...
    @property
    def client(self) -> ClientPlanned: ...


def reorder_plans(
    supplies: Sequence[Supply] | Sequence[SupplyPlanned], *, today: dt.date
) -> dict[int, ReorderPlan]:
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
