"""Writes to appointments. Each is atomic, audited, and tells `clients.events` the client changed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from aftercare import clock
from aftercare.appointments.forms import APPOINTMENT_FIELDS
from aftercare.appointments.models import Appointment
from aftercare.clients.events import client_changed
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit


@transaction.atomic
def appointment_create(
    *, actor: Actor, data: dict[str, Any], source: str = "manual", external_id: str = ""
) -> Appointment:
    appointment = Appointment(practice=actor.practice, source=source, external_id=external_id)
    for name in APPOINTMENT_FIELDS:
        if name in data:
            setattr(appointment, name, data[name])
    appointment.save()
    record_audit(
        actor,
        "create",
        appointment,
        summary=f"Booked {appointment.starts_at:%Y-%m-%d %H:%M} for client #{appointment.client_id}",
    )
    client_changed(appointment.client)
    return appointment


@transaction.atomic
def appointment_update(
    *, actor: Actor, appointment: Appointment, data: dict[str, Any]
) -> Appointment:
    before = model_to_dict(appointment, fields=APPOINTMENT_FIELDS)
    for name in APPOINTMENT_FIELDS:
        if name in data:
            setattr(appointment, name, data[name])
    if appointment.starts_at != before["starts_at"]:
        # The client confirmed another time: the moved appointment asks again.
        appointment.confirmed_at = None
    appointment.updated_at = clock.now()
    appointment.save()
    changes = diff_fields(before, model_to_dict(appointment, fields=APPOINTMENT_FIELDS))
    if changes:
        record_audit(
            actor,
            "change",
            appointment,
            summary=f"Changed {', '.join(sorted(changes))}",
            changes=changes,
        )
    client_changed(appointment.client)
    return appointment


def appointment_set_status(*, actor: Actor, appointment: Appointment, status: str) -> Appointment:
    return appointment_update(actor=actor, appointment=appointment, data={"status": status})


@transaction.atomic
def appointment_delete(*, actor: Actor, appointment: Appointment) -> None:
    client = appointment.client
    record_audit(actor, "delete", appointment, summary=f"Deleted appointment #{appointment.pk}")
    appointment.delete()
    client_changed(client)


@transaction.atomic
def appointment_confirm(*, actor: Actor, appointment: Appointment) -> bool:
    """The client confirms they will come (the reminder's link); False when already done."""
    if appointment.confirmed_at is not None or appointment.status != "booked":
        return False
    appointment.confirmed_at = clock.now()
    appointment.save(update_fields=["confirmed_at"])
    record_audit(actor, "change", appointment, summary="The client confirmed the appointment")
    return True


@transaction.atomic
def appointment_request_rebook(*, actor: Actor, appointment: Appointment) -> bool:
    """The client asks for another time (the reminder's link): it goes to the care queue."""
    if appointment.rebook_requested_at is not None and appointment.rebook_handled_at is None:
        return False
    appointment.rebook_requested_at = clock.now()
    appointment.rebook_handled_at = None
    appointment.confirmed_at = None
    appointment.save(update_fields=["rebook_requested_at", "rebook_handled_at", "confirmed_at"])
    record_audit(actor, "change", appointment, summary="The client asked to rebook")
    return True


@transaction.atomic
def appointment_rebook_handled(*, actor: Actor, appointment: Appointment) -> None:
    appointment.rebook_handled_at = clock.now()
    appointment.save(update_fields=["rebook_handled_at"])
    record_audit(actor, "change", appointment, summary="Handled the request to rebook")
