"""``/api/v1/supplies``: list, add, read and change a client's supplies.

Input goes through ``SupplyForm`` (the same rules as the web form) and the supply services
(audited with ``via="api"``); ``runs_out_on`` is derived, never accepted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from aftercare.api.auth import api_actor
from aftercare.api.errors import form_errors, invalid, parse_json_object
from aftercare.api.inputs import IsoDate
from aftercare.api.pagination import PageParams, paginate
from aftercare.clients.models import Client
from aftercare.practice.access import Actor, get_scoped_or_404, scoped
from aftercare.supplies import services
from aftercare.supplies.forms import SupplyForm
from aftercare.supplies.models import Supply

router = Router(tags=["Supplies"])


class TaperStepSchema(Schema):
    days: int
    daily_dose: Decimal


class SupplyOut(Schema):
    id: int
    client_id: int
    name: str
    kind: str
    prepared_by: str
    quantity: float
    unit: str
    daily_dose: float
    every_days: int
    taper_steps: list[TaperStepSchema]
    started_on: dt.date
    lead_time_days: int
    status: str
    runs_out_on: dt.date | None = Field(None, description="Derived: first day not covered")
    reorder_requested_at: dt.datetime | None


class SupplyIn(Schema):
    """All fields optional here; a new supply's required ones are checked by the form."""

    model_config = ConfigDict(extra="forbid")

    client_id: int | None = None
    name: str | None = None
    kind: str | None = Field(None, description="remedy, supplement, medication or other")
    prepared_by: str | None = Field(None, description="practice, pharmacy or client")
    quantity: Decimal | None = None
    unit: str | None = None
    daily_dose: Decimal | None = Field(None, description="Amount on each day it is taken")
    every_days: int | None = Field(None, description="1 = every day")
    taper_steps: list[dict[str, Any]] | None = None
    started_on: dt.date | None = None
    lead_time_days: int | None = None
    status: str | None = Field(None, description="active, reorder_requested, reordered or stopped")


class SupplyFilters(Schema):
    client_id: int | None = None
    status: str | None = None
    runs_out_before: IsoDate | None = Field(None, description="Runs out on or before this day")


def serialize(supply: Supply) -> dict[str, Any]:
    return {
        "id": supply.pk,
        "client_id": supply.client_id,
        "name": supply.name,
        "kind": supply.kind,
        "prepared_by": supply.prepared_by,
        "quantity": float(supply.quantity),
        "unit": supply.unit,
        "daily_dose": float(supply.daily_dose),
        "every_days": supply.every_days,
        "taper_steps": supply.taper_steps or [],
        "started_on": supply.started_on,
        "lead_time_days": supply.lead_time_days,
        "status": supply.status,
        "runs_out_on": supply.runs_out_on,
        "reorder_requested_at": supply.reorder_requested_at,
    }


FORM_DEFAULTS = {"unit": "doses", "every_days": 1, "lead_time_days": 0, "status": "active"}


def _validated(data: dict[str, Any], *, instance: Supply | None = None) -> dict[str, Any]:
    """Run the web form's rules over the JSON fields; a 422 naming each bad field."""
    taper = data.pop("taper_steps", None)
    if instance is not None:
        current = serialize(instance)
        merged = {name: current[name] for name in SupplyForm.Meta.fields}
        if taper is None:
            taper = instance.taper_steps or []
    else:
        merged = dict(FORM_DEFAULTS)
    merged.update({name: value for name, value in data.items() if value is not None})
    form = SupplyForm(merged, taper_steps=taper or [])
    if not form.is_valid():
        raise invalid(form_errors(form, rename={"taper": "taper_steps"}))
    return form.supply_data()


def _client(actor: Actor, client_id: int | None) -> Client:
    if client_id is None:
        raise invalid({"client_id": ["This field is required."]})
    client = scoped(Client, actor).filter(pk=client_id).first()
    if client is None:
        raise invalid({"client_id": [f"No client {client_id} in this practice."]})
    return client


@router.get("", summary="List supplies")
def list_supplies(
    request: HttpRequest, filters: Query[SupplyFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Supplies of the practice, soonest run-out first; filter by client, status, run-out day."""
    actor = api_actor(request)
    queryset = scoped(Supply, actor).order_by("runs_out_on", "id")
    if filters.client_id is not None:
        queryset = queryset.filter(client_id=filters.client_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.runs_out_before:
        queryset = queryset.filter(runs_out_on__lte=filters.runs_out_before)
    return paginate(request, queryset, page, serialize)


def _payload(request: HttpRequest) -> dict[str, Any]:
    """The JSON body checked against ``SupplyIn``: field errors by name, unknown fields refused.

    Parsed inside the handler (not as a ninja parameter) so the object is looked up first and
    another practice's supply is a 404 whatever the body.
    """
    try:
        payload = SupplyIn.model_validate(parse_json_object(request))
    except PydanticValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or "non_field_errors"
            message = "Unknown field." if item["type"] == "extra_forbidden" else item["msg"]
            errors.setdefault(name, []).append(message)
        raise invalid(errors) from error
    return payload.model_dump(exclude_unset=True)


BODY = {"requestBody": {"content": {"application/json": {"schema": SupplyIn.model_json_schema()}}}}


@router.post("", response={201: SupplyOut}, summary="Add a supply", openapi_extra=BODY)
def create_supply(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = api_actor(request)
    data = _payload(request)
    client = _client(actor, data.pop("client_id", None))
    supply = services.supply_create(actor=actor, client=client, data=_validated(data))
    return Status(201, serialize(supply))


@router.get("/{supply_id}", response=SupplyOut, summary="One supply")
def read_supply(request: HttpRequest, supply_id: int) -> dict[str, Any]:
    return serialize(get_scoped_or_404(Supply.objects.all(), api_actor(request), pk=supply_id))


@router.patch("/{supply_id}", response=SupplyOut, summary="Change a supply", openapi_extra=BODY)
def update_supply(request: HttpRequest, supply_id: int) -> dict[str, Any]:
    """Change any fields; the run-out day is derived again and the client re-planned."""
    actor = api_actor(request)
    supply = get_scoped_or_404(Supply.objects.select_related("client"), actor, pk=supply_id)
    data = _payload(request)
    if "client_id" in data and data.pop("client_id") != supply.client_id:
        raise invalid({"client_id": ["A supply cannot move to another client."]})
    services.supply_update(actor=actor, supply=supply, data=_validated(data, instance=supply))
    return serialize(supply)
