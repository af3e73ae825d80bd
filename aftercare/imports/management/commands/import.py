"""``aftercare import clients FILE`` and ``aftercare import appointments FILE``.

Clients: a CSV (any of the practice tools' exports, or a plain sheet) or a vCard file.
Appointments: an iCalendar (.ics) file, or a CSV as ``aftercare export appointments`` writes.
``--json`` prints the counts and every refused row; the exit status is 0 even when rows were
refused (the good rows are in), 1 when the file as a whole could not be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.imports.appointments import import_appointment_file
from aftercare.imports.calendars import CalendarError
from aftercare.imports.clients import import_clients
from aftercare.imports.dates import ORDERS
from aftercare.imports.reading import read_client_file
from aftercare.imports.tabular import TableError
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, User


def practice_for(practice_id: int | None) -> Practice:
    if practice_id is not None:
        practice = Practice.objects.filter(pk=practice_id).first()
        if practice is None:
            raise CommandError(f"--practice: no practice with the id {practice_id}")
        return practice
    practices = list(Practice.objects.order_by("id")[:2])
    if len(practices) != 1:
        raise CommandError(
            "--practice: this installation has "
            + ("no practice" if not practices else "several practices; say which by its id")
        )
    return practices[0]


class Command(BaseCommand):
    help = "Import clients (CSV, vCard) or appointments (iCalendar, CSV) from a file."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="WHAT")
        clients = kinds.add_parser("clients", help="Clients from a CSV or vCard file.")
        clients.add_argument("file", help="The CSV or .vcf file.")
        clients.add_argument("--practice", type=int, default=None, help="The practice's id.")
        clients.add_argument("--dry-run", action="store_true", help="Check, write nothing.")
        clients.add_argument("--json", action="store_true", help="Print the result as JSON.")
        clients.add_argument(
            "--date-order",
            choices=sorted(ORDERS),
            default="",
            help="dmy or mdy, for a file whose dates could be read either way.",
        )
        appointments = kinds.add_parser(
            "appointments", help="Appointments from an iCalendar (.ics) or CSV file."
        )
        appointments.add_argument("file", help="The .ics or CSV file.")
        appointments.add_argument("--practice", type=int, default=None)
        appointments.add_argument(
            "--practitioner", default="", help="Email of the practitioner whose calendar it is."
        )
        appointments.add_argument("--dry-run", action="store_true")
        appointments.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_for(options["practice"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        if options["kind"] == "clients":
            result = self.import_clients(practice, data, path.name, options)
        else:
            result = self.import_appointments(practice, data, path.name, options)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        counts = ", ".join(f"{v} {k}" for k, v in result.items() if not isinstance(v, list))
        self.stdout.write(("Dry run: " if options["dry_run"] else "") + counts + ".")
        for refusal in result["refused"]:
            where = f"row {refusal['row']}" if "row" in refusal else refusal["event"]
            self.stdout.write(f"  {where}: {refusal['reason']}")

    def import_clients(
        self, practice: Practice, data: bytes, name: str, options: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            reading = read_client_file(data, practice=practice, date_order=options["date_order"])
        except TableError as error:
            raise CommandError(f"{name}: {error}") from error
        if reading.date_order is None:
            raise CommandError(
                f"{name}: its dates can be read as day/month/year or month/day/year; "
                "say which with --date-order dmy or --date-order mdy"
            )
        rows = reading.rows(practice)
        actor = Actor(user=None, practice=practice, via="cli")
        result = import_clients(
            actor=actor,
            rows=rows.rows,
            refused=rows.refused,
            dry_run=options["dry_run"],
            how=f"import of {name}"[:100],
        )
        return result.as_json()

    def import_appointments(
        self, practice: Practice, data: bytes, name: str, options: dict[str, Any]
    ) -> dict[str, Any]:
        practitioner = None
        if options["practitioner"]:
            practitioner = User.objects.filter(
                email__iexact=options["practitioner"],
                memberships__practice=practice,
            ).first()
            if practitioner is None:
                raise CommandError(
                    f"--practitioner: nobody with the email {options['practitioner']} "
                    f"works at {practice.name}"
                )
        membership = Membership.objects.filter(practice=practice, user=practitioner).first()
        actor = Actor(user=practitioner, practice=practice, membership=membership, via="cli")
        try:
            result = import_appointment_file(
                actor=actor,
                data=data,
                file_name=name,
                practitioner=practitioner,
                dry_run=options["dry_run"],
            )
        except CalendarError as error:
            raise CommandError(f"{name}: {error}") from error
        return result.as_json()
