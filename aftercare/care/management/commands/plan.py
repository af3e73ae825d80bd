"""``aftercare plan --all | --client ID | --practice ID``: reconcile touchpoints with the planner."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from aftercare.care.reconcile import ReconcileResult, reconcile_all, reconcile_client
from aftercare.clients.models import Client


class Command(BaseCommand):
    help = (
        "Plan touchpoints: insert new ones, update changed planned ones, cancel obsolete ones "
        "(with the reason). Sent, done, skipped and expired touchpoints are never touched; "
        "running it twice changes nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--all", action="store_true", help="Every client of every practice.")
        which.add_argument("--client", type=int, metavar="ID", help="One client.")
        which.add_argument(
            "--practice", type=int, metavar="ID", help="Every client of one practice."
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Plan every client again, even those whose inputs have not changed since "
            "their last plan (after an upgrade of the planner, say).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Clients per batch (default 1000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size: expected a positive number")
        if options["client"] is not None:
            if not Client.objects.filter(pk=options["client"]).exists():
                raise CommandError(f"--client: no client with id {options['client']}", returncode=2)
            result = reconcile_client(options["client"])
        elif options["all"] or options["practice"] is not None:
            clients = Client.objects.all()
            if options["practice"] is not None:
                clients = clients.filter(practice_id=options["practice"])
            total = clients.count()
            if options["practice"] is not None and total == 0:
                raise CommandError(
                    f"--practice: no clients in practice {options['practice']}", returncode=2
                )
            with tqdm(
                total=total,
                unit="client",
                desc="plan",
                file=sys.stderr,
                disable=options["verbosity"] == 0,
            ) as bar:
                result = reconcile_all(
                    practice_id=options["practice"],
                    batch_size=options["batch_size"],
                    progress=bar.update,
                    full=options["full"],
                )
        else:
            raise CommandError(
                "Say which clients: --all, --client ID or --practice ID", returncode=2
            )
        self.stdout.write(summary(result))


def summary(result: ReconcileResult) -> str:
    """What changed, then one line per client that could not be planned (kept as they were)."""
    unchanged = (
        f" ({result.unchanged:,} unchanged since their last plan, not planned again)"
        if result.unchanged
        else ""
    )
    lines = [
        f"Planned {result.clients:,} client{'s' if result.clients != 1 else ''}{unchanged}: "
        f"{result.created:,} new, {result.updated:,} changed, {result.cancelled:,} cancelled."
    ]
    if result.skipped:
        count = len(result.skipped)
        lines.append(
            f"Skipped {count:,} client{'s' if count != 1 else ''} who could not be planned "
            "(their touchpoints are left as they were):"
        )
        lines.extend(f"  {one}" for one in result.skipped)
    return "\n".join(lines)
