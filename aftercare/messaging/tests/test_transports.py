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
from twilio.http import HttpClient
from twilio.http.response import Response

from aftercare.messaging import transports
from aftercare.messaging.models import MessageStatus
from aftercare.messaging.services import message_queue
from aftercare.messaging.smtp import InboundHandler
from aftercare.messaging.worker import Worker
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


def test_whatsapp_uses_whatsapp_addresses(personas: Personas, twilio: RecordingTwilio) -> None:
    message_queue(client=personas.client, template_key="recall", channel="whatsapp")
    Worker().run_until_idle()
    assert twilio.requests[0]["data"]["To"] == "whatsapp:+447911123456"
    assert twilio.requests[0]["data"]["From"] == "whatsapp:+447700900998"


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
