"""``/api/v1/absences``: plan, list, read, change and cancel absences; preview before saving.

Input goes through ``AbsenceForm`` (the web form's rules: ends before it starts, overlaps
another absence of the practitioner, starts in the past → 422 naming the field).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from aftercare.absences import services
from aftercare.absences.forms import AbsenceForm
from aftercare.absences.models import Absence
from aftercare.absences.preview import absence_preview
from aftercare.api.auth import api_actor
from aftercare.api.errors import form_errors, invalid, parse_json_object
from aftercare.api.pagination import PageParams, paginate
from aftercare.practice.access import Actor, get_scoped_or_404, scoped

router = Router(tags=["Absences"])


class AbsenceOut(Schema):
    id: int
    practitioner_id: int
    first_day: dt.date
    last_day: dt.date
    private_reason: str
    public_note: str
    cover_contact: str
    notify_days_before: int
    auto_reply_text: str
    announce_to_all: bool
    emergency_client_ids: list[int]
    cancelled: bool


class AbsenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    practitioner_id: int | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    private_reason: str | None = None
    public_note: str | None = None
    cover_contact: str | None = None
    notify_days_before: int | None = Field(None, description="Default 21")
    auto_reply_text: str | None = None
    announce_to_all: bool | None = None
    emergency_client_ids: list[int] | None = None


class AbsenceFilters(Schema):
    practitioner_id: int | None = None
    include_past: bool = Field(False, description="Also absences that have ended")
    include_cancelled: bool = False


def serialize(absence: Absence) -> dict[str, Any]:
    return {
        "id": absence.pk,
        "practitioner_id": absence.practitioner_id,
        "first_day": absence.first_day,
        "last_day": absence.last_day,
        "private_reason": absence.private_reason,
        "public_note": absence.public_note,
        "cover_contact": absence.cover_contact,
        "notify_days_before": absence.notify_days_before,
        "auto_reply_text": absence.auto_reply_text,
        "announce_to_all": absence.announce_to_all,
        "emergency_client_ids": sorted(
            entry.client_id for entry in absence.emergency_entries.all()
        ),
        "cancelled": absence.cancelled,
    }


def _payload(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = AbsenceIn.model_validate(parse_json_object(request))
    except PydanticValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or "non_field_errors"
            message = "Unknown field." if item["type"] == "extra_forbidden" else item["msg"]
            errors.setdefault(name, []).append(message)
        raise invalid(errors) from error
    return payload.model_dump(exclude_unset=True)


BODY = {"requestBody": {"content": {"application/json": {"schema": AbsenceIn.model_json_schema()}}}}
RENAME = {"practitioner": "practitioner_id"}


def _validated(actor: Actor, data: dict[str, Any], instance: Absence | None) -> AbsenceForm:
    merged: dict[str, Any] = {"notify_days_before": 21}
    if instance is not None:
        merged.update(serialize(instance))
    merged.update({k: v for k, v in data.items() if v is not None})
    merged["practitioner"] = merged.pop("practitioner_id", None)
    ids = merged.pop("emergency_client_ids", [])
    form = AbsenceForm(
        merged,
        instance=instance or Absence(practice=actor.practice),
        practice=actor.practice,
        emergency_ids=ids or [],
    )
    if not form.is_valid():
        raise invalid(form_errors(form, rename=RENAME))
    return form


def _prefetched(actor: Actor) -> Any:
    return scoped(Absence, actor).prefetch_related("emergency_entries")


@router.get("", summary="List absences")
def list_absences(
    request: HttpRequest, filters: Query[AbsenceFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Upcoming and current absences (and past or cancelled ones on request), soonest first."""
    from aftercare import clock

    actor = api_actor(request)
    queryset = _prefetched(actor).order_by("first_day", "id")
    if filters.practitioner_id is not None:
        queryset = queryset.filter(practitioner_id=filters.practitioner_id)
    if not filters.include_past:
        queryset = queryset.filter(last_day__gte=clock.today(actor.practice.tz))
    if not filters.include_cancelled:
        queryset = queryset.filter(cancelled=False)
    return paginate(request, queryset, page, serialize)


@router.post("/preview", summary="Preview an absence before saving it", openapi_extra=BODY)
def preview_absence(request: HttpRequest) -> dict[str, Any]:
    """The same lists as the web preview: appointments to rebook, supplies, suggestions, notices."""
    actor = api_actor(request)
    form = _validated(actor, _payload(request), None)
    data = form.absence_data()
    return absence_preview(
        practice=actor.practice,
        practitioner=data["practitioner"],
        first_day=data["first_day"],
        last_day=data["last_day"],
        notify_days_before=data["notify_days_before"],
        announce_to_all=data.get("announce_to_all", False),
        emergency_ids=form.cleaned_data["emergency_client_ids"],
    ).as_dict()


@router.post("", response={201: AbsenceOut}, summary="Plan an absence", openapi_extra=BODY)
def create_absence(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = api_actor(request)
    form = _validated(actor, _payload(request), None)
    absence = services.absence_create(
        actor=actor,
        data=form.absence_data(),
        emergency_client_ids=form.cleaned_data["emergency_client_ids"],
    )
    return Status(201, serialize(absence))


@router.get("/{absence_id}", response=AbsenceOut, summary="One absence")
def read_absence(request: HttpRequest, absence_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    return serialize(get_scoped_or_404(_prefetched(actor), actor, pk=absence_id))


@router.get("/{absence_id}/preview", summary="What the saved absence does")
def preview_saved_absence(request: HttpRequest, absence_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    absence = get_scoped_or_404(_prefetched(actor), actor, pk=absence_id)
    return absence_preview(
        practice=actor.practice,
        practitioner=absence.practitioner,
        first_day=absence.first_day,
        last_day=absence.last_day,
        notify_days_before=absence.notify_days_before,
        announce_to_all=absence.announce_to_all,
        emergency_ids=[entry.client_id for entry in absence.emergency_entries.all()],
        exclude_absence_id=absence.pk,
    ).as_dict()


@router.patch("/{absence_id}", response=AbsenceOut, summary="Change an absence", openapi_extra=BODY)
def update_absence(request: HttpRequest, absence_id: int) -> dict[str, Any]:
    """Moving an absence re-plans every affected touchpoint; sent notices get a correction."""
    actor = api_actor(request)
    absence = get_scoped_or_404(_prefetched(actor), actor, pk=absence_id)
    if absence.cancelled:
        raise invalid({"cancelled": ["A cancelled absence cannot be changed."]})
    data = _payload(request)
    form = _validated(actor, data, absence)
    services.absence_update(
        actor=actor,
        absence=absence,
        data=form.absence_data(),
        emergency_client_ids=form.cleaned_data["emergency_client_ids"]
        if "emergency_client_ids" in data
        else None,
    )
    return serialize(get_scoped_or_404(_prefetched(actor), actor, pk=absence_id))


@router.delete("/{absence_id}", response=AbsenceOut, summary="Cancel an absence")
def cancel_absence(request: HttpRequest, absence_id: int) -> dict[str, Any]:
    """Cancels (the record stays, so clients who were told get a correction)."""
    actor = api_actor(request)
    absence = get_scoped_or_404(_prefetched(actor), actor, pk=absence_id)
    services.absence_cancel(actor=actor, absence=absence)
    return serialize(absence)
