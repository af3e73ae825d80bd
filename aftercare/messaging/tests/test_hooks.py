from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from twilio.request_validator import RequestValidator

from aftercare.clients.models import Client
from aftercare.messaging.inbound import route_arrived
from aftercare.messaging.models import Direction, Message, MessageStatus
from aftercare.messaging.services import message_queue
from aftercare.messaging.worker import Worker
from aftercare.testing import Personas

TOKEN = "twilio-auth-token-for-tests"


@pytest.fixture
def twilio(settings: Any) -> None:
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM = "+447700900999"


def post_signed(
    client: HttpClient,
    path: str,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    then_route: bool = True,
) -> Any:
    """POST like Twilio does: form-encoded, signed over the public URL and the parameters.

    ``then_route``: then the worker's first step, which triages and routes what the webhook
    stored (``inbound.route_arrived``).
    """
    from django.conf import settings

    signature = RequestValidator(token).compute_signature(f"{settings.BASE_URL}{path}", params)
    response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
    if then_route:
        route_arrived()
    return response


def sms(sender: str, body: str, sid: str = "SM" + "1" * 32) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+447700900999",
        "Body": body,
        "NumMedia": "0",
    }


@pytest.mark.usefixtures("twilio")
def test_a_forged_twilio_webhook_is_refused_and_logged(
    personas: Personas, client: HttpClient, caplog: Any
) -> None:
    response = post_signed(
        client, "/hooks/twilio/sms", sms("+447911123456", "hello"), token="wrong"
    )
    assert response.status_code == 403
    assert "refused twilio/sms webhook" in caplog.text
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()
    unsigned = client.post("/hooks/twilio/sms", sms("+447911123456", "hello"))
    assert unsigned.status_code == 403


@pytest.mark.usefixtures("twilio")
def test_a_signed_sms_is_matched_to_the_client_and_answered_with_empty_twiml(
    personas: Personas, client: HttpClient
) -> None:
    response = post_signed(
        client,
        "/hooks/twilio/sms",
        sms("+447911123456", "I feel much better, thanks"),
        then_route=False,
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Response></Response>" in response.content
    # Stored first, matched to the client, and shown as not yet read by Aftercare: the
    # worker triages and routes it.
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.client == personas.client
    assert inbound.status == "arrived" and inbound.triage_level == ""
    assert inbound.get_status_display() == "Not yet read by Aftercare"
    assert not Message.objects.filter(template_key="reply_acknowledgement").exists()
    # Twilio retries a webhook it thinks failed: the same MessageSid is stored once.
    post_signed(
        client,
        "/hooks/twilio/sms",
        sms("+447911123456", "I feel much better, thanks"),
        then_route=False,
    )
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert route_arrived() == 1
    inbound.refresh_from_db()
    assert inbound.status == "received" and inbound.triage_level == "routine"
    # The acknowledgement goes out through the outbox, by SMS.
    ack = Message.objects.get(template_key="reply_acknowledgement")
    assert ack.channel == "sms" and ack.in_reply_to == inbound


@pytest.mark.usefixtures("twilio")
def test_stop_by_sms_stops_every_automated_message_and_start_resumes(
    personas: Personas, client: HttpClient
) -> None:
    queued = message_queue(client=personas.client, template_key="recall")
    post_signed(client, "/hooks/twilio/sms", sms("+447911123456", "STOP", sid="SM" + "2" * 32))
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is not None
    queued.refresh_from_db()
    assert queued.status == MessageStatus.CANCELLED
    later = message_queue(client=personas.client, template_key="recall")
    Worker().run_until_idle()
    later.refresh_from_db()
    assert later.status == MessageStatus.CANCELLED
    assert personas.client.consent_events.filter(how="SMS STOP", granted=False).exists()
    post_signed(client, "/hooks/twilio/sms", sms("+447911123456", "start", sid="SM" + "3" * 32))
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is None


@pytest.mark.usefixtures("twilio")
@pytest.mark.parametrize("body", ["Stop.", "  STOP ALL ", "revoke", "OPTOUT", "Arrêt", "stopp"])
def test_every_opt_out_word_in_any_case_opts_the_client_out(
    personas: Personas, client: HttpClient, body: str
) -> None:
    post_signed(client, "/hooks/twilio/sms", sms("+447911123456", body))
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is not None
    # No acknowledgement: Twilio already answered the STOP, and the client asked for quiet.
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


@pytest.mark.usefixtures("twilio")
def test_a_sentence_asking_to_stop_is_a_reply_for_a_person_not_an_opt_out(
    personas: Personas, client: HttpClient
) -> None:
    post_signed(
        client, "/hooks/twilio/sms", sms("+447911123456", "Please stop the reminders for a week")
    )
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is None
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.triage_level == "routine"
    assert Message.objects.filter(template_key="reply_acknowledgement").exists()


@pytest.mark.usefixtures("twilio")
def test_help_is_answered_with_the_practices_contact_and_how_to_stop(
    personas: Personas, client: HttpClient
) -> None:
    personas.practice.phone = "+441632960000"
    personas.practice.save(update_fields=["phone"])
    post_signed(client, "/hooks/twilio/sms", sms("+447911123456", "HELP"))
    answer = Message.objects.get(template_key="sms_help")
    assert answer.channel == "sms"
    assert answer.to_address == "+447911123456"
    # Readable where the client asked (not a link-only text): it says nothing about health.
    assert "+441632960000" in answer.text_body
    assert "Reply STOP" in answer.text_body
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is None


@pytest.mark.usefixtures("twilio")
def test_an_unknown_number_lands_in_the_unmatched_inbox_and_can_be_assigned(
    personas: Personas, client: HttpClient
) -> None:
    # With several practices on one deployment, the number's webhook names the practice.
    path = f"/hooks/twilio/sms?practice={personas.practice.pk}"
    post_signed(client, path, sms("+447700900555", "It's Ruth, new phone. Rash since Monday."))
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.client is None and inbound.practice == personas.practice
    client.force_login(personas.owner)
    page = client.get("/messages/unmatched/")
    assert b"Rash since Monday" in page.content
    client.post(f"/messages/{inbound.pk}/assign/", {"client": personas.client.pk})
    inbound.refresh_from_db()
    assert inbound.client == personas.client


def test_an_outsider_cannot_assign_or_see_another_practices_message(
    personas: Personas, client: HttpClient
) -> None:
    inbound = Message.objects.create(
        practice=personas.practice,
        direction=Direction.INBOUND,
        channel="sms",
        from_address="+447700900555",
        text_body="secret",
        status="received",
    )
    client.force_login(personas.outsider)
    assert client.get(f"/messages/outbox/{inbound.pk}/").status_code == 404
    assert (
        client.post(
            f"/messages/{inbound.pk}/assign/", {"client": personas.other_client.pk}
        ).status_code
        == 404
    )
    assert client.post(f"/messages/{inbound.pk}/acknowledge/").status_code == 404
    assert (
        client.post(f"/messages/client/{personas.client.pk}/reply/", {"body": "hi"}).status_code
        == 404
    )
    assert b"secret" not in client.get("/messages/unmatched/").content


@pytest.mark.usefixtures("twilio")
def test_a_delivery_callback_marks_the_sms_delivered(
    personas: Personas, client: HttpClient
) -> None:
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Message.objects.filter(pk=message.pk).update(status="sent", provider_id="SM" + "9" * 32)
    response = post_signed(
        client,
        "/hooks/twilio/status",
        {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"},
    )
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.delivered_at is not None


def failed_sms(personas: Personas, sid: str) -> Message:
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Message.objects.filter(pk=message.pk).update(status="sent", provider_id=sid)
    return message


@pytest.mark.usefixtures("twilio")
def test_a_number_that_cannot_receive_sms_is_marked_unusable_and_the_client_re_planned(
    personas: Personas, client: HttpClient, monkeypatch: Any
) -> None:
    from aftercare.clients import events

    replanned = []
    monkeypatch.setattr(events, "_hooks", [lambda c: replanned.append(c.pk)])
    Client.objects.filter(pk=personas.client.pk).update(phone="+447911123456")
    message = failed_sms(personas, "SM" + "8" * 32)
    response = post_signed(
        client,
        "/hooks/twilio/status",
        {"MessageSid": "SM" + "8" * 32, "MessageStatus": "undelivered", "ErrorCode": "30006"},
    )
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.status_reason == (
        "Twilio reports undelivered (error 30006): this number cannot receive text messages"
    )
    personas.client.refresh_from_db()
    assert personas.client.phone_unusable and not personas.client.email_unusable
    assert replanned == [personas.client.pk]


@pytest.mark.usefixtures("twilio")
def test_a_handset_switched_off_or_a_number_changed_since_stays_usable(
    personas: Personas, client: HttpClient
) -> None:
    Client.objects.filter(pk=personas.client.pk).update(phone="+447911123456")
    failed_sms(personas, "SM" + "7" * 32)
    post_signed(
        client,
        "/hooks/twilio/status",
        {"MessageSid": "SM" + "7" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    personas.client.refresh_from_db()
    assert not personas.client.phone_unusable  # 30003: unreachable for now, not for good
    failed_sms(personas, "SM" + "6" * 32)
    Client.objects.filter(pk=personas.client.pk).update(phone="+447911654321")
    post_signed(
        client,
        "/hooks/twilio/status",
        {"MessageSid": "SM" + "6" * 32, "MessageStatus": "failed", "ErrorCode": "30005"},
    )
    personas.client.refresh_from_db()
    assert not personas.client.phone_unusable  # the failed number is no longer theirs


def test_inbound_email_webhook_needs_its_token_and_matches_the_reply_token(
    personas: Personas, client: HttpClient, settings: Any
) -> None:
    settings.INBOUND_EMAIL_TOKEN = "inbound-token-0123456789"
    settings.REPLY_DOMAIN = "reply.example.org"
    sent = message_queue(client=personas.client, template_key="check_in")
    payload = {
        "from": "someone.else@example.net",
        "to": [f"reply+{sent.reply_token}@reply.example.org"],
        "subject": "Re: How are you doing?",
        "text": "Hot sweats and nausea since the new tablets.\n\nOn Tue, Aftercare wrote:\n> How are you?",
    }
    assert (
        client.post(
            "/hooks/email/wrong-token-000000000", payload, content_type="application/json"
        ).status_code
        == 404
    )
    response = client.post(
        "/hooks/email/inbound-token-0123456789", payload, content_type="application/json"
    )
    assert response.status_code == 200
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.client == personas.client  # by the token, though the sender differs
    assert inbound.text_body == "Hot sweats and nausea since the new tablets."
    # Stored first: the worker triages and routes it.
    assert inbound.status == "arrived" and inbound.triage_level == ""
    assert route_arrived() == 1
    inbound.refresh_from_db()
    assert inbound.status == "received" and inbound.triage_level == "attention"


def test_a_crisis_by_sms_reaches_the_practitioner_through_the_worker(
    personas: Personas, client: HttpClient, settings: Any
) -> None:
    """End to end: the webhook stores it, the worker's next pass triages it first and sends
    the emergency numbers and the practitioner's alert (preview outbox: no SMS account)."""
    settings.TWILIO_AUTH_TOKEN = TOKEN
    response = post_signed(
        client,
        "/hooks/twilio/sms",
        sms("+447911123456", "I want to end my life tonight", sid="SM" + "9" * 32),
        then_route=False,
    )
    assert response.status_code == 200
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.triage_level == ""
    Worker().run_until_idle()
    inbound.refresh_from_db()
    assert inbound.triage_level == "crisis" and inbound.status == "received"
    alert = Message.objects.get(template_key="staff_alert", in_reply_to=inbound)
    assert alert.status == "sent" and alert.to_address == personas.client.primary_practitioner.email
    assert Message.objects.get(template_key="crisis_support").status == "sent"


@pytest.mark.usefixtures("twilio")
def test_a_practice_past_any_id_in_the_webhooks_link_is_no_practice_not_an_error(
    personas: Personas, client: HttpClient
) -> None:
    """A ``?practice=`` too large for the database's integers names no practice: the message
    is stored as with no ``?practice=`` at all (found by the client's number), never a server
    error that Twilio would retry. (Django answers such a primary key with no row already;
    the test keeps it so, whatever reads the number.)"""
    path = "/hooks/twilio/sms?practice=99999999999999999999"
    response = post_signed(client, path, sms("+447911123456", "Feeling better today"))
    assert response.status_code == 200
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.practice == personas.practice and inbound.client == personas.client
