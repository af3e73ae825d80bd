"""Writes to supplies: add, edit, change status, request a re-order. Atomic and audited.

Every write re-derives ``runs_out_on`` here (not in ``Supply.save()``) and then tells the
rest of the system the client changed, so the care engine re-plans the client's re-order
reminder and side-effects check-in in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from aftercare import clock
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.supplies.models import CURRENT_STATUSES, Status, Supply
from aftercare.supplies.projection import project_run_out

EDITABLE_FIELDS = [
    "name",
    "kind",
    "prepared_by",
    "quantity",
    "unit",
    "daily_dose",
    "every_days",
    "taper_steps",
    "started_on",
    "lead_time_days",
    "status",
]


def derive_runs_out_on(supply: Supply) -> dt.date | None:
    """The run-out day of a supply still taken; None once it is stopped."""
    if supply.status not in CURRENT_STATUSES:
        return None
    return project_run_out(
        quantity=supply.quantity, schedule=supply.schedule, started_on=supply.started_on
    )


def _snapshot(supply: Supply) -> dict[str, Any]:
    return {name: getattr(supply, name) for name in [*EDITABLE_FIELDS, "runs_out_on"]}


@transaction.atomic
def supply_create(*, actor: Actor, client: Client, data: dict[str, Any]) -> Supply:
    """Add a supply for ``client`` from cleaned data (see ``forms.SupplyForm``)."""
    if client.practice_id != actor.practice.pk:
        raise ValueError("The client belongs to another practice.")
    supply = Supply(
        practice=actor.practice,
        client=client,
        **{name: value for name, value in data.items() if name in EDITABLE_FIELDS},
    )
    supply.runs_out_on = derive_runs_out_on(supply)
    supply.save()
    record_audit(
        actor,
        "create",
        supply,
        summary=f"Added supply {supply.name} for client #{client.pk}",
    )
    client_changed(client)
    return supply


@transaction.atomic
def supply_update(*, actor: Actor, supply: Supply, data: dict[str, Any]) -> Supply:
    """Apply cleaned changes; re-derive the run-out day; re-plan the client."""
    before = _snapshot(supply)
    for name, value in data.items():
        if name in EDITABLE_FIELDS:
            setattr(supply, name, value)
    if supply.status == Status.ACTIVE:
        supply.reorder_requested_at = None
    supply.runs_out_on = derive_runs_out_on(supply)
    supply.updated_at = clock.now()
    supply.save()
    changes = diff_fields(before, _snapshot(supply))
    if changes:
        record_audit(
            actor,
            "change",
            supply,
            summary=f"Changed {', '.join(sorted(changes))}",
            changes=changes,
        )
        client_changed(supply.client)
    return supply


@transaction.atomic
def supply_set_status(*, actor: Actor, supply: Supply, status: str) -> Supply:
    """Mark a supply re-ordered, stopped or active again."""
    if status not in Status.values:
        raise ValueError(f"Unknown supply status {status!r}")
    return supply_update(actor=actor, supply=supply, data={"status": status})


@transaction.atomic
def supply_request_reorder(*, supply: Supply, actor: Actor | None = None) -> bool:
    """Record a re-order request (the client's one tap, or staff on their behalf).

    Returns False when a request is already open, so a link tapped twice asks only once.
    The conditional UPDATE makes two simultaneous taps record one request.
    """
    now = clock.now()
    changed = Supply.objects.filter(pk=supply.pk, status=Status.ACTIVE).update(
        status=Status.REORDER_REQUESTED, reorder_requested_at=now, updated_at=now
    )
    if not changed:
        return False
    supply.refresh_from_db()
    record_audit(
        actor or Actor(user=None, practice=supply.practice, via="portal"),
        "change",
        supply,
        summary=f"Re-order of {supply.name} requested",
        changes={"status": [Status.ACTIVE, Status.REORDER_REQUESTED]},
    )
    client_changed(supply.client)
    return True
