"""The two stories of issue 5, end to end (database, planner, outbox, worker, portal)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient

from aftercare import clock
from aftercare.absences.tests.factories import plan_absence
from aftercare.care.advance import advance_touchpoints
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.testing import message_carrying
from aftercare.messaging.worker import Worker
from aftercare.queue.selectors import care_queue
from aftercare.supplies.models import Supply
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

PLANNED_ON = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)
DURING = dt.datetime(2027, 3, 20, 14, 0, tzinfo=dt.UTC)


def test_the_homeopaths_promise_is_kept_during_the_holiday(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    personas.owner.phone = "+447700900999"
    personas.owner.save()
    personas.practice.sms_number = "+447700100111"  # the practice's own texting number
    personas.practice.save(update_fields=["sms_number"])
    newcomer = make_client(
        personas.practice,
        given_name="Nina",
        phone="+447700900321",
        preferred_channel="sms",
        primary_practitioner=personas.owner,
    )
    with clock.at(PLANNED_ON), django_capture_on_commit_callbacks(execute=True):
        make_appointment(
            newcomer, personas.owner, kind="first_visit", status="attended", starts_at=PLANNED_ON
        )
        plan_absence(personas.actor(), emergency_client_ids=[newcomer.pk])
    told = Message.objects.get(client=newcomer, template_key="emergency_access")
    assert "you can still" in told.text_body
    with clock.at(DURING):
        receive_inbound(
            channel="sms", from_address=newcomer.phone, text="I have a fever, what now?"
        )
        Worker().run_once()
    alerts = Message.objects.filter(
        client=None, template_key="staff_alert", direction=Direction.OUTBOUND
    )
    assert {m.to_address for m in alerts} == {personas.owner.email, personas.owner.phone}
    assert all(m.status == "sent" for m in alerts)
    # The text to the practitioner comes from the practice's number, as the client's do.
    assert alerts.get(channel="sms").from_address == "+447700100111"
    passed_on = Message.objects.get(client=newcomer, template_key="emergency_passed_on")
    assert "passed on" in passed_on.text_body
    assert not Message.objects.filter(client=newcomer, template_key="absence_auto_reply").exists()


def test_a_client_not_on_the_list_gets_exactly_one_honest_auto_reply(personas: Personas) -> None:
    personas.client.preferred_channel = "sms"
    personas.client.save()
    with clock.at(PLANNED_ON):
        plan_absence(personas.actor(), auto_reply_text="I am walking in the Alps.")
    with clock.at(DURING):
        for text in ("Hello?", "Are you there?", "Please call me back"):
            receive_inbound(channel="sms", from_address=personas.client.phone, text=text)
    [reply] = Message.objects.filter(client=personas.client, template_key="absence_auto_reply")
    assert "Sunday, 4 April 2027" in reply.text_body
    assert "Dr Colin Colleague" in reply.text_body
    assert not Message.objects.filter(client=None, template_key="staff_alert").exists()


def test_a_crisis_always_escalates_even_from_a_client_not_on_the_list(personas: Personas) -> None:
    with clock.at(PLANNED_ON):
        plan_absence(personas.actor())
    with clock.at(DURING):
        receive_inbound(
            channel="email", from_address=personas.client.email, text="I want to kill myself"
        )
    assert Message.objects.filter(client=None, template_key="staff_alert").exists()
    assert Message.objects.filter(client=personas.client, template_key="crisis_support").exists()


def test_the_naturopaths_client_is_told_in_time_and_re_orders_with_one_tap(
    personas: Personas, client: HttpClient, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    care_setup_practice(practice=personas.practice)
    with clock.at(PLANNED_ON), django_capture_on_commit_callbacks(execute=True):
        # A 90-day supplement, 14 days' preparation, running out on 3 April.
        supply = add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
        # Three weeks away from 15 March: the preparation window overlaps.
        plan_absence(personas.actor())
        reconcile_client(personas.client)
    notice = Touchpoint.objects.get(client=personas.client, kind="absence_notice")
    assert notice.due_at.date() == dt.date(2027, 2, 22) < dt.date(2027, 3, 15)
    assert notice.context["actions"] == "order Magnesium citrate by Monday 1 March"
    reminder = (
        Touchpoint.objects.filter(client=personas.client, kind="reorder_reminder")
        .order_by("due_at")
        .first()
    )
    assert reminder is not None
    when = dt.datetime(2027, 2, 22, 10, 5, tzinfo=dt.UTC)
    with clock.at(when):
        advance_touchpoints(when)
        Worker().run_once()
    sent = message_carrying(notice)
    assert "order Magnesium citrate by Monday 1 March" in sent.text_body
    # The reminder goes out the same morning as the notice: in the same email.
    text = message_carrying(reminder).text_body
    link = re.search(r"https?://\S+/supplies/r/\S+/", text).group(0)  # type: ignore[union-attr]
    path = "/" + link.split("/", 3)[3]
    with clock.at(when), django_capture_on_commit_callbacks(execute=True):
        page = client.get(path)
        assert "ready on" in page.text
        response = client.post(path)
        again = client.post(path)
    assert "your re-order is in" in response.text
    assert "14 days to prepare" in response.text
    assert "already in" in again.text
    supply.refresh_from_db()
    assert supply.status == "reorder_requested"
    later = when + dt.timedelta(minutes=5)
    with clock.at(later):
        advance_touchpoints(later)
        items = care_queue(personas.actor(), later, scope="practice")
    assert any("Prepare a re-ordered supply" in item.title for item in items)
    # No more reminders for that supply.
    assert not Touchpoint.objects.filter(
        client=personas.client, kind="reorder_reminder", status="planned"
    ).exists()
    assert Supply.objects.get(pk=supply.pk).status == "reorder_requested"


def test_the_promise_is_kept_only_when_the_practitioner_answers(personas: Personas) -> None:
    from django.core.exceptions import ValidationError

    from aftercare.absences.away import emergency_message_items, perform_on_emergency_message
    from aftercare.messaging.services import message_reply
    from aftercare.promises.models import Promise
    from aftercare.promises.services import promises_mark_broken

    with clock.at(PLANNED_ON):
        plan_absence(personas.actor(), emergency_client_ids=[personas.client.pk])
    with clock.at(DURING):
        inbound = receive_inbound(
            channel="email", from_address=personas.client.email, text="My back is worse"
        )
        [item] = emergency_message_items(personas.actor(), DURING)
        assert item.urgency == "urgent"
        with pytest.raises(ValidationError):
            perform_on_emergency_message(personas.actor(), str(inbound.pk), "done")
        message_reply(
            actor=personas.actor(), client=personas.client, body="Rest, I call you tonight."
        )
        perform_on_emergency_message(personas.actor(), str(inbound.pk), "done")
        assert emergency_message_items(personas.actor(), DURING) == []
    # The client may write again: the promise is judged once the absence is over.
    assert Promise.objects.get(client=personas.client).status == "open"
    after = dt.datetime(2027, 4, 5, 9, 0, tzinfo=dt.UTC)
    assert promises_mark_broken(after) == 1
    promise = Promise.objects.get(client=personas.client)
    assert promise.status == "kept", promise.status_reason
    assert promise.status_reason.startswith("Kept: 1 message passed on during the absence")
