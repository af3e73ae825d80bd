"""Bundles: messages the planner placed together leave as one email, the footer said once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from aftercare.care.models import Action, CareRule, Touchpoint, TouchpointStatus
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.messaging.models import Message
from aftercare.messaging.services import join_texts
from aftercare.messaging.worker import Worker
from aftercare.testing import Personas

TUESDAY_MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def touchpoint(personas: Personas, key: str, template_key: str, **fields: Any) -> Touchpoint:
    return Touchpoint.objects.create(
        practice=personas.practice,
        client=personas.client,
        key=f"{personas.client.pk}:test:{key}",
        kind=template_key,
        action=Action.MESSAGE,
        template_key=template_key,
        channel="email",
        due_at=TUESDAY_MORNING - dt.timedelta(minutes=5),
        status=TouchpointStatus.DUE,
        **fields,
    )


@pytest.fixture
def daytime() -> Any:
    with time_machine.travel(TUESDAY_MORNING, tick=False) as traveller:
        yield traveller


pytestmark = pytest.mark.usefixtures("daytime")


def test_a_bundle_leaves_as_one_email_with_each_part_and_one_footer(
    personas: Personas, smtp_server: Any
) -> None:
    check_in = touchpoint(personas, "check", "check_in", value=60)
    primary_key = check_in.key
    recall = touchpoint(
        personas, "recall", "recall", value=50, context={"bundle_with": primary_key}
    )

    Worker().run_until_idle()

    assert len(smtp_server.messages) == 1
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert smtp_server.messages[0]["Subject"] == "How are you doing, Ruth?"
    assert "/p/c/" in text  # the check-in link
    assert "It has been a while since we last saw you" in text  # the recall's words
    assert text.count("Your message preferences:") == 1
    message = Message.objects.get()
    assert message.touchpoint_id == check_in.pk
    recall.refresh_from_db()
    assert recall.status == TouchpointStatus.SENT
    assert f"message #{message.pk}" in recall.status_reason


def test_a_part_whose_first_message_was_skipped_goes_on_its_own(
    personas: Personas, smtp_server: Any
) -> None:
    check_in = touchpoint(personas, "check", "check_in", value=60)
    touchpoint(personas, "recall", "recall", value=50, context={"bundle_with": check_in.key})
    Touchpoint.objects.filter(pk=check_in.pk).update(status=TouchpointStatus.SKIPPED)

    Worker().run_until_idle()

    assert [m.template_key for m in Message.objects.all()] == ["recall"]


def test_the_planner_and_the_worker_send_a_check_in_and_a_recall_due_the_same_day_as_one(
    personas: Personas, smtp_server: Any
) -> None:
    care_setup_practice(practice=personas.practice)
    # A first visit three weeks ago, nothing booked since: a 3-week check-in rule and a 3-week
    # recall rule fall on the same morning.
    CareRule.objects.filter(practice=personas.practice, trigger="recall").update(
        trigger_options={"weeks": 3}, local_time=dt.time(9, 0)
    )
    CareRule.objects.filter(practice=personas.practice, name="Check in after a first visit").update(
        offset_days=21
    )
    appointment = personas.appointment
    appointment.status = "attended"
    appointment.kind = "first_visit"
    appointment.starts_at = dt.datetime(2026, 11, 3, 10, 0, tzinfo=dt.UTC)
    appointment.ends_at = appointment.starts_at + dt.timedelta(hours=1)
    appointment.save()
    reconcile_client(personas.client.pk, now=dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC))
    planned = Touchpoint.objects.filter(client=personas.client, action="message").order_by("-value")
    primary, part = planned[0], planned[1]
    assert part.context["bundle_with"] == primary.key
    assert part.due_at == primary.due_at

    call_command("tick", "--at", primary.due_at.isoformat(), verbosity=0)
    with time_machine.travel(primary.due_at + dt.timedelta(minutes=1), tick=False):
        Worker().run_until_idle()
    assert len(smtp_server.messages) == 1
    assert Touchpoint.objects.get(pk=part.pk).status == TouchpointStatus.SENT


def test_joining_texts_says_the_shared_closing_lines_once() -> None:
    first = "Dear Ruth,\n\nHow are you?\n\n--\nRiverside\nPreferences: x\n"
    second = "Dear Ruth,\n\nCome back soon.\n\n--\nRiverside\nPreferences: x\n"
    assert join_texts([first, second]) == (
        "Dear Ruth,\n\nHow are you?\n\n* * *\n\nDear Ruth,\n\nCome back soon.\n\n"
        "--\nRiverside\nPreferences: x\n"
    )
    assert join_texts(["One.", "Two."]) == "One.\n\n* * *\n\nTwo.\n"
