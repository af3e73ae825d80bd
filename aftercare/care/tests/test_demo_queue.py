"""The demo shows the care queue at work: promises (one broken), resources, a referral, care hours."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from aftercare.care import demo_queue, queue, selectors
from aftercare.care.models import CareHour, Referral, Resource, ResourceShare
from aftercare.care.tests.factories import NOW
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_queue_and_the_care_hour(personas: Personas) -> None:
    for number in range(8):
        make_client(personas.practice, given_name=f"Demo{number}")
    demo_queue.add_demo_data(personas.practice, rng=random.Random(4), now=NOW)

    items = selectors.care_queue(personas.actor(), NOW, scope="practice")
    kinds = [item.kind for item in items]
    assert kinds[0] == "broken_promise"
    assert kinds.count("promise") == 2  # due tomorrow, and the open window
    assert kinds.count("task") == 3
    assert Resource.objects.count() == 4  # three, and "Sleep hygiene" shared by a rule
    assert ResourceShare.objects.count() == Referral.objects.count() == 1

    boxes = selectors.time_boxes(list(CareHour.objects.filter(user=personas.owner)))
    occurrence = queue.current_or_next_occurrence(boxes, NOW, personas.practice.tz)
    assert occurrence is not None and occurrence.contains(NOW)
    assert queue.fit_care_hour(items, occurrence.minutes_left(NOW), NOW)


def test_the_demo_skips_a_practice_without_enough_clients(personas: Personas) -> None:
    demo_queue.add_demo_data(personas.practice, rng=random.Random(1), now=NOW + dt.timedelta(0))
    assert not Resource.objects.exists()


def test_the_demo_plans_sleep_hygiene_for_the_latest_first_visit_client(personas: Personas) -> None:
    from aftercare.care.models import CareRule, Touchpoint
    from aftercare.care.reconcile import reconcile_client

    for number in range(8):
        make_client(personas.practice, given_name=f"Demo{number}")
    personas.appointment.kind = "first_visit"
    personas.appointment.status = "attended"
    personas.appointment.starts_at = NOW - dt.timedelta(days=1)
    personas.appointment.ends_at = NOW - dt.timedelta(days=1) + dt.timedelta(minutes=50)
    personas.appointment.save()
    demo_queue.add_demo_data(personas.practice, rng=random.Random(4), now=NOW)

    rule = CareRule.objects.get(name="Sleep hygiene after a first visit")
    assert rule.resource is not None and rule.resource.title == "Sleep hygiene"
    reconcile_client(personas.client.pk, now=NOW)
    planned = Touchpoint.objects.get(rule=rule)
    assert planned.client_id == personas.client.pk
    assert planned.context["resource_id"] == rule.resource_id
    assert not planned.blocked
