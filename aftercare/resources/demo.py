"""Demo data for resources: a small library of handouts and links, one shared with a client."""

from __future__ import annotations

import datetime as dt
import random

from aftercare.clients.models import Client
from aftercare.practice.access import owner_actor
from aftercare.practice.models import Practice
from aftercare.resources.services import resource_create, resource_share

RESOURCES = [
    {
        "title": "Sleeping better",
        "topics": "sleep",
        "body": (
            "A few habits that help most people sleep better:\n\n"
            "- Get up at the **same time** every day, weekends too.\n"
            "- No screens in the hour before bed.\n"
            "- If you cannot sleep after 20 minutes, get up and read until you feel sleepy.\n"
        ),
        "link": "",
    },
    {
        "title": "Grief support line",
        "topics": "grief, support",
        "body": "Free, confidential support by phone and online for anyone who is grieving.",
        "link": "https://www.cruse.org.uk/",
    },
    {
        "title": "Box breathing",
        "topics": "anxiety, breathing",
        "body": "Breathe in for 4, hold for 4, out for 4, hold for 4. Repeat four times.",
        "link": "",
    },
]


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    actor = owner_actor(practice)
    if actor is None:
        return
    clients = list(Client.objects.filter(practice=practice, archived=False).order_by("id")[:8])
    if len(clients) < 4:
        return
    resources = [resource_create(actor=actor, data=data) for data in RESOURCES]
    resource_share(
        actor=actor, resource=resources[0], client=rng.choice(clients), note="Asked about sleep"
    )
