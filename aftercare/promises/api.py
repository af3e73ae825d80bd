"""API for promises: ``GET /api/v1/promises`` and ``POST /api/v1/promises``.

Keeping, releasing and acknowledging go through ``POST /api/v1/care-queue/actions`` with the
item ``promise:<id>``, exactly like the buttons in the care queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Field, Query, Router, Schema, Status

from aftercare.api.auth import api_actor
from aftercare.api.errors import ErrorOut, invalid, parse_json_object
from aftercare.api.inputs import request_body_doc
from aftercare.api.pagination import PageParams, paginate
from aftercare.clients.models import Client
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.models import User
from aftercare.promises.models import Promise, PromiseSource
from aftercare.promises.services import promise_create

router = Router(tags=["Promises"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class PromiseOut(Schema):
    id: int
    client_id: int
    practitioner_id: int | None
    what: str
    due_at: dt.datetime | None
    due_from: dt.datetime | None
    due_until: dt.datetime | None
    status: str
    status_reason: str
    source: str
    acknowledged_at: dt.datetime | None
    created_at: dt.datetime


class PromisePage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[PromiseOut]


class PromiseIn(Schema):
    client_id: int
    what: str = Field(description="What was promised")
    due_at: dt.datetime | None = Field(None, description="A moment (with an offset), or…")
    due_from: dt.datetime | None = Field(None, description="…a window's start (optional)")
    due_until: dt.datetime | None = Field(None, description="…and its end")
    practitioner_id: int | None = Field(None, description="Default: the token's user")


class PromiseFilters(Schema):
    client_id: int | None = None
    status: Literal["open", "kept", "broken", "released"] | None = None


def promise_to_api(promise: Promise) -> dict[str, Any]:
    return {name: getattr(promise, name) for name in PromiseOut.model_fields}


@router.get("", response={200: PromisePage, **ERRORS}, summary="List promises")
def list_promises(
    request: HttpRequest, filters: Query[PromiseFilters], page: Query[PageParams]
) -> dict[str, Any]:
    actor = api_actor(request)
    rows = Promise.objects.filter(practice=actor.practice).order_by("-created_at", "-id")
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    return paginate(request, rows, page, promise_to_api)


def _moment(payload: dict[str, Any], name: str) -> dt.datetime | None:
    raw = payload.get(name)
    if raw in (None, ""):
        return None
    value = parse_datetime(raw) if isinstance(raw, str) else None
    if value is None:
        raise invalid({name: ["Expected an ISO 8601 date-time, e.g. 2026-12-01T09:00:00+01:00."]})
    if value.tzinfo is None:
        raise invalid({name: ["Give the date-time with its offset, e.g. +01:00 or Z."]})
    return value


@router.post(
    "",
    response={201: PromiseOut, **ERRORS},
    summary="Record a promise",
    openapi_extra=request_body_doc(PromiseIn),
)
def create_promise(request: HttpRequest, response: HttpResponse) -> Status:
    """Record something the practice committed to a client; it enters the care queue when due."""
    actor = api_actor(request)
    payload = parse_json_object(request)
    client_id = payload.get("client_id")
    if not isinstance(client_id, int):
        raise invalid({"client_id": ["Give the client's id (a number)."]})
    client = get_scoped_or_404(Client.objects.all(), actor, pk=client_id)
    practitioner = None
    if payload.get("practitioner_id") is not None:
        practitioner = User.objects.filter(
            pk=payload["practitioner_id"], memberships__practice=actor.practice
        ).first()
        if practitioner is None:
            raise invalid({"practitioner_id": ["Choose a member of your practice."]})
    promise = promise_create(
        actor=actor,
        client=client,
        what=str(payload.get("what") or ""),
        due_at=_moment(payload, "due_at"),
        due_from=_moment(payload, "due_from"),
        due_until=_moment(payload, "due_until"),
        practitioner=practitioner,
        source=PromiseSource.OTHER,
        source_ref="api",
    )
    response["Location"] = f"{request.path.rstrip('/')}?client_id={client.pk}"
    return Status(201, promise_to_api(promise))
