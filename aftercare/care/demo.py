"""Demo data for the care engine: the default rules, a rule that shares a handout, a task rule
(off); then a plan.

Planning waits for ``finish_demo_data`` (called by ``aftercare.demo_load`` after every app's
``add_demo_data``) so the plan sees what the other apps added — supplies' re-order reminders,
absence notices — and each demo client is planned once.
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare.appointments.models import Appointment
from aftercare.care.models import Action
from aftercare.care.reconcile import reconcile_all
from aftercare.care.services import care_rule_create, care_setup_practice
from aftercare.clients.models import Client, Tag
from aftercare.practice.access import Actor, owner_actor
from aftercare.practice.models import Practice
from aftercare.resources.services import resource_create

# Planning 100,000 clients belongs to `aftercare plan --all` (and the benchmark), not the demo.
PLAN_AT_MOST = 5000

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


def add_call_rule(*, actor: Actor) -> None:
    """A task for a person, off: the rules page shows a rule of each action (its form shows the
    task's own fields), and the demo's plan and queue stay as they are until someone turns it on.
    """
    care_rule_create(
        actor=actor,
        data={
            "name": "Call after a missed appointment",
            "trigger": "appointment_no_show",
            "trigger_options": {},
            "offset_days": 1,
            "local_time": dt.time(10, 0),
            "action": Action.TASK,
            "task_kind": "call",
            "estimated_minutes": 10,
            "value": 80,
            "enabled": False,
        },
    )


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    care_setup_practice(practice=practice)
    actor = owner_actor(practice)
    if actor is not None:
        add_sleep_hygiene_rule(practice, actor=actor, now=now)
        add_call_rule(actor=actor)


def finish_demo_data(practice: Practice, *, now: dt.datetime) -> None:
    if practice.clients.count() <= PLAN_AT_MOST:
        reconcile_all(practice_id=practice.pk, now=now)
