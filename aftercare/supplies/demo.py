"""Demo data: a supply about to run out, one whose preparation overlaps the owner's absence,
and a new medication awaiting its side-effects check-in."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role
from aftercare.supplies.services import supply_create


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    owner = (
        Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user").first()
    )
    if owner is None:
        return
    actor = Actor(user=owner.user, practice=practice, membership=owner, via="cli")
    clients = list(
        Client.objects.filter(
            practice=practice, primary_practitioner=owner.user, archived=False
        ).order_by("id")[2:5]
    )
    if len(clients) < 3:
        return
    with clock.at(now):
        today = clock.today(practice.tz)
        specs = [
            # Runs out in 10 days: on the "Running out" page, its reminder already due.
            (
                clients[0],
                "Vitamin D3 drops",
                "supplement",
                "client",
                60,
                "drops",
                2,
                today - dt.timedelta(days=20),
                2,
            ),
            # 90-day compounded supplement, 14 days to prepare, runs out during the absence.
            (
                clients[1],
                "Compounded magnesium blend",
                "supplement",
                "practice",
                90,
                "capsules",
                1,
                today - dt.timedelta(days=55),
                14,
            ),
            # A new medication: its side-effects check-in is planned.
            (
                clients[2],
                "Sertraline 50 mg",
                "medication",
                "pharmacy",
                28,
                "tablets",
                1,
                today - dt.timedelta(days=1),
                5,
            ),
        ]
        for client, name, kind, prepared_by, quantity, unit, dose, started_on, lead in specs:
            supply_create(
                actor=actor,
                client=client,
                data={
                    "name": name,
                    "kind": kind,
                    "prepared_by": prepared_by,
                    "quantity": Decimal(quantity),
                    "unit": unit,
                    "daily_dose": Decimal(dose),
                    "every_days": 1,
                    "taper_steps": [],
                    "started_on": started_on,
                    "lead_time_days": lead,
                    "status": "active",
                },
            )
