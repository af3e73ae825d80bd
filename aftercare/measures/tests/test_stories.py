"""Stories: a questionnaire sent, answered in the portal, scored, and a safety answer a crisis."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from aftercare.care.advance import advance_touchpoints
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.links import make_token
from aftercare.measures.models import Measure, MeasureStatus
from aftercare.measures.services import measure_send
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.worker import Worker
from aftercare.queue.selectors import care_queue
from aftercare.testing import Personas, make_appointment

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
EMERGENCY = "Emergency: 999 · Samaritans 116 123"


@pytest.fixture(autouse=True)
def daytime() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sent(personas: Personas) -> Measure:
    personas.practice.emergency_numbers = EMERGENCY
    personas.practice.save()
    return measure_send(actor=personas.actor(), client=personas.client, questionnaire_key="phq9")


def portal_path(measure: Measure) -> str:
    return f"/p/q/{make_token('measure', measure.pk)}/"


def answer(client: HttpClient, path: str, item: str, value: int) -> Any:
    return client.post(path, {"item": item, "value": str(value)})


def test_a_phq9_is_sent_by_hand_as_a_signed_link_on_the_clients_channel(
    personas: Personas, sent: Measure
) -> None:
    message = Message.objects.get(pk=sent.message_id)
    assert message.channel == "email" and message.to_address == personas.client.email
    assert message.template_key == "measure_phq9" and message.purpose == "care"
    assert portal_path(sent).rstrip("/") in message.text_body
    # Neither the subject nor the text names the questionnaire or what it is about.
    assert "PHQ" not in message.subject + message.text_body
    assert "depress" not in message.text_body.lower()


def test_question_9_above_0_is_a_crisis_at_once_from_the_portal_to_the_practitioners_alert(
    personas: Personas, sent: Measure, client: HttpClient
) -> None:
    path = portal_path(sent)
    for item in "12345678":
        assert answer(client, path, item, 1).status_code == 302
    assert not Message.objects.filter(template_key="staff_alert").exists()
    # Question 9, "Thoughts that you would be better off dead or of hurting yourself": "Several days".
    answer(client, path, "9", 1)
    # At once, before question 10 is answered: the practitioner is alerted on her own channel …
    alert = Message.objects.get(template_key="staff_alert", channel="email")
    assert alert.to_address == personas.owner.email
    assert alert.subject == "Aftercare: crisis from Ruth Miller — please look now"
    assert "PHQ-9 question 9" in alert.text_body
    # … the answers are a crisis at the top of the care queue …
    items = care_queue(personas.actor(), NOW, scope="practice")
    assert items[0].urgency == "crisis" and items[0].client_name == "Ruth Miller"
    assert items[0].title == "crisis: questionnaire safety item"
    # … and the next screen shows the client the emergency numbers.
    question_10 = client.get(path)
    assert "Question 10 of 10" in question_10.content.decode()
    assert EMERGENCY in question_10.content.decode()
    assert "We have told Olivia Owner at once." in question_10.content.decode()
    # Finishing sends nothing twice and keeps it a crisis.
    done = answer(client, path, "10", 1)
    assert done.status_code == 302 and done.url.endswith("/thanks/")
    thanks = client.get(done.url).content.decode()
    assert "Please do not wait for us." in thanks and EMERGENCY in thanks
    assert Message.objects.filter(template_key="staff_alert").count() == 1
    sent.refresh_from_db()
    assert sent.status == MeasureStatus.COMPLETED and sent.total == 9 and sent.band == "mild"
    reply = Message.objects.get(pk=sent.reply_id)
    assert reply.direction == Direction.INBOUND and reply.triage_level == "crisis"
    assert reply.text_body == "PHQ-9: 9 of 27 (mild)."


def test_a_severe_total_raises_an_urgent_item_and_no_alert(
    personas: Personas, sent: Measure, client: HttpClient
) -> None:
    path = portal_path(sent)
    for item in "1234567":
        answer(client, path, item, 3)
    answer(client, path, "8", 0)
    answer(client, path, "9", 0)
    answer(client, path, "10", 2)
    sent.refresh_from_db()
    assert sent.total == 21 and sent.band_label == "Severe"
    reply = Message.objects.get(pk=sent.reply_id)
    assert reply.triage_level == "urgent"
    assert reply.triage_reasons == ["PHQ-9: 21 of 27, severe"]
    assert not Message.objects.filter(template_key="staff_alert").exists()
    items = care_queue(personas.actor(), NOW, scope="practice")
    assert [item.urgency for item in items if item.kind == "flagged_reply"] == ["urgent"]


def test_every_question_is_required_and_nothing_is_scored_before_the_last(
    personas: Personas, sent: Measure, client: HttpClient
) -> None:
    path = portal_path(sent)
    refused = client.post(path, {"item": "1", "value": ""})
    assert refused.status_code == 400
    assert "Please choose one of the answers." in refused.content.decode()
    assert client.post(path, {"item": "1", "value": "7"}).status_code == 400
    answer(client, path, "1", 0)
    page = client.get(path).content.decode()
    assert "Question 2 of 9" in page  # question 10 is asked only after a problem
    assert "Feeling down, depressed, or hopeless" in page
    sent.refresh_from_db()
    assert sent.status == MeasureStatus.WAITING and sent.total is None


@pytest.mark.parametrize("step", ["question", "thanks", "expired"])
def test_every_questionnaire_page_shows_the_copyright_and_source_lines(
    personas: Personas, sent: Measure, client: HttpClient, step: str, daytime: Any
) -> None:
    path = portal_path(sent)
    if step == "thanks":
        for item in "123456789":
            answer(client, path, item, 0)
        path += "thanks/"
    if step == "expired":
        daytime.shift(dt.timedelta(days=15))
        page = client.get(path)
        assert page.status_code == 410
        assert "This link has expired" in page.content.decode()
        return
    text = client.get(path).content.decode()
    assert "No permission required to reproduce, translate, display or distribute." in text
    assert "Source: Patient Health Questionnaire-9 (PHQ-9), English" in text


def test_a_care_rule_sends_a_who5_the_day_before_every_visit(
    personas: Personas, client: HttpClient
) -> None:
    personas.appointment.starts_at = NOW + dt.timedelta(days=3)
    personas.appointment.ends_at = personas.appointment.starts_at + dt.timedelta(minutes=50)
    personas.appointment.save()
    CareRule.objects.create(
        practice=personas.practice,
        name="WHO-5 before every visit",
        trigger="appointment_booked",
        offset_days=-1,
        template_key="measure_who5",
        value=70,
    )
    reconcile_client(personas.client)
    touchpoint = Touchpoint.objects.get(template_key="measure_who5")
    assert touchpoint.due_at.date() == dt.date(2026, 11, 26)
    with time_machine.travel(touchpoint.due_at + dt.timedelta(minutes=1), tick=False):
        advance_touchpoints(touchpoint.due_at + dt.timedelta(minutes=1))
        Worker(name="test").run_until_idle()
    measure = Measure.objects.get(client=personas.client)
    assert measure.questionnaire == "who5" and measure.touchpoint_id == touchpoint.pk
    message = Message.objects.get(touchpoint=touchpoint)
    match = re.search(r"/p/q/[^/\s]+/", message.text_body)
    assert match is not None
    page = client.get(match.group(0)).content.decode()
    assert "I have felt cheerful and in good spirits" in page
    assert "Over the last two weeks" in page


def test_the_practitioner_fills_it_in_with_the_client_and_the_change_is_shown(
    personas: Personas, owner_client: HttpClient
) -> None:
    path = f"/measures/clients/{personas.client.pk}/fill/?measure=gad7"
    page = owner_client.get(path)
    assert page.status_code == 200
    assert "Feeling afraid, as if something awful might happen" in page.content.decode()
    missing = owner_client.post(path, {"measure": "gad7", "item_1": "3"})
    assert missing.status_code == 400
    first = owner_client.post(path, {"measure": "gad7", **{f"item_{i}": "1" for i in range(1, 8)}})
    assert first.status_code == 302
    second = owner_client.post(
        path, {"measure": "gad7", **{f"item_{i}": "2" for i in range(1, 8)}}, follow=True
    )
    text = second.content.decode()
    assert "7 → 14: 7 points worse (reliable change)" in text
    assert "together in a session" in text
    latest = Measure.objects.filter(questionnaire="gad7").order_by("-id").first()
    assert latest is not None and latest.entered_by == personas.owner
    assert latest.completed_via == "session"


def test_a_booked_visit_that_is_cancelled_cancels_its_questionnaire(personas: Personas) -> None:
    appointment = make_appointment(
        personas.client, personas.owner, starts_at=NOW + dt.timedelta(days=5)
    )
    CareRule.objects.create(
        practice=personas.practice,
        name="PHQ-9 before every visit",
        trigger="appointment_booked",
        offset_days=-1,
        template_key="measure_phq9",
    )
    reconcile_client(personas.client)
    planned = Touchpoint.objects.get(template_key="measure_phq9")
    assert planned.status == "planned" and planned.due_at.date() == dt.date(2026, 11, 28)
    appointment.status = "cancelled"
    appointment.save()
    reconcile_client(personas.client)
    planned.refresh_from_db()
    assert planned.status == "cancelled"
