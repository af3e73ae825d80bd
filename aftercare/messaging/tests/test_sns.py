"""Amazon SNS signatures, checked as AWS documents them (``messaging/sns.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftercare.messaging.sns import (
    SnsEndpoint,
    SnsSignatureError,
    check_sns_url,
    string_to_sign,
    verify_sns_message,
)
from aftercare.messaging.tests import sns_signing

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def signer() -> sns_signing.Signer:
    return sns_signing.make_signer()


def verify(signer: sns_signing.Signer, message: dict[str, Any], *, now: dt.datetime = NOW) -> None:
    verify_sns_message(
        message, certificate_for=SnsEndpoint(fetch=signer.fetch).certificate, now=now
    )


def test_the_string_to_sign_is_the_fields_in_aws_order_with_subject_only_when_present() -> None:
    message = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "hi"}
    message["Timestamp"] = "2026-11-30T14:12:10.123Z"
    assert string_to_sign(message) == (
        b"Message\nhi\nMessageId\nm\nTimestamp\n2026-11-30T14:12:10.123Z\nTopicArn\nt\n"
        b"Type\nNotification\n"
    )
    assert b"Subject\nHello\nTimestamp" in string_to_sign({**message, "Subject": "Hello"})


def test_a_signed_notification_and_confirmation_pass_in_both_versions(
    signer: sns_signing.Signer,
) -> None:
    notification = sns_signing.notification({"notificationType": "Received"})
    for version in ("1", "2"):
        verify(signer, signer.sign(notification, version=version))
        verify(signer, signer.sign(sns_signing.subscription_confirmation(), version=version))


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://user@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://s3.eu-west-1.amazonaws.com/cert.pem",
        "",
        None,
    ],
)
def test_a_certificate_anywhere_but_an_sns_host_is_refused_before_fetching(url: Any) -> None:
    with pytest.raises(SnsSignatureError):
        check_sns_url(url, what="signing certificate address")


def test_a_china_region_host_is_an_sns_host() -> None:
    url = "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem"
    assert check_sns_url(url, what="signing certificate address") == url


def test_changed_fields_other_keys_odd_versions_and_expired_certificates_are_refused(
    signer: sns_signing.Signer,
) -> None:
    signed = signer.sign(sns_signing.notification({"notificationType": "Received"}))
    for changed in (
        {**signed, "Message": signed["Message"] + " "},
        {**signed, "TopicArn": "arn:aws:sns:eu-west-1:999999999999:theirs"},
        {**signed, "Subject": None},
        {**signed, "SignatureVersion": "3"},
        {**signed, "Signature": "not base64!"},
        {**signed, "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/index.html"},
        {**sns_signing.make_signer().sign(signed)},
        {**signed, "Type": "Announcement"},
        {**signed, "Type": ["Notification"]},  # found by the fuzz test
    ):
        with pytest.raises(SnsSignatureError):
            verify(signer, changed)
    with pytest.raises(SnsSignatureError, match="not valid now"):
        verify(signer, signed, now=dt.datetime(2028, 1, 1, tzinfo=dt.UTC))


def test_an_unreadable_certificate_is_refused() -> None:
    endpoint = SnsEndpoint(fetch=lambda url: b"<html>Not a certificate</html>")
    with pytest.raises(SnsSignatureError, match="cannot be read"):
        endpoint.certificate(sns_signing.CERT_URL)
