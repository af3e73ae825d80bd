"""``GET /api/v1/clients/{id}/care`` (the care score and its checklist) and
``GET /api/v1/lost-clients`` (clients who quietly left, with their likely reasons)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from aftercare.api.auth import api_actor
from aftercare.api.errors import ErrorOut
from aftercare.api.pagination import PageParams, paginate
from aftercare.clients.models import Client
from aftercare.insights.selectors import lost_clients, reason_words
from aftercare.insights.services import refresh_one
from aftercare.practice.access import get_scoped_or_404

clients_router = Router(tags=["Insights"])
lost_router = Router(tags=["Insights"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CheckOut(Schema):
    key: str = Field(description="checked_in, replies_answered, promises_kept, …")
    label: str
    status: Literal["met", "not_met", "not_applicable"]
    detail: str = Field(description="The evidence in words")


class ReasonOut(Schema):
    key: str = Field(description="unanswered_message, supply_ran_out, broken_promise, …")
    words: str


class CareOut(Schema):
    score: int = Field(description="0–100: the share of applicable checks that are met")
    checks: list[CheckOut]
    lost: bool
    likely_reasons: list[ReasonOut]
    computed_at: dt.datetime


class LostClientOut(Schema):
    client_id: int
    last_visit_on: dt.date | None
    lost_since: dt.date
    visits: int
    likely_reasons: list[ReasonOut]


class LostClientPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[LostClientOut]


@clients_router.get(
    "/{int:client_id}/care",
    response={200: CareOut, **ERRORS},
    summary="A client's care score with the checklist behind it",
)
def client_care(request: HttpRequest, client_id: int) -> dict[str, Any]:
    """Computed now from the client's history: would they feel cared for?"""
    actor = api_actor(request)
    client = get_scoped_or_404(Client.objects.all(), actor, pk=client_id)
    insight = refresh_one(client)
    return {
        "score": insight.score,
        "checks": insight.checks,
        "lost": insight.lost_since is not None,
        "likely_reasons": reason_words(insight.likely_reasons),
        "computed_at": insight.refreshed_at,
    }


@lost_router.get(
    "",
    response={200: LostClientPage, **ERRORS},
    summary="Lost clients with their likely reasons",
)
def list_lost_clients(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Clients with no visit and nothing booked for longer than the recall period (or twice
    their usual interval), most recently lost first. As of the daily refresh."""
    actor = api_actor(request)
    tz = actor.practice.tz
    return paginate(
        request,
        lost_clients(actor),
        page,
        lambda insight: {
            "client_id": insight.client_id,
            "last_visit_on": insight.last_visit_at.astimezone(tz).date()
            if insight.last_visit_at
            else None,
            "lost_since": insight.lost_since.astimezone(tz).date(),
            "visits": insight.visits,
            "likely_reasons": reason_words(insight.likely_reasons),
        },
    )
