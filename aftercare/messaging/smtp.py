"""Inbound email: parse a MIME message, find the reply token, hand it to inbound routing.

Used by ``aftercare smtpd`` (an aiosmtpd server for the reply domain) and by the inbound email
webhook. Replies arrive at ``reply+TOKEN@REPLY_DOMAIN``; ``unsubscribe+TOKEN@REPLY_DOMAIN`` is
the mailto half of List-Unsubscribe.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.html import strip_tags

from aftercare.messaging.addresses import addresses_in, email_address
from aftercare.messaging.inbound import receive_inbound, strip_quoted
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.services import client_opt_out

log = logging.getLogger("aftercare.smtpd")

TOKEN_ADDRESS = re.compile(r"^(reply|unsubscribe)\+([a-z0-9]+)@(.+)$", re.IGNORECASE)


def parse_email(parsed: Any) -> dict[str, Any]:
    """The parts inbound routing needs from a ``email.message.EmailMessage``."""
    text_part = (
        parsed.get_body(preferencelist=("plain",)) if isinstance(parsed, EmailMessage) else None
    )
    html_part = (
        parsed.get_body(preferencelist=("html",)) if isinstance(parsed, EmailMessage) else None
    )
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else ""
    if not text and html:
        text = strip_tags(html)
    recipients = addresses_in(
        parsed.get_all("To", []) + parsed.get_all("Cc", []) + parsed.get_all("Delivered-To", [])
    )
    return {
        "from_address": email_address(parsed.get("From", "")),
        "recipients": recipients,
        "subject": str(parsed.get("Subject", "")),
        "text": text,
        "html": html,
        "message_id": str(parsed.get("Message-ID", "")).strip(),
    }


def token_in(recipients: list[str]) -> tuple[str, str]:
    """``("reply"|"unsubscribe", token)`` from the first token address of our reply domain."""
    for recipient in recipients:
        found = TOKEN_ADDRESS.match(recipient.strip())
        if found and (not settings.REPLY_DOMAIN or found.group(3).lower() == settings.REPLY_DOMAIN):
            return found.group(1).lower(), found.group(2).lower()
    return "", ""


def deliver_parsed(parsed: dict[str, Any]) -> Message | None:
    kind, token = token_in(parsed["recipients"])
    if kind == "unsubscribe":
        original = (
            Message.objects.select_related("client")
            .filter(reply_token=token, direction=Direction.OUTBOUND)
            .first()
        )
        if original is not None and original.client is not None:
            client_opt_out(client=original.client, how="email unsubscribe")
        return None
    return receive_inbound(
        channel="email",
        from_address=parsed["from_address"],
        to_address=", ".join(parsed["recipients"])[:254],
        subject=parsed["subject"],
        text=strip_quoted(parsed["text"]),
        html=parsed["html"],
        provider_id=parsed["message_id"][:100],
        reply_token=token,
    )


class InboundHandler:
    """aiosmtpd handler: accept mail for the reply domain, store and route it."""

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
        parsed = parse_email(email.message_from_bytes(content, policy=email.policy.default))
        parsed["recipients"] = list(rcpt_tos) + parsed["recipients"]
        deliver_parsed(parsed)
