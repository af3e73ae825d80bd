"""Hosted inbound mail providers, through django-anymail, into the one inbound path.

Mailgun, Postmark, SendGrid and Amazon SES each post inbound mail in their own documented format.
django-anymail (kept, widely used) parses every one of them into a standard
``email.message.EmailMessage`` and checks each provider's signature; this module only
guards the addresses and hands each message to ``smtp.store_parsed`` — the same path as
``aftercare smtpd`` and ``/hooks/email/TOKEN``, so quotes, auto-replies, bounces and
attachments are handled once, for all of them. The message is stored first (once per
Message-ID) and the worker triages and routes it (``inbound.route_arrived``).

| provider | address | checked by |
|---|---|---|
| Mailgun | ``/hooks/email/mailgun/inbound_mime/`` (route action ``forward()`` to the MIME URL) | HMAC-SHA256 ``signature`` of ``timestamp`` + ``token`` with ``AFTERCARE_MAILGUN_WEBHOOK_SIGNING_KEY``, and basic auth |
| Postmark | ``/hooks/email/postmark/inbound/`` (JSON; "Include raw email content" on or off) | basic auth |
| SendGrid | ``/hooks/email/sendgrid/inbound/`` (Inbound Parse, raw or parsed) | basic auth |
| Amazon SES | ``/hooks/email/amazon_ses/inbound/`` (a receipt rule's SNS action, base64, or S3 action, through an SNS topic subscribed over HTTPS) | the SNS message signature (``messaging/sns.py``: Amazon's certificate from an ``sns.<region>.amazonaws.com`` address), and basic auth |

Basic auth is ``aftercare:AFTERCARE_INBOUND_EMAIL_TOKEN`` in the address the provider posts to
(``https://aftercare:TOKEN@host/hooks/email/postmark/inbound/``): Postmark and SendGrid sign
nothing else. Without the token (and, for Mailgun, the signing key) the addresses answer 404.
A refusal is a 400 with the reason in JSON, and nothing is stored.

Amazon SES: anyone with an AWS account can point an SNS topic at our address and SNS signs
*their* messages too, so the signature proves the sender is SNS and basic auth proves the topic
is ours (as anymail reasons). A ``SubscriptionConfirmation`` that passes both is confirmed by
visiting its ``SubscribeURL`` (no AWS credentials needed); the S3 action downloads the message
with boto3 and the deployment's AWS credentials (anymail's ``AMAZON_SES_CLIENT_PARAMS``).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Any

from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailWebhookValidationFailure,
)
from anymail.signals import inbound
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView, AnymailBotoClientAPIError
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from aftercare import clock
from aftercare.messaging import sns
from aftercare.messaging.smtp import parse_raw, store_parsed

log = logging.getLogger("aftercare.hooks")


class MailgunInbound(MailgunInboundWebhookView):
    webhook_secret = None  # (a class attribute, so ``as_view`` may set it per request)


class PostmarkInbound(PostmarkInboundWebhookView):
    webhook_secret = None


class SendGridInbound(SendGridInboundWebhookView):
    webhook_secret = None


# The one way out to Amazon SNS (certificates, subscription confirmations); tests replace it.
SNS = sns.SnsEndpoint(fetch=sns.fetch_over_https)


def ses_shape_problem(ses_event: Any) -> str:
    """What in an SES notification is not of the type AWS documents, or ``""``."""
    if not isinstance(ses_event, dict):
        return "not an object"
    mail, receipt = ses_event.get("mail", {}), ses_event.get("receipt", {})
    if not isinstance(mail, dict) or not isinstance(receipt, dict):
        return "mail or receipt is not an object"
    action, verdict = receipt.get("action", {}), receipt.get("spamVerdict", {})
    if not isinstance(action, dict) or not isinstance(verdict, dict):
        return "the receipt's action or spam verdict is not an object"
    texts = {
        "mail.source": mail.get("source", ""),
        "mail.timestamp": mail.get("timestamp", ""),
        "spamVerdict.status": verdict.get("status", ""),
        "action.encoding": action.get("encoding", ""),
    }
    if action.get("type") == "SNS":
        texts["content"] = ses_event.get("content")
    if action.get("type") == "S3":
        texts |= {"bucketName": action.get("bucketName"), "objectKey": action.get("objectKey")}
    recipients = receipt.get("recipients", [])
    if not isinstance(recipients, list):
        return "receipt.recipients is not a list"
    texts |= {"receipt.recipients": recipients[0] if recipients else ""}
    wrong = [name for name, value in texts.items() if not isinstance(value, str)]
    if wrong:
        return f"{wrong[0]} is not text"
    if action.get("type") == "SNS" and action.get("encoding") == "BASE64":
        try:
            base64.b64decode(texts["content"].encode("ascii"))
        except (UnicodeEncodeError, binascii.Error):
            return "content is not base64 as its encoding says"
    return ""


def refused(reason: str, *, status: int = 400) -> JsonResponse:
    log.warning("refused Amazon SES inbound webhook: %s", reason)
    return JsonResponse({"error": reason}, status=status)


class AmazonSESInbound(AmazonSESInboundWebhookView):
    """anymail's SES inbound view, with the SNS signature checked and errors answered in words.

    1. No ``Authorization`` header: 401 with a challenge (anymail), as SNS needs before it
       sends basic auth.
    2. A body that is not an SNS message object: 400.
    3. anymail's checks (basic auth; the ``x-amz-sns-message-type`` and ``-id`` headers match
       the body), then the signature (``sns.verify_sns_message``): else 400, nothing stored.
    4. anymail reads the SES notification (the SNS action's base64 ``content``, or the S3
       object) and sends its ``inbound`` signal: ``receive_from_provider`` below stores it.
       A notification this address cannot use (a *sending* event topic pointed here, an
       action other than SNS or S3) is refused with 400: SNS would only retry it.
    Amazon out of reach (fetching the certificate or an S3 object) is a 5xx: SNS retries.
    """

    webhook_secret = None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            message = self._parse_sns_message(request)
        except AnymailAPIError:
            return refused("the body is not an Amazon SNS message")
        if not isinstance(message, dict):
            return refused("the body is not an Amazon SNS message")
        try:
            return super().post(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as error:
            return refused(str(error))
        except sns.SnsUnreachable as error:
            log.warning("Amazon SES inbound webhook: %s", error)
            return JsonResponse({"error": "Amazon SNS could not be reached"}, status=503)
        except AnymailBotoClientAPIError:
            raise
        except (AnymailAPIError, AnymailConfigurationError) as error:
            return refused(str(error).split("\n")[0][:300])

    def run_validators(self, request: HttpRequest) -> None:
        super().run_validators(request)  # basic auth first: nothing fetched for a stranger
        try:
            sns.verify_sns_message(
                self._parse_sns_message(request), certificate_for=SNS.certificate, now=clock.now()
            )
        except sns.SnsSignatureError as error:
            raise AnymailWebhookValidationFailure(f"Amazon SNS signature: {error}") from error

    def esp_to_anymail_events(self, ses_event: Any, sns_message: dict[str, Any]) -> list[Any]:
        # anymail reads these fields trusting their types; a signed but odd notification (the
        # fuzz test's) is refused in words rather than crashing on them.
        problem = ses_shape_problem(ses_event)
        if problem:
            raise AnymailAPIError(f"not an Amazon SES receipt notification: {problem}")
        return super().esp_to_anymail_events(ses_event, sns_message)

    def auto_confirm_sns_subscription(self, sns_message: dict[str, Any]) -> None:
        # Both checks passed (run_validators): SNS sent it, for a topic given our password.
        try:
            topic = SNS.confirm_subscription(sns_message)
        except sns.SnsSignatureError as error:
            raise AnymailWebhookValidationFailure(f"Amazon SNS subscription: {error}") from error
        log.info("confirmed the Amazon SNS subscription to %s", topic)


def guarded(view_class: type, *, signing_key_setting: str = "") -> Callable[..., HttpResponse]:
    """The provider's view with this deployment's secrets, or 404 while they are not set."""

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = settings.INBOUND_EMAIL_TOKEN
        key = getattr(settings, signing_key_setting, "") if signing_key_setting else ""
        if not token or (signing_key_setting and not key):
            log.warning("refused %s inbound webhook: not configured", view_class.esp_name)
            return HttpResponse(status=404)
        options: dict[str, Any] = {"webhook_secret": [f"aftercare:{token}"]}
        if signing_key_setting:
            options["webhook_signing_key"] = key
        return view_class.as_view(**options)(request, *args, **kwargs)

    return view


mailgun_inbound = guarded(MailgunInbound, signing_key_setting="MAILGUN_WEBHOOK_SIGNING_KEY")
postmark_inbound = guarded(PostmarkInbound)
sendgrid_inbound = guarded(SendGridInbound)
amazon_ses_inbound = guarded(AmazonSESInbound)


def original_mime(event: Any) -> bytes:
    """The message's bytes as they arrived where the provider hands them over, else re-written.

    SES's SNS action carries the mail itself (``content``): kept byte for byte, for the record.
    Other formats come as anymail's parsed message, written out again; a broken mail whose
    parts no longer encode as ASCII (found by the fuzz test) is written as text instead.
    """
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    action = (esp_event.get("receipt") or {}).get("action") or {}
    content = esp_event.get("content")
    if isinstance(action, dict) and action.get("type") == "SNS" and isinstance(content, str):
        if action.get("encoding") == "BASE64":
            return base64.b64decode(content.encode("ascii"))
        return content.encode("utf-8", "surrogateescape")
    try:
        return event.message.as_bytes()
    except (UnicodeError, LookupError):
        return event.message.as_string().encode("utf-8", "replace")


def receive_from_provider(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's ``inbound`` signal: the message as raw MIME into the one inbound path."""
    message = event.message
    parsed = parse_raw(original_mime(event))
    if getattr(message, "envelope_recipient", None):
        parsed["recipients"] = [message.envelope_recipient, *parsed["recipients"]]
    store_parsed(parsed)  # stored first; the worker triages and routes it


def connect() -> None:
    inbound.connect(receive_from_provider, dispatch_uid="aftercare-inbound-providers")
