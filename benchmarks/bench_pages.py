"""Every page a practitioner uses, with a small and with a large practice, each in its own database.

Run: ``.venv/bin/python benchmarks/bench_pages.py [--clients 100000] [--baseline 100]
[--repeat 5] [--database-url postgres://…] [--only SUBSTRING …]``; ``--only`` times just the
pages whose label contains one of the given substrings (the fill is the same).

The small practice (``--baseline`` clients) and the large one (``--clients``) are each filled
and measured in a **child process with its own database**: a throw-away SQLite file in a
temporary data folder, or with ``--database-url`` a PostgreSQL database of its own on that
server (the URL's database name with ``_pages_N`` appended, created and dropped again), so a
cost that grows with the whole table shows as a ratio and not as noise shared by both. Each
child also measures its own two floors: the **bare minimal view** (the middleware stack, no
session, no query) and the **signed-in minimal view** (session, user, membership and one query
of the practice), before and after the pages, keeping the lower (a busy minute on a shared
machine otherwise flatters every page).

The fill (``fill``): clients with two tags and two appointments each (20 on a busy day), a
reply from every client (one in ten unread, every level of triage), a message sent to every
fourth, one audit event per client (a chained trail), a supply for every tenth (some running
out), the default care rules and care hours, a template of the practice's own, an absence, a
finished client import and a twin of one client to merge. Bulk inserts in large batches, in
one transaction; the fill's time is printed.

The pages (``pages``): the clients list (first page, searches, tag filter, last page), a client
page and its edit and merge pages, the client picker's search, the schedule (busy day and week,
settings, fees, the new-appointment form, an appointment's edit and Move pages), the care
queue, hour and hours, the care rules and the rule form, Today, the inbox, a conversation, the
outbox and a sent message, unmatched replies, the templates and a template's edit page, the
messaging settings, the absence planner and an absence, supplies running out and the supply
form, worsened measures, imports, insights (dashboard, lost clients, trends), the practice
settings, team, API tokens, the audit trail (plain, by client, by action and day, searching a
client), the account page, and a client's portal page (a signed link, signed out).

It prints the fill time, the CPU time per request (median of ``--repeat``), the ratios (large ÷
small, large ÷ the large database's signed-in floor) and the query counts small/large (each the
lower of two requests: once a minute a request also saves the session): a page should cost the
same number of queries whatever the size (a deep page of the list costs more time, as it skips
rows). Pages whose query count differs are listed at the end; the inbox's may (one query more
while its unread messages do not fill the page). The timed client is the same one at every
size (the 41st), so its pages show the same things.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._report import record

START = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
BUSY_DAY = "2025-01-06"
BATCH = 5000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (median)")
    parser.add_argument("--database-url", help="measure on PostgreSQL (a database per size)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="time only the pages whose label contains SUBSTRING (repeatable)",
    )
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # a child: fill and measure
    parser.add_argument("--json", help=argparse.SUPPRESS)  # where a child writes its figures
    return parser.parse_args(argv)


# --- The child: one size, one database ------------------------------------------------------


def child_database(url: str, size: int, kind: str = "pages") -> str:
    """A fresh PostgreSQL database for one size, next to the one ``url`` names."""
    import psycopg

    base, _, name = url.rpartition("/")
    database = f"{name or 'bench'}_{kind}_{size}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    return f"{base}/{database}"


def drop_database(url: str) -> None:
    import psycopg

    base, _, database = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def setup_django(database_url: str | None) -> None:
    os.environ["AFTERCARE_TEST_DATABASE_URL"] = database_url or ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "aftercare.test_settings"
    import django

    django.setup()


def fill(practice: Any, owner: Any, clients: int) -> dict[str, int]:
    """Everything the pages show, by bulk inserts; returns the ids the page paths need."""
    from django.db import transaction

    from aftercare import clock
    from aftercare.absences.models import Absence
    from aftercare.appointments.models import Appointment
    from aftercare.care.models import CareRule
    from aftercare.care.services import care_setup_practice
    from aftercare.clients.models import Client, Tag
    from aftercare.imports.models import ImportJob
    from aftercare.messaging.models import Direction, Message, MessageTemplate
    from aftercare.practice.audit import append_audit_events, client_list, index_pending
    from aftercare.practice.models import AuditEvent
    from aftercare.queue.models import CareHour
    from aftercare.supplies.models import Supply

    today = clock.today(practice.tz)
    with transaction.atomic():
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
                    birth_date=dt.date(1960 + number % 40, 1 + number % 12, 1 + number % 28),
                    primary_practitioner=owner,
                )
                for number in range(clients)
            ],
            batch_size=BATCH,
        )
        ids = [row.pk for row in rows]
        del rows
        through = Client.tags.through
        through.objects.bulk_create(
            (
                through(client_id=pk, tag_id=tags[(index + k) % 3].pk)
                for index, pk in enumerate(ids)
                for k in range(2)
            ),
            batch_size=BATCH,
        )
        # The first 20 appointments fall on the busy day, the rest spread over the days after.
        Appointment.objects.bulk_create(
            (
                Appointment(
                    practice=practice,
                    client_id=pk,
                    practitioner=owner,
                    starts_at=START + dt.timedelta(minutes=30 * (2 * index + k)),
                    ends_at=START + dt.timedelta(minutes=30 * (2 * index + k) + 25),
                )
                for index, pk in enumerate(ids)
                for k in range(2)
            ),
            batch_size=BATCH,
        )
        # One reply from every client: one in ten unread, every level of triage among them.
        levels = ("routine", "attention", "urgent", "crisis")
        Message.objects.bulk_create(
            (
                Message(
                    practice=practice,
                    client_id=pk,
                    direction=Direction.INBOUND,
                    channel="sms",
                    from_address=f"+4479111{index:05d}",
                    text_body=f"Reply number {index}",
                    status="received",
                    triage_level=levels[index % 4],
                    acknowledged_at=None if index % 10 == 0 else START,
                    created_at=START - dt.timedelta(minutes=index),
                )
                for index, pk in enumerate(ids)
            ),
            batch_size=BATCH,
        )
        # A message sent to every fourth client (the outbox).
        Message.objects.bulk_create(
            (
                Message(
                    practice=practice,
                    client_id=pk,
                    direction=Direction.OUTBOUND,
                    channel="email",
                    to_address=f"c{index}@example.org",
                    subject="How are you?",
                    text_body=f"Checking in, number {index}",
                    template_key="check_in",
                    status="sent",
                    created_at=START - dt.timedelta(minutes=index, seconds=30),
                    sent_at=START - dt.timedelta(minutes=index),
                )
                for index, pk in enumerate(ids)
                if index % 4 == 0
            ),
            batch_size=BATCH,
        )
        # The audit trail: one chained event per client (a read of the client's page).
        for begin in range(0, len(ids), BATCH):
            append_audit_events(
                [
                    AuditEvent(
                        practice=practice,
                        user=owner,
                        action=AuditEvent.Action.VIEW,
                        object_type="clients.client",
                        object_id=str(pk),
                        clients=client_list([pk]),
                        summary="Opened the client's page",
                        via="web",
                        at=START + dt.timedelta(seconds=begin + offset),
                    )
                    for offset, pk in enumerate(ids[begin : begin + BATCH])
                ]
            )
        index_pending(practice.pk)  # (as the tick does every minute)
        # A supply for every tenth client, one in five of them running out within a fortnight.
        Supply.objects.bulk_create(
            (
                Supply(
                    practice=practice,
                    client_id=pk,
                    name=f"Remedy {index}",
                    quantity=60,
                    daily_dose=1,
                    started_on=today - dt.timedelta(days=30),
                    runs_out_on=today + dt.timedelta(days=index % 50 // 10 * 7 + 3),
                )
                for index, pk in enumerate(ids)
                if index % 10 == 0
            ),
            batch_size=BATCH,
        )
        care_setup_practice(practice=practice)
        # A care hour all day every day, so the care hour page shows the queue whenever it runs.
        CareHour.objects.bulk_create(
            CareHour(
                practice=practice,
                user=owner,
                weekday=weekday,
                starts=dt.time(0, 0),
                ends=dt.time(23, 59),
            )
            for weekday in range(7)
        )
        MessageTemplate.objects.create(
            practice=practice,
            key="winter_wellbeing",
            name="Winter wellbeing note",
            subject="Keeping well this winter, {{ name }}?",
            text="Dear {{ name }},\n\nHow are you? {{ checkin_url }}\n",
        )
        absence = Absence.objects.create(
            practice=practice,
            practitioner=owner,
            first_day=today + dt.timedelta(days=24),
            last_day=today + dt.timedelta(days=44),
            private_reason="Summer holiday",
            public_note="I am on holiday and back rested.",
            created_by=owner,
        )
        absence.emergency_clients.add(ids[0])
        # The client whose pages are timed has what every tenth and fourth client has (a
        # supply, a message sent) and its appointments on the same days at every size (a later
        # client's would be years ahead at 100,000 clients, and its pages would show other
        # things: an upcoming visit instead of a past one).
        timed = ids[min(len(ids) // 2 // 20 * 20, 40)]
        original = Client.objects.get(pk=timed)
        twin = Client.objects.create(
            practice=practice,
            primary_practitioner=owner,
            given_name=original.given_name,
            family_name=original.family_name,
            birth_date=original.birth_date,
            email=f"twin{timed}@mailbox.example",
            phone=original.phone,
            external_id="booking-tool-1",
        )
        job = ImportJob.objects.create(
            practice=practice,
            created_by=owner,
            file_name="Patients.csv",
            content=b"First name,Last name\r\nAda,Lovelace\r\n",
            mapping={"First name": "given_name", "Last name": "family_name"},
            status=ImportJob.Status.DONE,
            total_rows=1,
            done_rows=1,
            started_at=clock.now(),
            finished_at=clock.now(),
        )
    appointment = Appointment.objects.filter(client_id=timed).order_by("starts_at").first()
    sent = Message.objects.filter(client_id=timed, direction=Direction.OUTBOUND).first() or (
        Message.objects.filter(practice=practice, direction=Direction.OUTBOUND).first()
    )
    return {
        "client": timed,
        "twin": twin.pk,
        "appointment": appointment.pk,
        "rule": CareRule.objects.filter(practice=practice).order_by("pk").first().pk,
        "absence": absence.pk,
        "supply": Supply.objects.filter(practice=practice).order_by("pk").first().pk,
        "message": sent.pk,
        "job": job.pk,
    }


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    signed_out: bool = False


def pages(ids: dict[str, int], clients: int) -> list[Page]:
    """Every page a practitioner uses (and a client's portal page), with this database's ids."""
    from aftercare.links import make_token

    client, twin, appointment = ids["client"], ids["twin"], ids["appointment"]
    last = (clients + 1 + 49) // 50  # the twin is a client too
    return [
        Page("/clients/", "/clients/"),
        Page("/clients/?q=given1", "/clients/?q=given1"),
        Page("/clients/?q=07911100001", "/clients/?q=07911100001"),
        Page("/clients/?tag=sleep", "/clients/?tag=sleep"),
        Page("/clients/?page=last", f"/clients/?page={last}"),
        Page("/clients/ID/", f"/clients/{client}/"),
        Page("/clients/ID/edit/", f"/clients/{client}/edit/"),
        Page("/clients/ID/merge/", f"/clients/{client}/merge/"),
        Page("/clients/ID/merge/?other=TWIN", f"/clients/{client}/merge/?other={twin}"),
        Page("/clients/pick/?client_q=given1", "/clients/pick/?field=client&client_q=given1"),
        Page("/appointments/day/?date=busy", f"/appointments/day/?date={BUSY_DAY}"),
        Page("/appointments/week/?date=busy", f"/appointments/week/?date={BUSY_DAY}"),
        Page("/appointments/new/?client=ID", f"/appointments/new/?client={client}"),
        Page("/appointments/ID/edit/", f"/appointments/{appointment}/edit/"),
        Page("/appointments/ID/move/", f"/appointments/{appointment}/move/"),
        Page("/appointments/settings/", "/appointments/settings/"),
        Page("/appointments/fees/", "/appointments/fees/"),
        Page("/care/", "/care/"),
        Page("/care/hour/", "/care/hour/"),
        Page("/care/hours/", "/care/hours/"),
        Page("/care/rules/", "/care/rules/"),
        Page("/care/rules/new/", "/care/rules/new/"),
        Page("/care/rules/ID/", f"/care/rules/{ids['rule']}/"),
        Page("/today/", "/today/"),
        Page("/today/?scope=practice", "/today/?scope=practice"),
        Page("/messages/inbox/", "/messages/inbox/"),
        Page("/messages/inbox/?level=crisis", "/messages/inbox/?level=crisis"),
        Page("/messages/client/ID/", f"/messages/client/{client}/"),
        Page("/messages/outbox/", "/messages/outbox/"),
        Page("/messages/outbox/ID/", f"/messages/outbox/{ids['message']}/"),
        Page("/messages/unmatched/", "/messages/unmatched/"),
        Page("/messages/templates/", "/messages/templates/"),
        Page("/messages/templates/check_in/en/", "/messages/templates/check_in/en/"),
        Page(
            "/messages/templates/winter_wellbeing/en/", "/messages/templates/winter_wellbeing/en/"
        ),
        Page("/messages/settings/", "/messages/settings/"),
        Page("/absences/", "/absences/"),
        Page("/absences/ID/edit/", f"/absences/{ids['absence']}/edit/"),
        Page("/supplies/running-out/", "/supplies/running-out/"),
        Page("/supplies/client/ID/new/", f"/supplies/client/{client}/new/"),
        Page("/supplies/ID/edit/", f"/supplies/{ids['supply']}/edit/"),
        Page("/measures/worsened/", "/measures/worsened/"),
        Page("/imports/", "/imports/"),
        Page("/imports/ID/", f"/imports/{ids['job']}/"),
        Page("/insights/", "/insights/"),
        Page("/insights/lost/", "/insights/lost/"),
        Page("/insights/trends/", "/insights/trends/"),
        Page("/settings/", "/settings/"),
        Page("/settings/team/", "/settings/team/"),
        Page("/settings/tokens/", "/settings/tokens/"),
        Page("/settings/audit/", "/settings/audit/"),
        Page("/settings/audit/?client=ID", f"/settings/audit/?client={client}"),
        Page("/settings/audit/?action=view&from=…", "/settings/audit/?action=view&from=2025-01-06"),
        Page("/settings/audit/?client_q=given1", "/settings/audit/?client_q=given1"),
        Page("/account/", "/account/"),
        Page("/p/prefs/TOKEN/ (portal)", f"/p/prefs/{make_token('preferences', client)}/", True),
    ]


def measure(http: Any, path: str, repeat: int) -> tuple[float, float, int]:
    """Median CPU seconds, median wall-clock seconds and the query count of ``GET path``.

    CPU time (this process's, which includes SQLite's work) is the figure to compare: on a
    machine shared with other work the wall-clock time mostly measures the others.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = http.get(path)  # warm up
    assert first.status_code == 200, f"{path}: {first.status_code}"
    cpu, wall = [0.0], [0.0]  # with repeat=0, only the query count
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = http.get(path)
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    if repeat:
        cpu, wall = cpu[1:], wall[1:]
    # The lower count of two requests: once a minute a request also saves the session (when
    # it was last seen, ``SessionLimitsMiddleware``), which costs queries of its own.
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            http.get(path)
        counts.append(len(queries))
    return statistics.median(cpu), statistics.median(wall), min(counts)


def filled_practice(clients: int) -> tuple[Any, Any, dict[str, int], dict[str, float]]:
    """The bench's practice of ``clients`` clients, its owner, the ids the page paths need and
    how long the fill took (seconds, CPU). On PostgreSQL the tables are analysed after the bulk
    load, as ``aftercare demo`` does: without statistics PostgreSQL plans the clients list as a
    sort of every client until autovacuum gets round to it."""
    from django.db import connection

    from aftercare.practice.models import Practice, Role
    from aftercare.testing import make_user

    began, began_cpu = time.perf_counter(), time.process_time()
    practice = Practice.objects.create(name=f"Bench {clients}", time_zone="UTC")
    owner = make_user(f"owner-{clients}@bench.example", "Owner", practice, Role.OWNER)
    ids = fill(practice, owner, clients)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    filled = {"seconds": time.perf_counter() - began, "cpu": time.process_time() - began_cpu}
    print(
        f"{clients:,} clients filled in {filled['seconds']:.1f} s ({filled['cpu']:.1f} s CPU), "
        f"{connection.vendor}",
        flush=True,
    )
    return practice, owner, ids, filled


def measure_practice(clients: int, repeat: int, only: list[str] | None = None) -> dict[str, Any]:
    """Fill a practice of ``clients`` clients and measure the floors and every page."""
    from django.test import Client as HttpClient

    _practice, owner, ids, filled = filled_practice(clients)
    signed_in = HttpClient(SERVER_NAME="127.0.0.1")
    signed_in.force_login(owner)
    signed_out = HttpClient(SERVER_NAME="127.0.0.1")
    figures: dict[str, Any] = {"clients": clients, "fill": filled, "pages": {}}
    floors = [
        measure(signed_out, "/bench/floor/", max(repeat, 25)),
        measure(signed_in, "/bench/signed-in-floor/", max(repeat, 25)),
    ]
    for page in pages(ids, clients):
        if only and not any(part in page.label for part in only):
            continue
        http = signed_out if page.signed_out else signed_in
        figures["pages"][page.label] = measure(http, page.path, repeat)
    # The floors again after the pages: on a shared machine one busy minute can double a
    # median, and a floor measured high flatters every page. The lower of the two is kept.
    floors += [
        measure(signed_out, "/bench/floor/", max(repeat, 25)),
        measure(signed_in, "/bench/signed-in-floor/", max(repeat, 25)),
    ]
    figures["bare"] = min(floors[0], floors[2])
    figures["floor"] = min(floors[1], floors[3])
    figures["floors before and after"] = [floor[0] for floor in floors]
    return figures


def run_child(args: argparse.Namespace) -> None:
    data_dir = tempfile.mkdtemp(prefix=f"aftercare-bench-pages-{args.size}-")
    os.environ["AFTERCARE_DATA_DIR"] = data_dir
    url = child_database(args.database_url, args.size) if args.database_url else None
    try:
        setup_django(url)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.urls import clear_url_caches

        call_command("migrate", verbosity=0)
        settings.ROOT_URLCONF = "benchmarks.pages_site"
        clear_url_caches()
        figures = measure_practice(args.size, args.repeat, args.only)
        figures["vendor"] = connection.vendor
        connection.close()
        Path(args.json).write_text(json.dumps(figures))
    finally:
        if url:
            drop_database(url)
        shutil.rmtree(data_dir, ignore_errors=True)


# --- The parent: both sizes, one table -------------------------------------------------------


def run_size(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """Fill and measure ``size`` clients in a child process with a database of its own."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [
            sys.executable,
            __file__,
            "--size",
            str(size),
            "--repeat",
            str(args.repeat),
            "--json",
            out.name,
        ]
        if args.database_url:
            command += ["--database-url", args.database_url]
        for part in args.only:
            command += ["--only", part]
        print(f"== {size:,} clients (own database)", flush=True)
        env = {key: value for key, value in os.environ.items() if key != "BENCH_RESULTS"}
        subprocess.run(command, check=True, env=env, cwd=ROOT)  # noqa: S603 - this script
        return json.loads(Path(out.name).read_text())


def ratio(value: float, reference: float) -> float:
    return value / reference if reference else float("nan")


def report(args: argparse.Namespace, small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    """Print the table, ``record`` the ratios; returns the pages whose query count differs."""
    on = "" if large["vendor"] == "sqlite" else f", {large['vendor']}"
    floor_time, floor_wall, floor_queries = large["floor"]
    bare_time, bare_wall, _ = large["bare"]
    print(
        f"fill: {small['clients']:,} clients {small['fill']['seconds']:.1f} s "
        f"({small['fill']['cpu']:.1f} s CPU); {large['clients']:,} clients "
        f"{large['fill']['seconds']:.1f} s ({large['fill']['cpu']:.1f} s CPU)"
    )
    print(
        f"floors at {large['clients']:,} clients (CPU per request, wall-clock in brackets): bare "
        f"minimal view {bare_time * 1000:.2f}ms ({bare_wall * 1000:.2f}ms); signed-in minimal "
        f"view {floor_time * 1000:.2f}ms ({floor_wall * 1000:.2f}ms, {floor_queries} queries); "
        f"at {small['clients']:,} clients {small['bare'][0] * 1000:.2f}ms and "
        f"{small['floor'][0] * 1000:.2f}ms (the lower of before and after the pages; at "
        f"{large['clients']:,} clients before "
        + ", ".join(f"{value * 1000:.2f}" for value in large["floors before and after"][:2])
        + ", after "
        + ", ".join(f"{value * 1000:.2f}" for value in large["floors before and after"][2:])
        + ")"
    )
    record(
        f"signed-in minimal view, {args.clients:,} clients{on} (CPU)",
        floor_time * 1000,
        "ms",
        "bare minimal view",
        bare_time * 1000,
    )
    print(
        f"{'page (CPU per request)':44} {'small':>9} {'large':>9} {'ratio':>6} "
        f"{'÷ floor':>7} {'queries':>8} {'wall, large':>12}"
    )
    differ = []
    for label, (large_time, large_wall, large_queries) in large["pages"].items():
        small_time, _, small_queries = small["pages"][label]
        if small_queries != large_queries:
            differ.append(f"{label} ({small_queries}/{large_queries})")
        queries = f"{small_queries}/{large_queries}"
        print(
            f"{label:44} {small_time * 1000:7.1f}ms {large_time * 1000:7.1f}ms "
            f"{ratio(large_time, small_time):6.2f} {ratio(large_time, floor_time):7.2f} {queries:>8} "
            f"{large_wall * 1000:10.1f}ms",
            flush=True,
        )
        record(
            f"page {label} at {args.clients:,} clients{on} (CPU)",
            large_time * 1000,
            "ms",
            "signed-in minimal view",
            floor_time * 1000,
            goal="≤ 3",
        )
        record(
            f"page {label} at {args.clients:,} clients{on} (CPU)",
            large_time * 1000,
            "ms",
            f"same page at {args.baseline:,} clients",
            small_time * 1000,
            goal="≈ 1",
        )
    if differ:
        print("query count differs between sizes: " + "; ".join(differ))
    else:
        print("every page costs the same number of queries at both sizes")
    return differ


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.size is not None:
        run_child(args)
        return
    began = time.perf_counter()
    small = run_size(args, args.baseline)
    large = run_size(args, args.clients)
    report(args, small, large)
    print(
        f"took {(time.perf_counter() - began) / 60:.1f} min; load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )


if __name__ == "__main__":
    main()
