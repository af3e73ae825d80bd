"""Reads for absences used across features (re-order planning, inbound routing, previews)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from aftercare import statements
from aftercare.absences.models import Absence

DateRange = tuple[dt.date, dt.date]


def absence_ranges_by_practitioner(
    *, practice_id: int, practitioner_ids: Iterable[int | None], since: dt.date
) -> dict[int, list[DateRange]]:
    """Each practitioner's absences ending on or after ``since``, in one query."""
    ids = {pk for pk in practitioner_ids if pk is not None}
    ranges: dict[int, list[DateRange]] = defaultdict(list)
    if not ids:
        return ranges
    rows = statements.rows(
        "absences: ranges of practitioners",
        lambda practice, practitioners, since: (
            Absence.objects.filter(
                practice_id=practice, practitioner_id__in=practitioners, cancelled=False
            )
            .filter(last_day__gte=since)
            .values_list("practitioner_id", "first_day", "last_day")
        ),
        practice=practice_id,
        practitioners=tuple(sorted(ids)),
        since=since,
    )
    for practitioner_id, first_day, last_day in rows:
        ranges[practitioner_id].append((first_day, last_day))
    return ranges


def current_absence(*, practitioner_id: int, day: dt.date) -> Absence | None:
    """The practitioner's absence covering ``day``, if any."""
    return (
        Absence.objects.filter(
            practitioner_id=practitioner_id, cancelled=False, first_day__lte=day, last_day__gte=day
        )
        .select_related("practice", "practitioner")
        .first()
    )
