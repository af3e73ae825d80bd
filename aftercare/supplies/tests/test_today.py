"""Today's supplies card: re-orders to prepare, soonest run-out first, and how many (one query)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare import clock
from aftercare.queue import today
from aftercare.supplies.models import Supply
from aftercare.supplies.today import supplies_to_prepare_card
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def test_the_card_lists_the_first_and_counts_the_rest_in_one_query(personas: Personas) -> None:
    for number in range(today.CARD_LIMIT + 3):
        Supply.objects.create(
            practice=personas.practice,
            client=personas.client,
            name=f"Compound {number}",
            prepared_by="practice",
            quantity=60,
            daily_dose=2,
            started_on=dt.date(2026, 11, 1) - dt.timedelta(days=number),
            status="reorder_requested",
        )
    actor = personas.actor()
    with CaptureQueriesContext(connection) as queries:
        card = supplies_to_prepare_card(actor, clock.now(), "mine")
    assert len(queries.captured_queries) == 1
    assert len(card.entries) == today.CARD_LIMIT and card.more == 3
