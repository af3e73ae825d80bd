"""Writes to appointments. Each is atomic, audited, and tells `clients.events` the client changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.text import slugify

from aftercare import clock
from aftercare.appointments.forms import APPOINTMENT_FIELDS
from aftercare.appointments.models import Appointment, ScheduleSettings, VisitKind
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


# -- visit kinds and the usual hours ------------------------------------------------------------

MAX_VISIT_KINDS = 50


@transaction.atomic
def visit_kind_save(
    *, actor: Actor, key: str, name: str, minutes: int, archived: bool = False
) -> VisitKind:
    """Add a visit kind (``key`` empty: made from the name) or change one; the key never changes,
    so appointments already booked keep their kind."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the visit kind a name, e.g. Follow-up."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    if not 5 <= minutes <= 480:
        raise ValidationError({"minutes": "A visit lasts from 5 to 480 minutes."})
    key = key or slugify(name).replace("-", "_")[:40] or "visit"
    kind = VisitKind.objects.filter(practice=actor.practice, key=key).first()
    if kind is None:
        if VisitKind.objects.filter(practice=actor.practice).count() >= MAX_VISIT_KINDS:
            raise ValidationError({"name": f"A practice has at most {MAX_VISIT_KINDS} kinds."})
        kind = VisitKind(practice=actor.practice, key=key)
        action = "create"
    else:
        action = "change"
    kind.name, kind.minutes, kind.archived = name, minutes, archived
    kind.save()
    record_audit(actor, action, kind, summary=f"Visit kind {kind}")
    return kind


@transaction.atomic
def usual_hours_set(*, actor: Actor, day_starts: dt.time, day_ends: dt.time) -> ScheduleSettings:
    if day_ends <= day_starts:
        raise ValidationError({"day_ends": "The day must end after it starts."})
    hours, _ = ScheduleSettings.objects.update_or_create(
        practice=actor.practice, defaults={"day_starts": day_starts, "day_ends": day_ends}
    )
    record_audit(actor, "change", hours, summary=f"Usual hours {hours}")
    return hours
