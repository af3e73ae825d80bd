"""Demo data for the care queue: promises (one broken), resources, a referral, care hours, tasks.

Called from ``aftercare/care/demo.py``. A handful of rows whatever the demo's size, written
through the services (so they are audited and validated like real ones).
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare.appointments.models import Appointment
from aftercare.care.models import Action, CareHour, Promise, PromiseStatus, Touchpoint
from aftercare.care.services import care_rule_create
from aftercare.care.services_promises import promise_create
from aftercare.care.services_resources import referral_create, resource_create, resource_share
from aftercare.clients.models import Client, Tag
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role

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

SLEEP_HYGIENE = {
    "title": "Sleep hygiene",
    "topics": "sleep",
    "body": (
        "Small habits, big difference:\n\n"
        "1. Keep the bedroom **cool, dark and quiet**.\n"
        "2. No caffeine after noon, no alcohol in the three hours before bed.\n"
        "3. Use the bed for sleep only: no phone, no work.\n"
        "4. Write tomorrow's worries on paper before you lie down.\n"
    ),
    "link": "",
}

DEMO_TASKS = [
    ("Call about the new medication", 90, 10),
    ("Write a personal note after the first visit", 60, 15),
    ("Post a get-well card", 40, 5),
]


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    membership = (
        Membership.objects.select_related("user")
        .filter(practice=practice, role=Role.OWNER)
        .order_by("id")
        .first()
    )
    if membership is None:
        return
    actor = Actor(user=membership.user, practice=practice, membership=membership, via="cli")
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

    # Promises: one due tomorrow, one window (reachable during a trip), one broken.
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

    resources = [resource_create(actor=actor, data=data) for data in RESOURCES]
    resource_share(actor=actor, resource=resources[0], client=clients[3], note="Asked about sleep")
    referral_create(
        actor=actor,
        client=clients[3],
        referred_to="Dr Amira Shah, sleep clinic",
        why="Insomnia for three months despite the sleep habits",
        referred_at=now - dt.timedelta(days=10),
    )

    add_sleep_hygiene_rule(practice, actor=actor, now=now)

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
            zip(clients[4:], DEMO_TASKS, strict=False)
        )
    )


def add_sleep_hygiene_rule(practice: Practice, *, actor: Actor, now: dt.datetime) -> None:
    """A rule that shares a resource: "Sleep hygiene" the day after a first visit, tag sleep.

    The client of the latest attended first visit gets the tag (and consent to useful
    information), so ``aftercare preview`` shows the handout planned for them.
    """
    resource = resource_create(actor=actor, data=SLEEP_HYGIENE)
    care_rule_create(
        actor=actor,
        data={
            "name": "Sleep hygiene after a first visit",
            "trigger": "appointment_attended",
            "trigger_options": {"first_visit": True},
            "offset_days": 1,
            "local_time": dt.time(10, 0),
            "action": Action.MESSAGE,
            "template_key": "information",
            "purpose": "information",
            "condition": {"has_tag": "sleep"},
            "value": 40,
            "resource": resource,
        },
    )
    latest = (
        Appointment.objects.filter(
            practice=practice,
            kind="first_visit",
            status="attended",
            starts_at__gte=now - dt.timedelta(days=3),
            starts_at__lte=now,
        )
        .order_by("-starts_at")
        .values_list("client_id", flat=True)
        .first()
    )
    if latest is None:
        return
    tag, _ = Tag.objects.get_or_create(practice=practice, name="sleep")
    tag.clients.add(latest)
    Client.objects.filter(pk=latest).update(consent_information=True)
