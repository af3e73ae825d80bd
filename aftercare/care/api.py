"""The care engine's API: ``/api/v1/touchpoints`` (read) and ``/api/v1/care-rules`` (CRUD).

Care rules go through the same ``CareRuleForm`` and services as the web UI (audited, and the
practice is re-planned on commit). Only owners and practitioners may change rules (403).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError as PydanticValidationError

from aftercare.api.auth import api_actor
from aftercare.api.errors import (
    ApiError,
    ErrorOut,
    FieldErrors,
    form_errors,
    invalid,
    parse_json_object,
    reject_unknown_fields,
)
from aftercare.api.inputs import (
    filter_by_status,
    filter_by_time_range,
    request_body_doc,
)
from aftercare.api.pagination import PageParams, paginate
from aftercare.care import services
from aftercare.care.forms import CareRuleForm
from aftercare.care.models import CareRule, Touchpoint, TouchpointStatus
from aftercare.practice.access import Actor, get_scoped_or_404, scoped
from aftercare.practice.models import Role

touchpoints_router = Router(tags=["Touchpoints"])
rules_router = Router(tags=["Care rules"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

StatusName = Literal["planned", "due", "sent", "done", "skipped", "expired", "cancelled"]


class TouchpointOut(Schema):
    id: int
    key: str = Field(description="Stable: client:rule-or-source:occurrence, e.g. 42:rule7:appt913")
    client_id: int
    rule_id: int | None
    kind: str = Field(description="check_in, recall, birthday_card, call, …")
    action: Literal["message", "task"]
    title: str
    due_at: dt.datetime = Field(description="When it is due (UTC)")
    status: StatusName
    held_back_reason: str = Field(description="Why it was moved or is blocked; empty if neither")
    blocked: bool = Field(description="Skipped when due unless its reason goes away")
    status_reason: str = Field(description="Why it was skipped, expired or cancelled")
    template_key: str
    purpose: str
    channel: str
    value: int
    estimated_minutes: int


class TouchpointPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[TouchpointOut]


class TouchpointFilters(Schema):
    client_id: int | None = None
    status: str | None = Field(None, description="One status, or several: planned,due")
    due_from: str | None = Field(None, alias="from", description="Due at or after (ISO 8601)")
    due_before: str | None = Field(None, alias="to", description="Due before (ISO 8601)")


def touchpoint_to_api(touchpoint: Touchpoint) -> dict[str, Any]:
    return {
        name: getattr(touchpoint, name)
        for name in (
            "id",
            "key",
            "client_id",
            "rule_id",
            "kind",
            "action",
            "title",
            "due_at",
            "status",
            "held_back_reason",
            "blocked",
            "status_reason",
            "template_key",
            "purpose",
            "channel",
            "value",
            "estimated_minutes",
        )
    }


@touchpoints_router.get("", response={200: TouchpointPage, **ERRORS}, summary="List touchpoints")
def list_touchpoints(
    request: HttpRequest, filters: Query[TouchpointFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Touchpoints of the token's practice in order of their due time."""
    actor = api_actor(request)
    touchpoints = scoped(Touchpoint, actor).order_by("due_at", "id")
    errors: FieldErrors = {}
    if filters.client_id is not None:
        touchpoints = touchpoints.filter(client_id=filters.client_id)
    touchpoints = filter_by_status(touchpoints, filters.status, TouchpointStatus.values, errors)
    touchpoints = filter_by_time_range(
        touchpoints, "due_at", filters.due_from, filters.due_before, errors
    )
    if errors:
        raise invalid(errors)
    return paginate(request, touchpoints, page, touchpoint_to_api)


@touchpoints_router.get(
    "/{int:touchpoint_id}", response={200: TouchpointOut, **ERRORS}, summary="Read a touchpoint"
)
def read_touchpoint(request: HttpRequest, touchpoint_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    return touchpoint_to_api(get_scoped_or_404(Touchpoint.objects.all(), actor, pk=touchpoint_id))


# --- care rules --------------------------------------------------------------------------------


class CareRuleOut(Schema):
    id: int
    name: str
    trigger: str = Field(
        description="appointment_attended, appointment_no_show, recall, birthday, …"
    )
    trigger_options: dict[str, Any] = Field(description='e.g. {"first_visit": true}, {"weeks": 8}')
    offset_days: int
    local_time: str = Field(description="HH:MM in the client's time zone")
    action: Literal["message", "task"]
    template_key: str
    purpose: str
    task_kind: str
    estimated_minutes: int
    condition: dict[str, Any] = Field(description='e.g. {"has_tag": "sleep"}')
    value: int = Field(description="0–100: how much this act of care matters")
    enabled: bool
    resource_id: int | None = Field(
        description="With template information: the practice's resource the message shares"
    )


class CareRuleIn(Schema):
    """A care rule as sent to POST/PUT (all fields) or PATCH (only the fields to change)."""

    name: str
    trigger: str
    trigger_options: dict[str, Any] = {}
    offset_days: int = 0
    local_time: str = "09:00"
    action: Literal["message", "task"] = "message"
    template_key: str = ""
    purpose: Literal["care", "information", "celebrations"] = "care"
    task_kind: str = ""
    estimated_minutes: int = 5
    condition: dict[str, Any] = {}
    value: int = 50
    enabled: bool = True
    resource_id: int | None = None


RULE_FIELDS = list(CareRuleIn.model_fields)
RULE_DEFAULTS = {
    name: field.default
    for name, field in CareRuleIn.model_fields.items()
    if not field.is_required()
}


def rule_to_api(rule: CareRule) -> dict[str, Any]:
    local_time = rule.local_time
    return {
        "id": rule.pk,
        "name": rule.name,
        "trigger": rule.trigger,
        "trigger_options": rule.trigger_options or {},
        "offset_days": rule.offset_days,
        "local_time": local_time.strftime("%H:%M")
        if isinstance(local_time, dt.time)
        else str(local_time)[:5],
        "action": rule.action,
        "template_key": rule.template_key,
        "purpose": rule.purpose,
        "task_kind": rule.task_kind,
        "estimated_minutes": rule.estimated_minutes,
        "condition": rule.condition or {},
        "value": rule.value,
        "enabled": rule.enabled,
        "resource_id": rule.resource_id,
    }


def _rules(actor: Actor) -> QuerySet[CareRule]:
    return scoped(CareRule, actor).order_by("id")


def _require_editor(actor: Actor) -> None:
    if actor.membership is None or actor.membership.role not in {Role.OWNER, Role.PRACTITIONER}:
        raise ApiError(403, "Only owners and practitioners change care rules.")


def _validated(
    payload: dict[str, Any], *, actor: Actor, existing: CareRule | None, partial: bool
) -> dict[str, Any]:
    payload = {name: value for name, value in payload.items() if name != "id"}
    reject_unknown_fields(payload, RULE_FIELDS)
    if partial and existing is not None:
        base = rule_to_api(existing)
    else:
        base = dict(RULE_DEFAULTS)
        missing = [name for name in ("name", "trigger") if name not in payload]
        if missing:
            raise invalid({name: ["This field is required."] for name in missing})
    merged = base | payload
    for name in ("enabled",):
        if not isinstance(merged[name], bool):
            raise invalid({name: ["Expected true or false."]})
    # The JSON types first (a number where text belongs is a 422, not a crash in the form).
    try:
        CareRuleIn.model_validate(merged)
    except PydanticValidationError as error:
        raise invalid(
            {
                ".".join(str(p) for p in item["loc"]) or "non_field_errors": [item["msg"]]
                for item in error.errors()
            }
        ) from error
    # A copy: the form writes into its instance, and the service must see the change.
    merged["resource"] = merged.pop("resource_id")
    form = CareRuleForm(
        data=merged,
        instance=copy.copy(existing) or CareRule(),
        practice=actor.practice,
        json_options=True,
    )
    if not form.is_valid():
        raise invalid(form_errors(form, rename={"resource": "resource_id"}))
    return form.cleaned_data


@rules_router.get("", response={200: list[CareRuleOut], **ERRORS}, summary="List care rules")
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    """Every care rule of the token's practice (a practice has a handful, so no pages)."""
    actor = api_actor(request)
    return [rule_to_api(rule) for rule in _rules(actor)]


@rules_router.post(
    "",
    response={201: CareRuleOut, **ERRORS},
    summary="Create a care rule",
    openapi_extra=request_body_doc(CareRuleIn),
)
def create_rule(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = api_actor(request)
    _require_editor(actor)
    data = _validated(parse_json_object(request), actor=actor, existing=None, partial=False)
    rule = services.care_rule_create(actor=actor, data=data)
    return Status(201, rule_to_api(CareRule.objects.get(pk=rule.pk)))


@rules_router.get(
    "/{int:rule_id}", response={200: CareRuleOut, **ERRORS}, summary="Read a care rule"
)
def read_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    return rule_to_api(get_scoped_or_404(_rules(actor), actor, pk=rule_id))


def _change(request: HttpRequest, rule_id: int, *, partial: bool) -> dict[str, Any]:
    actor = api_actor(request)
    rule = get_scoped_or_404(_rules(actor), actor, pk=rule_id)
    _require_editor(actor)
    data = _validated(parse_json_object(request), actor=actor, existing=rule, partial=partial)
    services.care_rule_update(actor=actor, rule=rule, data=data)
    return rule_to_api(CareRule.objects.get(pk=rule.pk))


@rules_router.patch(
    "/{int:rule_id}",
    response={200: CareRuleOut, **ERRORS},
    summary="Change some fields of a care rule (e.g. enabled)",
    openapi_extra=request_body_doc(CareRuleIn, description="Only the fields to change"),
)
def patch_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    return _change(request, rule_id, partial=True)


@rules_router.put(
    "/{int:rule_id}",
    response={200: CareRuleOut, **ERRORS},
    summary="Replace a care rule",
    openapi_extra=request_body_doc(CareRuleIn),
)
def put_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    return _change(request, rule_id, partial=False)


@rules_router.delete("/{int:rule_id}", response={204: None, **ERRORS}, summary="Delete a care rule")
def delete_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    """Delete a rule; its open touchpoints are cancelled with the reason, history stays."""
    actor = api_actor(request)
    rule = get_scoped_or_404(_rules(actor), actor, pk=rule_id)
    _require_editor(actor)
    services.care_rule_delete(actor=actor, rule=rule)
    return Status(204, None)
