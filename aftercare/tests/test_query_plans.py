"""Every practice page reads touchpoints, messages and clients through indexes.

Every query those pages make is run again under ``EXPLAIN`` (SQLite's ``EXPLAIN QUERY PLAN``,
PostgreSQL's ``EXPLAIN (FORMAT JSON)`` with sequential scans priced out, as they are for a
large table), and the test fails when the plan reads the whole of ``care_touchpoint``,
``messaging_message`` or ``clients_client`` — a cost that grows with every practice's rows,
not with the page. A query whose plan is not a full scan at 30 rows stays one at 100,000.
Pages of rows in an order (the clients list, the inbox) must read them in the order of an
index and stop at the page's end, not sort every client or message of the practice.

On PostgreSQL each test first takes statistics of its own rows (``ANALYZE``): the planner's
choices then depend on the test's rows alone, not on what earlier tests of the run left.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import Case, When
from django.test import Client as HttpClient

from aftercare import clock
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.clients.models import Tag
from aftercare.messaging.models import Direction, Message, MessageStatus, TriageLevel
from aftercare.queue.items import queue_source
from aftercare.queue.models import CareHour
from aftercare.testing import Personas, make_client

WATCHED = ("care_touchpoint", "messaging_message", "clients_client")
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@contextmanager
def recorded_queries() -> Iterator[list[tuple[str, Any]]]:
    found: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        found.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield found


def sqlite_problems(sql: str, params: Any) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        details = [row[3] for row in cursor.fetchall()]
    problems = []
    for detail in details:
        match = re.match(r"(SCAN|SEARCH) (\w+)(?: AS \w+)?(.*)", detail)
        if not match:
            if "TEMP B-TREE FOR" in detail and "ORDER BY" in detail and _lists_clients(sql):
                problems.append(f"sorts the practice's clients: {detail}")
            elif "TEMP B-TREE FOR ORDER BY" in detail and _pages_messages(sql):
                problems.append(f"sorts the messages to show a page of them: {detail}")
            continue
        how, table, rest = match.groups()
        table = _table_of(sql, table)
        if table not in WATCHED:
            continue
        if how == "SCAN":
            problems.append(f"full scan: {detail}")
        elif table == "care_touchpoint" and not any(
            key in rest for key in ("status=", "rowid=", "client_id=")
        ):
            problems.append(f"reads closed touchpoints too: {detail}")
    return problems


def postgresql_problems(sql: str, params: Any, *, allow_sort: bool = False) -> list[str]:
    with connection.cursor() as cursor:
        # As for a large table: a sequential scan or a sort is then only chosen when no index
        # can answer, which is what the test is about (at 30 rows either would be cheapest).
        cursor.execute("SET LOCAL enable_seqscan = off")
        # A page joins a few rows to their client by index; at 30 rows a merge or hash join
        # over a whole index would look cheaper.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
        # Nor by reading the whole of a small table once and keeping it in memory for the
        # join: at 60 clients that is cheaper than 30 lookups, at 100,000 it is the full
        # read the test is about.
        cursor.execute("SET LOCAL enable_material = off")
        # (A lookup of one key's rows, ``allow_sort``, may sort those few rows: with sorting
        # off, ``ORDER BY id DESC LIMIT 1`` could only walk the whole primary key.)
        cursor.execute(f"SET LOCAL enable_sort = {'on' if allow_sort else 'off'}")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        # Partial indexes whose condition keeps only open touchpoints.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'care_touchpoint' "
            "AND indexdef LIKE '%WHERE%status%'"
        )
        partial_on_status = {row[0] for row in cursor.fetchall()}
    plan = json.loads(plan) if isinstance(plan, str) else plan
    problems: list[str] = []

    def by_primary_key(node: dict[str, Any]) -> bool:
        return bool(re.match(r"^\(?id = ", str(node.get("Index Cond", ""))))

    def relations(node: dict[str, Any]) -> set[str]:
        found = set() if by_primary_key(node) else {node.get("Relation Name")}
        for child in node.get("Plans", []):
            found |= relations(child)
        return found

    one_client = _one_clients_rows(sql)

    def walk(node: dict[str, Any]) -> None:
        relation = node.get("Relation Name")
        kind = node["Node Type"]
        condition = str(node.get("Index Cond", node.get("Recheck Cond", "")))
        if relation in WATCHED:
            if kind == "Seq Scan" or (
                # One client's rows in a date order: at 30 rows PostgreSQL walks the date
                # index rather than sort the client's few rows (the SQLite check reads them
                # by client).
                not one_client
                and kind in {"Index Scan", "Index Only Scan"}
                and "Index Cond" not in node
            ):
                problems.append(f"full scan: {kind} on {relation}")
            elif (
                relation == "care_touchpoint"
                and "status" not in condition
                and node.get("Index Name") not in partial_on_status
                and not by_primary_key(node)
                and "client_id" not in condition
                and not one_client
            ):
                problems.append(f"reads closed touchpoints too: {kind} on {relation} ({condition})")
        if (
            kind in {"Sort", "Incremental Sort"}
            and _lists_clients(sql)
            and "clients_client" in relations(node)
        ):
            problems.append(f"sorts the practice's clients: {node.get('Sort Key')}")
        if (
            kind == "Sort"  # an incremental sort only orders ties of created_at by id
            and _pages_messages(sql)
            and "messaging_message" in relations(node)
        ):
            problems.append(f"sorts the messages to show a page of them: {node.get('Sort Key')}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return problems


def _table_of(sql: str, name: str) -> str:
    """The table behind an alias of the query (``U0``, ``T3``), or the name itself."""
    match = re.search(rf'"(\w+)" (?:AS )?"?{re.escape(name)}"?\b', sql)
    return match.group(1) if match and name not in WATCHED else name


def _lists_clients(sql: str) -> bool:
    """The clients list's own query (rows in name order), not a join through clients."""
    return (
        sql.lstrip().startswith('SELECT "clients_client"."id"')
        and 'ORDER BY "clients_client"."family_name"' in sql
    )


def _one_clients_rows(sql: str) -> bool:
    """A query of one client's rows (their touchpoints, their messages)."""
    return re.search(r'WHERE \(?"\w+"\."client_id" = %s', sql) is not None


def _pages_messages(sql: str) -> bool:
    """A page of messages (the inbox, Today's replies): rows in an order, cut by ``LIMIT``."""
    return (
        sql.lstrip().startswith('SELECT "messaging_message"."id"')
        and " ORDER BY " in sql
        and re.search(r"LIMIT \d+\s*$", sql) is not None
    )


def problems_of(
    queries: list[tuple[str, Any]], *, allow_sort: bool = False
) -> dict[str, list[str]]:
    def explain(sql: str, params: Any) -> list[str]:
        if connection.vendor == "sqlite":
            return sqlite_problems(sql, params)
        return postgresql_problems(sql, params, allow_sort=allow_sort)

    found = {}
    for sql, params in queries:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        if not any(table in sql for table in WATCHED):
            continue
        problems = explain(sql, params)
        if problems:
            found[sql] = problems
    return found


@pytest.fixture
def busy_practice(personas: Personas) -> Personas:
    """Rows for every source of the queue and every column of the list, in both practices."""
    now = clock.now()
    tag = Tag.objects.create(practice=personas.practice, name="grief")
    personas.client.tags.add(tag)
    touchpoints: list[Touchpoint] = []
    for index in range(30):
        for practice in (personas.practice, personas.other_practice):
            client = make_client(
                practice, given_name=f"Client{index}", email=f"c{index}.{practice.pk}@example.org"
            )
            # Three open touchpoints and a history of closed ones, most of a client's rows as
            # in a practice of some years: an index that reads closed ones too shows up as the
            # planner's worse choice, as it is at scale, not as a cheap one.
            closed = (
                TouchpointStatus.DONE,
                TouchpointStatus.SENT,
                TouchpointStatus.CANCELLED,
                TouchpointStatus.EXPIRED,
                TouchpointStatus.SKIPPED,
            )
            for number, (status, due) in enumerate(
                (
                    (TouchpointStatus.PLANNED, now - dt.timedelta(days=1)),
                    (TouchpointStatus.DUE, now - dt.timedelta(hours=2)),
                    (TouchpointStatus.PLANNED, now + dt.timedelta(days=3)),
                    *(
                        (closed[past % len(closed)], now - dt.timedelta(days=9 + 20 * past))
                        for past in range(12)
                    ),
                )
            ):
                touchpoints.append(
                    Touchpoint(
                        practice=practice,
                        client=client,
                        key=f"{client.pk}:plan-test:{number}",
                        kind="recall",
                        action=Action.MESSAGE if status == TouchpointStatus.SENT else Action.TASK,
                        title="Call",
                        due_at=due,
                        status=status,
                    )
                )
            Message.objects.create(
                practice=practice,
                client=client,
                direction=Direction.INBOUND,
                channel="sms",
                status=MessageStatus.RECEIVED,
                text_body="feeling dizzy since the new dose",
                triage_level=TriageLevel.ATTENTION if index % 2 else TriageLevel.ROUTINE,
            )
            Message.objects.create(
                practice=practice,
                client=client,
                direction=Direction.OUTBOUND,
                channel="email",
                status=MessageStatus.FAILED if index % 5 == 0 else MessageStatus.SENT,
            )
    Touchpoint.objects.bulk_create(touchpoints)
    # A care hour now, so the care hour page reads the queue.
    CareHour.objects.create(
        practice=personas.practice,
        user=personas.owner,
        weekday=now.weekday(),
        starts=dt.time(0, 0),
        ends=dt.time(23, 59),
    )
    describe_the_rows_to_the_planner()
    return personas


def describe_the_rows_to_the_planner() -> None:
    """Fresh PostgreSQL statistics of every table, taken from the test's own rows.

    Without this, each table's statistics are whatever earlier tests of the run left: ANALYZE
    (the demo's, autovacuum's) writes a table's row and page counts in place, so they outlive
    a test's rollback, and with them the planner's choices changed with the order of the
    tests. Called once the test's rows are written; it holds each table's ANALYZE lock to
    the end of the test, so autovacuum cannot change them meanwhile.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


PAGES: dict[str, str] = {
    "care queue": "/care/",
    "care queue, whole team": "/care/?scope=all",
    "clients list": "/clients/",
    "clients list, page 2": "/clients/?page=2",
    "clients list, by tag": "/clients/?tag=grief",
    "clients list, archived": "/clients/?archived=1",
    "clients list, search by name": "/clients/?q=client1",
    "clients list, search by phone": "/clients/?q=07700900123",
    "client page": "/clients/{client}/",
    "day view": "/appointments/day/?date=2026-11-30",
    "week view": "/appointments/week/?date=2026-11-30",
    "care hour": "/care/hour/",
    "Today": "/today/",
    "Today, whole practice": "/today/?scope=practice",
    "inbox": "/messages/inbox/",
    "inbox, read": "/messages/inbox/?state=read",
    "inbox, one level": "/messages/inbox/?level=attention",
    "conversation": "/messages/client/{client}/",
}


@pytest.mark.parametrize("page", PAGES)
def test_the_page_reads_no_watched_table_in_full(
    client: HttpClient, busy_practice: Personas, page: str
) -> None:
    client.force_login(busy_practice.owner)
    with recorded_queries() as queries:
        response = client.get(PAGES[page].format(client=busy_practice.client.pk))
    assert response.status_code == 200
    assert any(table in sql for sql, _ in queries for table in WATCHED)
    problems = problems_of(queries)
    assert problems == {}, "\n\n".join(f"{sql}\n  -> {found}" for sql, found in problems.items())


def test_the_check_fails_on_a_full_scan_and_on_sorting_every_client(
    busy_practice: Personas,
) -> None:
    """The checks can fail: a filter no index serves, and orders no index gives."""
    with recorded_queries() as queries:
        list(Touchpoint.objects.filter(title="Call").values_list("id"))
        list(Message.objects.filter(text_body__contains="dizzy").values_list("id"))
        list(
            busy_practice.practice.clients.order_by("family_name", "given_name", "id")
            .filter(email__contains="c1")
            .values_list("id")
        )
        list(
            Touchpoint.objects.filter(
                practice=busy_practice.practice, due_at__lte=clock.now()
            ).values_list("id")
        )
        # The inbox as it was: every inbound message sorted by a computed "unread" value.
        list(
            Message.objects.filter(practice=busy_practice.practice, direction=Direction.INBOUND)
            .annotate(unread=Case(When(acknowledged_at__isnull=True, then=1), default=0))
            .order_by("-unread", "-created_at")[:50]
        )
    problems = problems_of(queries)
    assert len(problems) == 5, problems
    assert any("sorts the messages" in found[0] for found in problems.values())
    assert any("full scan" in found[0] for found in problems.values())
    assert any("reads closed touchpoints" in found[0] for found in problems.values())


def plan_text(sql: str, params: Any) -> str:
    """SQLite's ``EXPLAIN QUERY PLAN`` of the query, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[3]) for row in cursor.fetchall())


# Queue sources whose rows hide among many others: read through their own index, not through
# one that holds every message sent or every appointment booked.
SOURCE_INDEXES = {
    "unreachable": ("messaging_message", "message_unreachable"),
    "rebook": ("appointments_appointment", "appointment_rebook_waiting"),
}


@pytest.mark.parametrize("kind", SOURCE_INDEXES)
def test_a_queue_source_reads_its_waiting_rows_through_its_index(
    busy_practice: Personas, kind: str
) -> None:
    """SQLite's plan names the index; PostgreSQL's planner, with 30 rows and no statistics,
    picks any index of the practice, so there the index must exist and the plan read no
    watched table in full (the rows it stands for are the page's, not the practice's)."""
    table, index = SOURCE_INDEXES[kind]
    appointment = busy_practice.appointment
    appointment.rebook_requested_at = clock.now()
    appointment.save(update_fields=["rebook_requested_at"])
    describe_the_rows_to_the_planner()
    source = queue_source(kind)
    assert source is not None
    with recorded_queries() as queries:
        source.first_items(busy_practice.actor(), clock.now(), "practice", 5)
    of_table = [(sql, params) for sql, params in queries if f'FROM "{table}"' in sql]
    assert of_table, f"no query of {table}"
    if connection.vendor == "sqlite":
        plans = [plan_text(sql, params) for sql, params in of_table]
        assert all(f"USING INDEX {index}" in plan for plan in plans), plans
        # Every search of the table (the rows, and their count) by that index or by id: not
        # by another index that holds every message sent (message_unread_order, for one).
        searches = [
            line
            for plan in plans
            for line in plan.splitlines()
            if re.match(rf"SEARCH ({table}|[A-Z]\d+) ", line)
            and _table_of(" ".join(sql for sql, _ in of_table), line.split()[1]) == table
        ]
        assert searches and all(
            re.search(rf"USING (COVERING )?INDEX {index}\b", line) or "INTEGER PRIMARY KEY" in line
            for line in searches
        ), searches
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            assert index in {row[0] for row in cursor.fetchall()}
        assert problems_of(of_table) == {}


def test_the_inbound_webhooks_read_through_indexes(
    client: HttpClient, busy_practice: Personas, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an inbound webhook does before it answers (issue 16: every lookup indexed):
    a retry found by its provider id, the practice by the number written to, the client by
    their number or by the reply token, the last message sent to them."""
    from email.message import EmailMessage

    from twilio.request_validator import RequestValidator

    from aftercare.messaging.services import message_queue
    from aftercare.practice.models import Practice

    settings.TWILIO_AUTH_TOKEN = "twilio-auth-token-for-tests"
    settings.INBOUND_EMAIL_TOKEN = "inbound-token-0123456789"
    settings.REPLY_DOMAIN = "reply.example.org"
    Practice.objects.filter(pk=busy_practice.practice.pk).update(sms_number="+447700100111")
    sent = message_queue(client=busy_practice.client, template_key="check_in")
    describe_the_rows_to_the_planner()

    def sms(sender: str, sid: str) -> None:
        params = {"MessageSid": sid, "From": sender, "To": "+447700100111", "Body": "Fine"}
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
            f"{settings.BASE_URL}/hooks/twilio/sms", params
        )
        response = client.post("/hooks/twilio/sms", params, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200

    def mail(sender: str, to: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"], message["To"] = sender, to
        message["Subject"], message["Message-ID"] = "Re: How are you?", f"<{message_id}>"
        message.set_content("Much better, thank you.")
        response = client.post(
            "/hooks/email/inbound-token-0123456789",
            message.as_bytes(),
            content_type="message/rfc822",
        )
        assert response.status_code == 200

    # The practice by its number too (a table of few rows, but read by an index all the same).
    monkeypatch.setitem(globals(), "WATCHED", (*WATCHED, "practice_practice"))
    with recorded_queries() as queries:
        sms(busy_practice.client.phone, "SM" + "1" * 32)
        sms(busy_practice.client.phone, "SM" + "1" * 32)  # the retry
        sms("+447700100999", "SM" + "2" * 32)  # a stranger
        mail("ruth@example.org", f"reply+{sent.reply_token}@reply.example.org", "r1@x.org")
        mail(busy_practice.client.email.upper(), "hello@reply.example.org", "r2@x.org")
    assert Message.objects.filter(direction=Direction.INBOUND, status="arrived").count() == 4

    # Full scans only: the page checks (a page of rows in an order) do not apply to a lookup
    # of one row (ORDER BY … LIMIT 1 over the rows of one unique key sorts at most a few).
    # The practice table is watched for the lookup *of a practice* by its number; a message
    # read with its practice joined (a few rows, by primary key) is PostgreSQL's choice of join
    # on a table without statistics, not a scan that grows with the practices' data.
    def counts(sql: str, problem: str) -> bool:
        return problem.startswith("full scan") and (
            "practice_practice" not in problem or 'FROM "practice_practice"' in sql
        )

    problems = {
        sql: scans
        for sql, found in problems_of(queries, allow_sort=True).items()
        if (scans := [problem for problem in found if counts(sql, problem)])
    }
    assert problems == {}, "\n\n".join(
        f"{sql[:80]}…{sql[sql.find(' WHERE') :]}\n  -> {found}" for sql, found in problems.items()
    )


def test_the_running_out_page_reads_one_page_of_supplies_in_index_order(
    client: HttpClient, busy_practice: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The running-out list (issue 16): a page of supplies, soonest first, read in the order of
    the ``supply_current_runs_out`` index and cut at the page's end, not every current supply
    of the practice sorted; the re-order steps of the page's supplies read by index too."""
    from aftercare.supplies.tests.factories import add_supply

    actor = busy_practice.actor()
    for index, other in enumerate(busy_practice.practice.clients.all()[:12]):
        add_supply(actor, other, started_on=dt.date(2026, 9, 1) + dt.timedelta(days=index))
    # As in a practice of some years, most supplies are another practice's or finished: the
    # twelve current ones of this practice are a few of the table's rows, not nearly all.
    outsider = busy_practice.actor(busy_practice.outsider)
    for practice_actor in (actor, outsider):
        for other in practice_actor.practice.clients.all()[:30]:
            for started_on in (dt.date(2025, 9, 1), dt.date(2026, 3, 1)):
                add_supply(practice_actor, other, started_on=started_on, status="finished")
    for other in busy_practice.other_practice.clients.all()[:12]:
        add_supply(outsider, other, started_on=dt.date(2026, 9, 1))
    describe_the_rows_to_the_planner()
    monkeypatch.setitem(globals(), "WATCHED", (*WATCHED, "supplies_supply"))
    client.force_login(busy_practice.owner)
    with recorded_queries() as queries:
        response = client.get("/supplies/running-out/?days=60")
    assert response.status_code == 200
    assert "12 supplies run out in the next 60 days" in response.text
    page_queries = [
        (sql, params)
        for sql, params in queries
        if 'FROM "supplies_supply"' in sql and " LIMIT " in sql
    ]
    assert len(page_queries) == 1, queries
    sql, params = page_queries[0]
    if connection.vendor == "sqlite":
        plan = plan_text(sql, params)
        assert "USING INDEX supply_current_runs_out" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        text = json.dumps(plan)
        assert '"Index Name": "supply_current_runs_out"' in text, text
        assert '"Node Type": "Sort"' not in text, text
    problems = problems_of(queries)
    assert problems == {}, "\n\n".join(f"{sql}\n  -> {found}" for sql, found in problems.items())


def test_today_for_the_whole_practice_reads_two_days_of_appointments_by_index(
    client: HttpClient, busy_practice: Personas
) -> None:
    """Today's appointments card for the whole practice (issue 16): the two days' appointments
    through ``appointment_practice_day``, not every appointment the practice ever had (the
    practitioner's index gives only the practice when no practitioner is named)."""
    table, index = "appointments_appointment", "appointment_practice_day"
    client.force_login(busy_practice.owner)
    with recorded_queries() as queries:
        response = client.get("/today/?scope=practice")
    assert response.status_code == 200
    of_table = [
        (sql, params)
        for sql, params in queries
        if f'FROM "{table}"' in sql
        and '"starts_at" >= ' in sql
        # (not the practitioner's own card; the join of the practitioner is no filter)
        and '"practitioner_id" = %s' not in sql
    ]
    assert of_table, f"no query of {table}"
    if connection.vendor == "sqlite":
        assert_days_read_through(index, of_table)
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            assert index in {row[0] for row in cursor.fetchall()}


def assert_days_read_through(index: str, queries: list[tuple[str, Any]]) -> None:
    """SQLite reads each query's range of days of the practice through ``index``."""
    plans = [plan_text(sql, params) for sql, params in queries]
    assert all(
        f"INDEX {index} (practice_id=? AND starts_at>? AND starts_at<?)" in plan for plan in plans
    ), plans


def test_the_fee_report_reads_the_decisions_of_its_days_by_index(
    client: HttpClient, busy_practice: Personas
) -> None:
    """The fee report (its totals and its latest decisions, issue 16) reads the appointments
    with a fee decision through ``appointment_fees_by_day``, not every appointment of its 90
    days to find the few decided (48 a day at 100,000 clients)."""
    table, index = "appointments_appointment", "appointment_fees_by_day"
    client.force_login(busy_practice.owner)
    with recorded_queries() as queries:
        response = client.get("/appointments/fees/")
    assert response.status_code == 200
    of_table = [(sql, params) for sql, params in queries if f'FROM "{table}"' in sql]
    assert len(of_table) == 2, of_table  # the totals, the latest decisions
    if connection.vendor == "sqlite":
        assert_days_read_through(index, of_table)
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
            (definition,) = cursor.fetchone()
        assert "(practice_id, starts_at) WHERE" in definition, definition


def test_possible_duplicates_look_each_reason_up_through_its_own_index(
    busy_practice: Personas,
) -> None:
    """Adding a client (and the merge page) asks for clients with the same email, mobile
    number, or name and birth date: each through its index, never a walk of every client of
    the practice in name order (``client_list_order``) looking for them."""
    from aftercare.clients.selectors import possible_duplicates

    client = busy_practice.client
    # (The busy practice's other clients share the fixture's email and number.)
    client.birth_date = dt.date(1980, 5, 17)
    client.email, client.phone = "Ruth.Only@example.org", "+447911000777"
    client.save(update_fields=["birth_date", "email", "phone"])
    describe_the_rows_to_the_planner()
    with recorded_queries() as queries:
        found = possible_duplicates(
            busy_practice.actor(),
            email=client.email.upper(),
            phone=client.phone,
            given_name=client.given_name.lower(),
            family_name=client.family_name,
            birth_date=client.birth_date,
        )
    assert [row for row, _ in found] == [client]
    assert (
        found[0][1] == "the same email and the same mobile number and the same name and birth date"
    )
    of_clients = [(sql, params) for sql, params in queries if 'FROM "clients_client"' in sql]
    assert len(of_clients) == 1
    sql, params = of_clients[0]
    if connection.vendor == "sqlite":
        plan = plan_text(sql, params)
        assert "client_list_order" not in plan and "SCAN" not in plan, plan
        for index in ("client_email_lower", "client_birth_date"):
            assert index in plan, plan
    else:
        # At a few dozen clients PostgreSQL may order the few ids it found by walking the
        # list's index (``test_a_queue_source_reads_its_waiting_rows_through_its_index``):
        # the indexes must exist; each part names its index's columns.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'clients_client'"
            )
            definitions = dict(cursor.fetchall())
        assert "(practice_id, lower((email)::text))" in definitions["client_email_lower"]
        assert "(practice_id, birth_date)" in definitions["client_birth_date"]


def test_the_client_page_reads_the_clients_appointments_by_the_client(
    client: HttpClient, busy_practice: Personas
) -> None:
    """The timeline's appointments through (client, practice, starts_at): the practice's day
    index gives the same order, and SQLite took it and walked every appointment the practice
    ever had to find one client's."""
    client.force_login(busy_practice.owner)
    describe_the_rows_to_the_planner()
    with recorded_queries() as queries:
        response = client.get(f"/clients/{busy_practice.client.pk}/")
    assert response.status_code == 200
    timeline = [
        (sql, params)
        for sql, params in queries
        if 'FROM "appointments_appointment"' in sql
        and '"appointments_appointment"."client_id" = %s' in sql
        # By the column or by its place among the selected ones (a statement's values_list).
        and re.search(r'ORDER BY ("appointments_appointment"\."starts_at"|\d+) DESC', sql)
    ]
    assert len(timeline) == 1
    sql, params = timeline[0]
    if connection.vendor == "sqlite":
        plan = plan_text(sql, params)
        assert "USING INDEX appointment_client_timeline" in plan, plan
    else:
        # PostgreSQL's planner, at a few dozen appointments, may take either index for as few
        # rows (``test_a_queue_source_reads_its_waiting_rows_through_its_index``): the index
        # must exist; with statistics of a real practice it is the one that names the client.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'appointment_client_timeline'"
            )
            (definition,) = cursor.fetchone()
        assert "(client_id, practice_id, starts_at)" in definition
