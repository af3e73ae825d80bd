"""A real SMTP server on loopback (aiosmtpd) for messaging tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Mailbox:
    """What the SMTP server received.

    ``fail_with`` makes it answer RCPT with an error; ``answer_after`` makes it take that many
    seconds to accept a message's DATA, as a real server does (tens of milliseconds).
    """

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    fail_with: str = ""
    answer_after: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


class Recorder:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.mailbox.fail_with:
            return self.mailbox.fail_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mailbox.answer_after:
            await asyncio.sleep(self.mailbox.answer_after)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.mailbox.lock:
            self.mailbox.messages.append(parsed)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp_server() -> tuple[Controller, Mailbox, int]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(Recorder(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, mailbox, port


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """Send email for real to an aiosmtpd server on loopback."""
    controller, mailbox, port = start_smtp_server()
    settings.MESSAGING_EMAIL_LIVE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield mailbox
    finally:
        controller.stop()
