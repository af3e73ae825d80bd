"""Hosted inbound providers (Mailgun, Postmark, SendGrid) in their documented formats."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from aftercare.messaging.models import Direction, Message, MessageKind
from aftercare.messaging.services import message_queue
from aftercare.testing import Personas

TOKEN = "inbound-token-0123456789"
SIGNING_KEY = "key-mailgun-signing-0123456789abcdef"
MAIL = Path(__file__).resolve().parent / "mail"
AUTH = "Basic " + base64.b64encode(f"aftercare:{TOKEN}".encode()).decode()


@pytest.fixture
def sent(personas: Personas, settings: Any) -> Message:
    settings.INBOUND_EMAIL_TOKEN = TOKEN
    settings.REPLY_DOMAIN = "reply.example.org"
    settings.MAILGUN_WEBHOOK_SIGNING_KEY = SIGNING_KEY
    return message_queue(client=personas.client, template_key="check_in")


def gmail_reply(sent: Message) -> bytes:
    return (MAIL / "gmail_reply.eml").read_bytes().replace(b"REPLYTOKEN", sent.reply_token.encode())


def mailgun_form(sent: Message, *, key: str = SIGNING_KEY) -> dict[str, str]:
    """Mailgun's forward() to a .../mime URL: the raw message in body-mime, signed."""
    timestamp, token = "1796040000", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "recipient": f"reply+{sent.reply_token}@reply.example.org",
        "sender": "ruth@example.org",
        "from": "Ruth Miller <ruth@example.org>",
        "subject": "Re: How are you doing, Ruth?",
        "body-mime": gmail_reply(sent).decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def test_mailgun_mime_with_a_valid_signature_takes_the_one_inbound_path(
    personas: Personas, client: HttpClient, sent: Message
) -> None:
    response = client.post(
        "/hooks/email/mailgun/inbound_mime/", mailgun_form(sent), HTTP_AUTHORIZATION=AUTH
    )
    assert response.status_code == 200
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client and reply.in_reply_to == sent
    assert reply.text_body.startswith("Hot sweats most nights")
    assert "chest pain" not in reply.text_body
    assert reply.triage_level == "attention"
    assert reply.kind == MessageKind.REPLY


def test_mailgun_with_a_forged_signature_or_no_key_is_refused(
    personas: Personas, client: HttpClient, sent: Message, settings: Any
) -> None:
    forged = mailgun_form(sent, key="key-someone-else")
    response = client.post("/hooks/email/mailgun/inbound_mime/", forged, HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 400
    settings.MAILGUN_WEBHOOK_SIGNING_KEY = ""
    unset = client.post(
        "/hooks/email/mailgun/inbound_mime/", mailgun_form(sent), HTTP_AUTHORIZATION=AUTH
    )
    assert unset.status_code == 404
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def postmark_body(sent: Message) -> dict[str, Any]:
    """Postmark's inbound JSON, as its documentation shows it (no raw email)."""
    address = f"reply+{sent.reply_token}@reply.example.org"
    return {
        "FromName": "Ruth Miller",
        "MessageStream": "inbound",
        "From": "ruth@example.org",
        "FromFull": {"Email": "ruth@example.org", "Name": "Ruth Miller", "MailboxHash": ""},
        "To": f'"Riverside Practice" <{address}>',
        "ToFull": [{"Email": address, "Name": "Riverside Practice", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": address,
        "Subject": "Re: How are you doing, Ruth?",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Mon, 30 Nov 2026 14:12:09 +0000",
        "TextBody": "My ankles are swollen since Friday.\n\nOn Mon, 30 Nov 2026 at 09:00, "
        f"Riverside Practice <{address}> wrote:\n\n> Any side effects, chest pain?\n",
        "HtmlBody": "",
        "StrippedTextReply": "My ankles are swollen since Friday.",
        "Tag": "",
        "Headers": [
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "Message-ID", "Value": "<CAF8kq3u1postmark@mail.gmail.com>"},
        ],
        "Attachments": [
            {
                "Name": "ankles.jpg",
                "Content": base64.b64encode(b"\xff\xd8\xff\xe0 ankles").decode(),
                "ContentType": "image/jpeg",
                "ContentLength": 11,
            }
        ],
    }


def test_postmark_json_with_basic_auth_keeps_the_reply_and_its_photo(
    personas: Personas, client: HttpClient, sent: Message
) -> None:
    response = client.post(
        "/hooks/email/postmark/inbound/",
        json.dumps(postmark_body(sent)),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 200
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client
    assert reply.text_body == "My ankles are swollen since Friday."
    assert reply.triage_level == "attention"
    assert reply.attachment_summary == "sent a photo"


def test_postmark_without_the_password_is_refused(
    personas: Personas, client: HttpClient, sent: Message
) -> None:
    wrong = "Basic " + base64.b64encode(b"aftercare:guess").decode()
    response = client.post(
        "/hooks/email/postmark/inbound/",
        json.dumps(postmark_body(sent)),
        content_type="application/json",
        HTTP_AUTHORIZATION=wrong,
    )
    assert response.status_code == 400
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def test_sendgrid_inbound_parse_raw_takes_the_one_inbound_path(
    personas: Personas, client: HttpClient, sent: Message
) -> None:
    """SendGrid Inbound Parse with "POST the raw, full MIME message" on (multipart form)."""
    address = f"reply+{sent.reply_token}@reply.example.org"
    form = {
        "email": gmail_reply(sent).decode(),
        "to": f"Riverside Practice <{address}>",
        "from": "Ruth Miller <ruth@example.org>",
        "subject": "Re: How are you doing, Ruth?",
        "envelope": json.dumps({"to": [address], "from": "ruth@example.org"}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        "SPF": "pass",
        "dkim": "{@gmail.com : pass}",
        "spam_score": "0.1",
        "sender_ip": "209.85.220.41",
    }
    response = client.post("/hooks/email/sendgrid/inbound/", form, HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 200
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client
    assert reply.text_body.startswith("Hot sweats most nights")
