"""``aftercare demo``: a realistic, deterministic demo practice (also the benchmark data set)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandParser

from aftercare.demo_load import DEFAULT_NAME, load_demo_practice
from aftercare.practice.management.commands.practice import usage_error


class Command(BaseCommand):
    help = (
        "Create a demo practice: four staff, N clients and two years of appointments "
        "(about ten per client). The same seed gives the same data on the same day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=200, help="Number of clients.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--practice-name", default=DEFAULT_NAME, help=f"Default {DEFAULT_NAME!r}."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 0:
            raise usage_error("--clients", "expected zero or more clients")
        name = options["practice_name"].strip()
        if not name:
            raise usage_error("--practice-name", "the practice needs a name")
        started = time.perf_counter()
        result = load_demo_practice(
            seed=options["seed"],
            clients=options["clients"],
            name=name,
            progress=options["verbosity"] > 0,
        )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Created {result.practice.name} (#{result.practice.pk}): {result.clients:,} clients, "
            f"{result.appointments:,} appointments in {seconds:.1f} s."
        )
        self.stdout.write(
            "Time (wall / CPU): "
            + ", ".join(
                f"{part} {wall:.1f} s / {result.cpu_seconds[part]:.1f} s"
                for part, wall in result.seconds.items()
            )
        )
        self.stdout.write(f"Sign in as {result.owner.email} with the password {result.password}")
        if "plan" in get_commands():
            self.stdout.write("Run `aftercare plan --all` to plan their care.")
