"""Reads for supplies: what runs out soon, a client's supplies, what happens about a re-order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.practice.access import Actor, scoped
from aftercare.supplies.models import CURRENT_STATUSES, Supply


def supplies_running_out(*, actor: Actor, today: dt.date, days: int) -> QuerySet[Supply]:
    """Supplies still taken that run out within ``days`` days of ``today`` (or already have)."""
    return (
        scoped(Supply, actor)
        .filter(
            status__in=CURRENT_STATUSES,
            runs_out_on__lte=today + dt.timedelta(days=days),
            client__archived=False,
        )
        .select_related("client", "client__primary_practitioner")
        .order_by("runs_out_on", "id")
    )


def supplies_of_client(*, actor: Actor, client: Client) -> QuerySet[Supply]:
    return scoped(Supply, actor).filter(client=client).order_by("status", "runs_out_on", "id")


@dataclass(frozen=True)
class ReorderStep:
    """One thing that did or will happen about a supply's re-order, as the care engine has it."""

    label: str  # "Reminder", "Second reminder", "Call the client"
    state: str  # sent, planned, due, done, skipped, expired
    at: dt.datetime
    note: str = ""  # why it was held back, skipped or expired

    @property
    def words(self) -> str:
        return STEP_WORDS.get(self.state, self.state)


STEP_WORDS = {
    "sent": "sent",
    "planned": "planned for",
    "due": "going out now",
    "done": "done",
    "skipped": "not sent",
    "expired": "not sent",
}


def reorder_steps(supplies: list[Supply]) -> dict[int, list[ReorderStep]]:
    """What really happened or is planned about each supply's re-order, in one query.

    Read from the touchpoints the care engine planned (reminders, the second reminder, the last
    call), not from the projection: a reminder held back, skipped or never sent shows as such.
    Cancelled ones (the client re-ordered, the dose changed) are left out.
    """
    ids = [supply.pk for supply in supplies]
    if not ids:
        return {}
    steps: dict[int, list[ReorderStep]] = {pk: [] for pk in ids}
    rows = (
        Touchpoint.objects.filter(
            practice_id=supplies[0].practice_id,
            kind__in=["reorder_reminder", "call"],
            context__supply_id__in=ids,
        )
        .exclude(status=TouchpointStatus.CANCELLED)
        .values_list(
            "context",
            "key",
            "kind",
            "status",
            "due_at",
            "completed_at",
            "status_reason",
            "held_back_reason",
        )
        .order_by("due_at", "id")
    )
    for context, key, kind, status, due_at, completed_at, status_reason, held_back_reason in rows:
        if kind == "call":
            label = "Call the client"
        elif key.endswith("again"):
            label = "Second reminder"
        else:
            label = "Reminder"
        steps[context["supply_id"]].append(
            ReorderStep(
                label=label,
                state=status,
                at=completed_at or due_at,
                note=status_reason or (held_back_reason if status == "planned" else ""),
            )
        )
    return steps
