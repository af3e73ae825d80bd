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
    assert Resource.objects.count() == 3
    assert ResourceShare.objects.count() == Referral.objects.count() == 1

    boxes = selectors.time_boxes(list(CareHour.objects.filter(user=personas.owner)))
    occurrence = queue.current_or_next_occurrence(boxes, NOW, personas.practice.tz)
    assert occurrence is not None and occurrence.contains(NOW)
    assert queue.fit_care_hour(items, occurrence.minutes_left(NOW), NOW)


def test_the_demo_skips_a_practice_without_enough_clients(personas: Personas) -> None:
    demo_queue.add_demo_data(personas.practice, rng=random.Random(1), now=NOW + dt.timedelta(0))
    assert not Resource.objects.exists()
