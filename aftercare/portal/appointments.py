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
4. The care rule "Tell the client when their appointment moves" (trigger
   ``appointment_moved``, also added to every new practice's rules) plans one message when the
   practice moves a booking, through the outbox like any care message (consent, quiet hours,
   re-checked before sending); it carries the new time and the same confirm / rebook link.
   ``move_notice`` tells the move form whether the client will hear of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from aftercare.appointments.models import Appointment, Status
from aftercare.appointments.services import appointment_rebook_handled
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.preparers import SkipTouchpoint
from aftercare.care.reconcile import reachable_channel
from aftercare.clients.models import full_name_of
from aftercare.links import portal_url
from aftercare.locales import format_date, format_day_at, practice_locale
from aftercare.messaging.templating import DefaultTemplate
from aftercare.practice.access import Actor, get_scoped_or_404
from aftercare.queue.items import QueueItem, SourcePage, rank
from aftercare.queue.selectors import (
    client_urls,
    first_rows_of,
    first_rows_query,
)

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


MOVED_TEMPLATE_KEY = "appointment_moved"

DEFAULT_MOVED_RULE: dict[str, Any] = {
    "name": "Tell the client when their appointment moves",
    "trigger": "appointment_moved",
    "trigger_options": {},
    "offset_days": 0,
    "local_time": dt.time(9, 0),
    "action": "message",
    "template_key": MOVED_TEMPLATE_KEY,
    "purpose": "care",
    "value": 75,
}

MOVED_TEMPLATE = DefaultTemplate(
    key=MOVED_TEMPLATE_KEY,
    label="Your appointment moved, with confirm and rebook links",
    subject="Your appointment has moved to {{ details.when }}",
    text=(
        "Dear {{ name }},\n\n"
        "Your appointment with {{ practitioner }} has moved to {{ details.when }}.\n\n"
        "Please let us know whether the new time suits you, or ask for another one: "
        "{{ details.appointment_url }}\n\n"
        "{{ practice }}{% if practice_phone %} · {{ practice_phone }}{% endif %}\n"
        "Your message preferences: {{ preferences_url }}"
    ),
    sms=(
        "Hello {{ name }}, {{ practice }}: your appointment has moved to {{ details.when }}. "
        "Confirm or ask for another time: {{ details.appointment_url }}"
    ),
    private=False,  # like the reminder: a time, nothing of the client's health
)
LINKED_TEMPLATES = {TEMPLATE_KEY, MOVED_TEMPLATE_KEY}


def move_notice(appointment: Appointment) -> str:
    """For the move form: whether the client will be told of the move, and why not."""
    client = appointment.client
    if appointment.status != Status.BOOKED:
        return ""
    rules = [
        rule
        for rule in CareRule.objects.filter(
            practice_id=appointment.practice_id, trigger="appointment_moved", enabled=True
        ).order_by("id")
        if not rule.trigger_options.get("kind")
        or rule.trigger_options.get("kind") == appointment.kind
    ]
    name = client.full_name
    if not rules:
        return f"{name} will not be told: the care rule that tells clients of moves is off."
    if client.opted_out_at is not None:
        return f"{name} will not be told: they unsubscribed from automated messages."
    if not client.has_consent(rules[0].purpose):
        return f"{name} will not be told: they have not consented to care messages."
    channel = reachable_channel(
        {
            "preferred_channel": client.preferred_channel,
            "email": client.email,
            "email_unusable": client.email_unusable,
            "phone": client.phone,
            "phone_unusable": client.phone_unusable,
        }
    )
    if not channel:
        return f"{name} will not be told: we have no email address or mobile number for them."
    how = {"email": "email", "sms": "text message", "whatsapp": "WhatsApp"}.get(channel, channel)
    return (
        f"{name} will be told of the new time by {how} (care rule “{rules[0].name}”), "
        "outside their quiet hours."
    )


def add_appointment_links(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """Preparer (step 2): the visit's time in words and its signed page."""
    if touchpoint.template_key not in LINKED_TEMPLATES or not details.get("appointment_id"):
        return
    appointment = (
        Appointment.objects.select_related("client__practice")
        .filter(pk=details["appointment_id"], practice_id=touchpoint.practice_id)
        .first()
    )
    if appointment is None or appointment.status != "booked":
        raise SkipTouchpoint("The appointment was cancelled or removed before its message.")
    local = appointment.starts_at.astimezone(appointment.client.tz)
    # Prepared in the worker: in the locale of the client's practice, not of whoever is in use.
    details["when"] = format_day_at(local, "l j F", practice_locale(appointment.client.practice))
    details["appointment_url"] = portal_url("appointment", appointment.pk)


def rebook_items(
    actor: Actor,
    now: dt.datetime,
    *,
    scope: str = "practice",
    limit: int = 100,
    count: bool | int = True,
) -> SourcePage:
    """Queue source (step 3): clients who asked for another time; one query.

    Every request has the same value, so the oldest ranks first: read in the order of the
    ``appointment_rebook_waiting`` index, the first ``limit`` and the total.
    """

    def build(practice: int, user: int | None = None) -> QuerySet[Appointment]:
        asked = Appointment.objects.filter(
            practice_id=practice,
            rebook_requested_at__isnull=False,
            rebook_handled_at__isnull=True,
        )
        if scope == "mine":
            asked = asked.filter(Q(practitioner_id=user) | Q(practitioner__isnull=True))
        return first_rows_query(
            asked,
            ["rebook_requested_at", "id"],
            [
                "pk",
                "client_id",
                "client__given_name",
                "client__family_name",
                "starts_at",
                "rebook_requested_at",
                "practitioner_id",
            ],
            limit,
            count=count,
        )

    first, total = first_rows_of("queue: rebook", build, actor, scope, limit, count=count)
    tz, locale = actor.practice.tz, practice_locale(actor.practice)
    items = []
    page_of = client_urls()
    for pk, client_id, given_name, family_name, starts_at, asked_at, practitioner_id in first:
        local = starts_at.astimezone(tz)
        items.append(
            QueueItem(
                id=f"rebook:{pk}",
                kind="rebook",
                client_id=client_id,
                client_name=full_name_of(given_name, family_name),
                title="Find another time for the appointment",
                reason=(
                    "Asked to rebook the visit of "
                    f"{format_date(local, 'j M', locale)} {format_date(local, 'H:i', locale)} "
                    "from the reminder"
                ),
                urgency="attention",
                due_at=asked_at,
                estimated_minutes=5,
                value=70,
                actions=("done", "open"),
                owner_id=practitioner_id,
                done_label="Rebooked",
                url=page_of(client_id),
            )
        )
    return SourcePage(items=rank(items, now), total=total)


def perform_on_rebook(
    actor: Actor, object_id: str, action: str, *, until: Any = None, reason: str = ""
) -> None:
    appointment = get_scoped_or_404(Appointment.objects.all(), actor, pk=int(object_id))
    if action != "done":
        raise ValidationError({"action": "A rebook request can only be marked done."})
    appointment_rebook_handled(actor=actor, appointment=appointment)
