"""Amazon SNS bodies as SNS posts them, signed with a test key and certificate of our own.

The shapes follow AWS's documentation: the SNS HTTP(S) notification JSON ("Parsing message
formats") around an SES receipt notification ("Contents of notifications for Amazon SES email
receiving": ``notificationType``, ``mail``, ``receipt`` with its ``action``, and ``content``, the
raw MIME in base64). Only the certificate is ours; the signing is SNS's own algorithm.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from aftercare.messaging.sns import string_to_sign

REGION = "eu-west-1"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:aftercare-inbound"
CERT_URL = (
    f"https://sns.{REGION}.amazonaws.com/"
    "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
)


@dataclass
class Signer:
    """A key and a self-made certificate standing in for SNS's; ``fetched`` records every GET."""

    key: rsa.RSAPrivateKey
    pem: bytes
    fetched: list[str] = field(default_factory=list)

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url.endswith(".pem"):
            return self.pem
        return b"<ConfirmSubscriptionResponse/>"

    def sign(self, message: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 (SNS v1)
        signature = self.key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
        return {
            **message,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": message.get("SigningCertURL", CERT_URL),
        }


def make_signer(*, valid_until: dt.datetime | None = None) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    not_before = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(valid_until or dt.datetime(2027, 12, 31, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )
    return Signer(key=key, pem=certificate.public_bytes(serialization.Encoding.PEM))


def ses_received(raw: bytes, *, recipient: str, source: str = "ruth@example.org") -> dict[str, Any]:
    """An SES receipt notification for ``raw`` with a receipt rule's SNS action (base64)."""
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-11-30T14:12:09.512Z",
            "source": source,
            "messageId": "o3vrnil0e2ic28trm7dfhrc2v0clambfu8jpqeo1",
            "destination": [recipient],
            "headersTruncated": False,
            "headers": [
                {"name": "Return-Path", "value": f"<{source}>"},
                {"name": "From", "value": f"Ruth Miller <{source}>"},
                {"name": "To", "value": recipient},
                {"name": "Subject", "value": "Re: How are you doing, Ruth?"},
            ],
            "commonHeaders": {
                "returnPath": source,
                "from": [f"Ruth Miller <{source}>"],
                "date": "Mon, 30 Nov 2026 14:12:09 +0000",
                "to": [recipient],
                "messageId": "<CAF8kq3u1ses@mail.gmail.com>",
                "subject": "Re: How are you doing, Ruth?",
            },
        },
        "receipt": {
            "timestamp": "2026-11-30T14:12:09.512Z",
            "processingTimeMillis": 222,
            "recipients": [recipient],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"},
        },
        "content": base64.b64encode(raw).decode(),
    }


def notification(ses: dict[str, Any]) -> dict[str, Any]:
    """The SNS envelope around an SES notification, unsigned."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC,
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(ses),
        "Timestamp": "2026-11-30T14:12:10.123Z",
        "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe"
        f"&SubscriptionArn={TOPIC}:0c3b1f0e-9d1b-4b9e-8f1c-2c6bd7e2a3b4",
    }


def subscription_confirmation() -> dict[str, Any]:
    token = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a"
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.",
        "SubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}&Token={token}",
        "Timestamp": "2026-11-30T14:10:00.000Z",
    }


def sns_headers(message: dict[str, Any], *, auth: str) -> dict[str, str]:
    """The headers SNS sends with a message (as Django's test client takes them)."""
    return {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": str(message.get("Type")),
        "HTTP_X_AMZ_SNS_MESSAGE_ID": str(message.get("MessageId")),
        "HTTP_X_AMZ_SNS_TOPIC_ARN": TOPIC,
        "HTTP_AUTHORIZATION": auth,
    }
