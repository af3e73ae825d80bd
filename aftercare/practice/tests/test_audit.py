"""The audit trail: append-only in the database, chained, outliving its practice pseudonymously."""

from __future__ import annotations

import datetime as dt
import importlib
import io

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from aftercare.clients.models import Client as ClientModel
from aftercare.practice import audit
from aftercare.practice.audit import (
    about_client,
    index_pending,
    record_audit,
    record_reads,
    redact,
    verify_chain,
)
from aftercare.practice.models import AuditChainHead, AuditEvent, AuditEventClient, Practice
from aftercare.testing import Personas, make_client

NOON = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def pinned_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOON, tick=False):
        yield


def some_events(personas: Personas, count: int = 3) -> list[AuditEvent]:
    actor = personas.actor()
    return [
        record_audit(actor, "view", personas.client, summary=f"Opened Ruth Miller ({n})")
        for n in range(count)
    ]


class TestAppendOnly:
    def test_the_database_refuses_to_change_an_audit_row(self, personas: Personas) -> None:
        event = some_events(personas, 1)[0]
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(summary="Nothing happened")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="create")

    def test_the_database_refuses_to_delete_an_audit_row(self, personas: Personas) -> None:
        event = some_events(personas, 1)[0]
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            event.delete()
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM practice_auditevent")

    def test_redaction_is_the_one_change_allowed_and_keeps_the_chain(
        self, personas: Personas
    ) -> None:
        events = some_events(personas)
        assert redact(AuditEvent.objects.filter(pk=events[1].pk)) == 1
        row = AuditEvent.objects.get(pk=events[1].pk)
        assert (row.summary, row.changes, row.detail_salt) == ("(redacted)", {}, "")
        report = verify_chain(personas.practice.pk)
        assert report.ok and report.redacted == 1

    def test_the_admin_offers_no_change_or_delete(self, client: Client, personas: Personas) -> None:
        from django.contrib.admin import site

        admin = site._registry[AuditEvent]
        request = type("R", (), {"user": personas.owner})()
        assert not admin.has_change_permission(request)
        assert not admin.has_delete_permission(request)
        assert not admin.has_add_permission(request)


class TestChain:
    def test_verify_passes_an_untouched_trail(self, personas: Personas, capsys) -> None:  # type: ignore[no-untyped-def]
        some_events(personas)
        call_command("audit", "verify")
        assert "intact" in capsys.readouterr().out

    def test_verify_fails_when_a_row_is_tampered_with_behind_the_apps_back(
        self, personas: Personas
    ) -> None:
        events = some_events(personas)
        with connection.cursor() as cursor:  # as an attacker with the database would
            drop_triggers(cursor)
            cursor.execute(
                "UPDATE practice_auditevent SET summary = %s WHERE id = %s",
                ["Nothing to see", events[1].pk],
            )
            cursor.execute("DELETE FROM practice_auditevent WHERE id = %s", [events[2].pk])
        report = verify_chain(personas.practice.pk)
        assert "row 2: its details were changed" in report.problems
        assert any("newest rows are missing" in problem for problem in report.problems)
        with pytest.raises(CommandError, match="tampered"):
            call_command("audit", "verify")


def drop_triggers(cursor) -> None:  # type: ignore[no-untyped-def]
    from aftercare.practice.audit_triggers import statements

    for sql in statements(connection.vendor, drop=True):
        cursor.execute(sql)


class TestPracticeDeletion:
    def test_rows_outlive_their_practice_only_as_pseudonymous_rows(
        self, personas: Personas
    ) -> None:
        gone = Practice.objects.create(name="Closing Clinic")
        client = make_client(gone, given_name="Hilda", family_name="Quist")
        actor = personas.actor()
        actor = type(actor)(user=None, practice=gone, via="cli", ip_address="192.0.2.1")
        record_audit(actor, "create", client, summary="Added Hilda Quist")
        practice_id = gone.pk
        gone.delete()
        (row,) = AuditEvent.objects.filter(practice_id=practice_id)
        assert row.summary == "(redacted)" and row.ip_address is None
        assert row.action == "create" and row.object_type == "clients.client"
        assert verify_chain(practice_id).ok


class TestAuditPage:
    def test_the_owner_filters_by_person_client_and_action(
        self, owner_client: Client, personas: Personas
    ) -> None:
        some_events(personas, 2)
        other = make_client(personas.practice, given_name="Ben", family_name="Hale")
        record_audit(
            personas.actor(personas.colleague), "change", other, summary="Changed Ben Hale"
        )
        page = owner_client.get("/settings/audit/").content.decode()
        assert "Opened Ruth Miller (1)" in page and "Changed Ben Hale" in page
        by_client = owner_client.get(f"/settings/audit/?client={other.pk}").content.decode()
        assert "Changed Ben Hale" in by_client and "Opened Ruth Miller" not in by_client
        by_user = owner_client.get(
            f"/settings/audit/?user={personas.colleague.pk}"
        ).content.decode()
        assert "Changed Ben Hale" in by_user and "Opened Ruth Miller" not in by_user
        by_action = owner_client.get("/settings/audit/?action=view").content.decode()
        assert "Opened Ruth Miller" in by_action and "Changed Ben Hale" not in by_action

    def test_a_person_past_any_id_is_no_filter_not_an_error(
        self, owner_client: Client, personas: Personas
    ) -> None:
        """A ``?user=`` too large for the database's integers names nobody: the whole trail,
        not a server error (SQLite refused the number)."""
        some_events(personas, 1)
        response = owner_client.get("/settings/audit/?user=99999999999999999999")
        assert response.status_code == 200
        assert "Opened Ruth Miller" in response.content.decode()

    def test_only_the_owner_sees_it(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.colleague)
        assert client.get("/settings/audit/").status_code == 404

    def test_another_practices_entries_never_show(self, client: Client, personas: Personas) -> None:
        some_events(personas, 1)
        client.force_login(personas.outsider)
        assert "Ruth Miller" not in client.get("/settings/audit/").content.decode()


class TestReadsInBulk:
    def test_a_list_or_search_page_is_one_row_naming_every_client_on_it(
        self, owner_client: Client, personas: Personas
    ) -> None:
        others = [make_client(personas.practice, given_name=f"C{n}") for n in range(5)]
        before = AuditEvent.objects.filter(action="view").count()
        owner_client.get("/clients/")
        owner_client.get("/clients/", {"q": "C3"})
        rows = list(AuditEvent.objects.filter(action="view").order_by("seq"))[before:]
        assert len(rows) == 2
        listed, searched = rows
        assert all(f",{c.pk}," in listed.clients for c in [personas.client, *others])
        assert searched.summary.startswith("Searched") and f",{others[3].pk}," in searched.clients
        assert f",{others[1].pk}," not in searched.clients

    def test_the_care_queue_outbox_and_message_bodies_through_the_api_are_recorded(
        self, owner_client: Client, personas: Personas
    ) -> None:
        from aftercare.messaging.services import message_queue
        from aftercare.practice.services import token_create
        from aftercare.queue.tests.factories import make_task

        make_task(personas.client, title="Ring Ruth", due_at=NOON - dt.timedelta(hours=1))
        message = message_queue(client=personas.client, template_key="check_in", channel="email")
        owner_client.get("/care/")
        owner_client.get("/messages/outbox/")
        _, token = token_create(actor=personas.actor(), user=personas.owner)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        api.get("/api/v1/messages")
        api.get(f"/api/v1/messages/{message.pk}")
        reads = AuditEvent.objects.filter(action="view", practice=personas.practice)
        assert reads.filter(summary__startswith="Opened the care queue").count() == 1
        outbox = reads.get(summary__startswith="Opened the outbox")
        assert f",{personas.client.pk}," in outbox.clients
        assert reads.filter(via="api", summary__startswith="Read 1 messages").count() == 1
        assert reads.filter(via="api", object_id=str(message.pk)).count() == 1


class TestClientsIndex:
    """``AuditEventClient``: a row per client of each event, by which the trail, a client's
    export and an erasure find the events about a client without reading every event."""

    def test_each_client_of_an_event_gets_a_row_and_about_client_finds_only_theirs(
        self, personas: Personas
    ) -> None:
        actor = personas.actor()
        others = [make_client(personas.practice, given_name=f"Other{n}") for n in range(3)]
        listed = record_reads(
            actor, ClientModel, [personas.client.pk, others[0].pk], "Listed clients"
        )
        opened = record_audit(actor, "view", others[1], summary="Opened Other1")
        assert listed is not None
        # Indexed after they were appended, many at a time (by the tick, or whoever asks).
        assert not AuditEventClient.objects.exists()
        assert index_pending() == 2
        assert index_pending() == 0
        rows = set(AuditEventClient.objects.values_list("event_id", "client_id", "practice_id"))
        assert rows == {
            (listed.pk, personas.client.pk, personas.practice.pk),
            (listed.pk, others[0].pk, personas.practice.pk),
            (opened.pk, others[1].pk, personas.practice.pk),
        }
        events = AuditEvent.objects.filter(practice=personas.practice)
        assert list(about_client(events, personas.practice.pk, others[0].pk)) == [listed]
        assert list(about_client(events, personas.practice.pk, others[2].pk)) == []
        # Another practice's id for the same client finds nothing.
        assert list(about_client(events, personas.practice.pk + 1, others[0].pk)) == []

    def test_a_read_of_thousands_of_clients_indexes_them_all(self, personas: Personas) -> None:
        ids = list(range(1, 2_500))  # past SQLite's oldest limit of 999 values a statement
        event = record_reads(personas.actor(), ClientModel, ids, "Exported clients")
        assert event is not None
        index_pending(personas.practice.pk)
        indexed = AuditEventClient.objects.filter(event_id=event.pk)
        assert sorted(indexed.values_list("client_id", flat=True)) == ids

    def test_the_index_catches_up_in_batches_in_client_order_and_for_every_chain(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(audit, "INDEX_BATCH", 2)
        actor = personas.actor()
        reads = [
            record_reads(actor, ClientModel, [900 - n, 100 + n], f"Read {n}") for n in range(5)
        ]
        theirs = record_reads(
            personas.actor(personas.outsider), ClientModel, [personas.other_client.pk], "Theirs"
        )
        assert index_pending(personas.practice.pk) == 5  # three batches, this practice only
        assert not AuditEventClient.objects.filter(practice=personas.other_practice).exists()
        assert index_pending() == 1  # every chain
        rows = list(
            AuditEventClient.objects.filter(practice=personas.practice)
            .order_by("pk")
            .values_list("client_id", "event_id")
        )
        # Each batch's rows in client order (one pass through the index), none twice.
        firsts = [(100, reads[0].pk), (101, reads[1].pk), (899, reads[1].pk), (900, reads[0].pk)]
        assert rows[:4] == firsts
        assert len(rows) == len(set(rows)) == 10
        assert AuditEventClient.objects.get(practice=personas.other_practice).event_id == theirs.pk
        head = AuditChainHead.objects.get(practice=personas.practice)
        assert head.indexed_seq == head.seq

    def test_the_tick_indexes_what_pages_appended(self, personas: Personas) -> None:
        record_reads(personas.actor(), ClientModel, [personas.client.pk], "Listed clients")
        call_command("tick", "--at", "2026-11-20T09:00:00+00:00", stdout=io.StringIO())
        assert AuditEventClient.objects.filter(client_id=personas.client.pk).exists()

    def test_events_appended_before_the_table_are_indexed_by_its_migration(
        self, personas: Personas
    ) -> None:
        events = some_events(personas, 2)
        bare = record_audit(personas.actor(), "change", personas.practice, summary="Renamed")
        AuditEventClient.objects.all().delete()
        migration = importlib.import_module("aftercare.practice.migrations.0006_audit_event_client")
        migration.index_clients(django_apps, None)
        rows = set(AuditEventClient.objects.values_list("event_id", "client_id"))
        assert rows == {(event.pk, personas.client.pk) for event in events}
        assert bare.clients == ""

    def test_the_trail_of_one_client_is_read_through_the_index(self, personas: Personas) -> None:
        for number in range(30):
            client = make_client(personas.practice, given_name=f"Sam{number}")
            record_audit(personas.actor(), "view", client, summary="Opened")
        events = about_client(
            AuditEvent.objects.filter(practice=personas.practice).order_by("-seq"),
            personas.practice.pk,
            personas.client.pk,
        )[:51]
        sql, params = events.query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Statistics of the test's rows, as a deployment has of its own (autovacuum).
                cursor.execute("ANALYZE practice_auditevent, practice_auditeventclient")
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                plan = "\n".join(row[3] for row in cursor.fetchall())
        assert "audit_event_by_client" in plan, plan
        # Not a walk of every event of the practice (in order of seq) testing each one.
        assert "one_audit_row_per_seq" not in plan, plan
