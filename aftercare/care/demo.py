"""Demo data for the care engine: the default rules; once every app's data is in, a plan.

Planning waits for ``finish_demo_data`` (called by ``aftercare.demo_load`` after every app's
``add_demo_data``) so the plan sees what the other apps added — supplies' re-order reminders,
absence notices — and each demo client is planned once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random

from aftercare.care.reconcile import reconcile_all
from aftercare.care.services import care_setup_practice
from aftercare.practice.models import Practice

# Planning 100,000 clients belongs to `aftercare plan --all` (and the benchmark), not the demo.
PLAN_AT_MOST = 5000


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    care_setup_practice(practice=practice)
    if importlib.util.find_spec("aftercare.care.demo_queue") is not None:
        from aftercare.care import demo_queue

        demo_queue.add_demo_data(practice, rng=rng, now=now)


def finish_demo_data(practice: Practice, *, now: dt.datetime) -> None:
    if practice.clients.count() <= PLAN_AT_MOST:
        reconcile_all(practice_id=practice.pk, now=now)
