"""Hosted inbound providers (Mailgun, Postmark, SendGrid, Amazon SES) in their documented formats."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from django.test import Client as HttpClient

from aftercare.messaging import providers, sns
from aftercare.messaging.inbound import route_arrived
from aftercare.messaging.models import Direction, Message, MessageKind
from aftercare.messaging.services import message_queue
from aftercare.messaging.sns import SnsEndpoint
from aftercare.messaging.tests import sns_signing
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
    assert route_arrived() == 1  # stored first; the worker triages and routes it
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
    assert route_arrived() == 1  # stored first; the worker triages and routes it
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
    assert route_arrived() == 1  # stored first; the worker triages and routes it
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client
    assert reply.text_body.startswith("Hot sweats most nights")


# Amazon SES: a receipt rule's SNS (or S3) action, posted by SNS and signed by it.

SES_HOOK = "/hooks/email/amazon_ses/inbound/"


@pytest.fixture(scope="module")
def signer_key() -> sns_signing.Signer:
    return sns_signing.make_signer()


@pytest.fixture
def signer(signer_key: sns_signing.Signer, monkeypatch: pytest.MonkeyPatch) -> sns_signing.Signer:
    """SNS's certificate served by the test signer: the one way out to Amazon, replaced."""
    signer_key.fetched = []
    monkeypatch.setattr(providers, "SNS", SnsEndpoint(fetch=signer_key.fetch))
    return signer_key


def post_sns(client: HttpClient, message: dict[str, Any], *, auth: str = AUTH) -> Any:
    return client.post(
        SES_HOOK,
        json.dumps(message),
        content_type="text/plain; charset=UTF-8",
        **sns_signing.sns_headers(message, auth=auth),
    )


def ses_reply(sent: Message) -> dict[str, Any]:
    recipient = f"reply+{sent.reply_token}@reply.example.org"
    return sns_signing.notification(
        sns_signing.ses_received(gmail_reply(sent), recipient=recipient)
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_amazon_ses_with_a_valid_sns_signature_takes_the_one_inbound_path(
    personas: Personas, client: HttpClient, sent: Message, signer: sns_signing.Signer, version: str
) -> None:
    response = post_sns(client, signer.sign(ses_reply(sent), version=version))
    assert response.status_code == 200, response.content
    assert route_arrived() == 1  # stored first; the worker triages and routes it
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client and reply.in_reply_to == sent
    assert reply.text_body.startswith("Hot sweats most nights")
    assert "chest pain" not in reply.text_body
    assert reply.triage_level == "attention"
    assert reply.kind == MessageKind.REPLY
    assert reply.raw_mime.replace(b"\r\n", b"\n") == gmail_reply(sent).replace(b"\r\n", b"\n")
    assert signer.fetched == [sns_signing.CERT_URL]


def test_amazon_ses_fetches_the_certificate_once(
    personas: Personas, client: HttpClient, sent: Message, signer: sns_signing.Signer
) -> None:
    for _ in range(2):
        assert post_sns(client, signer.sign(ses_reply(sent))).status_code == 200
    assert signer.fetched == [sns_signing.CERT_URL]


def test_amazon_ses_forged_tampered_or_unsigned_notifications_are_refused(
    personas: Personas, client: HttpClient, sent: Message, signer: sns_signing.Signer
) -> None:
    forger = sns_signing.make_signer()
    forged = forger.sign(ses_reply(sent))  # their key, SNS's certificate address
    tampered = signer.sign(ses_reply(sent))
    ses = json.loads(tampered["Message"])
    ses["content"] = base64.b64encode(b"From: ruth@example.org\r\n\r\nSend me money").decode()
    tampered["Message"] = json.dumps(ses)
    unsigned = {**ses_reply(sent), "SignatureVersion": "1", "Signature": ""}
    unsigned["SigningCertURL"] = sns_signing.CERT_URL
    their_certificate = forger.sign(
        {**ses_reply(sent), "SigningCertURL": "https://sns.eu-west-1.amazonaws.evil.example/x.pem"}
    )
    for body in (forged, tampered, unsigned, their_certificate):
        response = post_sns(client, body)
        assert response.status_code == 400, response.content
        assert response.json()["error"].startswith("Amazon SNS signature:")
    assert "not on an Amazon SNS host" in post_sns(client, their_certificate).json()["error"]
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()
    assert "https://sns.eu-west-1.amazonaws.evil.example/x.pem" not in signer.fetched


def test_amazon_ses_asks_for_basic_auth_and_refuses_a_wrong_password_before_fetching(
    personas: Personas, client: HttpClient, sent: Message, signer: sns_signing.Signer
) -> None:
    body = signer.sign(ses_reply(sent))
    headers = sns_signing.sns_headers(body, auth="")
    del headers["HTTP_AUTHORIZATION"]
    challenge = client.post(SES_HOOK, json.dumps(body), content_type="text/plain", **headers)
    assert challenge.status_code == 401
    assert challenge["WWW-Authenticate"].startswith("Basic")
    wrong = "Basic " + base64.b64encode(b"aftercare:guess").decode()
    assert post_sns(client, body, auth=wrong).status_code == 400
    assert signer.fetched == []
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def test_amazon_ses_subscription_is_confirmed_only_when_signed(
    personas: Personas, client: HttpClient, sent: Message, signer: sns_signing.Signer
) -> None:
    confirmation = sns_signing.subscription_confirmation()
    unsigned = {**confirmation, "SignatureVersion": "1", "Signature": "AAAA"}
    unsigned["SigningCertURL"] = sns_signing.CERT_URL
    assert post_sns(client, unsigned).status_code == 400
    assert confirmation["SubscribeURL"] not in signer.fetched
    assert post_sns(client, signer.sign(confirmation)).status_code == 200
    assert signer.fetched[-1] == confirmation["SubscribeURL"]
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def test_amazon_ses_refuses_what_is_not_a_received_mail_and_waits_when_amazon_is_away(
    personas: Personas,
    client: HttpClient,
    sent: Message,
    signer: sns_signing.Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bounce = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}, "mail": {}}
    response = post_sns(client, signer.sign(sns_signing.notification(bounce)))
    assert response.status_code == 400
    assert "sending" in response.json()["error"]
    assert post_sns(client, {"Type": "Notification"} | {"x": 1}).status_code == 400
    not_json = client.post(SES_HOOK, "[1, 2]", content_type="text/plain", HTTP_AUTHORIZATION=AUTH)
    assert not_json.status_code == 400

    def away(url: str) -> bytes:
        raise sns.SnsUnreachable(f"could not reach {url}: timed out")

    monkeypatch.setattr(providers, "SNS", SnsEndpoint(fetch=away))
    assert post_sns(client, signer.sign(ses_reply(sent))).status_code == 503
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


def test_amazon_ses_s3_action_downloads_the_message_with_boto3(
    personas: Personas,
    client: HttpClient,
    sent: Message,
    signer: sns_signing.Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The receipt rule stores the mail in S3 and notifies: anymail fetches the object."""
    raw = gmail_reply(sent)
    s3 = boto3.client(
        "s3", region_name="eu-west-1", aws_access_key_id="AKIA0", aws_secret_access_key="s"
    )
    stubber = Stubber(s3)
    stubber.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(raw), len(raw)), "ContentLength": len(raw)},
        {"Bucket": "aftercare-inbound", "Key": "mail/o3vrnil0e2ic28trm7dfhrc2v0clambfu8jpqeo1"},
    )
    stubber.activate()
    monkeypatch.setattr(providers.AmazonSESInbound, "get_boto_client", lambda self, name: s3)
    ses = sns_signing.ses_received(raw, recipient=f"reply+{sent.reply_token}@reply.example.org")
    del ses["content"]
    ses["receipt"]["action"] = {
        "type": "S3",
        "topicArn": sns_signing.TOPIC,
        "bucketName": "aftercare-inbound",
        "objectKeyPrefix": "mail",
        "objectKey": "mail/o3vrnil0e2ic28trm7dfhrc2v0clambfu8jpqeo1",
    }
    response = post_sns(client, signer.sign(sns_signing.notification(ses)))
    assert response.status_code == 200, response.content
    stubber.assert_no_pending_responses()
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client
    assert reply.text_body.startswith("Hot sweats most nights")
