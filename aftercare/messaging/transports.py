"""Transports: one class per channel, each turning a Message into a provider call.

Only the worker calls a transport. A transport raises ``TransportError(permanent=…)``:
permanent errors (an invalid number, a hard bounce) fail the message and mark the address
unusable; the others are retried with backoff. Without provider settings every channel uses
the ``PreviewTransport``: the message is kept in the preview outbox and nothing leaves the
machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import smtplib
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.urls import reverse

from aftercare import clock
from aftercare.links import portal_url
from aftercare.messaging.attachments import MAX_ATTACHMENT_BYTES

if TYPE_CHECKING:
    from aftercare.messaging.models import Message
    from aftercare.practice.models import Practice


class TransportError(Exception):
    """``permanent``: retrying will not help; ``unsubscribed``: the recipient opted out with
    the provider (Twilio 21610 after a STOP we never saw), so the client is opted out here too
    rather than their number marked unusable."""

    def __init__(
        self, message: str, *, permanent: bool = False, unsubscribed: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or unsubscribed
        self.unsubscribed = unsubscribed


class Transport:
    """Send messages of one channel; ``open``/``close`` bracket a batch (one SMTP connection)."""

    preview = False

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def send(self, message: Message) -> str:
        """Hand ``message`` to the provider and return the provider's id for it."""
        raise NotImplementedError

    def per_second(self) -> float | None:
        """How many messages a second the provider lets one sender send, or None (no limit)."""
        return None

    def rate(self, message: Message) -> tuple[str, float] | None:
        """``(sender, messages per second)`` for the sender ``message`` goes from, or None."""
        return None


class PreviewTransport(Transport):
    """Keeps the message in the outbox (status sent, provider id "preview")."""

    preview = True

    def send(self, message: Message) -> str:
        return "preview"


def unsubscribe_headers(message: Message) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: an https one-click link and a mailto fallback."""

    if message.client_id is None:
        return {}
    url = portal_url("unsubscribe", message.client_id)
    mailto = ""
    if settings.REPLY_DOMAIN:
        mailto = f", <mailto:unsubscribe+{message.reply_token}@{settings.REPLY_DOMAIN}?subject=unsubscribe>"
    return {
        "List-Unsubscribe": f"<{url}>{mailto}",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def envelope_address(address: str, encoding: str | None) -> str:
    """The address for SMTP's MAIL FROM / RCPT TO: as it is when plainly ``local@domain`` in
    ASCII (most addresses), else Django's ``sanitize_address`` (display names, IDNA)."""
    if PLAIN_ADDRESS.fullmatch(address):
        return address
    return _sanitized(address, encoding or settings.DEFAULT_CHARSET)


@functools.lru_cache(maxsize=1024)
def _sanitized(address: str, encoding: str) -> str:
    """Django's parse of an address (the sender's is the same for a whole batch)."""
    return sanitize_address(address, encoding)


class EmailTransport(Transport):
    """Email through Django's configured backend (SMTP from AFTERCARE_EMAIL_URL)."""

    def __init__(self) -> None:
        self.connection: Any = None

    def open(self) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            try:
                self.connection.open()
            except (OSError, smtplib.SMTPException) as error:
                self.connection = None
                raise TransportError(f"cannot reach the mail server: {error}") from error

    def close(self) -> None:
        if self.connection is not None:
            # The server may have gone away; the next batch opens a new connection.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def build(self, message: Message) -> EmailMultiAlternatives:
        headers = {"Message-ID": message.message_id_header}
        if message.automated:
            headers.update(unsubscribe_headers(message))
            headers["Auto-Submitted"] = "auto-generated"
        sender = message.from_address or settings.DEFAULT_FROM_EMAIL
        envelope_sender = sender
        if settings.REPLY_DOMAIN:
            headers["Reply-To"] = f"reply+{message.reply_token}@{settings.REPLY_DOMAIN}"
            # VERP: the envelope sender (where bounces go) names this very message, so a
            # bounce that comes back days later still finds it (smtp.deliver_bounce). The
            # From header the client sees stays the practice's address.
            envelope_sender = f"bounce+{message.reply_token}@{settings.REPLY_DOMAIN}"
            headers["From"] = sender
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text_body,
            from_email=envelope_sender,
            to=[message.to_address],
            headers=headers,
            connection=self.connection,
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        return email

    def send(self, message: Message) -> str:
        """Hand ``message`` over on the batch's open connection (``open``).

        What Django's ``send_messages`` does for one message, on the smtplib connection it
        opened, minus its per-call lock and the address parsing a plain ASCII address does
        not need (``envelope_address``): that was a sixth of the worker's time per message.
        """
        if self.connection is None:
            self.open()
        email = self.build(message)
        try:
            payload = email.message().as_bytes(linesep="\r\n")
            sender = envelope_address(email.from_email, email.encoding)
            recipients = [envelope_address(to, email.encoding) for to in email.recipients()]
            self.connection.connection.sendmail(sender, recipients, payload)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise TransportError(
                f"the mail server refused {message.to_address}: {error.recipients}",
                permanent=all(500 <= code < 600 for code in codes),
            ) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            raise TransportError(
                f"mail server said {error.smtp_code} {error.smtp_error!r}",
                permanent=500 <= error.smtp_code < 600 and error.smtp_code != 552,
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise TransportError(f"mail server unreachable: {error}") from error
        return message.message_id_header


# Twilio error codes that will not get better by retrying
# (https://www.twilio.com/docs/api/errors): invalid/unreachable "To", unsubscribed recipient,
# landline, blocked. Everything else (rate limits, 5xx) is retried.
TWILIO_PERMANENT_CODES = {21211, 21214, 21610, 21612, 21614, 21408, 21606, 63003, 63024}
# "Attempt to send to unsubscribed recipient": the number texted STOP to Twilio.
TWILIO_UNSUBSCRIBED = 21610


class TwilioTransport(Transport):
    """SMS (or WhatsApp) through Twilio's Messages API.

    Twilio offers no idempotency key for Messages, so a message whose hand-over may have
    happened before a crash is marked "uncertain" by the worker instead of being resent.
    """

    whatsapp = False

    def __init__(self, http_client: Any = None) -> None:
        self.client: Any = None
        # Twilio's HTTP client is the one seam tests replace (twilio.http.HttpClient).
        self.http_client = http_client

    def sender(self, message: Message) -> str:
        """The number ``message`` goes from, decided when it is handed over (``sms_sender``):
        a practice that changed its number since the message was queued sends from the new one
        (Twilio refuses a number the account no longer has, error 21606)."""
        if self.whatsapp:
            return f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}"
        sender = sms_sender(message.practice)
        if not sender:
            raise TransportError(
                f"{message.practice.name} has no number to text from: set the practice's SMS "
                "number in Settings (or AFTERCARE_TWILIO_FROM for every practice)",
                permanent=True,
            )
        return sender

    def recipient(self, message: Message) -> str:
        return f"whatsapp:{message.to_address}" if self.whatsapp else message.to_address

    def per_second(self) -> float | None:
        if self.whatsapp:
            return settings.TWILIO_WHATSAPP_PER_SECOND
        return settings.TWILIO_SMS_PER_SECOND

    def rate(self, message: Message) -> tuple[str, float] | None:
        # Twilio's messages-per-second limit is per sending number: each practice's own
        # number has its own turns, kept by all workers together (``messaging.rates``).
        try:
            sender = self.sender(message)
        except TransportError:
            return None  # no number to text from: the hand-over fails at once, no turn taken
        return f"twilio:{sender}", self.per_second() or 0.0

    def open(self) -> None:
        if self.client is None:
            from twilio.rest import Client

            self.client = Client(
                settings.TWILIO_ACCOUNT_SID,
                settings.TWILIO_AUTH_TOKEN,
                http_client=self.http_client,
            )

    def create(self, **params: Any) -> Any:
        """POST /2010-04-01/Accounts/{AccountSid}/Messages.json through the twilio package."""
        self.open()
        return self.client.messages.create(**params)

    def content(self, message: Message) -> dict[str, str]:
        """What the message says: its text (``Body``); WhatsApp overrides this."""
        return {"body": message.text_body}

    def send(self, message: Message) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        callback = f"{settings.BASE_URL}{reverse('hooks-twilio-status')}"
        sender = self.sender(message)
        # The outbox records the number it really went from (``record_sent`` stores it).
        message.from_address = sender.removeprefix("whatsapp:")
        try:
            result = self.create(
                to=self.recipient(message),
                from_=sender,
                status_callback=callback,
                **self.content(message),
            )
        except TwilioRestException as error:
            raise TransportError(
                f"Twilio error {error.code}: {error.msg}",
                permanent=error.code in TWILIO_PERMANENT_CODES,
                unsubscribed=error.code == TWILIO_UNSUBSCRIBED,
            ) from error
        except (TwilioException, OSError) as error:
            raise TransportError(f"Twilio unreachable: {error}") from error
        return str(result.sid)


class WhatsAppTransport(TwilioTransport):
    """WhatsApp through Twilio: free text only inside the 24-hour session window.

    WhatsApp lets a business write freely only within 24 hours of the client's last message;
    outside it, only an approved template goes (Twilio error 63016 otherwise). So, outside the
    window, the message goes as the content template configured for its template key
    (``AFTERCARE_TWILIO_WHATSAPP_TEMPLATES``: ``ContentSid`` with ``ContentVariables`` 1 = the
    client's name, 2 = the practice, 3 = the message's link); a key without one fails at once
    as "cannot reach on this channel", so the worker sets WhatsApp aside for this client and
    the client is re-planned on a channel that works.
    """

    whatsapp = True

    def content(self, message: Message) -> dict[str, str]:
        if message.client is None or within_whatsapp_window(message):
            return super().content(message)
        sid = settings.TWILIO_WHATSAPP_TEMPLATES.get(message.template_key)
        if not sid:
            raise TransportError(
                "outside WhatsApp's 24-hour window and no approved template for "
                f"{message.template_key or 'a personal message'}: reach the client another way",
                permanent=True,
            )
        link = LINK.search(message.text_body)
        variables = {
            "1": message.client.name_to_use,
            "2": message.practice.name,
            "3": link.group(0) if link else "",
        }
        return {"content_sid": sid, "content_variables": json.dumps(variables)}


LINK = re.compile(r"https?://\S+")
WHATSAPP_WINDOW = dt.timedelta(hours=24)


def within_whatsapp_window(message: Message) -> bool:
    """Has the client written on WhatsApp in the last 24 hours (free text allowed)?"""
    return message.client.messages.filter(
        channel="whatsapp",
        direction="in",
        created_at__gte=clock.now() - WHATSAPP_WINDOW,
    ).exists()


def sms_sender(practice: Practice | None) -> str:
    """The number a practice's SMS go from: its own (``Practice.sms_number``), else
    ``AFTERCARE_TWILIO_FROM``.

    The one place that decides it (the outbox, staff alerts, the transport and its rate limit
    all ask here): a client who answers a text reaches the number their practice gave them,
    and the answer finds the practice by it (``inbound.practice_for_number``).
    """
    own = practice.sms_number if practice is not None else ""
    return own or settings.TWILIO_FROM


def twilio_account() -> bool:
    """Is a Twilio account configured (its SID and auth token)?"""
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def sms_live(practice: Practice | None) -> bool:
    """Do ``practice``'s SMS go through Twilio: an account, and a number to send from (the
    practice's own or ``AFTERCARE_TWILIO_FROM``; the latter may be left unset when every
    practice has its own)."""
    return twilio_account() and bool(sms_sender(practice))


def whatsapp_live() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_WHATSAPP_FROM)


def preview_mode() -> bool:
    """True when no channel is configured: nothing leaves this machine."""
    return not (settings.MESSAGING_EMAIL_LIVE or twilio_account() or whatsapp_live())


# Tests set this to a twilio.http.HttpClient that records requests instead of sending them.
twilio_http_client: Any = None


def transport_for(channel: str) -> Transport:
    if channel == "email" and settings.MESSAGING_EMAIL_LIVE:
        return EmailTransport()
    if channel == "sms" and twilio_account():
        # The number is the message's practice's (``TwilioTransport.sender``), so it is
        # checked per message: a practice without one cannot text (``TransportError``).
        return TwilioTransport(twilio_http_client)
    if channel == "whatsapp" and whatsapp_live():
        return WhatsAppTransport(twilio_http_client)
    return PreviewTransport()


# -- media a client sends by SMS/MMS or WhatsApp ---------------------------------------------

# Twilio's media URLs need the account's credentials and redirect to the file itself; tests
# mount an adapter on this session (the one seam for media, as ``twilio_http_client`` is for
# sending).
media_session = requests.Session()
MEDIA_TIMEOUT_SECONDS = 20


def fetch_twilio_media(url: str) -> tuple[bytes, str]:
    """The bytes and content type behind a ``MediaUrlN`` of an inbound message.

    Raises ``TransportError`` with what went wrong; the caller keeps a row saying so, with the
    URL, so nothing the client sent is lost silently.
    """
    if not url.startswith("https://"):
        raise TransportError(f"not a Twilio media address: {url[:100]}", permanent=True)
    try:
        response = media_session.get(
            url,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            timeout=MEDIA_TIMEOUT_SECONDS,
            stream=True,
        )
        response.raise_for_status()
        data = response.raw.read(MAX_ATTACHMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise TransportError(f"could not fetch it from Twilio: {error}") from error
    return data, response.headers.get("Content-Type", "")
