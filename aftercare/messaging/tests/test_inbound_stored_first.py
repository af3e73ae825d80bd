"""Inbound at burst (issue 16): every inbound path stores first, the worker triages and routes.

Each email path (the token webhook, raw or JSON; a hosted provider through anymail;
``aftercare smtpd``) only authenticates, reads and stores the message (status *arrived*, once
per Message-ID) and answers; ``inbound.route_arrived`` — the worker's first step — does what
the request did before: replies matched by their token acknowledged, bounces recorded,
unmatched mail left for a person, a crisis sent to the practitioner. An inbound SMS belongs to
the practice whose number it was written to.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client as HttpClient
from twilio.request_validator import RequestValidator

from aftercare.messaging.inbound import route_arrived
from aftercare.messaging.models import (
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    UnroutedInbound,
)
from aftercare.messaging.services import message_queue
from aftercare.messaging.smtp import InboundHandler
from aftercare.messaging.tests.test_inbound_email import fixture_mail
from aftercare.messaging.worker import Worker
from aftercare.practice.models import Practice
from aftercare.testing import Personas, make_client

TOKEN = "inbound-token-0123456789"
HOOK = f"/hooks/email/{TOKEN}"
AUTH = "Basic " + base64.b64encode(f"aftercare:{TOKEN}".encode()).decode()
TWILIO_TOKEN = "twilio-auth-token-for-tests"


@pytest.fixture(autouse=True)
def inbound_settings(settings: Any) -> Any:
    settings.INBOUND_EMAIL_TOKEN = TOKEN
    settings.REPLY_DOMAIN = "reply.example.org"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_FROM = "+447700900999"
    return settings


def mime(to: str, body: str, *, sender: str = "ruth@example.org", message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Ruth Miller <{sender}>"
    mail["To"] = to
    mail["Subject"] = "Re: How are you doing?"
    mail["Message-ID"] = f"<{message_id}>"
    mail.set_content(body)
    return mail.as_bytes()


# Each email path, as a function posting (or handing over) one mail and answering its status.


def by_raw_webhook(client: HttpClient, to: str, raw: bytes) -> int:
    return client.post(HOOK, raw, content_type="message/rfc822").status_code


def by_json_webhook(client: HttpClient, to: str, raw: bytes) -> int:
    from email import message_from_bytes, policy

    parsed = message_from_bytes(raw, policy=policy.default)
    payload = {
        "from": str(parsed["From"]),
        "to": to,
        "subject": str(parsed["Subject"]),
        "text": parsed.get_body(preferencelist=("plain",)).get_content(),
        "message_id": str(parsed["Message-ID"] or ""),
    }
    return client.post(HOOK, json.dumps(payload), content_type="application/json").status_code


def by_postmark(client: HttpClient, to: str, raw: bytes) -> int:
    """Postmark's inbound JSON with the raw message ("Include raw email content"), via anymail."""
    payload = {"RawEmail": raw.decode(), "OriginalRecipient": to, "To": to}
    return client.post(
        "/hooks/email/postmark/inbound/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    ).status_code


def by_smtpd(client: HttpClient, to: str, raw: bytes) -> int:
    InboundHandler.store(raw, [to])
    return 200


EMAIL_PATHS = [by_raw_webhook, by_json_webhook, by_postmark, by_smtpd]
Path = Callable[[HttpClient, str, bytes], int]


@pytest.mark.parametrize("deliver", EMAIL_PATHS, ids=lambda f: f.__name__)
def test_each_email_path_stores_first_once_and_the_worker_routes_the_reply(
    personas: Personas, client: HttpClient, deliver: Path
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    to = f"reply+{sent.reply_token}@reply.example.org"
    raw = mime(to, "Hot sweats most nights since the new tablets.", message_id="r1@example.org")
    assert deliver(client, to, raw) == 200
    reply = Message.objects.get(direction=Direction.INBOUND)
    # Stored, matched by its token, and not yet read: nothing was triaged or sent back.
    assert reply.status == MessageStatus.ARRIVED
    assert reply.get_status_display() == "Not yet read by Aftercare"
    assert reply.client == personas.client and reply.in_reply_to == sent
    assert reply.triage_level == "" and reply.provider_id == "<r1@example.org>"
    assert not Message.objects.filter(template_key="reply_acknowledgement").exists()
    # The provider retries (or the mail is delivered again): stored once.
    assert deliver(client, to, raw) == 200
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert route_arrived() == 1
    reply.refresh_from_db()
    assert reply.status == MessageStatus.RECEIVED and reply.triage_level == "attention"
    ack = Message.objects.get(template_key="reply_acknowledgement")
    assert ack.channel == "email" and ack.in_reply_to == reply
    assert route_arrived() == 0  # routed once


def without_message_id(raw: bytes) -> bytes:
    return b"".join(
        line
        for line in raw.splitlines(keepends=True)
        if not line.lower().startswith(b"message-id:")
    )


@pytest.mark.parametrize("deliver", EMAIL_PATHS, ids=lambda f: f.__name__)
def test_a_mail_without_a_message_id_is_stored_once_however_often_it_comes(
    personas: Personas, client: HttpClient, deliver: Path
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    to = f"reply+{sent.reply_token}@reply.example.org"
    # An iPhone reply whose Message-ID was lost on the way, and the client's next one.
    first = without_message_id(fixture_mail("iphone_bottom_post.eml", sent.reply_token))
    later = first.replace(b"14:31:45", b"14:52:10").replace(
        b"I have an itchy rash on both arms since Friday.", b"The rash has spread to my neck."
    )
    assert b"message-id" not in first.lower()
    for raw in (first, first, later, first, later):  # retried webhooks, a second delivery
        assert deliver(client, to, raw) == 200
    stored = Message.objects.filter(direction=Direction.INBOUND).order_by("id")
    assert [reply.text_body for reply in stored] == [
        "I have an itchy rash on both arms since Friday.",
        "The rash has spread to my neck.",
    ]
    assert all(reply.provider_id.startswith("sha256:") for reply in stored)
    assert route_arrived() == 2


@pytest.mark.parametrize("deliver", EMAIL_PATHS, ids=lambda f: f.__name__)
def test_a_bounce_is_stored_first_and_the_worker_fails_the_message(
    personas: Personas, client: HttpClient, deliver: Path
) -> None:
    if deliver is by_json_webhook:
        pytest.skip("a delivery report is MIME (multipart/report)")
    sent = message_queue(client=personas.client, template_key="check_in")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    to = f"bounce+{sent.reply_token}@reply.example.org"
    raw = fixture_mail("postfix_dsn_failed.eml", sent.reply_token, MESSAGEID="unrelated@x")
    assert deliver(client, to, raw) == 200
    bounce = Message.objects.get(direction=Direction.INBOUND)
    assert bounce.kind == MessageKind.BOUNCE and bounce.status == MessageStatus.ARRIVED
    assert bounce.in_reply_to == sent
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT  # not yet: the worker records it
    assert deliver(client, to, raw) == 200
    assert route_arrived() == 1
    sent.refresh_from_db()
    personas.client.refresh_from_db()
    assert sent.status == MessageStatus.FAILED and "5.1.1" in sent.status_reason
    assert personas.client.email_unusable is True
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert not Message.objects.filter(template_key="reply_acknowledgement").exists()


def test_a_delayed_delivery_report_is_routed_and_keeps_the_address(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    raw = fixture_mail("postfix_dsn_delayed.eml", sent.reply_token, MESSAGEID="x@y")
    assert by_raw_webhook(client, "", raw) == 200
    assert route_arrived() == 1
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


def test_an_auto_reply_needs_no_routing(personas: Personas, client: HttpClient) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    assert by_raw_webhook(client, "", fixture_mail("gmail_vacation.eml", sent.reply_token)) == 200
    auto = Message.objects.get(direction=Direction.INBOUND)
    assert auto.kind == MessageKind.AUTO_REPLY and auto.status == MessageStatus.RECEIVED
    assert route_arrived() == 0


STRANGER, STRANGER_TO = "someone@example.net", "hello@reply.example.org"


@pytest.mark.parametrize("deliver", EMAIL_PATHS, ids=lambda f: f.__name__)
def test_unmatched_mail_waits_for_a_person_or_the_operator(
    personas: Personas, client: HttpClient, deliver: Path
) -> None:
    # A stranger writing to no token: two practices on this deployment, so no practice is
    # told; kept for the operator to assign, once.
    raw = mime(STRANGER_TO, "Do you take new clients?", sender=STRANGER, message_id="s@x.org")
    assert deliver(client, STRANGER_TO, raw) == 200
    assert deliver(client, STRANGER_TO, raw) == 200
    assert UnroutedInbound.objects.count() == 1
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()
    # On a deployment of one practice, the stranger's mail is that practice's: stored,
    # routed, and left in the unmatched inbox for a person.
    Practice.objects.filter(pk=personas.other_practice.pk).delete()
    raw = mime(STRANGER_TO, "Is there parking?", sender=STRANGER, message_id="s2@x.org")
    assert deliver(client, STRANGER_TO, raw) == 200
    assert route_arrived() == 1
    unmatched = Message.objects.get(direction=Direction.INBOUND)
    assert unmatched.client is None and unmatched.practice == personas.practice
    assert unmatched.status == MessageStatus.RECEIVED and unmatched.triage_level == "routine"
    assert not Message.objects.filter(template_key="reply_acknowledgement").exists()


def test_a_crisis_by_email_reaches_the_practitioner_through_the_worker(
    personas: Personas, client: HttpClient
) -> None:
    """End to end: the webhook stores it, the worker's next pass triages it first and sends
    the emergency numbers and the practitioner's alert."""
    sent = message_queue(client=personas.client, template_key="check_in")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    to = f"reply+{sent.reply_token}@reply.example.org"
    raw = mime(to, "I want to end my life tonight.", message_id="crisis@example.org")
    assert by_raw_webhook(client, to, raw) == 200
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.triage_level == "" and inbound.status == MessageStatus.ARRIVED
    assert not Message.objects.filter(template_key="staff_alert").exists()
    Worker().run_until_idle()
    inbound.refresh_from_db()
    assert inbound.triage_level == "crisis" and inbound.status == MessageStatus.RECEIVED
    alert = Message.objects.get(template_key="staff_alert", in_reply_to=inbound)
    assert alert.status == "sent" and alert.to_address == personas.client.primary_practitioner.email
    support = Message.objects.get(template_key="crisis_support")
    assert support.status == "sent" and support.channel == "email"


# --- the practice found by the number written to --------------------------------------------


def post_sms(client: HttpClient, params: dict[str, str], path: str = "/hooks/twilio/sms") -> Any:
    from django.conf import settings

    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{settings.BASE_URL}{path}", params
    )
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def sms(sender: str, to: str, body: str, sid: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }


RIVERSIDE_NUMBER = "+447700100111"
HILLSIDE_NUMBER = "+12025550190"


@pytest.fixture
def numbered(personas: Personas) -> Personas:
    Practice.objects.filter(pk=personas.practice.pk).update(sms_number=RIVERSIDE_NUMBER)
    Practice.objects.filter(pk=personas.other_practice.pk).update(sms_number=HILLSIDE_NUMBER)
    return personas


def test_the_practice_is_the_one_whose_number_was_written_to(
    numbered: Personas, client: HttpClient
) -> None:
    # Ruth is Riverside's client, and the same person sees Hillside too, by the same phone.
    ruth = numbered.client
    at_hillside = make_client(numbered.other_practice, given_name="Ruth", phone=ruth.phone)
    for sid, to, practice, matched in [
        ("SM" + "1" * 32, RIVERSIDE_NUMBER, numbered.practice, ruth),
        ("SM" + "2" * 32, HILLSIDE_NUMBER, numbered.other_practice, at_hillside),
        ("SM" + "3" * 32, f"whatsapp:{HILLSIDE_NUMBER}", numbered.other_practice, at_hillside),
    ]:
        params = sms(ruth.phone, to, "Running late, sorry", sid)
        if to.startswith("whatsapp:"):
            params["From"] = f"whatsapp:{ruth.phone}"
        assert post_sms(client, params).status_code == 200
        message = Message.objects.get(provider_id=sid)
        assert message.practice == practice and message.client == matched
        assert message.status == MessageStatus.ARRIVED
    assert route_arrived() == 3


def test_a_stranger_writing_to_a_practices_number_waits_in_that_practices_inbox(
    numbered: Personas, client: HttpClient
) -> None:
    post_sms(client, sms("+447700900555", HILLSIDE_NUMBER, "New phone, it's me", "SM" + "4" * 32))
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.practice == numbered.other_practice and message.client is None
    assert not UnroutedInbound.objects.exists()


@pytest.mark.parametrize("to", ["+447700900222", "not a number", ""])
def test_a_number_no_practice_has_falls_back_to_the_senders_phone(
    numbered: Personas, client: HttpClient, to: str
) -> None:
    post_sms(client, sms(numbered.client.phone, to, "Fine, thanks", "SM" + "5" * 32))
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.practice == numbered.practice and message.client == numbered.client


def test_the_practice_in_the_address_still_wins(numbered: Personas, client: HttpClient) -> None:
    path = f"/hooks/twilio/sms?practice={numbered.practice.pk}"
    post_sms(client, sms("+447700900555", HILLSIDE_NUMBER, "Hello", "SM" + "6" * 32), path)
    assert Message.objects.get(direction=Direction.INBOUND).practice == numbered.practice


def test_finding_the_practice_by_number_costs_one_indexed_query(
    numbered: Personas, django_assert_num_queries: Any
) -> None:
    from aftercare.messaging.inbound import practice_for_number

    with django_assert_num_queries(1):
        assert practice_for_number(HILLSIDE_NUMBER) == numbered.other_practice
    with django_assert_num_queries(0):
        assert practice_for_number("  ") is None
