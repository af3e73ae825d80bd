"""``/api/v1/appointments``: list, create (or upsert by source + external id), read, update,
delete.

Input goes through the shared ``AppointmentForm`` and ``appointments.services`` (audited,
``client_changed`` fired), after the API has checked JSON types and refused naive times.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from aftercare import clock
from aftercare.api.auth import api_actor
from aftercare.api.errors import (
    ErrorOut,
    FieldErrors,
    form_errors,
    invalid,
    parse_json_object,
    reject_unknown_fields,
)
from aftercare.api.inputs import (
    FieldTypeError,
    as_aware_datetime,
    as_decimal,
    as_id,
    as_text,
    convert,
    filter_by_status,
    filter_by_time_range,
    request_body_doc,
)
from aftercare.api.pagination import PageParams, paginate
from aftercare.appointments.forms import AppointmentForm
from aftercare.appointments.models import Appointment
from aftercare.appointments.models import Status as AppointmentStatus
from aftercare.appointments.selectors import fee_decisions
from aftercare.appointments.services import (
    appointment_create,
    appointment_delete,
    appointment_override_fee,
    appointment_update,
)
from aftercare.practice.access import Actor, get_scoped_or_404, scoped

router = Router(tags=["Appointments"])

StatusName = Literal["booked", "attended", "no_show", "late_cancelled", "cancelled"]
assert set(StatusName.__args__) == set(AppointmentStatus.values)  # type: ignore[attr-defined]  # noqa: S101

SOURCE_MAX = Appointment._meta.get_field("source").max_length or 30
EXTERNAL_ID_MAX = Appointment._meta.get_field("external_id").max_length or 200


class FeeDecisionOut(Schema):
    action: Literal["waived", "charged", "none"]
    amount: str = Field(
        description="A decimal string such as '40.00' (what was or would be charged)"
    )
    reason: str = Field(description="In words: 'First no-show in 3 years, 24 visits.'")
    overridden: bool = Field(description="A person overrode the policy's decision")
    policy_action: Literal["waived", "charged", "none"] = Field(
        description="What the policy decided (the same as action unless overridden)"
    )
    decided_at: dt.datetime


class AppointmentOut(Schema):
    id: int
    client_id: int
    practitioner_id: int | None
    starts_at: dt.datetime = Field(description="ISO 8601 with offset (UTC)")
    ends_at: dt.datetime
    kind: str = Field(description="first_visit, follow_up, or the practice's own type")
    status: StatusName
    fee: Decimal | None = Field(description="A decimal string such as '60.00', or null")
    source: str
    external_id: str
    confirmed_at: dt.datetime | None = Field(
        description="When the client confirmed from the reminder's link; null until then"
    )
    rebook_requested_at: dt.datetime | None = Field(
        description="When the client asked for another time from the reminder's link"
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    fee_decision: FeeDecisionOut | None = Field(
        description="Taken when marked no_show or late_cancelled (the practice's fee policy)"
    )


class AppointmentIn(Schema):
    """An appointment as sent to POST/PUT (all fields) or PATCH (only the fields to change).

    POST with a non-empty ``external_id`` is an upsert: an appointment of the practice with the
    same ``source`` and ``external_id`` is replaced (200) instead of duplicated (201).
    """

    client_id: int
    practitioner_id: int | None = None
    starts_at: dt.datetime = Field(
        ..., description="ISO 8601 with a UTC offset; a time without one is refused"
    )
    ends_at: dt.datetime = Field(..., description="After starts_at")
    kind: str = Field("follow_up", max_length=40)
    status: StatusName = "booked"
    fee: Decimal | None = None
    source: str = Field("api", max_length=SOURCE_MAX, description="Set on creation only")
    external_id: str = Field(
        "", max_length=EXTERNAL_ID_MAX, description="The id in the source system; set on creation"
    )


class AppointmentPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[AppointmentOut]


class AppointmentFilters(Schema):
    client_id: int | None = None
    practitioner_id: int | None = None
    status: str | None = Field(
        None, description="One status, or several separated by commas: no_show,late_cancelled"
    )
    starts_from: str | None = Field(
        None, alias="from", description="Starting at or after (ISO 8601 with offset)"
    )
    starts_before: str | None = Field(
        None, alias="to", description="Starting before (ISO 8601 with offset)"
    )


def _limited(max_length: int) -> Any:
    def convert_text(value: Any) -> str:
        text = as_text(value).strip()
        if len(text) > max_length:
            raise FieldTypeError(f"At most {max_length} characters (it has {len(text)}).")
        return text

    return convert_text


def _required_id(value: Any) -> int:
    number = as_id(value)
    if number is None:
        raise FieldTypeError("Required: the id of a client of your practice.")
    return number


CONVERTERS: dict[str, Any] = {
    "client_id": _required_id,
    "practitioner_id": as_id,
    "starts_at": as_aware_datetime,
    "ends_at": as_aware_datetime,
    "kind": as_text,
    "status": as_text,
    "fee": as_decimal,
    "source": _limited(SOURCE_MAX),
    "external_id": _limited(EXTERNAL_ID_MAX),
}
READ_ONLY = {
    "id",
    "created_at",
    "updated_at",
    "confirmed_at",
    "rebook_requested_at",
    "fee_decision",
}
FORM_NAMES = {"client": "client_id", "practitioner": "practitioner_id"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def appointment_to_api(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.pk,
        "client_id": appointment.client_id,
        "practitioner_id": appointment.practitioner_id,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "kind": appointment.kind,
        "status": appointment.status,
        "fee": appointment.fee,
        "source": appointment.source,
        "external_id": appointment.external_id,
        "confirmed_at": appointment.confirmed_at,
        "rebook_requested_at": appointment.rebook_requested_at,
        "created_at": appointment.created_at,
        "updated_at": appointment.updated_at,
        "fee_decision": appointment.fee_decision,
    }


def _appointments(actor: Actor) -> QuerySet[Appointment]:
    return scoped(Appointment, actor)


def _get_appointment(actor: Actor, appointment_id: int) -> Appointment:
    return get_scoped_or_404(_appointments(actor), actor, pk=appointment_id)


def _validated(
    actor: Actor, payload: dict[str, Any], *, existing: Appointment | None, partial: bool
) -> tuple[dict[str, Any], str, str]:
    """Check ``payload`` with the shared AppointmentForm.

    Returns the cleaned data, the source and the external id, or raises a 422 naming every
    wrong field. For PATCH the stored appointment supplies the fields left out; for POST and
    PUT they take their defaults and the required ones must be present.
    """
    payload = {name: value for name, value in payload.items() if name not in READ_ONLY}
    reject_unknown_fields(payload, CONVERTERS)
    values, errors = convert(payload, CONVERTERS)
    if partial and existing is not None:
        base: dict[str, Any] = appointment_to_api(existing)
    else:
        base = {"kind": "follow_up", "status": "booked", "source": "api", "external_id": ""}
        if existing is not None:  # PUT keeps where the appointment came from
            base |= {"source": existing.source, "external_id": existing.external_id}
        missing: FieldErrors = {
            name: ["This field is required."]
            for name in ("client_id", "starts_at", "ends_at")
            if name not in payload
        }
        errors = missing | errors
    merged = base | values
    if existing is not None:
        for name in ("source", "external_id"):
            if name in values and values[name] != getattr(existing, name):
                errors[name] = [f"The {name} is set when an appointment is created."]
    form_data = {
        "client": merged.get("client_id") or "",
        "practitioner": merged.get("practitioner_id") or "",
        "starts_at": merged.get("starts_at") or "",
        "ends_at": merged.get("ends_at") or "",
        "kind": merged.get("kind") or "",
        "status": merged.get("status") or "",
        "fee": "" if merged.get("fee") is None else merged["fee"],
    }
    instance = copy.copy(existing) if existing is not None else Appointment(practice=actor.practice)
    form = AppointmentForm(data=form_data, instance=instance, practice=actor.practice)
    if not form.is_valid():
        form_problems = form_errors(form, FORM_NAMES)
        if form.has_error("client", "invalid_choice"):
            form_problems["client_id"] = ["No client with this id in your practice."]
        if form.has_error("practitioner", "invalid_choice"):
            form_problems["practitioner_id"] = [
                "No practitioner with this id in your practice (owners and practitioners only)."
            ]
        # A type error says more than the form's complaint about the emptied value.
        errors = form_problems | errors
    if errors:
        raise invalid(errors)
    return form.cleaned_data, merged.get("source") or "api", merged.get("external_id") or ""


def _find_imported(actor: Actor, source: str, external_id: str) -> Appointment | None:
    return _appointments(actor).filter(source=source, external_id=external_id).first()


def _save(
    actor: Actor,
    payload: dict[str, Any],
    *,
    appointment: Appointment | None,
    partial: bool,
) -> tuple[Appointment, bool]:
    """Create or update; a POST whose source + external id exists updates that one.

    Returns the appointment and whether it was created.
    """
    data, source, external_id = _validated(actor, payload, existing=appointment, partial=partial)
    if appointment is None and external_id:
        appointment = _find_imported(actor, source, external_id)
    if appointment is not None:
        appointment_update(actor=actor, appointment=appointment, data=data)
        # Read back so times come out in UTC and the fee with its two decimals.
        return _get_appointment(actor, appointment.pk), False
    try:
        with transaction.atomic():
            created = appointment_create(
                actor=actor, data=data, source=source, external_id=external_id
            )
    except IntegrityError:
        # Another request imported the same external id between our look-up and insert.
        existing = _find_imported(actor, source, external_id)
        if existing is None:
            raise
        appointment_update(actor=actor, appointment=existing, data=data)
        return _get_appointment(actor, existing.pk), False
    return _get_appointment(actor, created.pk), True


@router.get(
    "",
    response={200: AppointmentPage, **ERRORS},
    summary="List appointments",
)
def list_appointments(
    request: HttpRequest, filters: Query[AppointmentFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Appointments of the token's practice in order of their start."""
    actor = api_actor(request)
    appointments = _appointments(actor).order_by("starts_at", "id")
    errors: FieldErrors = {}
    if filters.client_id is not None:
        appointments = appointments.filter(client_id=filters.client_id)
    if filters.practitioner_id is not None:
        appointments = appointments.filter(practitioner_id=filters.practitioner_id)
    appointments = filter_by_status(appointments, filters.status, AppointmentStatus.values, errors)
    appointments = filter_by_time_range(
        appointments, "starts_at", filters.starts_from, filters.starts_before, errors
    )
    if errors:
        raise invalid(errors)
    return paginate(request, appointments, page, appointment_to_api)


@router.post(
    "",
    response={200: AppointmentOut, 201: AppointmentOut, **ERRORS},
    summary="Create an appointment (or update the one with this source and external_id)",
    openapi_extra=request_body_doc(AppointmentIn),
)
def create_appointment(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    actor = api_actor(request)
    appointment, created = _save(actor, parse_json_object(request), appointment=None, partial=False)
    response["Location"] = f"{request.path.rstrip('/')}/{appointment.pk}"
    return Status(201 if created else 200, appointment_to_api(appointment))


class FeeDecisionRow(Schema):
    appointment_id: int
    client_id: int
    starts_at: dt.datetime
    status: StatusName
    fee_decision: FeeDecisionOut


class FeeDecisionPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[FeeDecisionRow]


DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class FeeDecisionFilters(Schema):
    # Strings, not dates: pydantic would read "0" as 1 January 1970.
    starts_from: str | None = Field(
        None, alias="from", pattern=DAY_PATTERN, description="First day (YYYY-MM-DD)"
    )
    starts_until: str | None = Field(
        None, alias="to", pattern=DAY_PATTERN, description="Last day (YYYY-MM-DD)"
    )


@router.get(
    "/fee-decisions",
    response={200: FeeDecisionPage, **ERRORS},
    summary="List no-show and late-cancel fee decisions (for the billing tool)",
)
def list_fee_decisions(
    request: HttpRequest, filters: Query[FeeDecisionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Decisions for appointments starting on the days given (the last 90 days by default),
    newest first. Aftercare takes no payments; this is what a billing tool reads."""
    actor = api_actor(request)
    today = clock.today(actor.practice.tz)
    days: dict[str, dt.date | None] = {}
    for name, raw in (("from", filters.starts_from), ("to", filters.starts_until)):
        try:
            days[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise invalid({name: ["Not a day: use YYYY-MM-DD."]}) from None
    until = days["to"] or today
    since = days["from"] or until - dt.timedelta(days=89)
    if since > until:
        raise invalid({"from": ["The first day is after the last day."]})
    if (until - since).days > 731:
        raise invalid({"from": ["At most two years at a time."]})
    return paginate(
        request,
        fee_decisions(actor, since=since, until=until),
        page,
        lambda appointment: {
            "appointment_id": appointment.pk,
            "client_id": appointment.client_id,
            "starts_at": appointment.starts_at,
            "status": appointment.status,
            "fee_decision": appointment.fee_decision,
        },
    )


@router.get(
    "/{int:appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    summary="Read an appointment",
)
def read_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    return appointment_to_api(_get_appointment(actor, appointment_id))


@router.patch(
    "/{int:appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    summary="Change some fields of an appointment (e.g. its status)",
    openapi_extra=request_body_doc(AppointmentIn, description="Only the fields to change"),
)
def patch_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    appointment = _get_appointment(actor, appointment_id)
    appointment, _created = _save(
        actor, parse_json_object(request), appointment=appointment, partial=True
    )
    return appointment_to_api(appointment)


@router.put(
    "/{int:appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    summary="Replace an appointment",
    openapi_extra=request_body_doc(
        AppointmentIn, description="Every field; one left out takes its default"
    ),
)
def put_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    appointment = _get_appointment(actor, appointment_id)
    appointment, _created = _save(
        actor, parse_json_object(request), appointment=appointment, partial=False
    )
    return appointment_to_api(appointment)


@router.delete(
    "/{int:appointment_id}",
    response={204: None, **ERRORS},
    summary="Delete an appointment",
)
def delete_appointment(request: HttpRequest, appointment_id: int) -> Status[None]:
    actor = api_actor(request)
    appointment_delete(actor=actor, appointment=_get_appointment(actor, appointment_id))
    return Status(204, None)


class FeeOverrideIn(Schema):
    action: Literal["waived", "charged"]
    reason: str = Field(..., max_length=280, description="Why, in a few words (required)")


@router.post(
    "/{int:appointment_id}/fee-override",
    response={200: AppointmentOut, **ERRORS},
    summary="Override the fee decision of a no-show or late cancel, with a reason",
    openapi_extra=request_body_doc(FeeOverrideIn),
)
def override_fee(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    appointment = _get_appointment(actor, appointment_id)
    payload = parse_json_object(request)
    reject_unknown_fields(payload, {"action": None, "reason": None})
    action, reason = payload.get("action"), payload.get("reason")
    errors: FieldErrors = {}
    if action not in ("waived", "charged"):
        errors["action"] = ["Choose waived or charged."]
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ["Say why, in a few words."]
    elif len(reason.strip()) > 280:
        errors["reason"] = [f"At most 280 characters (it has {len(reason.strip())})."]
    if errors:
        raise invalid(errors)
    try:
        appointment_override_fee(
            actor=actor, appointment=appointment, action=str(action), reason=str(reason)
        )
    except ValueError as error:
        raise invalid({"action": [str(error)]}) from error
    return appointment_to_api(_get_appointment(actor, appointment.pk))
