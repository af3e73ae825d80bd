"""The care queue's "could not reach" items: failed and uncertain messages, oldest first."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aftercare import clock
from aftercare.messaging.models import Direction, Message, MessageStatus
from aftercare.messaging.plugins import unreachable_items
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def pinned():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def sent(personas: Personas, status: str, hours_ago: int, **fields: object) -> Message:
    message = Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction=Direction.OUTBOUND,
        channel="sms",
        to_address=personas.client.phone,
        text_body="Checking in",
        status=status,
        status_reason=f"{status} {hours_ago}",
        **fields,
    )
    Message.objects.filter(pk=message.pk).update(
        created_at=clock.now() - dt.timedelta(hours=hours_ago)
    )
    return message


def test_both_kinds_come_oldest_first_and_are_counted_together(personas: Personas) -> None:
    failed = [sent(personas, MessageStatus.FAILED, hours) for hours in (5, 3, 1)]
    uncertain = [sent(personas, MessageStatus.UNCERTAIN, hours) for hours in (4, 2)]
    sent(personas, MessageStatus.SENT, 6)  # arrived: nothing to follow up
    sent(personas, MessageStatus.FAILED, 7, acknowledged_at=clock.now())  # already dealt with
    oldest_first = [failed[0], uncertain[0], failed[1], uncertain[1], failed[2]]

    page = unreachable_items(personas.actor(), clock.now(), limit=3, count=1000)
    assert [item.id for item in page.items] == [f"unreachable:{m.pk}" for m in oldest_first[:3]]
    assert page.total == 5
    # The API's exact count, and no count at all, say the same here.
    assert unreachable_items(personas.actor(), clock.now(), limit=3, count=True).total == 5
    uncounted = unreachable_items(personas.actor(), clock.now(), limit=10, count=False)
    assert [item.id for item in uncounted.items] == [f"unreachable:{m.pk}" for m in oldest_first]
    assert uncounted.total == 5


def test_a_bounded_count_says_more_than_its_bound_across_both_kinds(personas: Personas) -> None:
    for hours in range(3):
        sent(personas, MessageStatus.FAILED, hours + 1)
        sent(personas, MessageStatus.UNCERTAIN, hours + 10)
    # Up to 4 counted: 6 waiting is "more than 4" (5), whichever kind they are.
    assert unreachable_items(personas.actor(), clock.now(), limit=2, count=4).total == 5
    assert unreachable_items(personas.actor(), clock.now(), limit=2, count=6).total == 6


def test_another_practices_messages_are_not_its(personas: Personas) -> None:
    Message.objects.create(
        practice=personas.other_practice,
        client=personas.other_client,
        direction=Direction.OUTBOUND,
        channel="email",
        to_address="x@example.org",
        status=MessageStatus.FAILED,
    )
    page = unreachable_items(personas.actor(), clock.now(), count=1000)
    assert (page.items, page.total) == ([], 0)
