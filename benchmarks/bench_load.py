"""Pages and the API under load: 16 connections against gunicorn in a second process.

Run: ``.venv/bin/python benchmarks/bench_load.py [--clients 100000] [--requests 500]
[--connections 16] [--quick] [--database-url postgres://…]`` (``--quick``: 1,000 clients, 50
requests a path, so its p99 is the slowest of 50).

Issue 16's goals for the pages, at 100,000 clients on two cores: CPU per request at most 3× the
signed-in minimal view's, and a p99 under 100 ms at 16 connections. ``bench_pages.py`` times
each page alone in its own process; this serves them as ``aftercare up`` does and measures them
as a browser meets them:

1. Fill a practice of ``--clients`` clients exactly as ``bench_pages.py`` does (its ``fill``),
   in a database of its own: a throw-away SQLite file in a temporary data folder, or with
   ``--database-url`` a PostgreSQL database next to the one named (its name with
   ``_load_N`` appended), analysed after the bulk load as ``aftercare demo`` does, and dropped
   at the end.
2. Serve it with gunicorn, 2 processes × 2 threads, in a second process
   (``benchmarks/_server.py``, shared with ``bench_inbound.py``), with ``pages_site``'s two
   floors beside every route.
3. Sign the practice's owner in (a session cookie made for them) and make an API token.
4. Warm every path, then send ``--requests`` GETs to each over ``--connections`` keep-alive
   connections: the bare and the signed-in minimal views, the care queue, Today, the clients
   list, the clients list searched by name, a client page and ``GET /api/v1/clients`` (token),
   then the two floors again (the lower CPU of before and after is kept: a busy minute on a
   shared machine otherwise flatters every page).

It prints, per path, requests a second, p50 and p99 (wall-clock, as the client sees it), the
server's CPU per request (gunicorn's processes, from ``/proc``; on PostgreSQL the database
server's CPU for this database's connections apart), that CPU ÷ the signed-in floor's, the
p99 ÷ the 100 ms goal, and the load generator's own CPU per request (it shares the machine's
cores with the server). Every request must answer 200: any other answer is counted and printed
per path, and the script then exits with status 1.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bench_pages
from benchmarks._report import record
from benchmarks._server import Request, free_port, load, measure, start_gunicorn, stop_gunicorn

SECRET_KEY = "bench-load-secret-key-long-enough-for-django-0123"  # noqa: S105 - throw-away
GOAL_P99_MS = 100.0
GOAL_CPU_RATIO = 3.0
BARE = "bare minimal view"
FLOOR = "signed-in minimal view"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500, help="requests per path")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="1,000 clients, 50 requests a path")
    parser.add_argument("--database-url", help="measure on PostgreSQL (a database of its own)")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.requests = 1000, 50
    return args


def server_environment(data_dir: str, port: int, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    env.pop("BENCH_RESULTS", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.pages_settings",
            "AFTERCARE_DATA_DIR": data_dir,
            "AFTERCARE_DATABASE_URL": database_url or "",
            "AFTERCARE_SECRET_KEY": SECRET_KEY,
            "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def prepare(clients: int) -> dict[str, Any]:
    """Migrate, fill the practice and sign its owner in; the vendor and the paths to load."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    practice, owner, ids, _filled = bench_pages.filled_practice(clients)
    found = paths(ids, *credentials(practice, owner))
    vendor = connection.vendor
    connection.close()
    return {"vendor": vendor, "paths": found}


def credentials(practice: Any, owner: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The headers of the owner's browser (a session cookie) and of an API token of theirs."""
    from django.conf import settings
    from django.test import Client as HttpClient

    from aftercare.practice.access import Actor
    from aftercare.practice.services import token_create

    _token, raw = token_create(actor=Actor(user=owner, practice=practice), user=owner)
    browser = HttpClient()
    browser.force_login(owner)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    signed_in = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    api = {"Authorization": f"Bearer {raw}", "Accept": "application/json"}
    return signed_in, api


def paths(
    ids: dict[str, int], signed_in: dict[str, str], api: dict[str, str]
) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, headers) of every path loaded, the two floors first."""
    return [
        (BARE, "/bench/floor/", {}),
        (FLOOR, "/bench/signed-in-floor/", signed_in),
        ("care queue", "/care/", signed_in),
        ("Today", "/today/", signed_in),
        ("clients list", "/clients/", signed_in),
        ("clients list, search by name", "/clients/?q=given1", signed_in),
        ("client page", f"/clients/{ids['client']}/", signed_in),
        ("API GET /api/v1/clients", "/api/v1/clients?limit=50", api),
    ]


class DatabaseCpu:
    """CPU seconds of the PostgreSQL processes serving one database, sampled while they run.

    A backend's time is lost when it exits, and the app's connections come and go (they live
    ``CONN_MAX_AGE`` seconds), so a thread reads every backend of the database from ``/proc``
    a few times a second and keeps each one's last figure.
    """

    def __init__(self, database: str) -> None:
        self.marker = f" {database} "  # in a backend's title: "postgres: 15/main: USER DB HOST"
        self.seen: dict[int, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _backends(self) -> dict[int, float]:
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if not title.startswith("postgres:") or self.marker not in title:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, UnicodeDecodeError):
                continue
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
        return found

    def _sample(self) -> None:
        while not self.stopped.wait(0.25):
            self.read()

    def read(self) -> float:
        """The CPU seconds of every backend seen so far (the living ones read now)."""
        backends = self._backends()
        with self.lock:
            self.seen.update(backends)
            return sum(self.seen.values())

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


def run_path(
    port: int, server: int, database: DatabaseCpu | None, path: str, headers: dict, args: Any
) -> dict[str, Any]:
    requests: list[Request] = [("GET", path, None, headers)] * args.requests
    before = database.read() if database else 0.0
    client_before = time.process_time()
    figures = measure(port, server, requests, args.connections)
    figures["client_cpu_ms"] = (time.process_time() - client_before) * 1000 / args.requests
    if database:
        figures["database_cpu_ms"] = (database.read() - before) * 1000 / args.requests
    return figures


def report(args: argparse.Namespace, vendor: str, results: dict[str, list[dict]]) -> int:
    """Print the table and ``record`` the ratios; returns the number of failed requests."""
    on = "SQLite" if vendor == "sqlite" else "PostgreSQL"
    best = {label: min(runs, key=lambda run: run["cpu_ms"]) for label, runs in results.items()}
    floor = best[FLOOR]["cpu_ms"]
    database = "database_cpu_ms" in best[FLOOR]
    print(
        f"{args.requests} requests a path over {args.connections} connections, gunicorn 2x2, "
        f"{args.clients:,} clients, {on}; load average {os.getloadavg()[0]:.1f}"
    )
    if len(results[FLOOR]) > 1:
        print(
            "floors, CPU per request before and after the pages: "
            + "; ".join(
                f"{label} " + " / ".join(f"{run['cpu_ms']:.2f}" for run in results[label]) + " ms"
                for label in (BARE, FLOOR)
            )
        )
    print(
        f"{'path':30} {'req/s':>7} {'p50':>8} {'p99':>8} {'CPU/req':>8} {'÷ floor':>7} "
        f"{'p99÷100ms':>9}"
        + (f" {'db CPU/req':>10}" if database else "")
        + f" {'client CPU':>10}  failed"
    )
    failed = 0
    for label, figures in best.items():
        failures = sum(sum(run["failures"].values()) for run in results[label])
        failed += failures
        print(
            f"{label:30} {figures['rate']:7.1f} {figures['p50']:6.1f}ms {figures['p99']:6.1f}ms "
            f"{figures['cpu_ms']:6.2f}ms {figures['cpu_ms'] / floor:7.2f} "
            f"{figures['p99'] / GOAL_P99_MS:9.2f}"
            + (f" {figures['database_cpu_ms']:8.2f}ms" if database else "")
            + f" {figures['client_cpu_ms']:8.2f}ms  {failures}",
            flush=True,
        )
    record(
        f"signed-in minimal view, {args.connections} connections, {args.clients:,} clients, "
        f"{on} (CPU)",
        floor,
        "ms",
        "bare minimal view, same load",
        best[BARE]["cpu_ms"],
    )
    for label, figures in best.items():
        if label in (BARE, FLOOR):
            continue
        record(
            f"{label}, {args.connections} connections, {args.clients:,} clients, {on} (CPU)",
            figures["cpu_ms"],
            "ms",
            "signed-in minimal view, same load",
            floor,
            goal=f"≤ {GOAL_CPU_RATIO:.0f}",
        )
    for label, figures in best.items():
        if label == BARE:
            continue
        record(
            f"{label}, {args.connections} connections, {args.clients:,} clients, {on} (p99)",
            figures["p99"],
            "ms",
            "issue 16's goal",
            GOAL_P99_MS,
            goal="≤ 1",
        )
    for label, runs in results.items():
        for run in runs:
            for failure, count in sorted(run["failures"].items()):
                print(f"FAILED {label}: {count} × {failure}")
    return failed


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    data_dir = tempfile.mkdtemp(prefix=f"aftercare-bench-load-{args.clients}-")
    os.environ["AFTERCARE_DATA_DIR"] = data_dir
    os.environ["AFTERCARE_SECRET_KEY"] = SECRET_KEY
    # Where `aftercare up` collects the static files; no page asks for them here, but
    # whitenoise warns in every process when the folder is missing.
    os.makedirs(Path(data_dir) / "static")
    url = (
        bench_pages.child_database(args.database_url, args.clients, "load")
        if args.database_url
        else None
    )
    server = database = None
    try:
        bench_pages.setup_django(url)
        prepared = prepare(args.clients)
        port = free_port()
        server = start_gunicorn(server_environment(data_dir, port, url), port)
        if url:
            database = DatabaseCpu(url.rpartition("/")[2])
        paths = prepared["paths"]
        # Warm both processes (imports, templates, each thread's connection): not measured.
        warm: list[Request] = [
            ("GET", path, None, headers) for _, path, headers in paths for _ in range(8)
        ]
        load(port, warm, 4)
        results: dict[str, list[dict]] = {label: [] for label, _, _ in paths}
        floors = [(label, path, headers) for label, path, headers in paths[:2]]
        for label, path, headers in [*paths, *floors]:
            results[label].append(run_path(port, server.pid, database, path, headers, args))
        failed = report(args, prepared["vendor"], results)
    finally:
        if database:
            database.stop()
        if server:
            stop_gunicorn(server)
        if url:
            bench_pages.drop_database(url)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(
        f"took {(time.perf_counter() - began) / 60:.1f} min; load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    if failed:
        raise SystemExit(f"{failed} requests did not answer 200")


if __name__ == "__main__":
    main()
