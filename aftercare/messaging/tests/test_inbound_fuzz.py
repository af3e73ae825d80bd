"""Mutated mail and webhook bodies thrown at the inbound path: no crash, nothing lost.

Each example starts from a raw MIME fixture written as a real mail program writes it
(``tests/mail/``) or a webhook body of the documented shape, mutates it (bytes flipped, cut,
inserted, lines doubled, charsets and boundaries garbled), posts it to ``/hooks/email/TOKEN``
and checks that the answer is never a server error, and that a 200 always stored the message
(for its client, or kept unrouted for the operator) while a refusal says why. Amazon SES bodies
go to their own address, signed by a test SNS key: a mutated mail inside a validly signed
notification, and SNS envelopes with fields dropped or mistyped, signed again or not.
"""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftercare.messaging import providers
from aftercare.messaging.models import Direction, Message, UnroutedInbound
from aftercare.messaging.services import message_queue
from aftercare.messaging.smtp import InboundHandler
from aftercare.messaging.sns import SnsEndpoint, SnsSignatureError
from aftercare.messaging.tests import sns_signing
from aftercare.testing import Personas

HOOK = "/hooks/email/inbound-token-0123456789"
MAIL = Path(__file__).resolve().parent / "mail"
FIXTURES = sorted(path.name for path in MAIL.glob("*.eml"))
GARBLE = [b"unknown-8bit", b"utf-7", b"x-nonsense", b"", b'"', b"\xff\xfe", b"base64", b"--"]


@st.composite
def mutated(draw: Any, raw: bytes) -> bytes:
    """``raw`` after one to six mutations a broken mailer or a bad connection could make."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(["flip", "cut", "insert", "double", "garble", "tail"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif operation == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=80))
        elif operation == "double":
            lines = bytes(data).split(b"\r\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            data = bytearray(b"\r\n".join(lines))
        elif operation == "garble":
            for word in (b"charset=", b"boundary=", b"Content-Transfer-Encoding: "):
                found = bytes(data).find(word)
                if found >= 0:
                    start = found + len(word)
                    data[start : start + 8] = draw(st.sampled_from(GARBLE))
        else:
            data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@st.composite
def mutated_fixture(draw: Any) -> bytes:
    raw = (MAIL / draw(st.sampled_from(FIXTURES))).read_bytes()
    return draw(mutated(raw))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def webhook_json(draw: Any, token: str) -> dict[str, Any]:
    """A body of the documented shape with fields left out, mistyped or odd."""
    body: dict[str, Any] = {
        "from": draw(
            st.sampled_from(["ruth@example.org", "Mara Eval <mara@example.org>", "", "x"])
        ),
        "to": draw(
            st.sampled_from(
                [f"reply+{token}@reply.example.org", [f"reply+{token}@reply.example.org"], "", []]
            )
        ),
        "subject": draw(st.text(max_size=60)),
        "text": draw(st.text(max_size=300)),
        "html": draw(st.sampled_from(["", "<p>Hi &amp; <b>bye", "<style>x{}</style><p>ok</p>"])),
    }
    for key in draw(st.lists(st.sampled_from(["from", "to", "text", "headers", "attachments"]))):
        body[key] = draw(JSON_VALUES)
    return body


def stored_or_refused(response: Any) -> None:
    assert response.status_code in (200, 400, 413), response.content[:300]
    if response.status_code == 200:
        inbound = Message.objects.filter(direction=Direction.INBOUND).count()
        assert inbound + UnroutedInbound.objects.count() == 1
    else:
        assert response.json()["error"]  # refused, saying why
        assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def fresh() -> None:
    Message.objects.filter(direction=Direction.INBOUND).delete()
    UnroutedInbound.objects.all().delete()


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def reply_token(personas: Personas, settings: Any) -> str:
    settings.INBOUND_EMAIL_TOKEN = "inbound-token-0123456789"
    settings.REPLY_DOMAIN = "reply.example.org"
    return message_queue(client=personas.client, template_key="check_in").reply_token


@FUZZ
@given(data=st.data())
def test_mutated_mime_is_stored_or_refused_never_a_crash(
    reply_token: str, client: HttpClient, data: Any
) -> None:
    fresh()
    raw = data.draw(mutated_fixture()).replace(b"REPLYTOKEN", reply_token.encode())
    stored_or_refused(client.post(HOOK, raw, content_type="message/rfc822"))


@FUZZ
@given(data=st.data())
def test_mutated_mime_through_smtpd_is_stored_never_a_451(reply_token: str, data: Any) -> None:
    fresh()
    raw = data.draw(mutated_fixture()).replace(b"REPLYTOKEN", reply_token.encode())
    # handle_DATA answers 451 (and the sender bounces it) only when this raises.
    InboundHandler.store(raw, [f"reply+{reply_token}@reply.example.org"])
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


@FUZZ
@given(data=st.data())
def test_odd_json_bodies_are_stored_or_refused_with_a_reason(
    reply_token: str, client: HttpClient, data: Any
) -> None:
    fresh()
    body = data.draw(webhook_json(reply_token))
    stored_or_refused(client.post(HOOK, json.dumps(body), content_type="application/json"))


SES_HOOK = "/hooks/email/amazon_ses/inbound/"
SES_AUTH = "Basic " + base64.b64encode(b"aftercare:inbound-token-0123456789").decode()
SES_FIELDS = ["notificationType", "mail", "receipt", "content", "action", "encoding", "type"]
SNS_FIELDS = ["Type", "MessageId", "Message", "Subject", "Timestamp", "TopicArn", "Signature"]


@pytest.fixture
def signer(reply_token: str, monkeypatch: pytest.MonkeyPatch) -> sns_signing.Signer:
    made = sns_signing.make_signer()
    monkeypatch.setattr(providers, "SNS", SnsEndpoint(fetch=made.fetch))
    return made


def post_sns(client: HttpClient, body: Any) -> Any:
    headers = sns_signing.sns_headers(body if isinstance(body, dict) else {}, auth=SES_AUTH)
    return client.post(SES_HOOK, json.dumps(body), content_type="text/plain", **headers)


SES_FUZZ = settings(FUZZ, max_examples=60)


@SES_FUZZ
@given(data=st.data())
def test_mutated_mime_inside_a_signed_ses_notification_is_stored_or_refused(
    reply_token: str, signer: sns_signing.Signer, client: HttpClient, data: Any
) -> None:
    fresh()
    raw = data.draw(mutated_fixture()).replace(b"REPLYTOKEN", reply_token.encode())
    ses = sns_signing.ses_received(raw, recipient=f"reply+{reply_token}@reply.example.org")
    stored_or_refused(post_sns(client, signer.sign(sns_signing.notification(ses))))


@SES_FUZZ
@given(data=st.data())
def test_odd_ses_and_sns_fields_signed_or_not_are_stored_or_refused(
    reply_token: str, signer: sns_signing.Signer, client: HttpClient, data: Any
) -> None:
    fresh()
    raw = (MAIL / "gmail_reply.eml").read_bytes().replace(b"REPLYTOKEN", reply_token.encode())
    ses = sns_signing.ses_received(raw, recipient=f"reply+{reply_token}@reply.example.org")
    for key in data.draw(st.lists(st.sampled_from(SES_FIELDS), max_size=3)):
        target = ses["receipt"] if key in ("action", "type", "encoding") else ses
        if key in ("type", "encoding"):
            receipt = ses["receipt"] if isinstance(ses["receipt"], dict) else {}
            target = receipt.get("action")
        if isinstance(target, dict):
            target[key] = data.draw(JSON_VALUES)
    envelope = sns_signing.notification(ses)
    for key in data.draw(st.lists(st.sampled_from(SNS_FIELDS), max_size=2)):
        envelope[key] = data.draw(JSON_VALUES)
    body = envelope
    if data.draw(st.booleans()):
        with contextlib.suppress(SnsSignatureError):  # fields SNS itself would never omit
            body = signer.sign(envelope)
    stored_or_refused(post_sns(client, body))


@pytest.mark.parametrize("content", ["\x80", "QUJDR", "A"])
def test_a_signed_ses_notification_whose_base64_is_not_is_refused_in_words(
    reply_token: str, signer: sns_signing.Signer, client: HttpClient, content: str
) -> None:
    # Found by the fuzz test above: anymail decoded the content trusting it (a 500).
    fresh()
    raw = (MAIL / "gmail_reply.eml").read_bytes().replace(b"REPLYTOKEN", reply_token.encode())
    ses = sns_signing.ses_received(raw, recipient=f"reply+{reply_token}@reply.example.org")
    ses["content"] = content
    ses["receipt"]["action"]["encoding"] = "BASE64"
    response = post_sns(client, signer.sign(sns_signing.notification(ses)))
    assert response.status_code == 400
    assert "base64" in response.json()["error"]
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def test_nul_and_lone_surrogates_become_a_replacement_character() -> None:
    # A mail declaring charset=utf-7 with 8-bit content decodes to lone surrogates, which
    # PostgreSQL refuses (found by the fuzz test above on PostgreSQL).
    from aftercare.messaging.inbound import storable

    assert storable("Tengo n\udb1bauseas\x00.") == "Tengo n\ufffdauseas\ufffd."
