"""``aftercare worker [--once] [--interval S]``: send queued messages (the only sender)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aftercare.messaging.worker import Worker


class Command(BaseCommand):
    help = "Render due message touchpoints and send queued messages; SIGTERM stops it cleanly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="do the work there is, then exit")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="seconds to wait when idle (default 2)"
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=60.0,
            help="seconds a claimed message stays with this worker before others reclaim it",
        )
        parser.add_argument("--batch", type=int, default=20, help="messages claimed at once")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0 or options["lease"] <= 0 or options["batch"] <= 0:
            self.stderr.write("--interval, --lease and --batch must be positive")
            raise SystemExit(2)
        worker = Worker(lease_seconds=options["lease"], batch_size=options["batch"])

        def stop(signum: int, frame: object) -> None:
            worker.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if options["once"]:
            worker.heartbeat(force=True)
            passes = worker.run_until_idle()
            self.stdout.write(f"{worker.sent} messages sent in {passes} passes")
            return
        worker.heartbeat(force=True)
        worker.run(interval=options["interval"])
