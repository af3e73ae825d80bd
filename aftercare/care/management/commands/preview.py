"""``aftercare preview --from DATE --to DATE [--json] [--client ID]``: what will happen."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare import clock
from aftercare.care.preview import preview
from aftercare.care.reconcile import client_id_batches
from aftercare.clients.models import Client
from aftercare.dates import COMMAND_DAYS


def parse_date(name: str, raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as error:
        raise CommandError(
            f"{name}: expected a date such as 2026-12-01, got {raw!r}", returncode=2
        ) from error
    problem = COMMAND_DAYS.problem(day, clock.today(dt.UTC))
    if problem:
        raise CommandError(f"{name}: {problem}", returncode=2)
    return day


class Command(BaseCommand):
    help = (
        "List the touchpoints due from one date to another (inclusive, client local dates), per "
        "client, without changing anything. Held-back ones say why; blocked ones will be skipped "
        "unless their reason goes away; expired ones say why they will not go out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, metavar="DATE")
        parser.add_argument("--to", dest="end", required=True, metavar="DATE")
        parser.add_argument("--client", type=int, metavar="ID", help="Only this client.")
        parser.add_argument("--practice", type=int, metavar="ID", help="Only this practice.")
        parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        start = parse_date("--from", options["start"])
        end = parse_date("--to", options["end"])
        if end < start:
            raise CommandError("--to: must not be before --from", returncode=2)
        now = clock.now()
        if options["client"] is not None:
            if not Client.objects.filter(pk=options["client"]).exists():
                raise CommandError(f"--client: no client with id {options['client']}", returncode=2)
            batches = iter([[options["client"]]])
        else:
            batches = client_id_batches(practice_id=options["practice"])
        previews = [p for ids in batches for p in preview(ids, start=start, end=end, now=now)]
        if options["json"]:
            document = {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "generated_at": now.isoformat(),
                "clients": [p.as_dict() for p in previews],
            }
            self.stdout.write(json.dumps(document, indent=2))
            return
        count = 0
        for client in previews:
            tz = zoneinfo.ZoneInfo(client.time_zone)
            self.stdout.write(f"{client.client_name} (#{client.client_id}, {client.time_zone})")
            for t in client.touchpoints:
                count += 1
                state = "BLOCKED" if t.blocked else t.status.upper()
                line = f"  {t.due_at.astimezone(tz):%Y-%m-%d %H:%M}  {state:<8} {t.action:<7} {t.title}"
                if t.channel:
                    line += f" [{t.channel}]"
                self.stdout.write(line)
                for reason in (t.held_back_reason, t.status_reason):
                    if reason:
                        self.stdout.write(f"      why: {reason}")
        self.stdout.write(
            f"{count:,} touchpoint{'s' if count != 1 else ''} for {len(previews):,} "
            f"client{'s' if len(previews) != 1 else ''} from {start} to {end}."
        )
