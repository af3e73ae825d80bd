"""How the care queue and the care hour scale with the number of items waiting.

Run: ``.venv/bin/python benchmarks/bench_care_queue.py [--items 5000] [--baseline 50]``. It builds
a throw-away SQLite database, gives a small practice ``--baseline`` due tasks and open promises
and a large one ``--items`` of each, and times, in the same process, the care queue page, the
care hour page and the API's first page for both. It prints the medians, their ratio and the
query counts (which must be equal: a fixed number of queries whatever the size). It also times
the pure ranking and care-hour fitting of the large queue alone, to separate Python work from
database work.
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
os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-bench-queue-")
atexit.register(shutil.rmtree, os.environ["AFTERCARE_DATA_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.test_settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from aftercare import clock
from aftercare.care.models import Action, Touchpoint
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role
from aftercare.promises.models import Promise
from aftercare.queue import items as queue
from aftercare.queue import selectors
from aftercare.queue.models import CareHour
from aftercare.testing import make_user
from benchmarks._report import record

NOW = dt.datetime(2026, 11, 24, 8, 15, tzinfo=dt.UTC)  # a Tuesday, inside the care hour


def practice_with(items: int, label: str) -> tuple[HttpClient, Actor]:
    practice = Practice.objects.create(name=f"Bench {label}", time_zone="UTC")
    owner = make_user(f"owner-{label}@bench.example", "Owner", practice, Role.OWNER)
    CareHour.objects.create(
        practice=practice, user=owner, weekday=1, starts=dt.time(8), ends=dt.time(9)
    )
    clients = Client.objects.bulk_create(
        [
            Client(
                practice=practice,
                given_name=f"G{n}",
                family_name=f"F{n}",
                primary_practitioner=owner,
            )
            for n in range(items)
        ],
        batch_size=2000,
    )
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                practice=practice,
                client=client,
                key=f"{client.pk}:bench:{n}",
                kind="call",
                action=Action.TASK,
                title="Call",
                due_at=NOW - dt.timedelta(hours=n % 500),
                status="due",
                value=n % 100,
                estimated_minutes=5 + n % 20,
            )
            for n, client in enumerate(clients)
        ],
        batch_size=2000,
    )
    Promise.objects.bulk_create(
        [
            Promise(
                practice=practice,
                client=client,
                what="Call back",
                due_at=NOW + dt.timedelta(hours=n % 40),
            )
            for n, client in enumerate(clients)
        ],
        batch_size=2000,
    )
    http = HttpClient(SERVER_NAME="127.0.0.1")
    http.force_login(owner)
    membership = Membership.objects.get(user=owner)
    return http, Actor(user=owner, practice=practice, membership=membership)


def measure(http: HttpClient, path: str, repeat: int = 5) -> tuple[float, int]:
    http.get(path)
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = http.get(path)
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        http.get(path)
    return statistics.median(timings), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    small, _ = practice_with(args.baseline, "small")
    large, large_actor = practice_with(args.items, "large")
    print(f"queue items: baseline {2 * args.baseline}, large {2 * args.items} (tasks + promises)")
    print(f"{'page':28} {'baseline':>10} {'large':>10} {'ratio':>7} {'queries':>8}")
    with clock.at(NOW):
        for path in ("/care/", "/care/?scope=practice", "/care/hour/"):
            small_time, small_queries = measure(small, path)
            large_time, large_queries = measure(large, path)
            print(
                f"{path:28} {small_time * 1000:8.1f}ms {large_time * 1000:8.1f}ms "
                f"{large_time / small_time:7.2f} {small_queries}/{large_queries:>3}"
            )
            record(
                f"care queue {path} with {2 * args.items:,} items",
                large_time * 1000,
                "ms",
                f"same with {2 * args.baseline:,} items",
                small_time * 1000,
                goal="≈ 1",
            )
        began = time.perf_counter()
        items = selectors.care_queue(large_actor, NOW, scope="practice")
        read = time.perf_counter() - began
        began = time.perf_counter()
        fitted = queue.fit_care_hour(queue.rank(items, NOW), 60, NOW)
        pure = time.perf_counter() - began
    print(
        f"large queue: sources read and ranked in {read * 1000:.1f}ms; "
        f"re-rank and fit {len(fitted)} items into 60 min in {pure * 1000:.1f}ms"
    )


if __name__ == "__main__":
    main()
