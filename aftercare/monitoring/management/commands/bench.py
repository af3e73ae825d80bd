"""``aftercare bench [--clients N] [--quick]``: every benchmark, one table of figures.

Runs the scripts in the checkout's ``benchmarks/`` folder one after the other, each in its own
process with its own throw-away data (so one cannot warm the other's caches), shows their
output as they go, and ends with one table: each figure, the reference measured in the same
run, and their ratio. Ratios are what to compare between machines and commits; the seconds
depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import aftercare

BENCHMARKS = Path(aftercare.__file__).resolve().parent.parent / "benchmarks"


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    quick: tuple[str, ...]
    full: tuple[str, ...]  # "{n}" is --clients, "{n5}" a fifth, "{n10}" a tenth, "{n20}" …


PLAN = (
    Benchmark(
        "pages",
        "bench_pages.py",
        ("--clients", "1000", "--baseline", "100", "--repeat", "1"),
        ("--clients", "{n}", "--baseline", "100", "--repeat", "5"),
    ),
    Benchmark(
        "load",
        "bench_load.py",
        ("--quick",),
        ("--clients", "{n}"),
    ),
    Benchmark(
        "api",
        "bench_api.py",
        ("--clients", "1000", "--baseline", "100"),
        ("--clients", "{n}", "--baseline", "100"),
    ),
    Benchmark(
        "care queue",
        "bench_care_queue.py",
        ("--items", "300", "--baseline", "30"),
        ("--items", "{n20}", "--baseline", "50"),
    ),
    Benchmark(
        "sweep",
        "bench_planner.py",
        ("--quick", "--baseline", "500", "--rounds", "1"),
        ("--clients", "{n}", "--baseline", "{n10}", "--rounds", "3"),
    ),
    Benchmark(
        "worker",
        "bench_dispatch.py",
        ("--messages", "200", "--rounds", "2"),
        ("--messages", "2000", "--rounds", "3"),
    ),
    Benchmark(
        "inbound",
        "bench_inbound.py",
        ("--quick",),
        ("--messages", "5000"),
    ),
    Benchmark(
        "demo",
        "bench_demo.py",
        ("--clients", "1000", "--baseline", "250"),
        ("--clients", "{n5}", "--baseline", "{n50}"),
    ),
    Benchmark("triage", "bench_triage.py", ("--rounds", "1"), ("--rounds", "3")),
    Benchmark(
        "import",
        "bench_import.py",
        ("--rows", "1000", "--rounds", "1"),
        ("--rows", "{n10}", "--rounds", "3"),
    ),
    # A fifth of --clients, as the demo: the pages read kept rows whatever the size (the
    # benchmark compares them with raw SQL over the same practice), and writing a 100,000-
    # client demo for them would take a sixth of the full run's 30 minutes.
    Benchmark(
        "insights",
        "bench_insights.py",
        ("--clients", "1000", "--repeat", "3"),
        ("--clients", "{n5}", "--repeat", "5"),
    ),
)


def arguments(benchmark: Benchmark, *, quick: bool, clients: int) -> list[str]:
    if quick:
        return list(benchmark.quick)
    sizes = {
        "{n}": clients,
        "{n5}": max(1000, clients // 5),
        "{n10}": max(1000, clients // 10),
        "{n20}": max(100, clients // 20),
        "{n50}": max(200, clients // 50),
    }
    return [str(sizes.get(arg, arg)) for arg in benchmark.full]


def figure_table(rows: list[dict[str, Any]]) -> list[str]:
    """The figures as a Markdown table (readable in a terminal, pasteable into docs)."""

    def number(value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"

    lines = [
        "| figure | value | reference | reference value | ratio | goal |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in rows:
        unit = row.get("unit", "")
        lines.append(
            f"| {row['figure']} | {number(row['value'])} {unit} | {row['reference']} | "
            f"{number(row['reference_value'])} {unit} | {number(row['ratio'])} | "
            f"{row.get('goal', '')} |"
        )
    return lines


class Command(BaseCommand):
    help = (
        "Run every benchmark in benchmarks/ (every page against a signed-in minimal view and "
        "the same page of a small practice, each size in its own database; pages and the API "
        "at 16 connections against gunicorn in a second process; the API's pages at two sizes, "
        "the care queue, the planner's sweep against a raw read of its rows (and its cost per "
        "client at a tenth of the size), the worker against a "
        "bare smtplib loop, a burst of signed SMS webhooks against a minimal view, the demo "
        "load, triage, the client import against csv.reader and bulk_create, the insights "
        "pages against raw SQL) and print one table: figure, reference, "
        "ratio. --quick finishes in a few minutes on two cores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            default=100_000,
            help="size of the large practice (default 100000; ignored with --quick)",
        )
        parser.add_argument(
            "--quick", action="store_true", help="small sizes: about five minutes on two cores"
        )
        parser.add_argument(
            "--only",
            default="",
            help="comma-separated benchmarks to run: "
            + ", ".join(benchmark.name for benchmark in PLAN),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not BENCHMARKS.is_dir():
            raise CommandError(
                f"no benchmarks folder at {BENCHMARKS}: run `aftercare bench` from a checkout "
                "of the source (pip install -e .)"
            )
        if options["clients"] < 1000:
            raise CommandError("--clients: at least 1000")
        wanted = {name.strip() for name in options["only"].split(",") if name.strip()}
        unknown = wanted - {benchmark.name for benchmark in PLAN}
        if unknown:
            raise CommandError(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}")
        chosen = [b for b in PLAN if not wanted or b.name in wanted]
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"AFTERCARE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        }
        rows: list[dict[str, Any]] = []
        failed: list[str] = []
        timings: list[str] = []
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="aftercare-bench-") as folder:
            results = Path(folder) / "results.jsonl"
            env["BENCH_RESULTS"] = str(results)
            for benchmark in chosen:
                command = [
                    sys.executable,
                    str(BENCHMARKS / benchmark.script),
                    *arguments(benchmark, quick=options["quick"], clients=options["clients"]),
                ]
                self.stdout.write(f"== {benchmark.name}: {' '.join(command[1:])}")
                self.stdout.flush()
                began = time.monotonic()
                code = self._run(command, env)
                seconds = time.monotonic() - began
                timings.append(f"{benchmark.name} {seconds:.0f} s")
                if code != 0:
                    failed.append(f"{benchmark.name} (exit {code})")
            if results.exists():
                rows = [json.loads(line) for line in results.read_text().splitlines() if line]
        self.stdout.write("")
        size = "--quick" if options["quick"] else f"--clients {options['clients']:,}"
        self.stdout.write(
            f"Aftercare benchmarks, {size}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f} at the end"
        )
        self.stdout.write("")
        for line in figure_table(rows):
            self.stdout.write(line)
        self.stdout.write("")
        total = time.monotonic() - started
        self.stdout.write(f"Took {total / 60:.1f} min ({', '.join(timings)}).")
        if failed:
            raise CommandError(f"benchmarks failed: {', '.join(failed)}")

    def _run(self, command: list[str], env: dict[str, str]) -> int:
        with subprocess.Popen(  # noqa: S603 - our own scripts
            command,
            env=env,
            cwd=BENCHMARKS.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None  # noqa: S101 - PIPE was asked for
            for line in process.stdout:
                self.stdout.write(f"   {line.rstrip()}")
                self.stdout.flush()
            return process.wait()
