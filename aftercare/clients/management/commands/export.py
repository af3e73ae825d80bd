"""``aftercare export client ID`` and ``aftercare export clients|appointments --practice ID``.

One client: everything held about them, as JSON or CSV (``clients.export``). A practice's
clients or appointments: CSV or JSON in the columns ``aftercare import`` reads back
(``imports.exports``). Every export is recorded in the audit trail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.clients import export
from aftercare.clients.models import Client
from aftercare.imports.exports import export_table
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit
from aftercare.practice.models import AuditEvent, Practice


class Command(BaseCommand):
    help = (
        "Export one client's data (`aftercare export client ID`) or a practice's clients or "
        "appointments (`aftercare export clients --practice ID --format csv`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="WHAT")
        client = kinds.add_parser(
            "client", help="Everything held about one client (GDPR access and portability)."
        )
        client.add_argument("client_id", type=int, help="The client's id.")
        client.add_argument("--format", choices=["json", "csv"], default="json")
        client.add_argument("--output", default="", help="Write to this file (default: print).")
        for what in ("clients", "appointments"):
            table = kinds.add_parser(
                what, help=f"The practice's {what}, in the columns `aftercare import` reads."
            )
            table.add_argument("--practice", type=int, required=True, help="The practice's id.")
            table.add_argument("--format", choices=["csv", "json"], default="csv")
            table.add_argument("--output", default="", help="Write to this file (default: print).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["kind"] == "client":
            text, what = self.one_client(options["client_id"], options["format"])
        else:
            practice = Practice.objects.filter(pk=options["practice"]).first()
            if practice is None:
                raise CommandError(f"--practice: no practice with the id {options['practice']}")
            actor = Actor(user=None, practice=practice, via="cli")
            text = export_table(actor, options["kind"], options["format"])
            what = f"{practice.name}'s {options['kind']}"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {what} to {options['output']}.")
        else:
            self.stdout.write(text, ending="")

    def one_client(self, client_id: int, fmt: str) -> tuple[str, str]:
        client = Client.objects.select_related("practice").filter(pk=client_id).first()
        if client is None:
            raise CommandError(f"client_id: no client with the id {client_id}")
        data = export.client_export(client)
        text = export.export_json(data) if fmt == "json" else export.export_csv(data)
        actor = Actor(user=None, practice=client.practice, via="cli")
        record_audit(
            actor, AuditEvent.Action.EXPORT, client, summary="Exported on the command line"
        )
        return text, f"client {client.pk}'s data"
