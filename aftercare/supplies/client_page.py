"""The client page's "Supplies" panel and timeline rows (registered in SuppliesConfig.ready)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from aftercare import clock, statements
from aftercare.clients.models import Client
from aftercare.clients.timeline import ClientSection, TimelineAction, TimelineEntry
from aftercare.locales import format_date
from aftercare.practice.access import Actor
from aftercare.supplies.models import CURRENT_STATUSES, Status, Supply
from aftercare.supplies.reorder import reorder_plans

HISTORY_LIMIT = 100


def _supplies_of(client: Client) -> list[Supply]:
    """The client's supplies, loaded once per page: the panel and the timeline share them."""
    cached = client.__dict__.get("_page_supplies")
    if cached is None:
        cached = statements.objects(
            ("supplies: a client's", HISTORY_LIMIT),
            lambda client: Supply.objects.filter(client_id=client).order_by(
                "status", "runs_out_on", "id"
            )[:HISTORY_LIMIT],
            model=Supply,
            client=client.pk,
        )
        for supply in cached:
            supply.client = client  # (what select_related("client") gave: the page's own)
        client.__dict__["_page_supplies"] = cached
    return cached


def supplies_section(client: Client, actor: Actor) -> ClientSection:
    """Every supply of the client with its run-out and order-by days; add one from here.

    Shown even when empty, since it holds the "Add a supply" link. At most two queries: the
    supplies (shared with the timeline) and, when one is still taken, the absences.
    """
    supplies = _supplies_of(client)
    today = clock.today(actor.practice.tz)
    plans = reorder_plans(supplies, today=today)
    rows = [
        {"supply": supply, "plan": plans.get(supply.pk), "current": supply.is_current}
        for supply in supplies
    ]
    return ClientSection(
        title="Supplies",
        template_name="supplies/client_section.html",
        context={"rows": rows, "today": today, "statuses": Status},
        order=30,
    )


def supply_timeline(client: Client, actor: Actor) -> list[TimelineEntry]:
    """ "Started X" for each supply (one query); a re-order request also shows when it came."""
    tz = actor.practice.tz
    entries = []
    for supply in _supplies_of(client):
        started_at = dt.datetime.combine(supply.started_on, dt.time(9, 0), tzinfo=tz)
        detail = supply.dose_summary
        if supply.runs_out_on:
            detail += f"; runs out {format_date(supply.runs_out_on, 'j M Y')}"
        actions: tuple[TimelineAction, ...] = ()
        if supply.status in CURRENT_STATUSES and supply.status != Status.REORDERED:
            actions = (
                TimelineAction(
                    "Mark re-ordered",
                    reverse("supplies-status", args=[supply.pk]),
                    {"status": Status.REORDERED},
                ),
            )
        entries.append(
            TimelineEntry(
                at=started_at,
                kind="supply",
                title=f"Started {supply.name}",
                detail=detail,
                status=supply.status,
                status_label=supply.get_status_display(),
                url=reverse("supplies-edit", args=[supply.pk]),
                actions=actions,
            )
        )
        if supply.reorder_requested_at:
            entries.append(
                TimelineEntry(
                    at=supply.reorder_requested_at,
                    kind="supply",
                    title=f"Asked to re-order {supply.name}",
                    url=reverse("supplies-edit", args=[supply.pk]),
                )
            )
    return entries
