"""The demo has a small library of resources, one shared with a client."""

from __future__ import annotations

import random

import pytest

from aftercare.queue.tests.factories import NOW
from aftercare.resources import demo
from aftercare.resources.models import Resource, ResourceShare
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


def test_the_demo_adds_resources_and_shares_one(personas: Personas) -> None:
    for number in range(8):
        make_client(personas.practice, given_name=f"Demo{number}")
    demo.add_demo_data(personas.practice, rng=random.Random(4), now=NOW)

    assert Resource.objects.count() == 3
    assert ResourceShare.objects.count() == 1


def test_the_demo_skips_a_practice_without_enough_clients(personas: Personas) -> None:
    demo.add_demo_data(personas.practice, rng=random.Random(1), now=NOW)
    assert not Resource.objects.exists()
