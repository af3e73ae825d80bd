from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from aftercare.links import make_token, portal_url
from aftercare.messaging.models import CheckIn, Direction, Message, MessageStatus
from aftercare.messaging.services import message_acknowledge, message_queue
from aftercare.messaging.worker import Worker
from aftercare.testing import Personas

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def daytime() -> Any:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def check_in_path(personas: Personas) -> tuple[CheckIn, str]:
    message = message_queue(client=personas.client, template_key="check_in")
    check_in = message.check_in
    return check_in, f"/p/c/{make_token('check_in', check_in.pk)}/"


def test_answering_twice_updates_the_same_answer(personas: Personas, client: HttpClient) -> None:
    check_in, path = check_in_path(personas)
    page = client.get(path)
    assert page.status_code == 200
    assert b"How are you doing? (0 = very bad, 10 = very well)" in page.content
    assert b"Any side effects or anything new since we met?" in page.content
    assert "I'd like you to contact me" in page.content.decode()
    response = client.post(path, {"score": "7", "side_effects": "", "free_text": "Better"})
    assert response.status_code == 302
    client.post(path, {"score": "6", "side_effects": "", "free_text": "A bit tired"})
    check_in.refresh_from_db()
    assert check_in.score == 6 and check_in.free_text == "A bit tired"
    replies = Message.objects.filter(direction=Direction.INBOUND, client=personas.client)
    assert replies.count() == 1
    assert "A bit tired" in replies.get().text_body


def test_the_thanks_page_says_honestly_when_it_will_be_read(
    personas: Personas, client: HttpClient
) -> None:
    personas.practice.emergency_numbers = "Emergency: 999 · NHS 111"
    personas.practice.save()
    _, path = check_in_path(personas)
    thanks = client.post(path, {"score": "8"}, follow=True)
    text = thanks.content.decode()
    assert "When will this be read?" in text
    assert "Olivia Owner will read it today" in text
    assert "Emergency: 999" in text


def test_a_crisis_answer_shows_the_emergency_numbers_at_once_and_tells_the_practitioner(
    personas: Personas, client: HttpClient
) -> None:
    personas.practice.emergency_numbers = "Emergency: 999 · Samaritans 116 123"
    personas.practice.save()
    _, path = check_in_path(personas)
    thanks = client.post(path, {"score": "1", "free_text": "I want to end my life"}, follow=True)
    text = thanks.content.decode()
    assert "Please do not wait for us" in text and "Samaritans 116 123" in text
    alert = Message.objects.get(template_key="staff_alert")
    assert alert.to_address == personas.owner.email and alert.client is None
    assert "crisis" in alert.subject


def test_bad_input_names_the_field_and_saves_nothing(
    personas: Personas, client: HttpClient
) -> None:
    check_in, path = check_in_path(personas)
    response = client.post(path, {"score": "11"})
    assert response.status_code == 400
    assert b"Choose a number from 0 to 10." in response.content
    check_in.refresh_from_db()
    assert check_in.answered_at is None
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def test_an_expired_link_says_so_kindly_and_sends_a_new_one_by_the_same_channel(
    personas: Personas, client: HttpClient, daytime: Any
) -> None:
    check_in, path = check_in_path(personas)
    daytime.shift(dt.timedelta(days=15))
    page = client.get(path)
    assert page.status_code == 410
    assert b"This link has expired" in page.content
    client.post(f"{path}new-link/")
    fresh = Message.objects.get(template_key="new_link")
    assert fresh.channel == check_in.message.channel
    assert "/p/c/" in fresh.text_body
    # Asking again straight away does not flood the client.
    again = client.post(f"{path}new-link/")
    assert b"We sent you a new link recently" in again.content
    assert Message.objects.filter(template_key="new_link").count() == 1


def test_a_tampered_link_is_not_recognised(personas: Personas, client: HttpClient) -> None:
    _, path = check_in_path(personas)
    assert client.get(path[:-3] + "xx/").status_code == 404
    # A preferences token does not open a check-in.
    prefs = make_token("preferences", personas.client.pk)
    assert client.get(f"/p/c/{prefs}/").status_code == 404


def test_after_it_was_read_the_client_sees_by_whom_and_when(
    personas: Personas, client: HttpClient
) -> None:
    check_in, path = check_in_path(personas)
    client.post(path, {"score": "4", "side_effects": "dizzy in the mornings"})
    check_in.refresh_from_db()
    message_acknowledge(actor=personas.actor(), message=check_in.reply)
    page = client.get(path)
    assert b"Your answer has been read" in page.content
    assert b"Read by Olivia Owner on Tuesday 24 November" in page.content


def test_one_click_unsubscribe_stops_every_automated_message_from_the_next_pass(
    personas: Personas,
) -> None:
    queued = message_queue(client=personas.client, template_key="recall")
    url = portal_url("unsubscribe", personas.client.pk)
    path = url.split("8000", 1)[1]
    # RFC 8058: a POST with this body, no cookies, no CSRF token.
    csrf_client = HttpClient(enforce_csrf_checks=True)
    response = csrf_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is not None
    later = message_queue(client=personas.client, template_key="birthday_card", purpose="care")
    Worker().run_until_idle()
    queued.refresh_from_db()
    later.refresh_from_db()
    assert queued.status == later.status == MessageStatus.CANCELLED


def test_opening_the_unsubscribe_link_changes_nothing(
    personas: Personas, client: HttpClient
) -> None:
    token = make_token("unsubscribe", personas.client.pk)
    assert client.get(f"/p/u/{token}/").status_code == 200
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is None


def test_preferences_change_channel_consent_and_pause(
    personas: Personas, client: HttpClient
) -> None:
    path = f"/p/prefs/{make_token('preferences', personas.client.pk)}/"
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        {
            "preferred_channel": "sms",
            "consent_care": "yes",
            "consent_celebrations": "yes",
            "paused_until": "2026-12-10",
        },
    )
    assert response.status_code == 200 and b"Saved" in response.content
    personas.client.refresh_from_db()
    assert personas.client.preferred_channel == "sms"
    assert personas.client.consent_celebrations is True
    assert personas.client.paused_until == dt.date(2026, 12, 10)
    message = message_queue(client=personas.client, template_key="recall")
    Worker().run_until_idle()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "Paused" in message.status_reason
    assert message.next_attempt_at.date() == dt.date(2026, 12, 11)


def test_preferences_reject_a_bad_date_naming_the_field(
    personas: Personas, client: HttpClient
) -> None:
    path = f"/p/prefs/{make_token('preferences', personas.client.pk)}/"
    response = client.post(path, {"preferred_channel": "email", "paused_until": "next week"})
    assert response.status_code == 400
    assert b"Write the date as YYYY-MM-DD" in response.content
    personas.client.refresh_from_db()
    assert personas.client.paused_until is None


def test_a_crisis_also_reaches_the_practitioners_own_phone_when_sms_is_set_up(
    personas: Personas, client: HttpClient, settings: Any
) -> None:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    settings.TWILIO_FROM = "+447700900999"
    personas.owner.phone = "+447700900321"
    personas.owner.save()
    _, path = check_in_path(personas)
    client.post(path, {"score": "0", "free_text": "I can't breathe and my chest hurts"})
    alerts = Message.objects.filter(template_key="staff_alert")
    assert {(m.channel, m.to_address) for m in alerts} == {
        ("email", personas.owner.email),
        ("sms", "+447700900321"),
    }
    sms = alerts.get(channel="sms")
    assert "Ruth Miller" in sms.text_body and "breathe" not in sms.text_body


# --- one message read on the portal (link-only SMS and WhatsApp) ----------------------------


def texted_message(personas: Personas, template_key: str = "check_in", **details: Any) -> Message:
    personas.client.preferred_channel = "sms"
    personas.client.save()
    return message_queue(client=personas.client, template_key=template_key, details=details)


def message_path(message: Message) -> str:
    return f"/p/m/{make_token('message', message.pk)}/"


def test_the_message_page_shows_the_message_in_the_practices_name_with_one_button(
    personas: Personas, client: HttpClient, django_assert_max_num_queries: Any
) -> None:
    personas.practice.phone = "020 7946 0000"
    personas.practice.save()
    message = texted_message(personas)
    with django_assert_max_num_queries(2):
        page = client.get(message_path(message))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Riverside Practice" in text
    assert "How are you doing, Ruth?" in text
    assert "If anything new has come up — side effects" in text
    [answer] = re.findall(r'<a class="action" href="[^"]*(/p/c/[^"]+/)">Answer now</a>', text)
    assert client.get(answer).status_code == 200
    assert 'href="tel:020 7946 0000"' in text


def test_a_forged_message_link_is_the_kind_404(personas: Personas, client: HttpClient) -> None:
    token = make_token("message", texted_message(personas).pk)
    forged = client.get(f"/p/m/{token[:-3]}xyz/")
    assert forged.status_code == 404
    assert b"We could not open this link" in forged.content
    # A link made for another page does not open a message either.
    other = client.get(f"/p/m/{make_token('resource', texted_message(personas).pk)}/")
    assert other.status_code == 404


def test_an_expired_message_link_is_a_kind_410_that_never_shows_the_message(
    personas: Personas, client: HttpClient, daytime: Any
) -> None:
    message = texted_message(personas, "reorder_reminder", supply_name="Sertraline 50 mg")
    path = message_path(message)
    daytime.shift(dt.timedelta(days=31))
    page = client.get(path)
    assert page.status_code == 410
    assert b"This link has expired" in page.content
    assert b"Sertraline" not in page.content
    assert b"Riverside Practice" in page.content


def test_a_message_that_was_not_sent_as_a_link_has_no_page(
    personas: Personas, client: HttpClient
) -> None:
    email = message_queue(client=personas.client, template_key="check_in")
    assert email.channel == "email"
    assert client.get(message_path(email)).status_code == 404
