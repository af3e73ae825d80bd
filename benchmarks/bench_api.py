"""How the API's list pages scale: the same page with few and with many rows.

Run: ``.venv/bin/python benchmarks/bench_api.py [--clients 20000]``. It builds a throw-away
SQLite database in a temporary data folder, then times ``GET /api/v1/clients`` and
``GET /api/v1/appointments`` (first page and a deep page) with a small practice as the
baseline and a large one, in the same process, and prints the ratios and query counts. A
page should cost the same number of queries and roughly the same time whatever the size.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-bench-api-")
atexit.register(shutil.rmtree, os.environ["AFTERCARE_DATA_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.test_settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client, Tag
from aftercare.practice.access import Actor
from aftercare.practice.models import Practice, Role
from aftercare.practice.services import token_create
from aftercare.testing import make_user
from benchmarks._report import record


def fill(practice: Practice, owner_id: int, clients: int) -> None:
    """``clients`` clients with two tags each and two appointments each, in bulk."""
    tags = Tag.objects.bulk_create(
        [Tag(practice=practice, name=name) for name in ("sleep", "grief", "remedy")]
    )
    rows = Client.objects.bulk_create(
        [
            Client(
                practice=practice,
                given_name=f"Given{number}",
                family_name=f"Family{number:06d}",
                email=f"c{number}@example.org",
                primary_practitioner_id=owner_id,
            )
            for number in range(clients)
        ],
        batch_size=2000,
    )
    through = Client.tags.through
    through.objects.bulk_create(
        [
            through(client_id=row.pk, tag_id=tags[(index + k) % 3].pk)
            for index, row in enumerate(rows)
            for k in range(2)
        ],
        batch_size=5000,
    )
    start = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
    Appointment.objects.bulk_create(
        [
            Appointment(
                practice=practice,
                client_id=row.pk,
                practitioner_id=owner_id,
                starts_at=start + dt.timedelta(minutes=37 * (2 * index + k)),
                ends_at=start + dt.timedelta(minutes=37 * (2 * index + k) + 30),
            )
            for index, row in enumerate(rows)
            for k in range(2)
        ],
        batch_size=5000,
    )


def practice_with(clients: int, label: str) -> str:
    practice = Practice.objects.create(name=f"Bench {label}", time_zone="Europe/London")
    owner = make_user(f"owner-{label}@bench.example", "Owner", practice, Role.OWNER)
    fill(practice, owner.pk, clients)
    _token, raw = token_create(actor=Actor(user=owner, practice=practice), user=owner)
    return raw


def measure(http: HttpClient, token: str, path: str, repeat: int = 15) -> tuple[float, int]:
    """Median seconds and the query count of ``GET path``."""
    headers = {"Authorization": f"Bearer {token}"}
    http.get(path, headers=headers)  # warm up
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = http.get(path, headers=headers)
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, response.content
    with CaptureQueriesContext(connection) as queries:
        http.get(path, headers=headers)
    return statistics.median(timings), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--baseline", type=int, default=100)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    small = practice_with(args.baseline, "small")
    large = practice_with(args.clients, "large")
    http = HttpClient(SERVER_NAME="127.0.0.1")
    print(f"clients: baseline {args.baseline}, large {args.clients} (2 appointments each)")
    print(f"{'page':52} {'baseline':>10} {'large':>10} {'ratio':>6} {'queries':>8}")
    pages = [
        "/api/v1/clients?limit=50",
        "/api/v1/clients?limit=50&q=given1&tag=sleep",
        "/api/v1/appointments?limit=50",
        "/api/v1/appointments?limit=50&status=booked&from=2025-03-01T00:00:00Z",
    ]
    deep = {
        "/api/v1/clients?limit=50&offset={offset}": args.baseline - 50,
        "/api/v1/appointments?limit=50&offset={offset}": 2 * args.baseline - 50,
    }
    rows = [(page, page, page) for page in pages]
    for template, baseline_offset in deep.items():
        factor = args.clients // args.baseline
        rows.append(
            (
                template.replace("{offset}", "last"),
                template.format(offset=baseline_offset),
                template.format(offset=baseline_offset * factor + 50 * (factor - 1)),
            )
        )
    for label, small_path, large_path in rows:
        small_time, small_queries = measure(http, small, small_path)
        large_time, large_queries = measure(http, large, large_path)
        queries = f"{small_queries}/{large_queries}"
        print(
            f"{label:52} {small_time * 1000:8.1f}ms {large_time * 1000:8.1f}ms "
            f"{large_time / small_time:6.2f} {queries:>8}"
        )
        record(
            f"API {label} at {args.clients:,} clients",
            large_time * 1000,
            "ms",
            f"same page at {args.baseline:,} clients",
            small_time * 1000,
            goal="≈ 1",
        )


if __name__ == "__main__":
    main()
