"""Demo data: an upcoming absence of the owner, with a cover and an emergency list."""

from __future__ import annotations

import datetime as dt
import random

from aftercare import clock
from aftercare.absences.services import absence_create
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    owner = (
        Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user").first()
    )
    if owner is None:
        return
    actor = Actor(user=owner.user, practice=practice, membership=owner, via="cli")
    with clock.at(now):
        today = clock.today(practice.tz)
        listed = list(
            Client.objects.filter(
                practice=practice, primary_practitioner=owner.user, archived=False
            )
            .order_by("id")
            .values_list("pk", flat=True)[:2]
        )
        colleague = (
            Membership.objects.filter(practice=practice, role=Role.PRACTITIONER)
            .select_related("user")
            .first()
        )
        cover = (
            f"{colleague.user.display_name}, {practice.phone or 'via the practice'}"
            if colleague
            else ""
        )
        absence_create(
            actor=actor,
            data={
                "practitioner": owner.user,
                "first_day": today + dt.timedelta(days=24),
                "last_day": today + dt.timedelta(days=44),
                "private_reason": "Summer holiday",
                "public_note": "I am on holiday and back rested.",
                "cover_contact": cover,
                "notify_days_before": 21,
                "auto_reply_text": "",
                "announce_to_all": False,
            },
            emergency_client_ids=listed[:1],
        )
