"""``aftercare tick [--at ISO-DATETIME]``: advance the system to an instant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare import clock
from aftercare.care.advance import advance_touchpoints
from aftercare.care.services import replan_requested_practices
from aftercare.care.sweep import claim_tick_lease, release_tick_lease, tick_lease_holder
from aftercare.care.ticks import TickStepsFailed, run_tick_steps


def parse_instant(raw: str) -> dt.datetime:
    """``--at``: an ISO 8601 date-time; without an offset it is taken as UTC."""
    try:
        return clock.parse_instant(raw)
    except ValueError as error:
        raise CommandError(f"--at: {error}", returncode=2) from error


class Command(BaseCommand):
    help = (
        "Advance to an instant (default now): re-plan practices whose rules changed, make "
        "planned touchpoints whose time has come due (tasks enter the care queue, messages go "
        "to the outbox worker), skip still-blocked ones and expire late ones with the reason, "
        "then run every registered tick step (e.g. promises not kept become broken, and once a "
        "day per practice every client is re-planned). A tick that finds another one running "
        "exits quietly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            metavar="ISO-DATETIME",
            help="Run as of this instant, e.g. 2026-12-01T09:00:00+01:00 (no offset = UTC).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        instant = parse_instant(options["at"]) if options["at"] else clock.now()
        token = claim_tick_lease()
        if token is None:
            lease = tick_lease_holder()
            until = f" until {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC" if lease else ""
            self.stdout.write(f"Another tick is running (its lease holds{until}); nothing to do.")
            return
        finished = False
        failed: dict[str, str] = {}
        try:
            with clock.at(instant) as now:
                replanned = replan_requested_practices(now)
                advanced = advance_touchpoints(now)
                try:
                    steps = run_tick_steps(now)
                except TickStepsFailed as error:
                    steps, failed = error.done, error.failed
            finished = not failed
        finally:
            release_tick_lease(token, finished=finished)
        self.stdout.write(
            f"Tick at {now:%Y-%m-%d %H:%M:%S} UTC: {advanced.due:,} due, "
            f"{advanced.skipped:,} skipped, {advanced.expired:,} expired"
            + (f", {replanned:,} re-planned" if replanned else "")
            + "".join(f"; {name}: {count:,}" for name, count in steps.items())
            + "."
        )
        if failed:
            raise CommandError(
                "These steps failed and will be tried again by the next tick: "
                + "; ".join(f"{name} ({why})" for name, why in failed.items())
            )
