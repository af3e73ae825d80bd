"""One-tap re-order: a signed link in the re-order reminder, no login.

The token signs the supply and the day its current supply started, so a link from an earlier
cycle cannot re-order the next one, and the same link always gives the same page: a second
tap says the request is already in. It expires after ``links.REORDER_MAX_AGE`` (60 days):
an older link says so and asks the client to contact the practice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from aftercare import clock
from aftercare.links import REORDER_MAX_AGE, LinkExpired, LinkInvalid, read_text, sign_text
from aftercare.supplies.models import Status, Supply
from aftercare.supplies.projection import ready_on
from aftercare.supplies.reorder import absence_ranges_by_practitioner
from aftercare.supplies.services import supply_request_reorder

SALT = "aftercare.supplies.reorder"


def reorder_token(supply_id: int, started_on: dt.date) -> str:
    return sign_text(SALT, f"{supply_id}.{started_on:%Y%m%d}")


def reorder_url(supply_id: int, started_on: dt.date) -> str:
    return settings.BASE_URL + reverse(
        "supplies-reorder", args=[reorder_token(supply_id, started_on)]
    )


def supply_for_token(token: str) -> Supply:
    """The supply of a live link; LinkExpired for an old one, 404 for a broken one."""
    try:
        value = read_text(SALT, token, REORDER_MAX_AGE)
        supply_id, started = value.split(".")
        pk = int(supply_id)
    except (LinkInvalid, ValueError) as error:
        raise Http404("This link is not valid.") from error
    supply = (
        Supply.objects.select_related("client", "practice", "client__primary_practitioner")
        .filter(pk=pk)
        .first()
    )
    if supply is None or f"{supply.started_on:%Y%m%d}" != started:
        raise Http404("This link belongs to an earlier supply.")
    return supply


def honest_ready_day(supply: Supply) -> dt.date:
    """When an order placed today will be ready: lead time, with preparation outside absences."""
    today = clock.today(supply.practice.tz)
    practitioner_id = supply.client.primary_practitioner_id
    ranges = absence_ranges_by_practitioner(
        practice_id=supply.practice_id, practitioner_ids=[practitioner_id], since=today
    ).get(practitioner_id or 0, [])
    return ready_on(ordered_on=today, lead_time_days=supply.lead_time_days, absences=ranges)


@require_http_methods(["GET", "POST"])
def reorder(request: HttpRequest, token: str) -> HttpResponse:
    try:
        supply = supply_for_token(token)
    except LinkExpired:
        return render(request, "supplies/reorder_expired.html", status=410)
    requested = False
    if request.method == "POST" and supply.status == Status.ACTIVE:
        requested = supply_request_reorder(supply=supply)
    ready = honest_ready_day(supply)
    return render(
        request,
        "supplies/reorder.html",
        {
            "supply": supply,
            "ready": ready,
            "requested": requested,
            "already": supply.status in {Status.REORDER_REQUESTED, Status.REORDERED}
            and not requested,
            "stopped": supply.status == Status.STOPPED,
            "practice": supply.practice,
            "late": supply.runs_out_on is not None and ready > supply.runs_out_on,
        },
    )
