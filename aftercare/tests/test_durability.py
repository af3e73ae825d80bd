"""Which commits wait for the disk (``aftercare.durability``): a page's record of what it read
is committed without waiting, and gives the connection back as it found it; a change to the
trail, and anything inside a caller's transaction, is as durable as ever."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from aftercare.clients.models import Client
from aftercare.durability import without_waiting_for_disk
from aftercare.practice.audit import record_audit, record_reads
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db(transaction=True)


def setting() -> str:
    """This connection's commit mode: SQLite's ``synchronous``, PostgreSQL's
    ``synchronous_commit``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
        else:
            cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


DURABLE = "on" if connection.vendor == "postgresql" else "2"  # FULL


def relaxing(queries: CaptureQueriesContext) -> list[str]:
    """The statements that changed the commit mode."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].upper().startswith(("SET LOCAL SYNCHRONOUS", "PRAGMA SYNCHRONOUS="))
    ]


def test_a_pages_reads_are_recorded_without_waiting_and_the_connection_given_back(
    personas: Personas,
) -> None:
    assert setting() == DURABLE
    with CaptureQueriesContext(connection) as queries:
        event = record_reads(personas.actor(), Client, [personas.client.pk], "Opened the list")
    assert event is not None and AuditEvent.objects.filter(pk=event.pk).exists()
    if connection.vendor == "postgresql":
        assert relaxing(queries) == ["SET LOCAL synchronous_commit TO off"]
    else:
        assert relaxing(queries) == ["PRAGMA synchronous=NORMAL", "PRAGMA synchronous=2"]
    assert setting() == DURABLE  # the next request's commits wait for the disk again


def test_a_client_page_view_is_a_read_too_but_a_change_waits_for_the_disk(
    personas: Personas,
) -> None:
    with CaptureQueriesContext(connection) as queries:
        record_audit(personas.actor(), "view", personas.client, summary="Viewed client record")
    assert len(relaxing(queries)) in (1, 2)
    with CaptureQueriesContext(connection) as queries:
        record_audit(personas.actor(), "change", personas.client, summary="Changed the phone")
    assert relaxing(queries) == []
    assert setting() == DURABLE


def test_inside_a_callers_transaction_the_record_is_part_of_it(personas: Personas) -> None:
    """No change of mode (SQLite refuses one inside a transaction); the caller's rollback takes
    the record with it, as it takes the caller's own writes."""
    before = AuditEvent.objects.count()
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record_reads(personas.actor(), Client, [personas.client.pk], "Opened the list")
        raise RuntimeError("the page failed after reading")
    assert relaxing(queries) == []
    assert AuditEvent.objects.count() == before


def test_a_failure_inside_undoes_the_block_and_still_gives_the_connection_back(
    personas: Personas,
) -> None:
    before = Client.objects.count()
    with pytest.raises(RuntimeError), without_waiting_for_disk():
        Client.objects.create(practice=personas.practice, given_name="Undone")
        raise RuntimeError("failed half way")
    assert Client.objects.count() == before
    assert setting() == DURABLE
    assert not connection.in_atomic_block
