"""The supplies fact loader for the care planner: one query per batch of clients."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from aftercare.care.reconcile import register_fact_loader
from aftercare.supplies.models import Supply
from aftercare.supplies.planning import SupplyFact
from aftercare.supplies.reorder_link import reorder_url


def load_supplies(client_ids: Sequence[int]) -> dict[int, tuple[SupplyFact, ...]]:
    found: dict[int, list[SupplyFact]] = defaultdict(list)
    rows = Supply.objects.filter(client_id__in=client_ids).values_list(
        "client_id",
        "id",
        "name",
        "kind",
        "prepared_by",
        "started_on",
        "runs_out_on",
        "lead_time_days",
        "status",
        "reorder_requested_at",
    )
    for client_id, *fields in rows.order_by("id"):
        fact = SupplyFact(*fields)
        if fact.status == "active":
            fact = replace(fact, reorder_url=reorder_url(fact.id, fact.started_on))
        found[client_id].append(fact)
    return {client_id: tuple(facts) for client_id, facts in found.items()}


def register() -> None:

    register_fact_loader("supplies", load_supplies)
