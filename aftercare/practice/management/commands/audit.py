"""``aftercare audit verify``: recompute every audit chain and say whether any row was touched."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.practice.audit import chained_practice_ids, verify_chain


class Command(BaseCommand):
    help = "Check the audit trail: `aftercare audit verify [--practice ID]`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser(
            "verify",
            help="Recompute each practice's hash chain; exit 1 when a row was changed, "
            "removed or inserted.",
        )
        verify.add_argument("--practice", type=int, default=None, help="Only this practice.")

    def handle(self, *args: Any, **options: Any) -> None:
        chains = (
            [options["practice"]] if options["practice"] is not None else chained_practice_ids()
        )
        broken = 0
        for practice_id in chains:
            report = verify_chain(practice_id)
            name = f"practice {practice_id}" if practice_id is not None else "no practice"
            if report.ok:
                self.stdout.write(f"{name}: {report.rows} rows intact ({report.redacted} redacted)")
                continue
            broken += 1
            self.stdout.write(f"{name}: {len(report.problems)} problems")
            for problem in report.problems[:20]:
                self.stdout.write(f"  {problem}")
        if broken:
            raise CommandError(f"the audit trail of {broken} practice(s) was tampered with")
        self.stdout.write(f"All {len(chains)} audit chains are intact.")
