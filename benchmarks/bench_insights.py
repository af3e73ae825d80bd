"""Insights at size: the care-score dashboard and the lost-clients list on a big demo practice.

Run: ``.venv/bin/python benchmarks/bench_insights.py [--clients 100000] [--repeat 7]``. It
writes the demo practice (``aftercare.demo_load``, every app's demo data, then every client's
care score and lost status, as ``aftercare demo`` does) into a throw-away SQLite database,
signs in as its owner and times, in the same process:

- the pages ``/insights/`` (score distribution, each check's coverage, the lowest scores) and
  ``/insights/lost/`` (the first page of lost clients, the reasons per month), and the
  ``GET /api/v1/lost-clients`` first page;
- the **baselines**, in raw SQL in the same run: (a) the floor beneath the pages, a plain
  aggregate over the table they read (the distribution ``GROUP BY score``, the lost count, the
  first 50 lost clients joined to their names); (b) a plain aggregate over the source tables, what
  a lost-clients list costs without the kept rows (each client's last visit and whether one is
  booked, ``GROUP BY client_id`` over the appointments); (c) the same dashboard page for an empty
  practice: the fixed cost of any page (session, navigation, banners, template);
- the daily refresh (``insights_refresh``): clients per second.

It prints each page's median time, its ratio to the baseline (goal ≤ 3×) and its queries.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-bench-insights-")
atexit.register(shutil.rmtree, os.environ["AFTERCARE_DATA_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.test_settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from aftercare.demo_load import load_demo_practice
from aftercare.insights.models import ClientInsight
from aftercare.insights.services import insights_refresh
from aftercare.practice.models import ApiToken, Membership, Practice, Role
from aftercare.testing import make_user
from benchmarks._report import record

SOURCE_SQL = [
    "SELECT a.client_id, MAX(a.starts_at), COUNT(*) FROM appointments_appointment a"
    " WHERE a.practice_id = %s AND a.status = 'attended' GROUP BY a.client_id"
    " HAVING NOT EXISTS (SELECT 1 FROM appointments_appointment b WHERE b.client_id = a.client_id"
    " AND b.status = 'booked' AND b.starts_at > CURRENT_TIMESTAMP)",
]
BASELINE_SQL = [
    "SELECT score, COUNT(*) FROM insights_clientinsight WHERE practice_id = %s GROUP BY score",
    "SELECT COUNT(*) FROM insights_clientinsight WHERE practice_id = %s AND lost_since IS NOT NULL",
    "SELECT i.client_id, c.given_name, c.family_name, i.last_visit_at, i.likely_reasons"
    " FROM insights_clientinsight i JOIN clients_client c ON c.id = i.client_id"
    " WHERE i.practice_id = %s AND i.lost_since IS NOT NULL"
    " ORDER BY i.lost_since DESC, i.client_id LIMIT 50",
]


def timed(work: Callable[[], object], repeat: int) -> float:
    work()  # warm up
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    practice = load_demo_practice(seed=1, clients=args.clients).practice
    print(f"demo practice: {args.clients} clients written in {time.perf_counter() - began:.0f} s")
    began = time.perf_counter()
    result = insights_refresh(practice=practice)
    refresh = time.perf_counter() - began
    print(
        f"refresh of every care score: {result.refreshed} clients in {refresh:.1f} s "
        f"({result.refreshed / refresh:.0f} clients/s), {len(result.skipped)} skipped"
    )
    lost = ClientInsight.objects.filter(practice=practice, lost_since__isnull=False).count()
    print(f"lost clients: {lost}")
    owner = Membership.objects.get(practice=practice, role=Role.OWNER).user
    http = HttpClient(SERVER_NAME="127.0.0.1")
    http.force_login(owner)
    token = ApiToken.generate()
    ApiToken.objects.create(
        user=owner,
        practice=practice,
        name="bench",
        prefix=token[:10],
        digest=ApiToken.digest_of(token),
    )

    def raw(statements: list[str]) -> Callable[[], None]:
        def run() -> None:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql, [practice.pk])
                    cursor.fetchall()

        return run

    floor = timed(raw(BASELINE_SQL), args.repeat)
    source = timed(raw(SOURCE_SQL), args.repeat)
    empty = Practice.objects.create(name="Empty", time_zone="UTC")
    empty_owner = make_user("owner@empty.example", "Owner", empty, Role.OWNER)
    empty_http = HttpClient(SERVER_NAME="127.0.0.1")
    empty_http.force_login(empty_owner)
    fixed = timed(lambda: empty_http.get("/insights/"), args.repeat)
    print(f"{'':40} {'median':>10} {'÷ (a)':>7} {'÷ (b)':>7} {'queries':>8}")
    print(
        f"{'(a) raw SQL over the kept rows':40} {floor * 1000:8.1f}ms {1:7.2f} {'':>7} "
        f"{len(BASELINE_SQL):>8}"
    )
    print(
        f"{'(b) raw SQL over the appointments':40} {source * 1000:8.1f}ms "
        f"{source / floor:7.2f} {1:7.2f} {len(SOURCE_SQL):>8}"
    )
    print(
        f"{'(c) /insights/ of an empty practice':40} {fixed * 1000:8.1f}ms "
        f"{fixed / floor:7.2f} {fixed / source:7.2f}"
    )
    pages = [
        ("/insights/", {}),
        ("/insights/lost/", {}),
        ("/api/v1/lost-clients", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
    ]
    for path, headers in pages:

        def get(path: str = path, headers: dict = headers) -> None:
            response = http.get(path, **headers)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])

        seconds = timed(get, args.repeat)
        with CaptureQueriesContext(connection) as queries:
            get()
        print(
            f"{path:40} {seconds * 1000:8.1f}ms {seconds / floor:7.2f} {seconds / source:7.2f} "
            f"{len(queries):>8}   (above the fixed cost: {(seconds - fixed) * 1000:.1f}ms)"
        )
        record(
            f"insights {path} at {args.clients:,} clients",
            seconds * 1000,
            "ms",
            "raw SQL over the appointments (b)",
            source * 1000,
            goal="≤ 3",
        )


if __name__ == "__main__":
    main()
