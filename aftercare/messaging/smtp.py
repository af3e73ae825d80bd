"""Inbound email: parse a MIME message, find the reply token, hand it to inbound routing.

Used by ``aftercare smtpd`` (an aiosmtpd server for the reply domain) and by the inbound email
webhook. Replies arrive at ``reply+TOKEN@REPLY_DOMAIN``; ``unsubscribe+TOKEN@REPLY_DOMAIN`` is
the mailto half of List-Unsubscribe.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import re
import ssl
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections

from aftercare.messaging.addresses import addresses_in, email_address
from aftercare.messaging.attachments import IncomingFile
from aftercare.messaging.autoreplies import (
    AUTO_REPLY,
    BOUNCE,
    REPLY,
    Classified,
    classify_mail,
    header,
    headers_all,
)
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message, MessageKind
from aftercare.messaging.replies import html_to_text, new_text
from aftercare.messaging.services import client_opt_out

log = logging.getLogger("aftercare.smtpd")

TOKEN_ADDRESS = re.compile(r"^(reply|unsubscribe|bounce)\+([a-z0-9]+)@(.+)$", re.IGNORECASE)


def part_text(part: Any) -> str:
    """A text part's content in any charset, even an unknown or a wrong one.

    ``get_content`` decodes with the declared charset; an unknown one (``unknown-8bit``, a
    typo) raises, so the bytes are then read as UTF-8 with replacement characters: the
    client's words arrive with a "�" where a byte was unreadable, never not at all.
    """
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def body_part(parsed: Any, kind: str) -> Any:
    try:
        return parsed.get_body(preferencelist=(kind,))
    except Exception:  # a broken MIME tree: treat it as having no such part
        return None


def parse_email(parsed: Any, raw: bytes = b"") -> dict[str, Any]:
    """The parts inbound routing needs from a ``email.message.EmailMessage``.

    ``text`` is the client's new text (``replies.new_text``: quotes and signatures out),
    ``full_text`` all of it; an HTML-only mail is made readable (``replies.html_to_text``).
    ``classified`` says whether a person or a machine wrote it (``autoreplies``).
    """
    is_email = isinstance(parsed, EmailMessage)
    text_part = body_part(parsed, "plain") if is_email else None
    html_part = body_part(parsed, "html") if is_email else None
    text = part_text(text_part) if text_part is not None else ""
    html = part_text(html_part) if html_part is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)
    recipients = addresses_in(
        headers_all(parsed, "To") + headers_all(parsed, "Cc") + headers_all(parsed, "Delivered-To")
    )
    return {
        "from_address": email_address(header(parsed, "From")),
        "recipients": recipients,
        "subject": header(parsed, "Subject"),
        "text": text,
        "html": html,
        "message_id": header(parsed, "Message-ID"),
        "date": header(parsed, "Date"),
        "classified": classify_mail(parsed),
        "raw": raw,
        "attachments": mime_attachments(parsed) if is_email else [],
    }


def inbound_email_key(parsed: dict[str, Any]) -> str:
    """What tells one inbound email from another: its Message-ID, else a digest of the mail.

    Stored as the message's ``provider_id``, unique among inbound messages
    (``one_inbound_per_provider_id``), so a webhook the provider retries, or a mail delivered
    twice, is stored once. A mail without a Message-ID (some phone mailers, web forms, scripts)
    gets ``sha256:`` and the digest of its bytes as they arrived — the same on every retry, and
    different for another mail, whose headers (Date, Received) and body differ — or, when a
    provider posts only parsed fields (JSON), of its sender, recipients, date, subject, text,
    HTML and attachments. Every inbound email path (the webhook, the hosted providers,
    ``aftercare smtpd``) keys its mail here.
    """
    message_id = str(parsed.get("message_id") or "").strip()
    if message_id:
        return message_id[:100]
    digest = hashlib.sha256()
    raw = parsed.get("raw") or b""
    if raw:
        digest.update(raw)
    else:
        for value in (
            parsed.get("from_address"),
            "\n".join(parsed.get("recipients") or ()),
            parsed.get("date"),
            parsed.get("subject"),
            parsed.get("text"),
            parsed.get("html"),
        ):
            # Length-prefixed, so no two different lists of fields read as the same bytes.
            data = str(value or "").encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big") + data)
        for attachment in parsed.get("attachments") or ():
            digest.update(len(attachment.data).to_bytes(8, "big") + attachment.data)
    return f"sha256:{digest.hexdigest()}"


def mime_attachments(parsed: EmailMessage) -> list[IncomingFile]:
    """Every attached or inline file (an iPhone's inline photo too), as it came."""
    files = []
    try:
        parts = list(parsed.iter_attachments())
    except Exception:  # a broken MIME tree: what the body holds is still stored
        return []
    for part in parts:
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            data = b""
        files.append(
            IncomingFile(
                name=str(part.get_filename() or "attachment"),
                content_type=part.get_content_type(),
                data=data,
            )
        )
    return files


def parse_raw(raw: bytes) -> dict[str, Any]:
    """``parse_email`` of raw MIME bytes exactly as they arrived."""
    return parse_email(email.message_from_bytes(raw, policy=email.policy.default), raw)


def token_in(recipients: list[str]) -> tuple[str, str]:
    """``("reply"|"unsubscribe"|"bounce", token)`` from the first token address of our domain."""
    for recipient in recipients:
        found = TOKEN_ADDRESS.match(recipient.strip())
        if found and (not settings.REPLY_DOMAIN or found.group(3).lower() == settings.REPLY_DOMAIN):
            return found.group(1).lower(), found.group(2).lower()
    return "", ""


def bounced_message(token: str, original_message_id: str) -> Message | None:
    """The outbound message a bounce is about: by its VERP token, else by its Message-ID."""
    outbound = Message.objects.select_related("client", "practice").filter(
        direction=Direction.OUTBOUND, channel="email"
    )
    if token:
        found = outbound.filter(reply_token=token).first()
        if found is not None:
            return found
    key = original_message_id.strip("<> ").partition("@")[0].replace("\x00", "")
    if key:
        return outbound.filter(idempotency_key=key).first()
    return None


def deliver_bounce(
    parsed: dict[str, Any], token: str, *, route_later: bool = False
) -> Message | None:
    """A delivery failure: kept on the client's thread; a permanent one marks the address
    unusable and fails the message, so the care queue asks a person to call
    (``inbound.apply_bounce``, in the worker when ``route_later``)."""
    classified = parsed["classified"]
    original = bounced_message(token, classified.original_message_id)
    permanent = classified.permanent_failure or not classified.recipients
    statuses = ", ".join(r.status for r in classified.recipients if r.status)
    return receive_inbound(
        channel="email",
        from_address=parsed["from_address"],
        to_address=", ".join(parsed["recipients"])[:254],
        subject=parsed["subject"],
        text=parsed["text"],
        html=parsed["html"],
        provider_id=inbound_email_key(parsed),
        reply_token=original.reply_token if original is not None else "",
        kind=MessageKind.BOUNCE,
        raw_mime=parsed["raw"],
        details={"bounce": {"permanent": permanent, "statuses": statuses}},
        route_later=route_later,
    )


def deliver_parsed(parsed: dict[str, Any], *, route_later: bool = False) -> Message | None:
    """Store a parsed email on the one inbound path (``inbound.receive_inbound``).

    ``route_later`` (every endpoint that receives mail: the webhooks and ``aftercare smtpd``):
    the message is stored as *arrived*, once per Message-ID, and the worker triages and routes
    it (``inbound.route_arrived``), so the answer does not wait for triage. An unsubscribe
    changes one flag and stores nothing, so it is done at once either way.
    """
    kind, token = token_in(parsed["recipients"])
    classified = parsed.get("classified") or Classified(REPLY)
    if classified.kind == BOUNCE or kind == "bounce":
        return deliver_bounce({**parsed, "classified": classified}, token, route_later=route_later)
    if kind == "unsubscribe":
        original = (
            Message.objects.select_related("client")
            .filter(reply_token=token, direction=Direction.OUTBOUND)
            .first()
        )
        if original is not None and original.client is not None:
            client_opt_out(client=original.client, how="email unsubscribe")
        return None
    auto = classified.kind == AUTO_REPLY
    return receive_inbound(
        channel="email",
        from_address=parsed["from_address"],
        to_address=", ".join(parsed["recipients"])[:254],
        subject=parsed["subject"],
        text=parsed["text"]
        if auto
        else new_text(parsed["text"], keep_whole_when_empty=not parsed.get("attachments")),
        html=parsed["html"],
        provider_id=inbound_email_key(parsed),
        reply_token=token,
        kind=MessageKind.AUTO_REPLY if auto else MessageKind.REPLY,
        raw_mime=parsed.get("raw", b""),
        attachments=() if auto else parsed.get("attachments", ()),
        route_later=route_later,
    )


def store_parsed(parsed: dict[str, Any]) -> Message | None:
    """What every endpoint receiving mail does: store it first, the worker routes it."""
    return deliver_parsed(parsed, route_later=True)


class InboundSMTP(SMTP):
    """aiosmtpd's server, lenient about line length.

    RFC 5321 caps a line at 1,000 octets, and aiosmtpd answers a longer one with "500 Line too
    long" — which the sending server turns into a bounce for the client. Real mail programs
    write longer lines (HTML mail without line breaks), so the cap is raised: a client's reply
    is never refused for its formatting.
    """

    line_length_limit = 1_000_000


class InboundController(Controller):
    """The controller of ``aftercare smtpd``: ``InboundSMTP``, STARTTLS when given a certificate."""

    def factory(self) -> SMTP:
        return InboundSMTP(self.handler, **self.SMTP_kwargs)


def tls_context(certificate: str, key: str) -> ssl.SSLContext:
    """A server context for STARTTLS from PEM files (refused at start when they do not load)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key or None)
    return context


def inbound_controller(
    *, host: str, port: int, certificate: str = "", key: str = ""
) -> InboundController:
    kwargs: dict[str, Any] = {}
    if certificate:
        kwargs["tls_context"] = tls_context(certificate, key)
    return InboundController(InboundHandler(), hostname=host, port=port, **kwargs)


class InboundHandler:
    """aiosmtpd handler: accept mail for the reply domain and store it (the worker routes it)."""

    @staticmethod
    def accepts(address: str) -> bool:
        """Only mail for the reply domain: this is not an open relay."""
        domain = address.rpartition("@")[2].lower()
        return not settings.REPLY_DOMAIN or domain == settings.REPLY_DOMAIN

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not self.accepts(address):
            return "550 5.1.1 not a mailbox of this server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from asgiref.sync import sync_to_async

        try:
            await sync_to_async(self.store_fresh, thread_sensitive=True)(
                envelope.content, envelope.rcpt_tos
            )
        except Exception:
            log.exception("could not store inbound mail")
            return "451 4.3.0 try again later"
        return "250 Message accepted"

    @classmethod
    def store_fresh(cls, content: bytes, rcpt_tos: list[str]) -> None:
        """``store`` with a healthy database connection (the server runs for days)."""
        close_old_connections()
        try:
            cls.store(content, rcpt_tos)
        finally:
            close_old_connections()

    @staticmethod
    def store(content: bytes, rcpt_tos: list[str]) -> None:
        parsed = parse_raw(content)
        parsed["recipients"] = list(rcpt_tos) + parsed["recipients"]
        store_parsed(parsed)
