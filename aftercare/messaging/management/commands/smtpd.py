"""``aftercare smtpd [--host] [--port]``: receive client replies by email (aiosmtpd)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from aftercare.messaging.smtp import InboundHandler


class Command(BaseCommand):
    help = "Receive replies sent to reply+TOKEN@AFTERCARE_REPLY_DOMAIN and route them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REPLY_DOMAIN:
            self.stderr.write(
                "AFTERCARE_REPLY_DOMAIN is not set: set it to the domain whose mail reaches this server"
            )
            raise SystemExit(2)
        controller = Controller(InboundHandler(), hostname=options["host"], port=options["port"])
        controller.start()
        self.stdout.write(
            f"Receiving mail for @{settings.REPLY_DOMAIN} on {options['host']}:{options['port']}"
        )
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        stopped.wait()
        controller.stop()
