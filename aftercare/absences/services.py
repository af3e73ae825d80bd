"""Writes to absences: plan, change, cancel, and the emergency list. Atomic and audited.

After every write the clients it touches are re-planned by the care engine (on commit), so
re-order reminders move before the absence, check-ins and recalls after it, advance notices
are planned, and notices already sent are followed by a correction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from aftercare import clock
from aftercare.absences.messages import absence_details
from aftercare.absences.models import Absence, EmergencyListEntry
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_batch
from aftercare.clients.models import Client
from aftercare.locales import format_date, practice_locale
from aftercare.messaging.services import message_queue
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.promises.models import Promise, PromiseSource
from aftercare.promises.services import promise_create, promise_release

log = logging.getLogger("aftercare.absences")

AUDITED_FIELDS = [
    "practitioner_id",
    "first_day",
    "last_day",
    "public_note",
    "cover_contact",
    "notify_days_before",
    "auto_reply_text",
    "announce_to_all",
    "cancelled",
]
# Touchpoints this far after an absence may have been moved by it (check-ins, recalls).
REPLAN_MARGIN = dt.timedelta(days=120)


def _snapshot(absence: Absence) -> dict[str, Any]:
    return {name: getattr(absence, name) for name in AUDITED_FIELDS}


def affected_client_ids(
    absence: Absence, *, extra_ranges: list[tuple[dt.date, dt.date]] = ()
) -> list[int]:  # type: ignore[assignment]
    """Clients whose plan the absence (at its old or new dates) may change. Three queries.

    1. clients of the practitioner with supplies or appointments around the absence, and any
       client with an appointment with the practitioner inside it;
    2. clients with open touchpoints due around it, or any touchpoint about this absence;
    3. the emergency list.
    """
    ranges = [(absence.first_day, absence.last_day), *extra_ranges]
    start = min(first for first, _ in ranges)
    end = max(last for _, last in ranges)
    tz = absence.practice.tz
    since = dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz) - dt.timedelta(days=1)
    until = dt.datetime.combine(end, dt.time(0, 0), tzinfo=tz) + REPLAN_MARGIN
    around = Q(appointments__starts_at__gte=since, appointments__starts_at__lt=until)
    ids = set(
        Client.objects.filter(practice=absence.practice, archived=False)
        .filter(
            Q(primary_practitioner=absence.practitioner)
            & (
                Q(
                    supplies__runs_out_on__gte=start,
                    supplies__runs_out_on__lte=end + dt.timedelta(days=400),
                )
                | around
            )
            | around & Q(appointments__practitioner=absence.practitioner)
        )
        .values_list("pk", flat=True)
    )
    ids.update(
        Touchpoint.objects.filter(practice=absence.practice)
        .filter(
            Q(
                client__primary_practitioner=absence.practitioner,
                status__in=["planned", "due"],
                due_at__gte=since,
                due_at__lt=until,
            )
            | Q(key__contains=f":absence{absence.pk}")
        )
        .values_list("client_id", flat=True)
    )
    ids.update(absence.emergency_entries.values_list("client_id", flat=True))
    return sorted(ids)


def replan_clients(client_ids: list[int]) -> None:
    """Re-plan these clients once the transaction commits."""
    if not client_ids:
        return

    def run() -> None:
        for start in range(0, len(client_ids), 1000):
            reconcile_batch(client_ids[start : start + 1000], now=clock.now())

    transaction.on_commit(run)


def _set_emergency_list(*, actor: Actor, absence: Absence, client_ids: list[int]) -> None:
    """Add and remove clients on the emergency list; each added client gets a promise and a note."""
    current = {entry.client_id: entry for entry in absence.emergency_entries.all()}
    wanted = set(client_ids)
    for client_id, entry in current.items():
        if client_id not in wanted:
            _release_promise(actor, entry, reason="Taken off the emergency list")
            entry.delete()
    added = [pk for pk in client_ids if pk not in current]
    for client in Client.objects.filter(practice=actor.practice, pk__in=added):
        entry = EmergencyListEntry.objects.create(absence=absence, client=client)
        entry.promise_id = _make_promise(actor, absence, client)
        entry.told_at = _tell_emergency_access(absence, client)
        entry.save(update_fields=["promise_id", "told_at"])
    if added or len(current) != len(wanted & set(current)):
        record_audit(
            actor,
            "change",
            absence,
            summary="Changed the emergency list",
            changes={"emergency_client_ids": [sorted(current), sorted(wanted)]},
        )


def _make_promise(actor: Actor, absence: Absence, client: Client) -> int | None:
    tz, locale = absence.practice.tz, practice_locale(absence.practice)
    promise = promise_create(
        actor=actor,
        client=client,
        what=(
            f"{absence.practitioner.display_name} is reachable during the absence "
            f"{format_date(absence.first_day, 'j M', locale)}–"
            f"{format_date(absence.last_day, 'j M Y', locale)} and answers in person"
        ),
        due_from=dt.datetime.combine(absence.first_day, dt.time(0, 0), tzinfo=tz),
        due_until=dt.datetime.combine(absence.back_on, dt.time(0, 0), tzinfo=tz),
        practitioner=absence.practitioner,
        source=PromiseSource.ABSENCE,
        source_ref=f"absence:{absence.pk}",
    )
    return promise.pk


def _release_promise(actor: Actor, entry: EmergencyListEntry, *, reason: str) -> None:
    if entry.promise_id is None:
        return
    if Promise.objects.filter(pk=entry.promise_id, status="open").exists():
        promise_release(actor=actor, promise_id=entry.promise_id, reason=reason)


def _tell_emergency_access(absence: Absence, client: Client) -> dt.datetime | None:
    """Tell the client, through the outbox, how to reach the practitioner while away."""
    message_queue(
        client=client,
        template_key="emergency_access",
        details=absence_details(absence, practice_locale(client.practice)),
        automated=False,
    )
    return clock.now()


@transaction.atomic
def absence_create(
    *, actor: Actor, data: dict[str, Any], emergency_client_ids: list[int] | None = None
) -> Absence:
    """Plan an absence from cleaned data (``forms.AbsenceForm``), with its emergency list."""
    absence = Absence(practice=actor.practice, created_by=actor.user, **data)
    absence.save()
    record_audit(
        actor,
        "create",
        absence,
        summary=f"Planned absence of {absence.practitioner} {absence.first_day}–{absence.last_day}",
    )
    _set_emergency_list(actor=actor, absence=absence, client_ids=emergency_client_ids or [])
    replan_clients(affected_client_ids(absence))
    return absence


@transaction.atomic
def absence_update(
    *,
    actor: Actor,
    absence: Absence,
    data: dict[str, Any],
    emergency_client_ids: list[int] | None = None,
) -> Absence:
    """Change an absence; every touchpoint it moved (at the old or new dates) is re-planned."""
    before = _snapshot(absence)
    old_range = (absence.first_day, absence.last_day)
    for name, value in data.items():
        setattr(absence, name, value)
    absence.updated_at = clock.now()
    absence.save()
    changes = diff_fields(before, _snapshot(absence))
    if changes:
        record_audit(
            actor,
            "change",
            absence,
            summary=f"Changed {', '.join(sorted(changes))}",
            changes=changes,
        )
    if emergency_client_ids is not None:
        _set_emergency_list(actor=actor, absence=absence, client_ids=emergency_client_ids)
    replan_clients(affected_client_ids(absence, extra_ranges=[old_range]))
    return absence


@transaction.atomic
def absence_cancel(*, actor: Actor, absence: Absence) -> Absence:
    """Cancel an absence: planned notices are withdrawn, sent ones corrected, promises released."""
    if absence.cancelled:
        return absence
    absence.cancelled = True
    absence.cancelled_at = clock.now()
    absence.updated_at = absence.cancelled_at
    absence.save(update_fields=["cancelled", "cancelled_at", "updated_at"])
    for entry in absence.emergency_entries.all():
        _release_promise(actor, entry, reason="The absence was cancelled")
    record_audit(
        actor,
        "change",
        absence,
        summary="Cancelled the absence",
        changes={"cancelled": [False, True]},
    )
    replan_clients(affected_client_ids(absence))
    return absence
