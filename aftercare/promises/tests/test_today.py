"""Today's promises card: the promises due tonight and the broken ones, read with the care hour's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftercare import clock
from aftercare.promises import today as promises_today
from aftercare.promises.selectors import promise_items
from aftercare.queue import items
from aftercare.queue.tests.factories import make_care_hour, make_promise
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)  # Monday, 14:30 in London
TONIGHT = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def _promises(personas: Personas) -> None:
    client, owner = personas.client, personas.owner
    make_promise(client, owner, what="Due this morning", due_at=NOW - dt.timedelta(hours=3))
    make_promise(client, owner, what="Due tonight", due_at=NOW + dt.timedelta(hours=5))
    make_promise(client, owner, what="Whenever", due_at=None)
    make_promise(client, owner, what="Broken last week", due_at=NOW - dt.timedelta(days=7))
    make_promise(client, owner, what="Due tomorrow", due_at=NOW + dt.timedelta(hours=20))
    make_promise(client, owner, what="Next month", due_at=NOW + dt.timedelta(days=30))
    broken = make_promise(client, owner, what="Not kept", due_at=NOW - dt.timedelta(days=2))
    broken.status = "broken"
    broken.save()


@pytest.mark.parametrize("page_size", [100, 3])
def test_the_card_shows_what_a_query_for_tonight_finds_from_the_care_hours_page_or_its_own(
    personas: Personas, monkeypatch: pytest.MonkeyPatch, page_size: int
) -> None:
    """With a page of 3 the care hour's page is full, and the card reads its own."""
    _promises(personas)
    monkeypatch.setattr(promises_today, "QUEUE_PAGE_SIZE", page_size)
    actor = personas.actor()
    asked = promise_items(actor, NOW, scope="mine", limit=20, due_before=TONIGHT)
    with items.reads_shared():
        shown, total = promises_today.promises_due(actor, NOW, "mine", TONIGHT)
    assert [item.id for item in shown] == [item.id for item in asked.items]
    assert total == asked.total == 5
    assert "Promise: Due tomorrow" not in [item.title for item in shown]


def test_today_reads_the_promises_once_for_the_care_hour_and_the_card(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    _promises(personas)
    make_care_hour(
        personas.owner, personas.client, weekday=0, starts=dt.time(14, 0), ends=dt.time(15, 0)
    )
    with CaptureQueriesContext(connection) as queries:
        page = owner_client.get(reverse("queue-today")).content.decode()
    promise_reads = [q for q in queries.captured_queries if 'FROM "care_promise"' in q["sql"]]
    assert len(promise_reads) == 1
    assert "Due tonight" in page and "Not kept" in page
