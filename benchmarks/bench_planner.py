"""The care engine's bulk sweep against only reading the rows it reads, in one run.

Run: ``.venv/bin/python benchmarks/bench_planner.py [--clients 100000] [--quick] [--data-dir DIR]``.

It builds a demo practice of ``--clients`` clients (``aftercare.demo_load``, default 100,000;
``--quick`` uses 2,000) in a SQLite database kept in ``--data-dir`` (default
``var/bench-planner-N``), and reuses it on later runs. Then, all as of one instant:

1. deletes the practice's touchpoints (not timed), so the first sweep plans from scratch;
2. **first sweep** — ``reconcile_all``: read, plan and insert every touchpoint;
3. then ``--rounds`` times (default 3), alternating:
   **read** — only reading the rows the sweep reads (``read_batch_rows`` for every batch of
   1,000 clients: clients, appointments, tags, observed tags, touchpoints, shared resources,
   referrals), the baseline; **raw read** — the same practice's clients, appointments, tags,
   supplies and touchpoints by plain ``sqlite3`` (tuples, datetimes left as text), the floor
   beneath both (the issue's reference: steady sweep ≤ 4×, first sweep ≤ 10×); and
   **steady sweep** — ``reconcile_all`` again: read, plan, compare, write nothing.

Each of the two is taken as its fastest round, so a cold cache or a busy moment on a shared
machine flatters neither (the rounds alternate, so both see the same conditions). It prints
every round, the ratios steady-sweep/read (goal ≤ 3) and first-sweep/read, the same ratio by
CPU time (``time.process_time``, which leaves out time the process waited), the queries one
batch of the sweep costs, and asserts that the steady sweep changed nothing.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--clients", type=int, default=100_000)
parser.add_argument("--quick", action="store_true", help="2,000 clients")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--batch-size", type=int, default=1000)
parser.add_argument("--data-dir", help="Where the benchmark database lives (reused)")
parser.add_argument("--rounds", type=int, default=3, help="read/steady-sweep rounds (default 3)")
args = parser.parse_args()
clients_wanted = 2000 if args.quick else args.clients
data_dir = Path(args.data_dir or ROOT / "var" / f"bench-planner-{clients_wanted}")
data_dir.mkdir(parents=True, exist_ok=True)
os.environ["AFTERCARE_DATA_DIR"] = str(data_dir)
os.environ.pop("AFTERCARE_DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "aftercare.settings"

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare import clock
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import (
    client_id_batches,
    read_batch_rows,
    reconcile_all,
    reconcile_batch,
)
from aftercare.demo_load import load_demo_practice
from aftercare.practice.models import Practice
from benchmarks._report import record


def timed(label: str, work):  # type: ignore[no-untyped-def]
    """Run ``work``; returns (wall-clock seconds, CPU seconds, its result)."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(f"{label:<16} {seconds:8.2f} s  (CPU {cpu:7.2f} s)", flush=True)
    return seconds, cpu, result


def read_everything(practice_id: int, batch_size: int) -> int:
    rows = 0
    for ids in client_id_batches(practice_id=practice_id, batch_size=batch_size):
        batch = read_batch_rows(ids)
        rows += len(batch.clients) + len(batch.appointments) + len(batch.touchpoints)
    return rows


def raw_read(practice_id: int) -> int:
    """The floor beneath the sweep: the same tables' rows by plain ``sqlite3``, no ORM at all.

    Tuples as SQLite gives them (datetimes stay text): what any program must at least do to
    look at every client's appointments, tags, supplies and touchpoints.
    """
    import sqlite3

    from aftercare.appointments.models import Appointment
    from aftercare.clients.models import Client
    from aftercare.supplies.models import Supply

    clients, appointments = Client._meta.db_table, Appointment._meta.db_table
    tags, supplies = Client.tags.through._meta.db_table, Supply._meta.db_table
    touchpoints = Touchpoint._meta.db_table
    statements = [  # table names from the models, not input
        f"SELECT * FROM {clients} WHERE practice_id = ?",  # noqa: S608
        f"SELECT * FROM {appointments} WHERE practice_id = ?",  # noqa: S608
        f"SELECT t.* FROM {tags} t JOIN {clients} c ON c.id = t.client_id WHERE c.practice_id = ?",  # noqa: S608
        f"SELECT * FROM {supplies} WHERE practice_id = ?",  # noqa: S608
        f"SELECT * FROM {touchpoints} WHERE practice_id = ?",  # noqa: S608
    ]
    rows = 0
    with sqlite3.connect(str(connection.settings_dict["NAME"])) as database:
        for statement in statements:
            rows += len(database.execute(statement, (practice_id,)).fetchall())
    return rows


def delete_touchpoints(practice: Practice) -> None:
    """One plain DELETE: the ORM's ``delete()`` collects 280,000 rows in Python first (and
    passes SQLite too many variables). Nothing in the benchmark's practice points at them."""
    table = Touchpoint._meta.db_table  # the model's own name, not input
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE practice_id = %s", [practice.pk])  # noqa: S608


def main() -> None:
    call_command("migrate", verbosity=0)
    name = f"Planner bench {clients_wanted}"
    practice = Practice.objects.filter(name=name).first()
    # The demo adds a couple of clients of its own (an import), so "at least" is the test.
    if practice is None or practice.clients.count() < clients_wanted:
        if practice is not None:
            practice.delete()
        print(f"Building a demo practice of {clients_wanted:,} clients in {data_dir} …", flush=True)
        timed(
            "demo",
            lambda: load_demo_practice(
                seed=args.seed, clients=clients_wanted, name=name, progress=True
            ),
        )
        practice = Practice.objects.get(name=name)
    else:
        print(f"Reusing {name} in {data_dir}", flush=True)
    appointments = practice.appointments.count()
    print(
        f"{clients_wanted:,} clients, {appointments:,} appointments; batches of {args.batch_size:,}"
    )
    delete_touchpoints(practice)

    reads: list[tuple[float, float]] = []
    raws: list[tuple[float, float]] = []
    sweeps: list[tuple[float, float]] = []
    with clock.at(clock.now()) as now:
        first_seconds, _, first = timed(
            "first sweep",
            lambda: reconcile_all(practice_id=practice.pk, batch_size=args.batch_size, now=now),
        )
        for round_number in range(1, args.rounds + 1):
            *read, rows = timed(
                f"read {round_number}", lambda: read_everything(practice.pk, args.batch_size)
            )
            *raw, _ = timed(f"raw read {round_number}", lambda: raw_read(practice.pk))
            raws.append(tuple(raw))
            *sweep, steady = timed(
                f"steady sweep {round_number}",
                lambda: reconcile_all(practice_id=practice.pk, batch_size=args.batch_size, now=now),
            )
            assert steady.changed == 0, "a steady sweep must change nothing"
            reads.append(tuple(read))
            sweeps.append(tuple(sweep))
        one_batch = next(client_id_batches(practice_id=practice.pk, batch_size=args.batch_size))
        with CaptureQueriesContext(connection) as queries:
            reconcile_batch(one_batch, now=now)
    read_seconds, read_cpu = min(r[0] for r in reads), min(r[1] for r in reads)
    steady_seconds, steady_cpu = min(s[0] for s in sweeps), min(s[1] for s in sweeps)
    print(
        f"first sweep: {first.created:,} touchpoints created for {first.clients:,} clients; "
        f"steady sweeps changed {steady.changed:,}"
    )
    print(f"rows read per pass: {rows:,} (clients + appointments + touchpoints)")
    print(f"queries per batch of {len(one_batch):,} clients: {len(queries)}")
    print(
        f"fastest of {args.rounds}: read {read_seconds:.2f} s, steady sweep {steady_seconds:.2f} s"
    )
    print(f"ratio steady sweep / read: {steady_seconds / read_seconds:.2f}  (goal ≤ 3)")
    print(f"  by CPU time:             {steady_cpu / read_cpu:.2f}")
    print(f"ratio first sweep / read:  {first_seconds / read_seconds:.2f}")
    raw_seconds = min(r[0] for r in raws)
    print(f"raw sqlite3 read:          {raw_seconds:.2f} s")
    print(f"ratio steady sweep / raw:  {steady_seconds / raw_seconds:.2f}  (goal ≤ 4)")
    print(f"ratio first sweep / raw:   {first_seconds / raw_seconds:.2f}  (goal ≤ 10)")
    record(
        f"steady sweep, {clients_wanted:,} clients",
        steady_seconds,
        "s",
        "raw sqlite3 read of the same tables",
        raw_seconds,
        goal="≤ 4",
    )
    record(
        f"first sweep, {clients_wanted:,} clients",
        first_seconds,
        "s",
        "raw sqlite3 read of the same tables",
        raw_seconds,
        goal="≤ 10",
    )
    record(
        f"steady sweep, {clients_wanted:,} clients",
        steady_seconds,
        "s",
        "ORM read of the same rows",
        read_seconds,
        goal="≤ 3",
    )
    record(
        f"first sweep, {clients_wanted:,} clients",
        first_seconds,
        "s",
        "ORM read of the same rows",
        read_seconds,
        goal="≤ 10",
    )


if __name__ == "__main__":
    main()
