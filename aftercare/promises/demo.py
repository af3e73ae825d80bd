"""Demo data for promises and referrals: one due tomorrow, a window, one broken; a referral.

Written through the services (so they are audited and validated like real ones); the broken
one is then dated back, as if its due time had passed unnoticed.
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare.clients.models import Client
from aftercare.practice.access import owner_actor
from aftercare.practice.models import Practice
from aftercare.promises.models import Promise, PromiseStatus
from aftercare.promises.services import promise_create, referral_create


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    actor = owner_actor(practice)
    if actor is None:
        return
    clients = list(Client.objects.filter(practice=practice, archived=False).order_by("id")[:8])
    if len(clients) < 4:
        return
    rng.shuffle(clients)

    promise_create(
        actor=actor,
        client=clients[0],
        what="Send the exercise sheet we talked about",
        due_at=now + dt.timedelta(days=1),
    )
    promise_create(
        actor=actor,
        client=clients[1],
        what="Reachable by phone while the new remedy settles",
        due_from=now - dt.timedelta(days=1),
        due_until=now + dt.timedelta(days=6),
    )
    broken = promise_create(
        actor=actor,
        client=clients[2],
        what="Call back with the lab results",
        due_at=now + dt.timedelta(minutes=1),
    )
    Promise.objects.filter(pk=broken.pk).update(
        due_at=now - dt.timedelta(days=2),
        status=PromiseStatus.BROKEN,
        status_reason="Not kept by its due time",
        closed_at=now - dt.timedelta(days=2),
    )
    referral_create(
        actor=actor,
        client=clients[3],
        referred_to="Dr Amira Shah, sleep clinic",
        why="Insomnia for three months despite the sleep habits",
        referred_at=now - dt.timedelta(days=10),
    )
