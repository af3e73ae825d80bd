"""``aftercare up``: set up the data folder and database, create a demo on an empty one, serve.

Serves with gunicorn (2 workers × 2 threads, access log on stdout; static files by whitenoise)
beside ``background_processes()``: the messaging worker, and ``aftercare tick`` once a minute.
All of them run under one small supervisor: SIGTERM or Ctrl+C stops them together, and if
one dies the others are stopped too, so nothing keeps running half-alive.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.urls import reverse

from aftercare.demo_load import load_demo_practice
from aftercare.practice.management.commands.practice import usage_error
from aftercare.practice.models import Practice
from aftercare.supervisor import Process, supervise

DEMO_CLIENTS = 40
DEMO_SEED = 1
TICK_EVERY = 60.0  # seconds


def web_process(*, host: str, port: int, env: Mapping[str, str] | None = None) -> Process:
    return Process(
        "web server",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aftercare.wsgi:application",
            f"--bind={bind_address(host)}:{port}",
            "--workers=2",
            "--threads=2",
            "--access-logfile=-",
            "--graceful-timeout=10",
            # The longest request line gunicorn reads: every query value the API accepts fits.
            "--limit-request-line=8190",
            # Its default socket path is per user: two servers on one machine would clash.
            "--no-control-socket",
        ],
        env=dict(env or {}),
    )


def background_processes(env: Mapping[str, str] | None = None) -> list[Process]:
    """What runs beside the web server, for each command that exists.

    - ``aftercare worker``: renders due messages and sends them, for good.
    - ``aftercare tick``: every minute, makes planned touchpoints due (without it nothing
      planned would ever become due under ``up``). Deployments at scale run both themselves
      (systemd, cron).
    """
    commands = get_commands()
    processes = []
    if "worker" in commands:
        processes.append(
            Process("worker", [sys.executable, "-m", "aftercare", "worker"], env=dict(env or {}))
        )
    if "tick" in commands:
        processes.append(
            Process(
                "tick",
                [sys.executable, "-m", "aftercare", "tick"],
                every=TICK_EVERY,
                env=dict(env or {}),
            )
        )
    return processes


def bind_address(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def public_address(host: str, port: int) -> str:
    """The address to open in a browser (a wildcard bind is reached on the loopback address)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host)  # noqa: S104
    return f"http://{shown or bind_address(host)}:{port}"


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def link_address(*, served: str, configured: str | None) -> tuple[str, str | None]:
    """The address links sent to clients carry under ``up``, and a note when it is not ``served``.

    1. ``AFTERCARE_BASE_URL`` not set: the address ``up`` serves (``--port 8111`` gives links to
       :8111, not the default :8000 nobody listens on).
    2. Set to that same address (``localhost`` and ``127.0.0.1`` are one loopback): no note.
    3. Set to another address: it wins (a proxy in front, a public name), and ``up`` says so at
       start, because a link to an address that does not reach this server is a dead link in a
       client's inbox.
    """
    if not configured or not configured.strip():
        return served, None
    configured = configured.strip().rstrip("/")
    if _same_address(configured, served):
        return configured, None
    return configured, (
        f"Links sent to clients point at {configured} (AFTERCARE_BASE_URL), not at {served} "
        "served here: make sure that address reaches this server, or unset AFTERCARE_BASE_URL."
    )


def _same_address(first: str, second: str) -> bool:
    def key(url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        default_port = 443 if parts.scheme == "https" else 80
        try:
            port = parts.port or default_port
        except ValueError:
            port = None
        return parts.scheme, "loopback" if host in LOOPBACK_HOSTS else host, port

    return key(first) == key(second)


def serve(processes: list[Process]) -> int:
    """Run the processes under the supervisor until they stop; return the exit status."""
    # The children open their own connections; don't keep ours (SQLite locks, PG slots).
    connections.close_all()
    return supervise(processes)


class Command(BaseCommand):
    help = "Set up the database (with a demo practice when it is empty) and serve Aftercare."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument("--no-demo", action="store_true", help="Do not create a demo practice.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise usage_error("--port", f"expected a port between 1 and 65535, got {port}")
        address = public_address(host, port)
        base_url, note = link_address(
            served=address, configured=os.environ.get("AFTERCARE_BASE_URL")
        )
        # The children read their settings from the environment: the web server's pages, the
        # worker's messages and the tick's links all carry this address.
        children_env = {"AFTERCARE_BASE_URL": base_url}
        call_command("migrate", interactive=False, verbosity=0)
        if options["no_demo"] and not Practice.objects.exists():
            self.stdout.write(
                "The database has no practice yet: create one with "
                "`aftercare practice create --name NAME --owner-email EMAIL`."
            )
        elif not Practice.objects.exists():
            result = load_demo_practice(seed=DEMO_SEED, clients=DEMO_CLIENTS)
            self.stdout.write(
                f"Created the demo practice {result.practice.name} "
                f"({result.clients} clients, {result.appointments} appointments).\n"
                f"  Sign in at {address}{reverse('login')}\n"
                f"  Email:    {result.owner.email}\n"
                f"  Password: {result.password}\n"
                "The password is shown only this once; "
                "create a real practice with `aftercare practice create`."
            )
        # whitenoise serves from the package (no collectstatic) but warns if this is missing.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Serving Aftercare on {address}/ (data in {settings.DATA_DIR}).")
        if note:
            self.stdout.write(note)
        if host not in {"127.0.0.1", "localhost", "::1"}:
            # Django answers 400 to host names it was not told about.
            self.stdout.write(
                f"Reached from other machines? Add their address for this server to "
                f"AFTERCARE_ALLOWED_HOSTS (now {', '.join(settings.ALLOWED_HOSTS)}) "
                "and set AFTERCARE_BASE_URL."
            )
        self.stdout.flush()
        status = serve(
            [
                web_process(host=host, port=port, env=children_env),
                *background_processes(children_env),
            ]
        )
        if status:
            sys.exit(status)
