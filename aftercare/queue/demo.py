"""Demo data for the care queue: care hours (one going on now) and tasks already due.

A handful of rows whatever the demo's size, written through the services (so they are
audited and validated like real ones) where a service exists.
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare.care.models import Action, Touchpoint
from aftercare.clients.models import Client
from aftercare.practice.access import owner_actor
from aftercare.practice.models import Practice
from aftercare.queue.models import CareHour

DEMO_TASKS = [
    ("Call about the new medication", 90, 10),
    ("Write a personal note after the first visit", 60, 15),
    ("Post a get-well card", 40, 5),
]


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    actor = owner_actor(practice)
    if actor is None:
        return
    clients = list(Client.objects.filter(practice=practice, archived=False).order_by("id")[:8])
    if len(clients) < 4:
        return
    rng.shuffle(clients)

    # Care hours: Tuesday 08:00–09:00, and one today so the care hour has something to show.
    local_now = now.astimezone(practice.tz)
    boxes = {(1, dt.time(8, 0), dt.time(9, 0))}
    start_hour = min(max(local_now.hour, 8), 21)
    boxes.add((local_now.weekday(), dt.time(start_hour, 0), dt.time(start_hour + 1, 59)))
    for weekday, starts, ends in sorted(boxes):
        if not CareHour.objects.filter(
            practice=practice, user=actor.user, weekday=weekday, starts__lt=ends, ends__gt=starts
        ).exists():
            CareHour.objects.create(
                practice=practice, user=actor.user, weekday=weekday, starts=starts, ends=ends
            )

    # Tasks for a person, already due, so the care queue and the care hour show work at once.
    Touchpoint.objects.bulk_create(
        Touchpoint(
            practice=practice,
            client=client,
            key=f"{client.pk}:demo:task{number}",
            kind="call" if number == 0 else "note",
            action=Action.TASK,
            title=title,
            due_at=now - dt.timedelta(hours=rng.randint(1, 72)),
            status="due",
            value=value,
            estimated_minutes=minutes,
            context={"source": "demo"},
        )
        for number, (client, (title, value, minutes)) in enumerate(
            zip(clients[:3], DEMO_TASKS, strict=False)
        )
    )
