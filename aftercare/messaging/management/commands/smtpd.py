"""``aftercare smtpd [--host] [--port]``: receive client replies by email (aiosmtpd)."""

from __future__ import annotations

import signal
import ssl
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from aftercare.messaging.smtp import inbound_controller


class Command(BaseCommand):
    help = "Receive replies sent to reply+TOKEN@AFTERCARE_REPLY_DOMAIN and route them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument(
            "--tls-cert",
            default="",
            help="PEM certificate (chain) to offer STARTTLS with",
        )
        parser.add_argument("--tls-key", default="", help="its PEM private key, if not in the cert")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REPLY_DOMAIN:
            self.stderr.write(
                "AFTERCARE_REPLY_DOMAIN is not set: set it to the domain whose mail reaches this server"
            )
            raise SystemExit(2)
        try:
            controller = inbound_controller(
                host=options["host"],
                port=options["port"],
                certificate=options["tls_cert"],
                key=options["tls_key"],
            )
        except (OSError, ssl.SSLError) as error:
            self.stderr.write(f"--tls-cert/--tls-key: cannot load the certificate: {error}")
            raise SystemExit(2) from error
        controller.start()
        tls = " (STARTTLS offered)" if options["tls_cert"] else ""
        self.stdout.write(
            f"Receiving mail for @{settings.REPLY_DOMAIN} on {options['host']}:{options['port']}{tls}"
        )
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        stopped.wait()
        controller.stop()
