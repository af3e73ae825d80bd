"""What insights adds to the apps below it: the daily refresh (tick), the navigation, a
section on the client page linking to the client's-eye view."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse

from aftercare.care.ticks import register_tick_step
from aftercare.clients.models import Client
from aftercare.clients.timeline import ClientSection, register_client_section
from aftercare.insights.models import InsightsPolicy
from aftercare.insights.services import insights_refresh
from aftercare.practice.access import Actor
from aftercare.practice.models import Practice
from aftercare.practice.navigation import NAV_ITEMS


def refresh_daily(now: dt.datetime) -> int:
    """Tick step: once a practice-local day, refresh every client's score and lost status."""
    changed = 0
    for practice in Practice.objects.order_by("pk"):
        today = now.astimezone(practice.tz).date()
        policy, _created = InsightsPolicy.objects.get_or_create(practice=practice)
        if policy.refreshed_on == today:
            continue
        # Claim the day first, so a second tick at the same time does not do it again.
        with transaction.atomic():
            claimed = (
                InsightsPolicy.objects.filter(pk=policy.pk)
                .exclude(refreshed_on=today)
                .update(refreshed_on=today)
            )
        if claimed:
            changed += insights_refresh(practice=practice, now=now).refreshed
    return changed


def care_section(client: Client, actor: Actor) -> ClientSection | None:
    """A link to the client's-eye view (no query: the client page's cost stays as it was)."""
    return ClientSection(
        title="As the client lived it",
        template_name="insights/_client_section.html",
        context={"url": reverse("insights-client", args=[client.pk])},
        order=15,
    )


def register_all() -> None:
    register_tick_step("insights: refresh care scores daily", refresh_daily)
    register_client_section(care_section)
    for item in (("Care scores", "insights-dashboard"), ("Lost clients", "insights-lost")):
        if item not in NAV_ITEMS:
            NAV_ITEMS.insert(len(NAV_ITEMS) - 1, item)
