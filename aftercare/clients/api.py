"""``/api/v1/clients``: list, create, read, update (PATCH/PUT), archive, merge and erase clients.

Input goes through the same ``ClientForm`` and ``clients.services`` as the web UI, so the
rules (E.164 phone, known time zone, a channel the client can be reached on) and the audit
trail are the same; the API only checks JSON types first and renames fields.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from aftercare import statements
from aftercare.api.auth import api_actor
from aftercare.api.errors import (
    ErrorOut,
    form_errors,
    invalid,
    json_type_name,
    parse_json_object,
    reject_unknown_fields,
)
from aftercare.api.inputs import (
    as_bool,
    as_date,
    as_id,
    as_names,
    as_text,
    convert,
    request_body_doc,
)
from aftercare.api.pagination import PageParams, paginated
from aftercare.clients import export, merge
from aftercare.clients.forms import ClientForm
from aftercare.clients.models import Channel, Client, Tag
from aftercare.clients.selectors import ClientFilters as SelectedClients
from aftercare.clients.selectors import matching, tags_of
from aftercare.clients.services import (
    client_create,
    client_delete,
    client_record_view,
    client_set_archived,
    client_update,
)
from aftercare.phones import can_receive_texts
from aftercare.practice.access import Actor, get_scoped_or_404, scoped
from aftercare.practice.audit import record_audit, record_reads
from aftercare.practice.models import LANGUAGES, AuditEvent

router = Router(tags=["Clients"])

ChannelName = Literal["email", "sms", "whatsapp", "post", "phone"]
assert set(ChannelName.__args__) == set(Channel.values)  # type: ignore[attr-defined]  # noqa: S101


class ClientOut(Schema):
    id: int
    external_id: str = Field(
        description="The client's id in another system (unique in the practice); '' when none"
    )
    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    email: str
    phone: str = Field(
        description="Mobile or landline number in E.164, e.g. +447911123456; '' when none"
    )
    phone_extension: str = Field(description="Extension digits, e.g. '12'; '' when none")
    phone_is_mobile: bool = Field(
        description="Whether SMS and WhatsApp can reach the number (false for a landline)"
    )
    birth_date: dt.date | None
    time_zone: str = Field(description="IANA name; '' means the practice's time zone")
    language: str = Field(description="'' means the practice's language")
    preferred_channel: ChannelName
    postal_address: str
    tags: list[str]
    primary_practitioner_id: int | None
    consent_care: bool
    consent_information: bool
    consent_celebrations: bool
    archived: bool
    opted_out_at: dt.datetime | None = Field(
        description="When the client stopped automated messages (SMS STOP, unsubscribe); "
        "null while subscribed"
    )
    private_notes: str | None = Field(
        None, description="Only present when the token's role may see notes (not assistants)"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientIn(Schema):
    """A client as sent to POST/PUT (all fields) or PATCH (only the fields to change)."""

    external_id: str = Field(
        "",
        max_length=200,
        description="Your system's id for the client: a POST with an id the practice already "
        "has updates that client instead of adding another",
    )
    given_name: str = Field(..., max_length=100)
    family_name: str = Field("", max_length=100)
    preferred_name: str = Field("", max_length=100)
    pronouns: str = Field("", max_length=30)
    email: str = ""
    phone: str = Field(
        "",
        max_length=100,
        description="Any common notation, e.g. '+49 (0) 30 / 901 820 12'; stored in E.164. "
        "An extension at the end ('ext. 12', 'x12', '#12') goes to phone_extension.",
    )
    phone_extension: str = Field("", max_length=20, description="Extension digits, e.g. '12'")
    birth_date: dt.date | None = None
    time_zone: str = Field("", description="IANA name such as Europe/Berlin")
    language: Literal["", "en", "de", "fr", "es", "nl"] = ""
    preferred_channel: ChannelName = "email"
    postal_address: str = ""
    tags: list[str] = Field(default_factory=list, description="Tag names; new ones are created")
    primary_practitioner_id: int | None = None
    consent_care: bool = Field(
        False, description="Never assumed: true only when the client agreed to care messages"
    )
    consent_information: bool = False
    consent_celebrations: bool = False
    archived: bool = False
    private_notes: str = Field("", description="Owners and practitioners only")


assert {code for code, _ in LANGUAGES} == set(  # noqa: S101
    ClientIn.model_fields["language"].annotation.__args__  # type: ignore[union-attr]
) - {""}


class ClientPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ClientOut]


class ClientFilters(Schema):
    q: str | None = Field(None, description="Words to find in name, email or phone")
    tag: str | None = Field(None, description="Only clients with this tag")
    practitioner_id: int | None = Field(None, description="Only this primary practitioner's")
    archived: Literal["false", "true", "all"] = Field(
        "false", description="'false' (default): active clients; 'true': archived; 'all'"
    )


Side = Literal["this", "other"]
MergeFieldName = Literal[
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "birth_date",
    "email",
    "phone",
    "postal_address",
    "preferred_channel",
    "time_zone",
    "language",
    "primary_practitioner",
]
assert set(MergeFieldName.__args__) == merge.FIELD_NAMES  # type: ignore[attr-defined]  # noqa: S101


class MergeIn(Schema):
    """The other record of the same person, merged into this one (which is kept)."""

    model_config = ConfigDict(extra="forbid")

    other_id: int = Field(
        ..., description="The client merged into this one and then deleted (its id answers 404)"
    )
    # A mapping, not a nested model: the body's schema stays one object without references.
    keep: dict[MergeFieldName, Side] = Field(
        default_factory=dict,
        description='For each field, "this" or "other": whose value the kept record has; a '
        "field left out keeps this record's value (email and phone bring whether they failed, "
        "phone its extension)",
    )


CONVERTERS: dict[str, Any] = {
    "external_id": as_text,
    "given_name": as_text,
    "family_name": as_text,
    "preferred_name": as_text,
    "pronouns": as_text,
    "email": as_text,
    "phone": as_text,
    "phone_extension": as_text,
    "birth_date": as_date,
    "time_zone": as_text,
    "language": as_text,
    "preferred_channel": as_text,
    "postal_address": as_text,
    "tags": as_names,
    "primary_practitioner_id": as_id,
    "consent_care": as_bool,
    "consent_information": as_bool,
    "consent_celebrations": as_bool,
    "archived": as_bool,
    "private_notes": as_text,
}
# Sent back unchanged by clients that PUT what they GET; accepted and ignored.
READ_ONLY = {"id", "created_at", "updated_at", "phone_is_mobile", "opted_out_at"}
FORM_NAMES = {"primary_practitioner": "primary_practitioner_id", "tag_names": "tags"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# What ``client_to_api`` reads of a client (a page of the list reads only these).
API_COLUMNS = (
    "id",
    "external_id",
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "phone_extension",
    "birth_date",
    "time_zone",
    "language",
    "preferred_channel",
    "postal_address",
    "primary_practitioner_id",
    "consent_care",
    "consent_information",
    "consent_celebrations",
    "archived",
    "opted_out_at",
    "created_at",
    "updated_at",
    "private_notes",
)


def client_to_api(
    client: Client, *, with_notes: bool, tags: Iterable[str] | None = None
) -> dict[str, Any]:
    """The API representation; its tags given, or from a prefetch when there is one."""
    data: dict[str, Any] = {
        "id": client.pk,
        "external_id": client.external_id,
        "given_name": client.given_name,
        "family_name": client.family_name,
        "preferred_name": client.preferred_name,
        "pronouns": client.pronouns,
        "email": client.email,
        "phone": client.phone,
        "phone_extension": client.phone_extension,
        "phone_is_mobile": can_receive_texts(client.phone),
        "birth_date": client.birth_date,
        "time_zone": client.time_zone,
        "language": client.language,
        "preferred_channel": client.preferred_channel,
        "postal_address": client.postal_address,
        "tags": sorted(tags if tags is not None else _prefetched_tags(client)),
        "primary_practitioner_id": client.primary_practitioner_id,
        "consent_care": client.consent_care,
        "consent_information": client.consent_information,
        "consent_celebrations": client.consent_celebrations,
        "archived": client.archived,
        "opted_out_at": client.opted_out_at,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }
    if with_notes:
        data["private_notes"] = client.private_notes
    return data


def _prefetched_tags(client: Client) -> list[str]:
    return [tag.name for tag in client.tags.all()] if client.pk else []


def _clients(actor: Actor) -> QuerySet[Client]:
    return scoped(Client, actor).prefetch_related("tags")


def _get_client(actor: Actor, client_id: int) -> Client:
    return get_scoped_or_404(_clients(actor), actor, pk=client_id)


def _validated(
    actor: Actor, payload: dict[str, Any], *, base: Client, existing: Client | None
) -> tuple[dict[str, Any], list[str], bool]:
    """Check ``payload`` over ``base`` with the shared ClientForm.

    Returns the form's cleaned data, the tag names and the wanted ``archived`` flag, or
    raises a 422 naming every wrong field. ``base`` supplies the fields the payload leaves
    out: the stored client for PATCH, a new client's defaults for POST and PUT.
    """
    payload = {name: value for name, value in payload.items() if name not in READ_ONLY}
    reject_unknown_fields(payload, CONVERTERS)
    if "private_notes" in payload and not actor.sees_private_notes:
        raise invalid({"private_notes": ["Your role may not see or change private notes."]})
    values, errors = convert(payload, CONVERTERS)
    if errors:
        raise invalid(errors)
    merged = {**client_to_api(base, with_notes=actor.sees_private_notes), **values}
    if "phone" in values and "phone_extension" not in values:
        # A new number comes with its own extension (or none), never the old number's.
        merged["phone_extension"] = ""
    form_data = {
        name: value
        for name, value in merged.items()
        if name
        not in {
            "primary_practitioner_id",
            "tags",
            "archived",
            "id",
            "phone_is_mobile",
            "external_id",
        }
    }
    form_data["primary_practitioner"] = merged["primary_practitioner_id"] or ""
    form_data["birth_date"] = merged["birth_date"] or ""
    form_data["tag_names"] = ", ".join(merged["tags"])
    # The form writes cleaned values into its instance; keep the stored client untouched
    # so the service can audit what changed.
    instance = copy.copy(existing) if existing is not None else Client(practice=actor.practice)
    form = ClientForm(
        data=form_data,
        instance=instance,
        practice=actor.practice,
        can_see_notes=actor.sees_private_notes,
    )
    if not form.is_valid():
        errors = form_errors(form, FORM_NAMES)
        if form.has_error("primary_practitioner", "invalid_choice"):
            errors["primary_practitioner_id"] = [
                "No practitioner with this id in your practice (owners and practitioners only)."
            ]
        raise invalid(errors)
    external_id = (merged["external_id"] or "").strip()
    if len(external_id) > 200:
        raise invalid({"external_id": ["At most 200 characters."]})
    twin = Client.objects.filter(practice=actor.practice, external_id=external_id)
    if external_id and twin.exclude(pk=existing.pk if existing else None).exists():
        raise invalid({"external_id": ["Another client of the practice has this external id."]})
    data = {**form.cleaned_data, "external_id": external_id}
    return data, form.cleaned_data["tag_names"], merged["archived"]


def _save(actor: Actor, payload: dict[str, Any], *, client: Client | None, partial: bool) -> Client:
    # Consent is never assumed: a new client without a consent field has none.
    base = (
        client
        if (client is not None and partial)
        else Client(practice=actor.practice, consent_care=False)
    )
    data, tag_names, archived = _validated(actor, payload, base=base, existing=client)
    with transaction.atomic():
        if client is None:
            client = client_create(actor=actor, data=data, tag_names=tag_names, how="api")
        else:
            client = client_update(
                actor=actor, client=client, data=data, tag_names=tag_names, how="api"
            )
        if archived != client.archived:
            client_set_archived(actor=actor, client=client, archived=archived)
    return _get_client(actor, client.pk)


@router.get(
    "",
    response={200: ClientPage, **ERRORS},
    exclude_unset=True,
    summary="List clients",
)
def list_clients(
    request: HttpRequest, filters: Query[ClientFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Clients of the token's practice, by family and given name; active ones by default."""
    actor = api_actor(request)
    notes = actor.sees_private_notes
    tag = None
    if filters.tag:
        tag = tag_named(actor, filters.tag.strip().lower())
    if filters.tag and tag is None:
        result = paginated(request, 0, [], page, dict)
    else:
        # The same search and filters as the web UI's clients list, read through statements
        # (built once per shape of search), the clients' tags in one more query.
        found = matching(
            actor,
            SelectedClients(
                query=filters.q or "",
                tag=tag,
                practitioner_id=filters.practitioner_id,
                archived={"false": False, "true": True}.get(filters.archived),
            ),
        )
        count = found.count()
        rows = found.rows(API_COLUMNS, page.offset, page.limit) if page.offset < count else []
        clients = statements.instances(Client, API_COLUMNS, rows)
        tags = tags_of(tuple(client.pk for client in clients))
        result = paginated(
            request,
            count,
            clients,
            page,
            lambda c: client_to_api(c, with_notes=notes, tags=tags.get(c.pk, ())),
        )
    _audit_listing(actor, [row["id"] for row in result["results"]], page.offset)
    return result


def tag_named(actor: Actor, name: str) -> Tag | None:
    """The practice's tag called ``name`` (one query, built once)."""
    found = statements.rows(
        "clients: the tag named",
        lambda practice, name: Tag.objects.filter(practice_id=practice, name=name).values_list(
            "pk"
        )[:1],
        practice=actor.practice.pk,
        name=name,
    )
    return Tag(pk=found[0][0], practice=actor.practice, name=name) if found else None


def _audit_listing(actor: Actor, ids: list[int], offset: int) -> None:
    """One audit event per page: an integration reading every client is an export in all
    but name, so the trail says who read which records (one insert, whatever the size)."""
    record_reads(
        actor, Client, ids, f"Listed {len(ids)} clients through the API (from row {offset + 1})"
    )


@router.post(
    "",
    response={200: ClientOut, 201: ClientOut, **ERRORS},
    exclude_unset=True,
    summary="Create a client",
    openapi_extra=request_body_doc(ClientIn),
)
def create_client(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    """Create a client, or update the one with the same ``external_id`` (200)."""
    actor = api_actor(request)
    payload = parse_json_object(request)
    external_id = payload.get("external_id")
    existing = (
        _clients(actor).filter(external_id=external_id.strip()).first()
        if isinstance(external_id, str) and external_id.strip()
        else None
    )
    client = _save(actor, payload, client=existing, partial=False)
    response["Location"] = f"{request.path.rstrip('/')}/{client.pk}"
    return Status(
        200 if existing else 201, client_to_api(client, with_notes=actor.sees_private_notes)
    )


@router.get(
    "/{int:client_id}",
    response={200: ClientOut, **ERRORS},
    exclude_unset=True,
    summary="Read a client",
)
def read_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    """One client; every read is written to the audit trail."""
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    client_record_view(actor=actor, client=client)
    return client_to_api(client, with_notes=actor.sees_private_notes)


@router.patch(
    "/{int:client_id}",
    response={200: ClientOut, **ERRORS},
    exclude_unset=True,
    summary="Change some fields of a client",
    openapi_extra=request_body_doc(ClientIn, description="Only the fields to change"),
)
def patch_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    client = _save(actor, parse_json_object(request), client=client, partial=True)
    return client_to_api(client, with_notes=actor.sees_private_notes)


@router.put(
    "/{int:client_id}",
    response={200: ClientOut, **ERRORS},
    exclude_unset=True,
    summary="Replace a client",
    openapi_extra=request_body_doc(
        ClientIn, description="Every field; one left out takes its default"
    ),
)
def put_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    client = _save(actor, parse_json_object(request), client=client, partial=False)
    return client_to_api(client, with_notes=actor.sees_private_notes)


@router.post(
    "/{int:client_id}/archive",
    response={200: ClientOut, **ERRORS},
    exclude_unset=True,
    summary="Archive a client",
)
def archive_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    if not client.archived:
        client_set_archived(actor=actor, client=client, archived=True)
    return client_to_api(client, with_notes=actor.sees_private_notes)


@router.post(
    "/{int:client_id}/restore",
    response={200: ClientOut, **ERRORS},
    exclude_unset=True,
    summary="Restore an archived client",
)
def restore_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    if client.archived:
        client_set_archived(actor=actor, client=client, archived=False)
    return client_to_api(client, with_notes=actor.sees_private_notes)


@router.delete(
    "/{int:client_id}",
    response={200: ClientOut, 204: None, 403: ErrorOut, **ERRORS},
    exclude_unset=True,
    summary="Archive a client, or erase it with ?erase=true (owner only)",
)
def delete_client(
    request: HttpRequest, client_id: int, erase: bool = False
) -> dict[str, Any] | Status[None]:
    """Archive (the default, reversible), or with ``erase=true`` delete the client and
    everything about them for good (the practice owner only; the audit keeps the id)."""
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    if erase:
        if not actor.is_owner:
            raise PermissionDenied(
                "Only the practice owner may erase a client; without erase=true it is archived."
            )
        client_delete(actor=actor, client=client)
        return Status(204, None)
    if not client.archived:
        client_set_archived(actor=actor, client=client, archived=True)
    return client_to_api(client, with_notes=actor.sees_private_notes)


@router.get(
    "/{int:client_id}/export",
    response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
    summary="Everything held about one client, as JSON or CSV (owner only)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The client's data: JSON (the default) or, with format=csv, "
                "CSV with the columns section, record, field, value.",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def export_client(
    request: HttpRequest, client_id: int, format: Literal["json", "csv"] = "json"
) -> Any:
    """The client's record, consent history, every row that belongs to them and who read or
    changed it (GDPR access and portability); the same export as the web app and
    ``aftercare export client ID``."""
    actor = api_actor(request)
    client = _get_client(actor, client_id)
    if not actor.is_owner:
        raise PermissionDenied("Only the practice owner may export a client's data.")
    data = export.client_export(client)
    record_audit(actor, AuditEvent.Action.EXPORT, client, summary=f"Exported as {format}")
    if format == "csv":
        return HttpResponse(export.export_csv(data), content_type="text/csv; charset=utf-8")
    return data


def _merge_choices(payload: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """The other client's id and, per field, "kept" or "other" (``merge``'s words); a 422
    naming every wrong field, before anything is read or written."""
    reject_unknown_fields(payload, MergeIn.model_fields)
    errors: dict[str, list[str]] = {}
    other_id = payload.get("other_id")
    if other_id is None:
        errors["other_id"] = ["Required: the id of the client to merge into this one."]
    elif isinstance(other_id, bool) or not isinstance(other_id, int):
        errors["other_id"] = [f"Expected an integer id, got {json_type_name(other_id)}."]
    keep = payload.get("keep", {})
    choices: dict[str, str] = {}
    if not isinstance(keep, dict):
        errors["keep"] = [
            f'Expected an object such as {{"email": "other"}}, got {json_type_name(keep)}.'
        ]
        keep = {}
    for name, side in keep.items():
        if name not in merge.FIELD_NAMES:
            known = ", ".join(field.name for field in merge.MERGE_FIELDS)
            errors[f"keep.{name}"] = [f"Unknown field; a merge chooses among {known}."]
        elif side not in {"this", "other"}:
            errors[f"keep.{name}"] = ['Expected "this" or "other".']
        else:
            choices[name] = "kept" if side == "this" else "other"
    if errors:
        raise invalid(errors)
    # Not given: what the web page proposes (this record's value, or the other's where this
    # one is empty), so a merge without ``keep`` loses no email or birth date only the other
    # record held.
    return other_id, choices


@router.post(
    "/{int:client_id}/merge",
    response={200: ClientOut, 403: ErrorOut, **ERRORS},
    exclude_unset=True,
    summary="Merge another record of the same person into this client (owners and practitioners)",
    openapi_extra=request_body_doc(MergeIn),
)
def merge_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    """Merge the client ``other_id`` into this one, as the web page does: everything the other
    record holds (appointments, messages, consent history, notes, tags…) moves here, each field
    in ``keep`` takes the value of the record named, and the other record is deleted. Returns
    the kept client."""
    actor = api_actor(request)
    kept = _get_client(actor, client_id)
    if not actor.sees_private_notes:
        # The merge joins both records' private notes, which an assistant may not read.
        raise PermissionDenied("Only owners and practitioners merge clients.")
    other_id, choices = _merge_choices(parse_json_object(request))
    if other_id == kept.pk:
        raise invalid(
            {"other_id": ["A client cannot be merged with itself: give the other record's id."]}
        )
    other = _get_client(actor, other_id)
    merge.client_merge(actor=actor, kept=kept, other=other, choices=choices)
    return client_to_api(_get_client(actor, kept.pk), with_notes=True)
