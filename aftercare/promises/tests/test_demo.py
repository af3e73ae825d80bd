"""The demo shows promises at work: one due tomorrow, an open window, one broken; a referral."""

from __future__ import annotations

import random

import pytest

from aftercare.promises import demo
from aftercare.promises.models import Promise, Referral
from aftercare.queue import selectors
from aftercare.queue.tests.factories import NOW
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


def test_the_demo_puts_promises_at_the_top_of_the_queue(personas: Personas) -> None:
    for number in range(8):
        make_client(personas.practice, given_name=f"Demo{number}")
    demo.add_demo_data(personas.practice, rng=random.Random(4), now=NOW)

    kinds = [item.kind for item in selectors.care_queue(personas.actor(), NOW, scope="practice")]
    assert kinds[0] == "broken_promise"
    assert kinds.count("promise") == 2  # due tomorrow, and the open window
    assert Referral.objects.count() == 1


def test_the_demo_skips_a_practice_without_enough_clients(personas: Personas) -> None:
    demo.add_demo_data(personas.practice, rng=random.Random(1), now=NOW)
    assert not Promise.objects.exists()
