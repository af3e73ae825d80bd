"""The built-in queue sources read their first items in queue order, and count the rest.

Each source orders its rows in the database the way ``items.sort_key`` orders items, so the
first ``limit`` rows are the first ``limit`` items: checked here against ranking every item in
Python, around the overdue bonus (a less valuable task that waited longer comes first).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftercare import clock
from aftercare.messaging.models import Direction, Message, MessageStatus, TriageLevel
from aftercare.messaging.plugins import flagged_reply_items
from aftercare.queue import items, selectors
from aftercare.queue.tests.factories import NOW, make_promise, make_task
from aftercare.testing import Personas, make_client


def all_ranked(personas: Personas, scope: str = "practice") -> list[items.QueueItem]:
    return selectors.care_queue(personas.actor(), NOW, scope=scope, limit=10_000)


@pytest.fixture
def backlog(personas: Personas) -> Personas:
    """Tasks whose value and waiting time trade places, promises, replies of every level."""
    colleague_client = make_client(personas.practice, given_name="Cora", email="cora@example.org")
    colleague_client.primary_practitioner = personas.colleague
    colleague_client.save(update_fields=["primary_practitioner"])
    for index, (value, days) in enumerate(
        [(50, 12), (65, 0), (60, 3), (70, 9), (40, 30), (65, 2), (80, 1), (55, 10), (50, 12)]
    ):
        client = personas.client if index % 3 else colleague_client
        make_task(client, value=value, due_at=NOW - dt.timedelta(days=days, hours=index))
    for hours in (-30, 2, 20, 60):
        make_promise(personas.client, due_at=NOW + dt.timedelta(hours=hours))
    for index, level in enumerate(
        [TriageLevel.ROUTINE, TriageLevel.CRISIS, TriageLevel.ATTENTION, TriageLevel.URGENT] * 3
    ):
        Message.objects.create(
            practice=personas.practice,
            client=personas.client if index % 2 else colleague_client,
            direction=Direction.INBOUND,
            channel="sms",
            status=MessageStatus.RECEIVED,
            text_body=f"Reply {index}",
            triage_level=level,
            created_at=NOW - dt.timedelta(hours=index * 7),
        )
    return personas


@pytest.mark.parametrize("scope", ["practice", "mine"])
@pytest.mark.parametrize("limit", [1, 3, 5, 8, 20])
def test_the_first_items_are_those_of_the_whole_queue_ranked(
    backlog: Personas, scope: str, limit: int
) -> None:
    everything = all_ranked(backlog, scope)
    page = selectors.care_queue_page(backlog.actor(), NOW, scope=scope, limit=limit)
    assert [item.id for item in page.items] == [item.id for item in everything[:limit]]
    assert page.total == len(everything)


def test_a_task_that_waited_longer_passes_a_more_valuable_one(backlog: Personas) -> None:
    page = selectors.task_touchpoint_items(backlog.actor(), NOW, limit=3)
    # 70 + 18 (9 days), 55 + 20 (10 days) and 50 + 20 (12 days) come before 80 + 2 (1 day)
    assert [item.value for item in page.items] == [70, 80, 55]
    assert [item.value for item in page.items] != sorted(
        (item.value for item in page.items), reverse=True
    )
    assert page.total == 9


def test_each_source_reads_only_what_the_page_shows_in_a_fixed_number_of_queries(
    backlog: Personas, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(10) as small:  # type: ignore[operator]
        selectors.care_queue_page(backlog.actor(), NOW, scope="practice", limit=2)
    for index in range(40):
        make_task(backlog.client, value=index, due_at=NOW - dt.timedelta(hours=index))
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        page = selectors.care_queue_page(backlog.actor(), NOW, scope="practice", limit=2)
    assert len(page.items) == 2
    assert page.total == len(all_ranked(backlog))


@pytest.mark.parametrize("limit", [1, 2, 4, 7, 12])
def test_flagged_replies_made_into_items_are_the_first_of_all_even_in_a_tie(
    personas: Personas, limit: int
) -> None:
    """Replies of one level written at the same moment rank by their id as text (10 before 9)."""
    for index in range(12):
        Message.objects.create(
            practice=personas.practice,
            client=personas.client,
            direction=Direction.INBOUND,
            channel="sms",
            status=MessageStatus.RECEIVED,
            text_body=f"Reply {index}",
            triage_level=[TriageLevel.ATTENTION, TriageLevel.CRISIS, TriageLevel.URGENT][index % 3],
            created_at=NOW - dt.timedelta(hours=index % 2),
        )
    everything = flagged_reply_items(personas.actor(), NOW, limit=100).items
    page = flagged_reply_items(personas.actor(), NOW, limit=limit)
    assert [item.id for item in page.items] == [item.id for item in items.rank(everything, NOW)][
        :limit
    ]
    assert page.total == 12


def test_a_bounded_count_stops_one_past_the_bound_and_is_exact_below_it(
    backlog: Personas,
) -> None:
    actor = backlog.actor()
    for source in items.queue_sources():
        exact = source.first_items(actor, NOW, "practice", 2).total
        bounded = source.first_items(actor, NOW, "practice", 2, count=3)
        assert bounded.total == min(exact, 4), source.kind
        assert source.first_items(actor, NOW, "practice", 2, count=100).total == exact
    assert selectors.task_touchpoint_items(actor, NOW, limit=2, count=3).total == 4


def test_the_queue_page_says_past_the_bound_and_the_api_counts_exactly(
    backlog: Personas, owner_client: Any, owner_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(items, "COUNT_UP_TO", 5)
    with clock.at(NOW):
        page = owner_client.get("/care/?scope=practice").content.decode()
        counted = owner_api.get("/api/v1/care-queue", {"scope": "practice"}).json()["count"]
    assert "5+ items need a person" in page
    assert counted == len(all_ranked(backlog))
