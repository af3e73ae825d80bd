"""``aftercare worker [--once [--at ISO-DATETIME]] [--interval S]``: send queued messages."""

from __future__ import annotations

import contextlib
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare import clock
from aftercare.messaging.worker import Worker


class Command(BaseCommand):
    help = (
        "Render due message touchpoints and send queued messages (the only sender); SIGTERM "
        "stops it cleanly. With --once --at T it does the work due at T and exits, so that "
        "`tick --at T && worker --once --at T` replays any day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="do the work there is, then exit")
        parser.add_argument(
            "--at",
            metavar="ISO-DATETIME",
            help=(
                "with --once: work as of this instant, e.g. 2026-12-01T09:00:00+01:00 "
                "(no offset = UTC), as `aftercare tick --at` does"
            ),
        )
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
        instant = None
        if options["at"]:
            # A worker that keeps running with its clock stopped would never see a retry come
            # due: replaying an instant is one pass, like a tick.
            if not options["once"]:
                raise CommandError("--at needs --once (one pass as of that instant)", returncode=2)
            try:
                instant = clock.parse_instant(options["at"])
            except ValueError as error:
                raise CommandError(f"--at: {error}", returncode=2) from error
        worker = Worker(lease_seconds=options["lease"], batch_size=options["batch"])

        def stop(signum: int, frame: object) -> None:
            worker.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if options["once"]:
            with clock.at(instant) if instant else contextlib.nullcontext():
                worker.heartbeat(force=True)
                passes = worker.run_until_idle()
            as_of = f" as of {instant:%Y-%m-%d %H:%M:%S} UTC" if instant else ""
            self.stdout.write(f"{worker.sent} messages sent in {passes} passes{as_of}")
            return
        worker.heartbeat(force=True)
        worker.run(interval=options["interval"])
