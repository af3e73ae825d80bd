"""Hosted inbound mail providers, through django-anymail, into the one inbound path.

Mailgun, Postmark and SendGrid each post inbound mail in their own documented format.
django-anymail (kept, widely used) parses every one of them into a standard
``email.message.EmailMessage`` and checks each provider's signature; this module only
guards the addresses and hands each message to ``smtp.deliver_parsed`` — the same path as
``aftercare smtpd`` and ``/hooks/email/TOKEN``, so quotes, auto-replies, bounces and
attachments are handled once, for all of them.

| provider | address | checked by |
|---|---|---|
| Mailgun | ``/hooks/email/mailgun/inbound_mime/`` (route action ``forward()`` to the MIME URL) | HMAC-SHA256 ``signature`` of ``timestamp`` + ``token`` with ``AFTERCARE_MAILGUN_WEBHOOK_SIGNING_KEY``, and basic auth |
| Postmark | ``/hooks/email/postmark/inbound/`` (JSON; "Include raw email content" on or off) | basic auth |
| SendGrid | ``/hooks/email/sendgrid/inbound/`` (Inbound Parse, raw or parsed) | basic auth |

Basic auth is ``aftercare:AFTERCARE_INBOUND_EMAIL_TOKEN`` in the address the provider posts to
(``https://aftercare:TOKEN@host/hooks/email/postmark/inbound/``): Postmark and SendGrid sign
nothing else. Without the token (and, for Mailgun, the signing key) the addresses answer 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from anymail.signals import inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from aftercare.messaging.smtp import deliver_parsed, parse_raw

log = logging.getLogger("aftercare.hooks")


class MailgunInbound(MailgunInboundWebhookView):
    webhook_secret = None  # (a class attribute, so ``as_view`` may set it per request)


class PostmarkInbound(PostmarkInboundWebhookView):
    webhook_secret = None


class SendGridInbound(SendGridInboundWebhookView):
    webhook_secret = None


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


def receive_from_provider(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's ``inbound`` signal: the message as raw MIME into the one inbound path."""
    message = event.message
    parsed = parse_raw(message.as_bytes())
    if getattr(message, "envelope_recipient", None):
        parsed["recipients"] = [message.envelope_recipient, *parsed["recipients"]]
    deliver_parsed(parsed)


def connect() -> None:
    inbound.connect(receive_from_provider, dispatch_uid="aftercare-inbound-providers")
