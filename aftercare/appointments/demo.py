"""Demo data: the practice's fee policy, one waived and one charged no-show; a session booked online.

The waived one belongs to the longest-standing client (their first no-show in years); the
charged one to a new client. Both are marked through the service, so the decision, its audit
and the kind follow-up are what a practice would see.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Count, Q

from aftercare import clock
from aftercare.appointments.models import Appointment, FeePolicy, Status
from aftercare.appointments.services import appointment_create, appointment_set_status
from aftercare.clients.demo import BOOKING_TOOL_ID
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role

# Look for the two clients among the first few hundred: enough for a clear example, and
# cheap on a demo of 100,000 clients.
CANDIDATES = 400


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    add_online_booking(practice, now=now)
    owner = (
        Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user").first()
    )
    if owner is None:
        return
    actor = Actor(user=owner.user, practice=practice, membership=owner, via="cli")
    FeePolicy.objects.update_or_create(
        practice=practice,
        defaults={"no_show_fee": Decimal("40.00"), "late_cancel_fee": Decimal("20.00")},
    )
    candidates = list(
        Client.objects.filter(practice=practice, archived=False)
        .order_by("id")[:CANDIDATES]
        .values_list("pk", flat=True)
    )
    ranked = list(
        Client.objects.filter(pk__in=candidates)
        .annotate(
            visits=Count("appointments", filter=Q(appointments__status=Status.ATTENDED)),
            no_shows=Count("appointments", filter=Q(appointments__status=Status.NO_SHOW)),
        )
        .filter(no_shows=0, visits__gte=1)
        .order_by("-visits", "id")
    )
    if len(ranked) < 2:
        return
    longstanding = ranked[0]
    newcomer = min(ranked[1:], key=lambda client: (client.visits, -client.created_at.timestamp()))
    with clock.at(now):
        today = clock.today(practice.tz)
        for client, days_ago in ((longstanding, 1), (newcomer, 2)):
            starts_at = dt.datetime.combine(
                today - dt.timedelta(days=days_ago), dt.time(10, 0), tzinfo=practice.tz
            )
            appointment: Appointment = appointment_create(
                actor=actor,
                data={
                    "client": client,
                    "practitioner": client.primary_practitioner or owner.user,
                    "starts_at": starts_at,
                    "ends_at": starts_at + dt.timedelta(minutes=50),
                    "kind": "follow_up",
                },
            )
            Appointment.objects.filter(pk=appointment.pk).update(
                created_at=starts_at - dt.timedelta(days=14)
            )
            appointment.created_at = starts_at - dt.timedelta(days=14)
            appointment_set_status(actor=actor, appointment=appointment, status=Status.NO_SHOW)


def add_online_booking(practice: Practice, *, now: dt.datetime) -> None:
    """The upcoming session the online booking tool made for the demo's second record of one
    client (``clients/demo.py``): the merge moves it to the record kept."""
    twin = Client.objects.filter(practice=practice, external_id=BOOKING_TOOL_ID).first()
    if twin is None:
        return
    day = (now + dt.timedelta(days=9)).astimezone(practice.tz).date()
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    starts_at = dt.datetime.combine(day, dt.time(8, 0), tzinfo=practice.tz)
    Appointment.objects.create(
        practice=practice,
        client=twin,
        practitioner=twin.primary_practitioner,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        kind="follow_up",
        source="api",
        external_id=BOOKING_TOOL_ID,
        created_at=twin.created_at,
    )
