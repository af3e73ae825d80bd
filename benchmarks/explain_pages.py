"""The database's work per page: every query of the care queue, Today and the API's clients list
under PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)``.

Run: ``.venv/bin/python benchmarks/explain_pages.py --database-url postgres://…/NAME
[--clients 100000] [--keep] [--plans]``.

``bench_load.py`` measures how much CPU the PostgreSQL server spends per request; this says
which queries it is spent in. It fills ``bench_pages.py``'s practice into a database of its own
(``NAME``, created, analysed after the bulk load as ``aftercare demo`` does, and dropped at the
end unless ``--keep``; a kept database is used again without filling, so the plans of one fill
can be compared before and after a change), signs the owner in, asks each page once to warm
up, records its queries (``CaptureQueriesContext``) on the second request and runs each
``SELECT`` again under ``EXPLAIN ANALYZE`` three times, keeping the fastest execution time. It
prints each query's time and the page's sum; ``--plans`` adds the plans of the slowest.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_pages

PATHS = [
    ("care queue", "browser", "/care/"),
    ("Today", "browser", "/today/"),
    ("API GET /api/v1/clients", "api", "/api/v1/clients?limit=50"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgres://…/NAME (its own)")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database for another run")
    parser.add_argument("--plans", action="store_true", help="print the slowest queries' plans")
    return parser.parse_args(argv)


def existing(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def create(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def practice_and_owner(clients: int, fill: bool) -> tuple[object, object]:
    from django.core.management import call_command

    from aftercare.practice.models import Membership, Practice, Role

    call_command("migrate", verbosity=0)
    if not fill:
        practice = Practice.objects.get(name=f"Bench {clients}")
        owner = Membership.objects.get(practice=practice, role=Role.OWNER).user
        return practice, owner
    practice, owner, _ids, _filled = bench_pages.filled_practice(clients)
    return practice, owner


def explain(sql: str, params: object) -> tuple[float, list[str]]:
    """The fastest of three ``EXPLAIN ANALYZE`` runs: its execution time (ms) and plan."""
    from django.db import connection

    best: tuple[float, list[str]] | None = None
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        found = re.search(r"Execution Time: ([\d.]+)", plan[-1])
        ms = float(found.group(1)) if found else 0.0
        if best is None or ms < best[0]:
            best = (ms, plan)
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    fill = not existing(args.database_url)
    if fill:
        create(args.database_url)
    os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-explain-")
    try:
        bench_pages.setup_django(args.database_url)
        from django.db import connection
        from django.test import Client as HttpClient

        from aftercare.practice.access import Actor
        from aftercare.practice.services import token_create

        practice, owner = practice_and_owner(args.clients, fill)
        _token, raw = token_create(actor=Actor(user=owner, practice=practice), user=owner)
        browser = HttpClient(SERVER_NAME="127.0.0.1")
        browser.force_login(owner)
        clients = {
            "browser": browser,
            "api": HttpClient(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}"),
        }
        for label, who, path in PATHS:
            queries = recorded(clients[who], path)
            print(f"== {label} ({path}): {len(queries)} queries")
            timed = []
            for number, (sql, params) in enumerate(queries):
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                ms, plan = explain(sql, params)
                timed.append((ms, number, sql, plan))
                print(f"  [{number:2}] {ms:8.3f} ms  {sql[:90]}")
            print(f"  sum of execution times: {sum(ms for ms, *_ in timed):.2f} ms")
            if args.plans:
                for ms, number, sql, plan in sorted(timed, reverse=True)[:4]:
                    print(f"\n  [{number}] {ms:.3f} ms\n{sql}\n" + "\n".join(plan) + "\n")
        connection.close()
    finally:
        if not args.keep:
            bench_pages.drop_database(args.database_url)


def recorded(http: object, path: str) -> list[tuple[str, object]]:
    """The queries of the second request of ``path`` (the first warms the caches up)."""
    from django.db import connection

    found: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        found.append((sql, params))
        return execute(sql, params, many, context)

    http.get(path)  # type: ignore[attr-defined]
    with connection.execute_wrapper(record):
        response = http.get(path)  # type: ignore[attr-defined]
    assert response.status_code == 200, (path, response.status_code)
    return found


if __name__ == "__main__":
    main()
