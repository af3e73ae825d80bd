"""What supplies show on the Today page: re-orders the practice (or its pharmacy) must prepare."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse

from aftercare.locales import format_date
from aftercare.practice.access import Actor, scoped
from aftercare.queue import today
from aftercare.queue.selectors import first_objects
from aftercare.supplies.models import PreparedBy, Status, Supply


def supplies_to_prepare_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard:
    """Supplies whose client asked to re-order and that we prepare, soonest run-out first, and
    how many (one query)."""
    rows = scoped(Supply, actor).filter(
        status=Status.REORDER_REQUESTED,
        prepared_by__in=(PreparedBy.PRACTICE, PreparedBy.PHARMACY),
        client__archived=False,
    )
    if scope == "mine":
        rows = rows.filter(
            Q(client__primary_practitioner=actor.user) | Q(client__primary_practitioner=None)
        )
    shown, total = first_objects(
        rows.select_related("client"), ["runs_out_on", "id"], today.CARD_LIMIT
    )
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
