"""How the practice pages scale: the same page with a small and with a large practice.

Run: ``.venv/bin/python benchmarks/bench_pages.py [--clients 20000]``. It builds a throw-away
SQLite database in a temporary data folder, signs in as each practice's owner and times the
clients list (first page, a search, a tag filter, the last page), a client page, a busy day
and week of the schedule, the care queue and the care hour, Today, the inbox (every client
has written once, one in ten unread, every level of triage) and a conversation, with a small
practice as the baseline and a large one, in the same process. It prints the CPU time per
request, the ratios (large ÷ small, large ÷ the signed-in minimal view) and the query counts:
a page should cost the same number of queries and roughly the same time whatever the size
(a deep page of the list costs more, as it skips rows).
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
os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-bench-pages-")
atexit.register(shutil.rmtree, os.environ["AFTERCARE_DATA_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.test_settings")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, include, path

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client, Tag
from aftercare.messaging.models import Direction, Message
from aftercare.practice.models import Membership, Practice, Role, User
from aftercare.queue.models import CareHour
from aftercare.testing import make_user
from benchmarks._report import record

START = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
BUSY_DAY = "2025-01-06"


def fill(practice: Practice, owner: User, clients: int) -> list[int]:
    """``clients`` clients with two tags and two appointments each; 20 on the busy day."""
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
                phone=f"+4479111{number:05d}",
                primary_practitioner=owner,
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
    # The first 20 appointments fall on the busy day, the rest spread over the following days.
    Appointment.objects.bulk_create(
        [
            Appointment(
                practice=practice,
                client_id=row.pk,
                practitioner=owner,
                starts_at=START + dt.timedelta(minutes=30 * (2 * index + k)),
                ends_at=START + dt.timedelta(minutes=30 * (2 * index + k) + 25),
            )
            for index, row in enumerate(rows)
            for k in range(2)
        ],
        batch_size=5000,
    )
    # One reply from every client: one in ten unread, every level of triage among them.
    levels = ("routine", "attention", "urgent", "crisis")
    Message.objects.bulk_create(
        [
            Message(
                practice=practice,
                client_id=row.pk,
                direction=Direction.INBOUND,
                channel="sms",
                from_address=f"+4479111{index:05d}",
                text_body=f"Reply number {index}",
                status="received",
                triage_level=levels[index % 4],
                acknowledged_at=None if index % 10 == 0 else START,
                created_at=START - dt.timedelta(minutes=index),
            )
            for index, row in enumerate(rows)
        ],
        batch_size=5000,
    )
    return [row.pk for row in rows]


def bare_floor(request: HttpRequest) -> HttpResponse:
    """Django's floor: the whole middleware stack, no session, no query."""
    return HttpResponse("ok")


def signed_in_floor(request: HttpRequest) -> HttpResponse:
    """Our pages' honest floor: session, user, membership and one query of the practice."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    membership = Membership.objects.select_related("practice").get(user=request.user)
    first = list(Client.objects.filter(practice=membership.practice).values_list("id")[:1])
    return HttpResponse(f"ok {len(first)}")


# The app's URLs and the two floors, served by this module (``ROOT_URLCONF = "__main__"``).
urlpatterns = [
    path("bench/floor/", bare_floor),
    path("bench/signed-in-floor/", signed_in_floor),
    path("", include("aftercare.urls")),
]


def signed_in_practice(clients: int, label: str) -> tuple[HttpClient, int]:
    practice = Practice.objects.create(name=f"Bench {label}", time_zone="UTC")
    owner = make_user(f"owner-{label}@bench.example", "Owner", practice, Role.OWNER)
    client_ids = fill(practice, owner, clients)
    # A care hour all day every day, so the care hour page shows the queue whenever it runs.
    CareHour.objects.bulk_create(
        [
            CareHour(
                practice=practice,
                user=owner,
                weekday=weekday,
                starts=dt.time(0, 0),
                ends=dt.time(23, 59),
            )
            for weekday in range(7)
        ]
    )
    http = HttpClient(SERVER_NAME="127.0.0.1")
    http.force_login(owner)
    return http, client_ids[len(client_ids) // 2]


def measure(http: HttpClient, path: str, repeat: int = 9) -> tuple[float, float, int]:
    """Median CPU seconds, median wall-clock seconds and the query count of ``GET path``.

    CPU time (this process's, which includes SQLite's work) is the figure to compare: on a
    machine shared with other work the wall-clock time mostly measures the others.
    """
    http.get(path)  # warm up
    cpu, wall = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = http.get(path)
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began)
        assert response.status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        http.get(path)
    return statistics.median(cpu), statistics.median(wall), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--baseline", type=int, default=100)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    small, small_client = signed_in_practice(args.baseline, "small")
    large, large_client = signed_in_practice(args.clients, "large")
    bare_time, bare_wall, _ = measure(
        HttpClient(SERVER_NAME="127.0.0.1"), "/bench/floor/", repeat=25
    )
    floor_time, floor_wall, floor_queries = measure(large, "/bench/signed-in-floor/", repeat=25)
    print(
        f"floors (CPU per request, wall-clock in brackets): bare minimal view "
        f"{bare_time * 1000:.2f}ms ({bare_wall * 1000:.2f}ms); signed-in minimal view "
        f"{floor_time * 1000:.2f}ms ({floor_wall * 1000:.2f}ms, {floor_queries} queries)"
    )
    record(
        "signed-in minimal view (CPU)",
        floor_time * 1000,
        "ms",
        "bare minimal view",
        bare_time * 1000,
    )
    print(f"clients: baseline {args.baseline}, large {args.clients} (2 appointments each)")
    print(
        f"{'page (CPU per request)':40} {'baseline':>10} {'large':>10} {'ratio':>6} "
        f"{'÷ floor':>7} {'queries':>8} {'wall, large':>12}"
    )
    rows = [
        ("/clients/", "/clients/", "/clients/"),
        ("/clients/?q=given1", "/clients/?q=given1", "/clients/?q=given1"),
        ("/clients/?q=07911100001", "/clients/?q=07911100001", "/clients/?q=07911100001"),
        ("/clients/?tag=sleep", "/clients/?tag=sleep", "/clients/?tag=sleep"),
        (
            "/clients/?page=last",
            f"/clients/?page={(args.baseline + 49) // 50}",
            f"/clients/?page={(args.clients + 49) // 50}",
        ),
        ("/clients/ID/", f"/clients/{small_client}/", f"/clients/{large_client}/"),
        (
            "/appointments/day/?date=busy",
            f"/appointments/day/?date={BUSY_DAY}",
            f"/appointments/day/?date={BUSY_DAY}",
        ),
        ("/care/", "/care/", "/care/"),
        ("/care/hour/", "/care/hour/", "/care/hour/"),
        (
            "/appointments/week/?date=busy",
            f"/appointments/week/?date={BUSY_DAY}",
            f"/appointments/week/?date={BUSY_DAY}",
        ),
        ("/today/", "/today/", "/today/"),
        ("/today/?scope=practice", "/today/?scope=practice", "/today/?scope=practice"),
        ("/messages/inbox/", "/messages/inbox/", "/messages/inbox/"),
        (
            "/messages/inbox/?level=crisis",
            "/messages/inbox/?level=crisis",
            "/messages/inbox/?level=crisis",
        ),
        (
            "/messages/client/ID/",
            f"/messages/client/{small_client}/",
            f"/messages/client/{large_client}/",
        ),
    ]
    for label, small_path, large_path in rows:
        small_time, _, small_queries = measure(small, small_path)
        large_time, large_wall, large_queries = measure(large, large_path)
        queries = f"{small_queries}/{large_queries}"
        print(
            f"{label:40} {small_time * 1000:8.1f}ms {large_time * 1000:8.1f}ms "
            f"{large_time / small_time:6.2f} {large_time / floor_time:7.2f} {queries:>8} "
            f"{large_wall * 1000:10.1f}ms"
        )
        record(
            f"page {label} at {args.clients:,} clients (CPU)",
            large_time * 1000,
            "ms",
            "signed-in minimal view",
            floor_time * 1000,
            goal="≤ 3",
        )
        record(
            f"page {label} at {args.clients:,} clients (CPU)",
            large_time * 1000,
            "ms",
            f"same page at {args.baseline:,} clients",
            small_time * 1000,
            goal="≈ 1",
        )


if __name__ == "__main__":
    main()
