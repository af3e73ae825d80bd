"""The care engine's bulk sweep against a raw read of the rows it reads, in one run.

Run: ``.venv/bin/python benchmarks/bench_planner.py [--clients 100000] [--baseline 10000]
[--sizes 10000,100000,1000000] [--quick] [--database-url postgres://…] [--data-dir DIR]``.

It builds a demo practice of ``--clients`` clients (``aftercare.demo_load``, default 100,000;
``--quick`` uses 2,000) in a SQLite database kept in ``--data-dir`` (default
``var/bench-planner-N``), or in the PostgreSQL database ``--database-url`` names, and reuses it
on later runs. Then, all as of one instant:

1. deletes the practice's touchpoints and plan fingerprints (not timed), so the first sweep
   plans from scratch;
2. **first sweep** — ``reconcile_all``: read, plan and insert every touchpoint;
3. then ``--rounds`` times (default 3), alternating:
   **raw read** — the practice's clients, appointments, tags, supplies and touchpoints
   (``SELECT *``) through the DB-API cursor, tuples as the driver returns them, ten thousand
   at a time: the floor beneath the sweep (the issue's reference: steady sweep ≤ 4×, first
   sweep ≤ 10×);
   **ORM read** — the same rows through the ORM (``values_list``, datetimes converted), an
   extra line; and **steady sweep** — ``reconcile_all`` again: read, fingerprint, plan nobody,
   write nothing.

Each is taken as its fastest round, so a cold cache or a busy moment on a shared machine
flatters none (the rounds alternate, so all see the same conditions). It prints every round,
the ratios to the raw read by wall-clock and CPU time (``time.process_time``, which leaves out
time the process waited), the cost per client, the queries one batch costs, and asserts that
the steady sweep changed nothing and planned nobody.

``--baseline M`` first runs the same benchmark at ``M`` clients in a child process with its own
database (a second SQLite folder, or the PostgreSQL database name with ``_M`` appended, created
if missing), and reports how the cost per client grows from ``M`` to ``--clients``: linear
growth keeps it near 1. ``--sizes A,B,C`` does the same for several sizes (issue 16: from
10,000 to 100,000 to 1,000,000 clients): every size but the largest in a child process of its
own, smallest first, the largest in this one, then one table of the cost per client (wall clock
and CPU) of the raw read, the steady and the first sweep at each size, with its ratio to the
smallest. ``--clients N --baseline M`` is ``--sizes M,N``.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--clients", type=int, default=100_000)
parser.add_argument("--quick", action="store_true", help="2,000 clients")
parser.add_argument(
    "--baseline", type=int, default=0, help="also measure this many clients (cost per client)"
)
parser.add_argument(
    "--sizes",
    help="several sizes, comma-separated (10000,100000,1000000): cost per client at each",
)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--batch-size", type=int, default=1000)
parser.add_argument("--data-dir", help="Where the benchmark database lives (reused)")
parser.add_argument("--database-url", help="A PostgreSQL database instead of SQLite (reused)")
parser.add_argument("--rounds", type=int, default=3, help="read/steady-sweep rounds (default 3)")
parser.add_argument("--json", help=argparse.SUPPRESS)  # the child's figures, for --baseline
args = parser.parse_args()
if args.sizes:
    sizes = sorted({int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()})
    if not sizes or sizes[0] < 1:
        parser.error("--sizes takes numbers of clients, e.g. 10000,100000,1000000")
    clients_wanted, smaller_sizes = sizes[-1], sizes[:-1]
else:
    clients_wanted = 2000 if args.quick else args.clients
    smaller_sizes = [args.baseline] if args.baseline else []
data_dir = Path(args.data_dir or ROOT / "var" / f"bench-planner-{clients_wanted}")
data_dir.mkdir(parents=True, exist_ok=True)
os.environ["AFTERCARE_DATA_DIR"] = str(data_dir)
os.environ.pop("AFTERCARE_DATABASE_URL", None)
if args.database_url:
    os.environ["AFTERCARE_DATABASE_URL"] = args.database_url
os.environ["DJANGO_SETTINGS_MODULE"] = "aftercare.settings"

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.care.models import PlanFingerprint, Touchpoint
from aftercare.care.reconcile import (
    PLANNED_FIELDS,
    client_id_batches,
    reconcile_all,
    reconcile_batch,
)
from aftercare.clients.models import Client
from aftercare.demo_load import load_demo_practice
from aftercare.practice.models import Practice
from aftercare.supplies.models import Supply
from benchmarks._report import record


def timed(label: str, work):  # type: ignore[no-untyped-def]
    """Run ``work``; returns (wall-clock seconds, CPU seconds, its result)."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(f"{label:<16} {seconds:8.2f} s  (CPU {cpu:7.2f} s)", flush=True)
    return seconds, cpu, result


def orm_read(practice_id: int, batch_size: int) -> int:
    """The same rows through the ORM, batch by batch as the sweep used to read them."""
    rows = 0
    for ids in client_id_batches(practice_id=practice_id, batch_size=batch_size):
        rows += len(list(Client.objects.filter(id__in=ids).values()))
        rows += len(
            list(
                Appointment.objects.filter(client_id__in=ids).values_list(
                    "client_id", "id", "starts_at", "kind", "status", "practitioner_id"
                )
            )
        )
        rows += len(
            list(
                Client.tags.through.objects.filter(client_id__in=ids).values_list(
                    "client_id", "tag__name"
                )
            )
        )
        rows += len(list(Supply.objects.filter(client_id__in=ids).values()))
        rows += len(
            list(
                Touchpoint.objects.filter(client_id__in=ids).values(
                    "id", "client_id", "key", *PLANNED_FIELDS
                )
            )
        )
    return rows


def raw_read(practice_id: int) -> int:
    """The floor beneath the sweep: the same tables' rows by plain SQL, no ORM at all.

    Tuples as the DB-API driver gives them (on SQLite a plain ``sqlite3`` connection, so
    datetimes stay text; psycopg converts its types itself): what any program must at least do
    to look at every client's appointments, tags, supplies and touchpoints.
    """
    clients, appointments = Client._meta.db_table, Appointment._meta.db_table
    tags, supplies = Client.tags.through._meta.db_table, Supply._meta.db_table
    touchpoints = Touchpoint._meta.db_table
    mark = "?" if connection.vendor == "sqlite" else "%s"
    statements = [  # table names from the models, not input
        f"SELECT * FROM {clients} WHERE practice_id = {mark}",  # noqa: S608
        f"SELECT * FROM {appointments} WHERE practice_id = {mark}",  # noqa: S608
        f"SELECT t.* FROM {tags} t JOIN {clients} c ON c.id = t.client_id "  # noqa: S608
        f"WHERE c.practice_id = {mark}",
        f"SELECT * FROM {supplies} WHERE practice_id = {mark}",  # noqa: S608
        f"SELECT * FROM {touchpoints} WHERE practice_id = {mark}",  # noqa: S608
    ]
    if connection.vendor == "sqlite":
        # A connection of its own: Django's converts every datetime, date and bool column as
        # it is fetched (detect_types), which the floor must not pay.
        database = sqlite3.connect(str(connection.settings_dict["NAME"]))
    else:
        connection.ensure_connection()
        database = connection.connection  # psycopg's own connection, no ORM
    cursor = database.cursor()
    rows = 0
    try:
        for statement in statements:
            cursor.execute(statement, (practice_id,))
            # In chunks: at 1,000,000 clients one table's rows (10,000,000 appointments) would
            # not fit in memory at once; the sweep too reads them batch by batch.
            while chunk := cursor.fetchmany(10_000):
                rows += len(chunk)
    finally:
        cursor.close()
        if database is not connection.connection:
            database.close()
    return rows


def clear_plans(practice: Practice) -> None:
    """Plain DELETEs: the ORM's ``delete()`` collects 280,000 rows in Python first (and passes
    SQLite too many variables). Nothing in the benchmark's practice points at them."""
    touchpoints, plans = Touchpoint._meta.db_table, PlanFingerprint._meta.db_table
    clients = Client._meta.db_table
    with connection.cursor() as cursor:  # table names from the models, not input
        cursor.execute(f"DELETE FROM {touchpoints} WHERE practice_id = %s", [practice.pk])  # noqa: S608
        cursor.execute(
            f"DELETE FROM {plans} WHERE client_id IN "  # noqa: S608
            f"(SELECT id FROM {clients} WHERE practice_id = %s)",
            [practice.pk],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run_smaller(size: int) -> dict[str, float]:
    """The same benchmark at ``size`` clients, in a child process with its own database."""
    command = [
        sys.executable,
        __file__,
        "--clients",
        str(size),
        "--rounds",
        str(args.rounds),
        "--seed",
        str(args.seed),
        "--batch-size",
        str(args.batch_size),
        "--data-dir",
        str(data_dir.parent / f"{data_dir.name}-baseline-{size}"),
    ]
    if args.database_url:
        base, _, name = args.database_url.rpartition("/")
        database = f"{name}_{size}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{database}"')
        command += ["--database-url", f"{base}/{database}"]
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command += ["--json", out.name]
        print(f"== {size:,} clients", flush=True)
        env = {key: value for key, value in os.environ.items() if key != "BENCH_RESULTS"}
        subprocess.run(command, check=True, env=env)  # noqa: S603 - this script
        return json.loads(Path(out.name).read_text())


GROWTH = (
    ("raw", "raw read"),
    ("raw CPU", "raw read CPU"),
    ("steady", "steady sweep"),
    ("steady CPU", "steady CPU"),
    ("first", "first sweep"),
    ("first CPU", "first CPU"),
)


def growth_table(results: list[dict[str, float]]) -> list[str]:
    """The cost per client at each size, in µs, and (×) its ratio to the smallest size's."""
    smallest = results[0]
    header = f"{'clients':>10}" + "".join(f"{label:>20}" for _, label in GROWTH)
    lines = ["per client, µs (× the smallest size):", header]
    for result in results:
        cells = "".join(
            f"{result[what] * 1e6:>11,.0f} (×{result[what] / smallest[what]:4.2f})"
            for what, _ in GROWTH
        )
        lines.append(f"{result['clients']:>10,}{cells}")
    return lines


def main() -> None:
    call_command("migrate", verbosity=0)
    smaller = [run_smaller(size) for size in smaller_sizes]
    if smaller:
        print(f"== {clients_wanted:,} clients", flush=True)
    name = f"Planner bench {clients_wanted}"
    practice = Practice.objects.filter(name=name).first()
    # The demo adds a couple of clients of its own (an import), so "at least" is the test.
    if practice is None or practice.clients.count() < clients_wanted:
        if practice is not None:
            practice.delete()
        print(f"Building a demo practice of {clients_wanted:,} clients …", flush=True)
        timed(
            "demo",
            lambda: load_demo_practice(
                seed=args.seed, clients=clients_wanted, name=name, progress=True
            ),
        )
        practice = Practice.objects.get(name=name)
    else:
        print(f"Reusing {name} ({connection.vendor})", flush=True)
    clients = practice.clients.count()
    appointments = practice.appointments.count()
    print(
        f"{clients:,} clients, {appointments:,} appointments on {connection.vendor}; "
        f"batches of {args.batch_size:,}"
    )
    clear_plans(practice)
    # The URL patterns (a re-order link is reversed) load once per process, not per sweep.
    assert get_resolver().url_patterns

    raws: list[tuple[float, float]] = []
    reads: list[tuple[float, float]] = []
    sweeps: list[tuple[float, float]] = []
    with clock.at(clock.now()) as now:
        first_seconds, first_cpu, first = timed(
            "first sweep",
            lambda: reconcile_all(practice_id=practice.pk, batch_size=args.batch_size, now=now),
        )
        if connection.vendor == "postgresql":
            # The statistics were taken with the touchpoints deleted (``clear_plans``); the
            # first sweep wrote millions. Without fresh ones PostgreSQL read every touchpoint
            # for each batch of the reads below (5 s a batch at 1,000,000 clients), as autovacuum
            # would not have caught up yet either.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for round_number in range(1, args.rounds + 1):
            *raw, rows = timed(f"raw read {round_number}", lambda: raw_read(practice.pk))
            *read, _ = timed(
                f"ORM read {round_number}", lambda: orm_read(practice.pk, args.batch_size)
            )
            *sweep, steady = timed(
                f"steady sweep {round_number}",
                lambda: reconcile_all(practice_id=practice.pk, batch_size=args.batch_size, now=now),
            )
            assert steady.changed == 0, "a steady sweep must change nothing"
            assert not steady.planned, "a steady sweep must plan nobody"
            raws.append(tuple(raw))
            reads.append(tuple(read))
            sweeps.append(tuple(sweep))
        one_batch = next(client_id_batches(practice_id=practice.pk, batch_size=args.batch_size))
        with CaptureQueriesContext(connection) as queries:
            reconcile_batch(one_batch, now=now, skip_unchanged=True)
    raw_seconds, raw_cpu = min(r[0] for r in raws), min(r[1] for r in raws)
    read_seconds = min(r[0] for r in reads)
    steady_seconds, steady_cpu = min(s[0] for s in sweeps), min(s[1] for s in sweeps)
    per_client = {
        "clients": clients,
        "raw": raw_seconds / clients,
        "steady": steady_seconds / clients,
        "first": first_seconds / clients,
        # CPU time per client: on a shared machine far steadier than the wall clock
        "raw CPU": raw_cpu / clients,
        "steady CPU": steady_cpu / clients,
        "first CPU": first_cpu / clients,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(per_client))
    print(
        f"first sweep: {first.created:,} touchpoints created for {first.clients:,} clients; "
        f"steady sweeps changed {steady.changed:,}, {steady.unchanged:,} clients unchanged"
    )
    print(f"rows per raw read: {rows:,} (clients, appointments, tags, supplies, touchpoints)")
    print(f"queries per steady batch of {len(one_batch):,} clients: {len(queries)}")
    print(
        f"fastest of {args.rounds}: raw read {raw_seconds:.2f} s, ORM read {read_seconds:.2f} s, "
        f"steady sweep {steady_seconds:.2f} s, first sweep {first_seconds:.2f} s"
    )
    print(f"ratio steady sweep / raw read: {steady_seconds / raw_seconds:.2f}  (goal ≤ 4)")
    print(f"  by CPU time:                 {steady_cpu / raw_cpu:.2f}")
    print(f"ratio first sweep / raw read:  {first_seconds / raw_seconds:.2f}  (goal ≤ 10)")
    print(f"  by CPU time:                 {first_cpu / raw_cpu:.2f}")
    print(f"ratio ORM read / raw read:     {read_seconds / raw_seconds:.2f}")
    micro = 1e6
    print(
        f"per client at {clients:,}: raw read {per_client['raw'] * micro:.0f} µs, steady sweep "
        f"{per_client['steady'] * micro:.0f} µs, first sweep {per_client['first'] * micro:.0f} µs"
        f" (CPU {per_client['raw CPU'] * micro:.0f}, {per_client['steady CPU'] * micro:.0f}, "
        f"{per_client['first CPU'] * micro:.0f} µs)"
    )
    on = "" if connection.vendor == "sqlite" else f" ({connection.vendor})"
    record(
        f"steady sweep, {clients_wanted:,} clients{on}",
        steady_seconds,
        "s",
        "raw read of the same tables",
        raw_seconds,
        goal="≤ 4",
    )
    record(
        f"first sweep, {clients_wanted:,} clients{on}",
        first_seconds,
        "s",
        "raw read of the same tables",
        raw_seconds,
        goal="≤ 10",
    )
    record(
        f"ORM read, {clients_wanted:,} clients{on}",
        read_seconds,
        "s",
        "raw read of the same tables",
        raw_seconds,
    )
    if smaller:
        print("\n".join(growth_table([*smaller, per_client])))
        small = smaller[0]["clients"]
        for what, label in (("steady CPU", "steady sweep"), ("first CPU", "first sweep")):
            record(
                f"{label}, CPU per client, {clients_wanted:,} clients{on}",
                per_client[what] * micro,
                "µs",
                f"the same at {small:,} clients",
                smaller[0][what] * micro,
                goal="≈ 1",
            )


if __name__ == "__main__":
    main()
