"""Appointment reminders: the message, its confirm / ask-to-rebook page, and the rebook queue.

1. The care rule "Appointment reminder" (trigger ``before_appointment``, 24 hours before,
   added to every new practice's rules) plans a touchpoint per booked appointment; moves and
   cancellations re-plan or cancel it like any other (the engine's reconciliation), and the
   worker re-checks the appointment just before sending.
2. As the due touchpoint becomes a message, ``add_appointment_links`` writes the visit's time
   in the client's zone and one signed link (``links.portal_url("appointment", id)``) into its
   details: signed then, not when planned, so re-planning never changes the touchpoint.
3. The link's page shows the visit and two buttons: *I'll be there* (``confirmed_at``, shown on
   the schedule and in the API) and *Please find me another time* (a rebook request, which
   lands in the care queue until someone marks it done).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from aftercare.appointments.models import Appointment
from aftercare.appointments.services import appointment_rebook_handled
from aftercare.care.models import Touchpoint
from aftercare.care.preparers import SkipTouchpoint
from aftercare.links import portal_url
from aftercare.messaging.templating import DefaultTemplate
from aftercare.practice.access import Actor, get_scoped_or_404
from aftercare.queue.items import QueueItem

TEMPLATE_KEY = "appointment_reminder"

DEFAULT_RULE: dict[str, Any] = {
    "name": "Appointment reminder",
    "trigger": "before_appointment",
    "trigger_options": {"hours": 24},
    "offset_days": 0,
    "local_time": dt.time(9, 0),
    "action": "message",
    "template_key": TEMPLATE_KEY,
    "purpose": "care",
    "value": 70,
}

TEMPLATE = DefaultTemplate(
    key=TEMPLATE_KEY,
    label="Appointment reminder with confirm and rebook links",
    subject="Your appointment on {{ details.when }}",
    text=(
        "Dear {{ name }},\n\n"
        "A reminder of your appointment with {{ practitioner }} on {{ details.when }}.\n\n"
        "Please let us know whether you will come, or ask for another time: "
        "{{ details.appointment_url }}\n\n"
        "{{ practice }}{% if practice_phone %} · {{ practice_phone }}{% endif %}\n"
        "Your message preferences: {{ preferences_url }}"
    ),
    sms=(
        "Hello {{ name }}, {{ practice }} reminds you of your appointment on "
        "{{ details.when }}. Confirm or ask for another time: {{ details.appointment_url }}"
    ),
    # The time of a visit tells nothing of the client's health; the text arrives readable.
    private=False,
)


def add_appointment_links(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """Preparer (step 2): the visit's time in words and its signed page."""
    if touchpoint.template_key != TEMPLATE_KEY or not details.get("appointment_id"):
        return
    appointment = (
        Appointment.objects.select_related("client__practice")
        .filter(pk=details["appointment_id"], practice_id=touchpoint.practice_id)
        .first()
    )
    if appointment is None or appointment.status != "booked":
        raise SkipTouchpoint("The appointment was cancelled or removed before its reminder.")
    local = appointment.starts_at.astimezone(appointment.client.tz)
    details["when"] = f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"
    details["appointment_url"] = portal_url("appointment", appointment.pk)


def rebook_items(actor: Actor, now: dt.datetime) -> list[QueueItem]:
    """Queue source (step 3): clients who asked for another time; one query."""
    asked = (
        Appointment.objects.filter(
            practice=actor.practice,
            rebook_requested_at__isnull=False,
            rebook_handled_at__isnull=True,
        )
        .select_related("client")
        .order_by("rebook_requested_at")
    )
    return [
        QueueItem(
            id=f"rebook:{appointment.pk}",
            kind="rebook",
            client_id=appointment.client_id,
            client_name=appointment.client.full_name,
            title="Find another time for the appointment",
            reason=(
                f"Asked to rebook the visit of {appointment.starts_at:%-d %b %H:%M} "
                "from the reminder"
            ),
            urgency="attention",
            due_at=appointment.rebook_requested_at,
            estimated_minutes=5,
            value=70,
            actions=("done", "open"),
            owner_id=appointment.practitioner_id,
            done_label="Rebooked",
            url=reverse("clients-detail", args=[appointment.client_id]),
        )
        for appointment in asked
    ]


def perform_on_rebook(
    actor: Actor, object_id: str, action: str, *, until: Any = None, reason: str = ""
) -> None:
    appointment = get_scoped_or_404(Appointment.objects.all(), actor, pk=int(object_id))
    if action != "done":
        raise ValidationError({"action": "A rebook request can only be marked done."})
    appointment_rebook_handled(actor=actor, appointment=appointment)
