"""The policy loader for the care planner: the practice's absences, in two queries per batch.

The client's booked appointments (with their practitioner) and primary practitioner are core
facts (``care/reconcile.py``), so absences need no fact loader of their own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from aftercare import clock
from aftercare.absences.models import Absence, EmergencyListEntry
from aftercare.absences.planning import AbsenceFact
from aftercare.care.reconcile import register_policy_loader

# Cancelled or ended absences still matter a while: corrections for notices already sent.
HISTORY = dt.timedelta(days=60)


def load_absences(practice_ids: Sequence[int]) -> dict[int, dict[int, tuple[AbsenceFact, ...]]]:
    """``{practice_id: {practitioner_id: (AbsenceFact, …)}}`` for absences not long over."""
    since = (clock.now() - HISTORY).date()
    absences = list(
        Absence.objects.filter(practice_id__in=practice_ids, last_day__gte=since)
        .select_related("practitioner")
        .order_by("first_day", "id")
    )
    emergency: dict[int, set[int]] = defaultdict(set)
    if absences:
        for absence_id, client_id in EmergencyListEntry.objects.filter(
            absence__in=[a.pk for a in absences]
        ).values_list("absence_id", "client_id"):
            emergency[absence_id].add(client_id)
    found: dict[int, dict[int, list[AbsenceFact]]] = defaultdict(lambda: defaultdict(list))
    for absence in absences:
        found[absence.practice_id][absence.practitioner_id].append(
            AbsenceFact(
                id=absence.pk,
                practitioner_id=absence.practitioner_id,
                first_day=absence.first_day,
                last_day=absence.last_day,
                notify_days_before=absence.notify_days_before,
                cover_contact=absence.cover_contact,
                practitioner_name=absence.practitioner.display_name,
                public_note=absence.public_note,
                cancelled=absence.cancelled,
                announce_to_all=absence.announce_to_all,
                emergency_client_ids=frozenset(emergency[absence.pk]),
            )
        )
    return {
        practice_id: {pid: tuple(rows) for pid, rows in by_practitioner.items()}
        for practice_id, by_practitioner in found.items()
    }


def register() -> None:

    register_policy_loader("absences", load_absences)
