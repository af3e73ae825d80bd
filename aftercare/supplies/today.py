"""What supplies show on the Today page: re-orders the practice (or its pharmacy) must prepare."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.urls import reverse

from aftercare import statements
from aftercare.locales import format_date
from aftercare.practice.access import Actor
from aftercare.queue import today
from aftercare.queue.selectors import first_rows_of, first_rows_query
from aftercare.supplies.models import PreparedBy, Status, Supply

# What the card shows of a supply and its client.
_CARD_FIELDS = [
    "id",
    "client_id",
    "name",
    "kind",
    "runs_out_on",
    "prepared_by",
    "client__given_name",
    "client__family_name",
]


def supplies_to_prepare_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard:
    """Supplies whose client asked to re-order and that we prepare, soonest run-out first, and
    how many (one query)."""

    def build(practice: int, user: int | None = None) -> QuerySet[Supply]:
        rows = Supply.objects.filter(
            practice_id=practice,
            status=Status.REORDER_REQUESTED,
            prepared_by__in=(PreparedBy.PRACTICE, PreparedBy.PHARMACY),
            client__archived=False,
        )
        if scope == "mine":
            rows = rows.filter(
                Q(client__primary_practitioner_id=user) | Q(client__primary_practitioner=None)
            )
        return first_rows_query(rows, ["runs_out_on", "id"], _CARD_FIELDS, today.CARD_LIMIT)

    found, total = first_rows_of(
        "today: supplies to prepare", build, actor, scope, today.CARD_LIMIT
    )
    shown = statements.instances(Supply, _CARD_FIELDS, found)
    next_url = reverse("queue-today")
    entries = []
    for supply in shown:
        runs_out = (
            f"runs out {format_date(supply.runs_out_on, 'j M')}" if supply.runs_out_on else ""
        )
        by = "the pharmacy prepares it" if supply.prepared_by == PreparedBy.PHARMACY else ""
        entries.append(
            today.TodayEntry(
                title=supply.client.full_name,
                client_id=supply.client_id,
                detail=f"{supply.name} ({supply.get_kind_display().lower()})",
                note=", ".join(part for part in (runs_out, by) if part).capitalize(),
                action=today.TodayAction(
                    "Re-ordered",
                    reverse("supplies-status", args=[supply.pk]),
                    method="post",
                    fields={"status": Status.REORDERED, "next": next_url},
                ),
                secondary=today.TodayAction(
                    "Open client", reverse("clients-detail", args=[supply.client_id])
                ),
            )
        )
    return today.TodayCard(
        key="supplies",
        title="Supplies to prepare",
        entries=tuple(entries),
        order=35,
        empty_text="No re-order to prepare.",
        more=total - len(shown),
        link=today.TodayAction("Running out", reverse("supplies-running-out")),
    )
