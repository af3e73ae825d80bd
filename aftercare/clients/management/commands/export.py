"""``aftercare export client ID``: everything held about one client, as JSON or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.clients import export
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit
from aftercare.practice.models import AuditEvent


class Command(BaseCommand):
    help = "Export one client's data: `aftercare export client ID [--format csv] [--output PATH]`."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="WHAT")
        client = kinds.add_parser(
            "client", help="Everything held about one client (GDPR access and portability)."
        )
        client.add_argument("client_id", type=int, help="The client's id.")
        client.add_argument("--format", choices=["json", "csv"], default="json")
        client.add_argument("--output", default="", help="Write to this file (default: print).")

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.select_related("practice").filter(pk=options["client_id"]).first()
        if client is None:
            raise CommandError(f"client_id: no client with the id {options['client_id']}")
        data = export.client_export(client)
        text = export.export_json(data) if options["format"] == "json" else export.export_csv(data)
        actor = Actor(user=None, practice=client.practice, via="cli")
        record_audit(
            actor, AuditEvent.Action.EXPORT, client, summary="Exported on the command line"
        )
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote client {client.pk}'s data to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
