"""The demo shows the care queue at work: care hours (one going on now) and tasks already due."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from aftercare.queue import demo, selectors
from aftercare.queue.hours import current_or_next_occurrence
from aftercare.queue.items import fit_care_hour
from aftercare.queue.models import CareHour
from aftercare.queue.tests.factories import NOW
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_queue_and_the_care_hour(personas: Personas) -> None:
    for number in range(8):
        make_client(personas.practice, given_name=f"Demo{number}")
    demo.add_demo_data(personas.practice, rng=random.Random(4), now=NOW)

    items = selectors.care_queue(personas.actor(), NOW, scope="practice")
    assert [item.kind for item in items].count("task") == 3
    boxes = selectors.time_boxes(list(CareHour.objects.filter(user=personas.owner)))
    occurrence = current_or_next_occurrence(boxes, NOW, personas.practice.tz)
    assert occurrence is not None and occurrence.contains(NOW)
    assert fit_care_hour(items, occurrence.minutes_left(NOW), NOW)


def test_the_demo_skips_a_practice_without_enough_clients(personas: Personas) -> None:
    demo.add_demo_data(personas.practice, rng=random.Random(1), now=NOW + dt.timedelta(0))
    assert not CareHour.objects.exists()
