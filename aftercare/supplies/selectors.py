"""Reads for supplies: what runs out soon, a client's supplies."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

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
