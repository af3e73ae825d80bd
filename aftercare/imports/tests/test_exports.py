"""Exports in the import's own columns: a round trip into a fresh practice reproduces the
clients and appointments, and a re-import into the same practice changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.imports.appointments import import_appointment_file
from aftercare.imports.clients import import_clients
from aftercare.imports.exports import CLIENT_COLUMNS, export_table
from aftercare.imports.reading import read_client_file
from aftercare.practice.access import Actor
from aftercare.practice.models import AuditEvent, Membership, Practice, Role
from aftercare.testing import Personas, make_appointment, make_client, make_user

pytestmark = pytest.mark.django_db


def import_clients_file(actor: Actor, data: bytes):  # type: ignore[no-untyped-def]
    rows = read_client_file(data, practice=actor.practice).rows(actor.practice)
    return import_clients(actor=actor, rows=rows.rows, refused=rows.refused)


def client_view(practice: Practice) -> list[tuple]:
    return sorted(
        (
            c.external_id, c.given_name, c.family_name, c.preferred_name, c.birth_date,
            c.email, c.phone, c.postal_address, c.preferred_channel, c.time_zone, c.language,
            c.consent_care, c.consent_information, c.consent_celebrations, c.archived,
            c.private_notes, tuple(sorted(t.name for t in c.tags.all())),
        )
        for c in Client.objects.filter(practice=practice).prefetch_related("tags")
    )  # fmt: skip


def appointment_view(practice: Practice) -> list[tuple]:
    return sorted(
        (a.client.email, a.client.given_name, a.practitioner.email if a.practitioner else "",
         a.starts_at, a.ends_at, a.kind, a.status, a.fee)
        for a in Appointment.objects.filter(practice=practice).select_related("client", "practitioner")
    )  # fmt: skip


@pytest.fixture
def full_practice(personas: Personas) -> Personas:
    ana = make_client(
        personas.practice,
        given_name="Ana", family_name="Lima", preferred_name="Aninha", email="ana@example.org",
        phone="+447912345678", birth_date=dt.date(1984, 2, 29), external_id="CL-1",
        postal_address="1 Mill Lane\nLeeds LS1 4AB", preferred_channel="sms",
        time_zone="Europe/Lisbon", language="es", consent_information=True,
        private_notes='Says "hello", then; stops', archived=True,
    )  # fmt: skip
    ana.tags.create(practice=personas.practice, name="sleep")
    make_client(personas.practice, given_name="Bo", family_name="", email="", phone="")
    make_appointment(ana, personas.colleague, starts_at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
                     status="attended", fee="55.00", kind="first_visit")  # fmt: skip
    make_appointment(personas.client, None, starts_at=dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))
    return personas


def test_a_round_trip_into_a_fresh_practice_reproduces_clients_and_appointments(
    full_practice: Personas,
) -> None:
    source = full_practice.actor()
    clients_csv = export_table(source, "clients", "csv").encode()
    appointments_csv = export_table(source, "appointments", "csv").encode()
    fresh = Practice.objects.create(name="Fresh", time_zone="Europe/London", country="GB")
    owner = make_user("olivia@fresh.example", "Olivia", fresh, Role.OWNER)
    # The practitioners move with their clients.
    Membership.objects.filter(user__in=[full_practice.colleague, full_practice.owner]).update(
        practice=fresh
    )
    actor = Actor(user=owner, practice=fresh, via="test")
    result = import_clients_file(actor, clients_csv)
    assert (result.created, result.refused) == (3, [])
    assert client_view(fresh) == client_view(full_practice.practice)
    booked = import_appointment_file(
        actor=actor, data=appointments_csv, file_name="a.csv", practitioner=None
    )
    assert (booked.created, booked.refused) == (3, [])
    assert appointment_view(fresh) == appointment_view(full_practice.practice)
    # And once more: nothing changes.
    assert import_clients_file(actor, clients_csv).unchanged == 3
    again = import_appointment_file(
        actor=actor, data=appointments_csv, file_name="a.csv", practitioner=None
    )
    assert (again.created, again.updated) == (0, 0)


def test_our_own_export_reads_back_into_the_same_practice_unchanged(
    full_practice: Personas,
) -> None:
    actor = full_practice.actor()
    result = import_clients_file(actor, export_table(actor, "clients", "csv").encode())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    booked = import_appointment_file(
        actor=actor,
        data=export_table(actor, "appointments", "csv").encode(),
        file_name="a.csv",
        practitioner=None,
    )
    assert (booked.created, booked.updated, booked.refused) == (0, 0, [])


def test_an_assistant_s_export_leaves_private_notes_out(full_practice: Personas) -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(
                export_table(full_practice.actor(full_practice.assistant), "clients", "csv")
            )
        )
    )
    assert list(rows[0]) == CLIENT_COLUMNS
    assert all(row["private_notes"] == "" for row in rows)


def test_the_command_exports_and_audits(full_practice: Personas, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    practice = str(full_practice.practice.pk)
    call_command("export", "appointments", "--practice", practice, "--format", "json")
    body = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in body] == ["booked", "attended", "booked"]
    out = tmp_path / "clients.csv"
    call_command("export", "clients", "--practice", practice, "--output", str(out))
    assert out.read_text(encoding="utf-8").startswith(",".join(CLIENT_COLUMNS))
    events = AuditEvent.objects.filter(practice=full_practice.practice, action="export")
    assert [e.summary for e in events.order_by("seq")] == [
        "Exported 3 appointments as JSON",
        "Exported 3 clients as CSV",
    ]
    assert f",{full_practice.client.pk}," in events.order_by("seq").last().clients
