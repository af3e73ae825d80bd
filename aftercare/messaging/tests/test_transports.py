"""Transports against their providers' documented formats (Twilio at its HTTP client seam)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.messaging import transports
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message, MessageStatus, SendingTurn
from aftercare.messaging.plugins import unreachable_items
from aftercare.messaging.services import message_queue
from aftercare.messaging.smtp import InboundHandler
from aftercare.messaging.worker import Worker
from aftercare.practice.models import Practice
from aftercare.testing import Personas

SID = "AC" + "a" * 32


class RecordingTwilio(HttpClient):
    """Answers like Twilio's Messages API and records each request."""

    def __init__(self, status: int = 201, body: dict[str, Any] | None = None) -> None:
        super().__init__(logger=logging.getLogger("twilio.test"), is_async=False)
        self.requests: list[dict[str, Any]] = []
        self.status = status
        self.body = body or {"sid": "SM" + "b" * 32, "status": "queued"}

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.requests.append({"method": method, "url": url, "data": dict(data or {}), "auth": auth})
        return Response(self.status, json.dumps(self.body))


@pytest.fixture
def twilio(settings: Any, monkeypatch: Any) -> RecordingTwilio:
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM = "+447700900999"
    settings.TWILIO_WHATSAPP_FROM = "+447700900998"
    recorder = RecordingTwilio()
    monkeypatch.setattr(transports, "twilio_http_client", recorder)
    return recorder


def test_an_sms_is_posted_in_twilios_documented_format(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    message = message_queue(client=personas.client, template_key="check_in", channel="sms")
    Worker().run_until_idle()
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "SM" + "b" * 32)
    (request,) = twilio.requests
    assert request["method"] == "POST"
    assert urlsplit(request["url"]).path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["auth"] == (SID, "token")
    assert request["data"]["To"] == "+447911123456"
    assert request["data"]["From"] == "+447700900999"
    assert request["data"]["Body"] == message.text_body
    assert request["data"]["StatusCallback"].endswith("/hooks/twilio/status")


PRACTICE_NUMBER = "+447700100111"


def with_own_number(personas: Personas) -> Client:
    """Riverside gets its own texting number; its client, read as the worker reads it."""
    Practice.objects.filter(pk=personas.practice.pk).update(sms_number=PRACTICE_NUMBER)
    return Client.objects.select_related("practice").get(pk=personas.client.pk)


def test_a_practice_with_its_own_number_texts_from_it_and_one_without_from_the_shared_one(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    riverside = message_queue(
        client=with_own_number(personas), template_key="recall", channel="sms"
    )
    hillside = message_queue(client=personas.other_client, template_key="recall", channel="sms")
    assert (riverside.from_address, hillside.from_address) == (PRACTICE_NUMBER, "+447700900999")
    Worker().run_until_idle()
    sent_from = {request["data"]["To"]: request["data"]["From"] for request in twilio.requests}
    assert sent_from == {
        personas.client.phone: PRACTICE_NUMBER,
        personas.other_client.phone: "+447700900999",
    }


def test_without_a_shared_number_a_practice_texts_from_its_own_and_one_without_is_told(
    personas: Personas, twilio: RecordingTwilio, settings: Any
) -> None:
    # Every practice of this deployment was meant to have its own number: no shared one.
    settings.TWILIO_FROM = ""
    assert not transports.preview_mode()
    riverside = message_queue(
        client=with_own_number(personas), template_key="recall", channel="sms"
    )
    hillside = message_queue(client=personas.other_client, template_key="recall", channel="sms")
    assert transports.sms_live(riverside.practice)
    assert not transports.sms_live(hillside.practice)
    Worker().run_until_idle()
    assert [request["data"]["From"] for request in twilio.requests] == [PRACTICE_NUMBER]
    riverside.refresh_from_db()
    hillside.refresh_from_db()
    assert riverside.status == MessageStatus.SENT
    # Not previewed as if sent, not retried for ever: failed at once, saying what to set.
    assert hillside.status == MessageStatus.FAILED
    assert "has no number to text from" in hillside.status_reason
    assert "SMS number in Settings" in hillside.status_reason
    assert hillside.attempt_count == 1


def test_messaging_settings_say_which_number_the_practices_sms_go_from(
    personas: Personas, settings: Any, twilio: RecordingTwilio
) -> None:
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(personas.owner)

    def says() -> str:
        page = http.get(reverse("messaging-settings")).content.decode()
        return " ".join(page.split("<li>SMS:", 1)[1].split("</li>", 1)[0].split())

    assert says() == "sent through Twilio from +447700900999"
    settings.TWILIO_FROM = ""
    assert says().startswith("not sent: this practice has no number to text from")
    with_own_number(personas)
    assert says() == f"sent through Twilio from {PRACTICE_NUMBER}"
    settings.TWILIO_ACCOUNT_SID = ""
    assert says().startswith("preview only")


def test_an_sms_goes_from_the_number_the_practice_has_when_it_is_sent(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    # Queued before the practice had its own number: Twilio would refuse an old number the
    # account no longer holds (21606, a "permanent" error that marks the client's mobile
    # unusable), so the number is the practice's at the hand-over, and the outbox says so.
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    assert message.from_address == "+447700900999"
    with_own_number(personas)
    Worker().run_until_idle()
    assert twilio.requests[0]["data"]["From"] == PRACTICE_NUMBER
    message.refresh_from_db()
    assert (message.status, message.from_address) == (MessageStatus.SENT, PRACTICE_NUMBER)


@time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False)
def test_each_sending_number_keeps_its_own_rate(
    personas: Personas, twilio: RecordingTwilio, settings: Any
) -> None:
    # A turn every 10 seconds: a second SMS from the same number waits in the queue (the
    # worker sleeps only for a turn a few seconds away), an SMS from another number does not.
    settings.TWILIO_SMS_PER_SECOND = 0.1
    riverside = with_own_number(personas)
    first = message_queue(client=riverside, template_key="recall", channel="sms")
    second = message_queue(client=riverside, template_key="recall", channel="sms")
    hillside = message_queue(client=personas.other_client, template_key="recall", channel="sms")
    Worker().run_until_idle()
    assert [request["data"]["From"] for request in twilio.requests] == [
        PRACTICE_NUMBER,
        "+447700900999",
    ]
    statuses = Message.objects.in_bulk([first.pk, second.pk, hillside.pk])
    assert [statuses[m.pk].status for m in (first, second, hillside)] == ["sent", "queued", "sent"]
    assert statuses[second.pk].next_attempt_at == clock.now() + dt.timedelta(seconds=10)
    assert sorted(SendingTurn.objects.values_list("sender", flat=True)) == [
        f"twilio:{PRACTICE_NUMBER}",
        "twilio:+447700900999",
    ]


def client_wrote_on_whatsapp(personas: Personas, hours_ago: float) -> None:
    Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction=Direction.INBOUND,
        channel="whatsapp",
        from_address=personas.client.phone,
        text_body="Thanks!",
        status=MessageStatus.RECEIVED,
        kind="reply",
        created_at=clock.now() - dt.timedelta(hours=hours_ago),
        acknowledged_at=clock.now(),  # read: nothing waits for an answer
    )


@time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False)
def test_whatsapp_inside_the_24_hour_window_sends_free_text_to_whatsapp_addresses(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    client_wrote_on_whatsapp(personas, hours_ago=23)
    message = message_queue(client=personas.client, template_key="recall", channel="whatsapp")
    Worker().run_until_idle()
    data = twilio.requests[0]["data"]
    assert data["To"] == "whatsapp:+447911123456"
    assert data["From"] == "whatsapp:+447700900998"
    assert data["Body"] == message.text_body
    assert "ContentSid" not in data


@time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False)
def test_whatsapp_outside_the_window_sends_the_approved_content_template(
    personas: Personas, twilio: RecordingTwilio, settings: Any
) -> None:
    settings.TWILIO_WHATSAPP_TEMPLATES = {"recall": "HX" + "a" * 32}
    client_wrote_on_whatsapp(personas, hours_ago=25)
    message = message_queue(client=personas.client, template_key="recall", channel="whatsapp")
    Worker().run_until_idle()
    data = twilio.requests[0]["data"]
    assert data["ContentSid"] == "HX" + "a" * 32
    variables = json.loads(data["ContentVariables"])
    assert variables["1"] == personas.client.name_to_use
    assert variables["2"] == personas.practice.name
    assert variables["3"].startswith("http") and variables["3"] in message.text_body
    assert "Body" not in data


@time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False)
def test_whatsapp_outside_the_window_without_a_template_asks_a_person_and_re_plans(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    message = message_queue(client=personas.client, template_key="recall", channel="whatsapp")
    Worker().run_until_idle()
    assert twilio.requests == []  # never handed to Twilio to fail with 63016
    message.refresh_from_db()
    personas.client.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "24-hour window" in message.status_reason
    assert personas.client.whatsapp_unusable is True
    assert personas.client.phone_unusable is False  # SMS still reaches them
    titles = [item.title for item in unreachable_items(personas.actor(), clock.now()).items]
    assert titles == [f"Could not reach {personas.client.full_name} by whatsapp — call?"]
    again = message_queue(client=personas.client, template_key="recall", channel="whatsapp")
    assert again.channel in {"email", "sms"}  # re-planned on a channel that works


@pytest.mark.parametrize(
    ("status", "code"), [("undelivered", "63016"), ("failed", "63003"), ("canceled", "")]
)
def test_a_whatsapp_status_that_cannot_reach_sets_whatsapp_aside(
    personas: Personas, client: Any, settings: Any, status: str, code: str
) -> None:
    settings.TWILIO_AUTH_TOKEN = "token"
    message = message_queue(client=personas.client, template_key="recall", channel="whatsapp")
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, provider_id="SM" + "9" * 32
    )
    params = {"MessageSid": "SM" + "9" * 32, "MessageStatus": status, "ErrorCode": code}
    signature = RequestValidator("token").compute_signature(
        f"{settings.BASE_URL}/hooks/twilio/status", params
    )
    client.post("/hooks/twilio/status", params, HTTP_X_TWILIO_SIGNATURE=signature)
    message.refresh_from_db()
    personas.client.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert personas.client.whatsapp_unusable is True
    assert personas.client.phone_unusable is False
    # When the client writes on WhatsApp again, it reaches them again.
    receive_inbound(channel="whatsapp", from_address=personas.client.phone, text="Hello again")
    personas.client.refresh_from_db()
    assert personas.client.whatsapp_unusable is False


def test_an_invalid_number_fails_for_good_and_marks_the_phone_unusable(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    twilio.status = 400
    twilio.body = {
        "code": 21211,
        "message": "The 'To' number is not a valid phone number.",
        "status": 400,
    }
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Worker().run_until_idle()
    message.refresh_from_db()
    personas.client.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "21211" in message.status_reason
    assert personas.client.phone_unusable is True


@time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False)
def test_a_number_that_texted_stop_to_twilio_opts_the_client_out_instead(
    personas: Personas, twilio: RecordingTwilio
) -> None:
    twilio.status = 400
    twilio.body = {
        "code": 21610,
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "status": 400,
    }
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Worker().run_until_idle()
    message.refresh_from_db()
    personas.client.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert personas.client.opted_out_at is not None  # Twilio blocks them: so do we
    assert personas.client.phone_unusable is False  # the number works; they asked for quiet


def test_a_twilio_rate_limit_is_retried(personas: Personas, twilio: RecordingTwilio) -> None:
    twilio.status = 429
    twilio.body = {"code": 20429, "message": "Too Many Requests", "status": 429}
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Worker().run_until_idle()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "Will retry" in message.status_reason


def raw_reply(to: str, body: str, sender: str = "ruth@example.org") -> bytes:
    mail = email.message.EmailMessage(policy=email.policy.SMTP)
    mail["From"] = f"Ruth Miller <{sender}>"
    mail["To"] = to
    mail["Subject"] = "Re: How are you doing?"
    mail["Message-ID"] = "<reply-1@mail.example.org>"
    mail.set_content(body)
    return mail.as_bytes()


def test_smtpd_stores_a_reply_to_the_reply_token_address(personas: Personas, settings: Any) -> None:
    settings.REPLY_DOMAIN = "reply.example.org"
    sent = message_queue(client=personas.client, template_key="check_in")
    address = f"reply+{sent.reply_token}@reply.example.org"
    InboundHandler.store(
        raw_reply(address, "Feeling dizzy since Monday.\n\n> How are you?"), [address]
    )
    reply = personas.client.messages.get(direction="in")
    assert reply.in_reply_to == sent
    assert reply.text_body == "Feeling dizzy since Monday."
    assert reply.provider_id == "<reply-1@mail.example.org>"


def test_smtpd_unsubscribe_address_opts_the_client_out(personas: Personas, settings: Any) -> None:
    settings.REPLY_DOMAIN = "reply.example.org"
    sent = message_queue(client=personas.client, template_key="recall")
    address = f"unsubscribe+{sent.reply_token}@reply.example.org"
    InboundHandler.store(raw_reply(address, "unsubscribe"), [address])
    personas.client.refresh_from_db()
    assert personas.client.opted_out_at is not None


def test_smtpd_refuses_mail_for_other_domains(settings: Any) -> None:
    settings.REPLY_DOMAIN = "reply.example.org"
    assert InboundHandler.accepts("reply+abc@reply.example.org")
    assert not InboundHandler.accepts("someone@example.com")


def test_the_inbound_email_webhook_takes_raw_mime(
    personas: Personas, client: Any, settings: Any
) -> None:
    settings.INBOUND_EMAIL_TOKEN = "inbound-token-0123456789"
    response = client.post(
        "/hooks/email/inbound-token-0123456789",
        raw_reply("practice@riverside.example", "Can we talk?"),
        content_type="message/rfc822",
    )
    assert response.status_code == 200
    reply = personas.client.messages.get(direction="in")
    assert reply.text_body == "Can we talk?"
