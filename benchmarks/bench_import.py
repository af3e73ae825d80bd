"""How fast the client import is, against the floor beneath it: a plain CSV read and bulk insert.

Run: ``.venv/bin/python benchmarks/bench_import.py [--rows 10000] [--rounds 3]``. It builds a
throw-away SQLite database in a temporary data folder and a Cliniko-style export of ``--rows``
clients (UTF-8 with a BOM, Windows line endings, day-first dates, phones as people type them),
then, in alternating rounds, into a fresh practice each time:

- the floor: ``csv.reader`` over the decoded text and ``Client.objects.bulk_create`` of the
  same rows as they are (no checks, no matching, no consent history, no audit);
- the import: ``read_client_file`` (encoding, separator, mapping, date order), every row
  checked (``read_client_rows``: email, E.164 phone, date), matched against the practice and
  written (``import_clients``: clients, consent history, one audit event, one re-plan);
- the re-run: the same file again, which matches every row and writes nothing.

It prints rows per second of each and the ratio import / floor (the goal is ≥ 0.3).
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import atexit
import csv
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-bench-import-")
atexit.register(shutil.rmtree, os.environ["AFTERCARE_DATA_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.test_settings")

import django

django.setup()

from django.core.management import call_command

from aftercare.clients.models import Client
from aftercare.imports.clients import import_clients
from aftercare.imports.reading import read_client_file
from aftercare.practice.access import Actor
from aftercare.practice.models import Practice, Role
from aftercare.testing import make_user
from benchmarks._report import record


def export_file(rows: int) -> bytes:
    out = io.StringIO()
    out.write("Patient ID,First name,Last name,Date of birth,Email,Mobile\r\n")
    for number in range(1, rows + 1):
        out.write(
            f"{number},Given{number},Family{number},{number % 28 + 1:02d}/"
            f"{number % 12 + 1:02d}/19{40 + number % 60},c{number}@example.org,"
            f"07911 {100000 + number}\r\n"
        )
    return out.getvalue().encode("utf-8-sig")


def practice(number: int) -> Actor:
    place = Practice.objects.create(name=f"Bench {number}", time_zone="Europe/London", country="GB")
    owner = make_user(f"owner{number}@bench.example", "Owner", place, Role.OWNER)
    return Actor(user=owner, practice=place, via="bench")


def floor(actor: Actor, data: bytes) -> int:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    next(reader)
    clients = [
        Client(
            practice=actor.practice,
            external_id=external_id,
            given_name=given,
            family_name=family,
            email=email,
            phone=phone,
        )
        for external_id, given, family, _born, email, phone in reader
    ]
    Client.objects.bulk_create(clients, batch_size=500)
    return len(clients)


def ours(actor: Actor, data: bytes) -> tuple[int, int]:
    reading = read_client_file(data, practice=actor.practice)
    rows = reading.rows(actor.practice)
    result = import_clients(actor=actor, rows=rows.rows, refused=rows.refused)
    return result.created, result.unchanged


def timed(work, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = work(*args)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    data = export_file(options.rows)
    floors, imports, reruns = [], [], []
    for number in range(options.rounds):
        seconds, count = timed(floor, practice(2 * number), data)
        assert count == options.rows
        floors.append(seconds)
        actor = practice(2 * number + 1)
        seconds, (created, _) = timed(ours, actor, data)
        assert created == options.rows, created
        imports.append(seconds)
        seconds, (_, unchanged) = timed(ours, actor, data)
        assert unchanged == options.rows, unchanged
        reruns.append(seconds)
    rows = options.rows
    best = {"floor": min(floors), "import": min(imports), "re-run": min(reruns)}
    print(f"{rows} rows, best of {options.rounds} rounds (median in brackets)")
    for name, values in (("floor", floors), ("import", imports), ("re-run", reruns)):
        print(
            f"  {name:7} {rows / best[name]:>9,.0f} rows/s "
            f"({rows / statistics.median(values):,.0f})"
        )
    print(f"  ratio import / floor: {best['floor'] / best['import']:.2f} (goal >= 0.3)")
    floor_rate = rows / best["floor"]
    record(
        f"client import, {rows:,} rows",
        rows / best["import"],
        "rows/s",
        "csv.reader + bulk_create of the same rows",
        floor_rate,
        goal="≥ 0.3",
    )
    record(
        f"client import re-run (every row matched), {rows:,} rows",
        rows / best["re-run"],
        "rows/s",
        "csv.reader + bulk_create of the same rows",
        floor_rate,
    )


if __name__ == "__main__":
    main()
