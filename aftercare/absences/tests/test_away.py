"""While away: when a reply will be read, the return summary, the calendar feed."""

from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.absences.away import (
    availability,
    feed_events,
    perform_on_return_summary,
    return_summary_items,
)
from aftercare.absences.tests.factories import plan_absence
from aftercare.messaging.inbound import receive_inbound
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

PLANNED_ON = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)
DURING = dt.datetime(2027, 3, 20, 14, 0, tzinfo=dt.UTC)
BACK = dt.datetime(2027, 4, 5, 8, 0, tzinfo=dt.UTC)


def test_a_reply_during_the_absence_is_read_on_the_first_day_back(personas: Personas) -> None:
    with clock.at(PLANNED_ON):
        plan_absence(personas.actor())
    with clock.at(DURING):
        estimate = availability(personas.client, DURING)
    assert estimate.at.date() == dt.date(2027, 4, 5)
    assert "Dr Colin Colleague" in estimate.note
    with clock.at(BACK):
        assert availability(personas.client, BACK) is None


def test_the_return_summary_counts_what_happened_and_can_be_marked_read(
    personas: Personas,
) -> None:
    with clock.at(PLANNED_ON):
        absence = plan_absence(personas.actor())
    with clock.at(DURING):
        receive_inbound(channel="email", from_address=personas.client.email, text="Hello?")
        receive_inbound(channel="email", from_address=personas.client.email, text="Still there?")
    with clock.at(DURING):
        assert return_summary_items(personas.actor(), DURING) == []  # not back yet
    with clock.at(BACK):
        [item] = return_summary_items(personas.actor(), BACK)
        assert item.owner_id == personas.owner.pk
        assert "2 messages waited" in item.reason
        assert "1 auto-reply" in item.reason
        perform_on_return_summary(personas.actor(), str(absence.pk), "done")
        assert return_summary_items(personas.actor(), BACK) == []


def test_the_calendar_feed_shows_absences_with_the_private_reason_only_to_the_practitioner(
    personas: Personas,
) -> None:
    with clock.at(PLANNED_ON):
        plan_absence(personas.actor())
        [own] = feed_events(personas.owner, personas.practice, PLANNED_ON)
        [colleague] = feed_events(personas.colleague, personas.practice, PLANNED_ON)
    assert own.starts == dt.date(2027, 3, 15) and own.ends == dt.date(2027, 4, 5)
    assert "Family wedding" in own.description
    assert "Family wedding" not in colleague.description
    assert colleague.summary == "Olivia Owner away"


def test_a_message_passed_on_in_the_last_hours_may_be_answered_the_day_after(
    personas: Personas,
) -> None:
    from aftercare.absences.away import ANSWER_GRACE, judge_emergency_promise
    from aftercare.messaging.services import message_reply
    from aftercare.promises.models import Promise

    with clock.at(PLANNED_ON):
        plan_absence(personas.actor(), emergency_client_ids=[personas.client.pk])
    last_evening = dt.datetime(2027, 4, 4, 21, 0, tzinfo=dt.UTC)
    with clock.at(last_evening):
        receive_inbound(channel="email", from_address=personas.client.email, text="Help?")
    promise = Promise.objects.get(client=personas.client)
    back = dt.datetime(2027, 4, 5, 0, 0, tzinfo=dt.UTC) - dt.timedelta(hours=1)  # BST midnight
    assert judge_emergency_promise(promise, back) is None  # waits for the answer
    with clock.at(BACK):
        message_reply(actor=personas.actor(), client=personas.client, body="Back: call me.")
    assert judge_emergency_promise(promise, BACK)[0] == "kept"  # type: ignore[index]
    # Never answered at all: broken once the grace is over.
    from aftercare.messaging.models import Message

    Message.objects.filter(direction="out", sent_by__isnull=False).delete()
    verdict = judge_emergency_promise(promise, last_evening + ANSWER_GRACE)
    assert verdict is not None and verdict[0] == "broken"
