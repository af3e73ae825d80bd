"""Clients and appointments out, as CSV or JSON, in the columns the import reads back.

The columns are the import's own field names, so a file exported here imports without a
mapping, into this practice (nothing changes: every row matches and is unchanged) or a fresh
one (the same clients and appointments). Appointments name their client by the client's
match keys (external id, email, name and date of birth), never by our row ids, which mean
nothing in another installation. Every export is one audit event listing the clients in it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import append_audit_events, client_list
from aftercare.practice.models import AuditEvent

CLIENT_COLUMNS = [
    "external_id",
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
    "tags",
    "consent_care",
    "consent_information",
    "consent_celebrations",
    "archived",
    "private_notes",
]
APPOINTMENT_COLUMNS = [
    "external_id",
    "client_external_id",
    "client_email",
    "client_given_name",
    "client_family_name",
    "client_birth_date",
    "practitioner_email",
    "starts_at",
    "ends_at",
    "kind",
    "status",
    "fee",
]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def client_records(actor: Actor) -> Iterator[dict[str, str]]:
    clients = (
        Client.objects.filter(practice=actor.practice)
        .prefetch_related("tags")
        .order_by("family_name", "given_name", "id")
    )
    for client in clients.iterator(chunk_size=2000):
        yield {
            "external_id": client.external_id,
            "given_name": client.given_name,
            "family_name": client.family_name,
            "preferred_name": client.preferred_name,
            "pronouns": client.pronouns,
            "birth_date": client.birth_date.isoformat() if client.birth_date else "",
            "email": client.email,
            "phone": client.phone,
            "postal_address": client.postal_address,
            "preferred_channel": client.preferred_channel,
            "time_zone": client.time_zone,
            "language": client.language,
            "tags": ", ".join(sorted(tag.name for tag in client.tags.all())),
            "consent_care": _yes(client.consent_care),
            "consent_information": _yes(client.consent_information),
            "consent_celebrations": _yes(client.consent_celebrations),
            "archived": _yes(client.archived),
            "private_notes": client.private_notes if actor.sees_private_notes else "",
        }


def appointment_external_id(appointment: Appointment) -> str:
    return appointment.external_id or f"aftercare-{appointment.pk}"


def appointment_records(actor: Actor) -> Iterator[dict[str, str]]:
    appointments = (
        Appointment.objects.filter(practice=actor.practice)
        .select_related("client", "practitioner")
        .order_by("starts_at", "id")
    )
    for appointment in appointments.iterator(chunk_size=2000):
        client = appointment.client
        yield {
            "external_id": appointment_external_id(appointment),
            "client_external_id": client.external_id,
            "client_email": client.email,
            "client_given_name": client.given_name,
            "client_family_name": client.family_name,
            "client_birth_date": client.birth_date.isoformat() if client.birth_date else "",
            "practitioner_email": appointment.practitioner.email
            if appointment.practitioner
            else "",
            "starts_at": appointment.starts_at.isoformat(),
            "ends_at": appointment.ends_at.isoformat(),
            "kind": appointment.kind,
            "status": appointment.status,
            "fee": str(appointment.fee) if appointment.fee is not None else "",
        }


def export_table(actor: Actor, what: str, fmt: str) -> str:
    """``what`` (clients, appointments) of the actor's practice as CSV or JSON, audited."""
    if what == "clients":
        columns, records = CLIENT_COLUMNS, list(client_records(actor))
        ids = list(Client.objects.filter(practice=actor.practice).values_list("id", flat=True))
    else:
        columns, records = APPOINTMENT_COLUMNS, list(appointment_records(actor))
        ids = list(
            Appointment.objects.filter(practice=actor.practice)
            .values_list("client_id", flat=True)
            .distinct()
        )
    append_audit_events(
        [
            AuditEvent(
                practice=actor.practice,
                user=actor.user,
                action=AuditEvent.Action.EXPORT,
                object_type="clients.client" if what == "clients" else "appointments.appointment",
                object_id="",
                clients=client_list(ids),
                summary=f"Exported {len(records)} {what} as {fmt.upper()}",
                changes={},
                ip_address=actor.ip_address,
                user_agent=actor.user_agent,
                via=actor.via,
            )
        ]
    )
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    return as_csv(columns, records)


def as_csv(columns: list[str], records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()
