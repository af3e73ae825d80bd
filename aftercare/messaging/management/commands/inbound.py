"""``aftercare inbound list`` / ``aftercare inbound assign ID --practice P``: messages no
practice could be told about (see ``UnroutedInbound``), for the deployment's operator."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.messaging.inbound import assign_unrouted
from aftercare.messaging.models import UnroutedInbound
from aftercare.practice.models import Practice


class Command(BaseCommand):
    help = "List inbound messages that matched no practice, or assign one to a practice."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="messages waiting to be assigned")
        listing.add_argument("--all", action="store_true", help="assigned ones too")
        assign = actions.add_parser("assign", help="hand one to a practice's inbox")
        assign.add_argument("id", type=int, help="the number `list` shows")
        assign.add_argument("--practice", type=int, required=True, help="the practice's id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self.list(everything=options["all"])
        else:
            self.assign(options["id"], options["practice"])

    def list(self, *, everything: bool) -> None:
        rows = UnroutedInbound.objects.all()
        if not everything:
            rows = rows.filter(assigned_at__isnull=True)
        found = False
        for row in rows:
            found = True
            text = " ".join(row.text_body.split())
            done = f"  → message #{row.assigned_message_id}" if row.assigned_at else ""
            self.stdout.write(
                f"#{row.pk}  {row.received_at:%Y-%m-%d %H:%M} UTC  {row.channel}  "
                f"{row.from_address}  {text[:60]}{'…' if len(text) > 60 else ''}{done}"
            )
        if not found:
            self.stdout.write("Nothing waiting: every inbound message reached a practice.")

    def assign(self, pk: int, practice_id: int) -> None:
        unrouted = UnroutedInbound.objects.filter(pk=pk).first()
        if unrouted is None:
            raise CommandError(f"No unrouted message #{pk}; `aftercare inbound list` shows them.")
        practice = Practice.objects.filter(pk=practice_id).first()
        if practice is None:
            known = ", ".join(
                f"#{pk} {name}" for pk, name in Practice.objects.values_list("pk", "name")
            )
            raise CommandError(f"No practice #{practice_id}; the practices: {known or 'none'}.")
        try:
            message = assign_unrouted(unrouted, practice)
        except ValueError as error:
            raise CommandError(str(error)) from error
        who = f"client #{message.client_id}" if message.client_id else "the unmatched inbox"
        self.stdout.write(f"#{pk} is now message #{message.pk} of {practice.name}, for {who}.")
