"""Erasure: the client is gone from every table and from the bytes of the database file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import time_machine
from django.test import Client as WebClient

from aftercare.clients.models import Client
from aftercare.clients.tests.gdpr_setup import EMAIL, NAME, PHONE
from aftercare.practice.audit import verify_chain
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas, command_env, run_module


@pytest.mark.skipif(
    bool(os.environ.get("AFTERCARE_TEST_DATABASE_URL")), reason="searches the SQLite file"
)
def test_no_table_and_no_byte_of_the_database_keeps_an_erased_client(tmp_path: Path) -> None:
    env = command_env(tmp_path)
    run_module(env, "aftercare", "migrate", "-v0")
    client_id = int(run_module(env, "aftercare.clients.tests.gdpr_setup", "fill").stdout.strip())
    database = tmp_path / "aftercare.sqlite3"
    traces = [f"{NAME[0]} {NAME[1]}", NAME[0], NAME[1], EMAIL, PHONE]
    assert found_in_tables(database, traces), "the setup must put the client everywhere"

    run_module(env, "aftercare.clients.tests.gdpr_setup", "erase", str(client_id))

    assert found_in_tables(database, traces) == []
    for path in (database, tmp_path / "aftercare.sqlite3-wal"):
        if path.exists():
            data = path.read_bytes()
            assert [t for t in traces if t.encode() in data] == [], path.name
    assert "Other" in {row[0] for row in rows(database, "SELECT given_name FROM clients_client")}
    output = run_module(env, "aftercare", "audit", "verify").stdout
    assert "All" in output and "intact" in output


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


def found_in_tables(database: Path, traces: list[str]) -> list[tuple[str, str]]:
    """(table, trace) for every table holding any trace in any column."""
    found = []
    with sqlite3.connect(database) as db:
        tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - from sqlite_master
                text = " ".join(str(value) for value in row)
                found.extend((table, trace) for trace in traces if trace in text)
    return sorted(set(found))


class TestErasePage:
    @pytest.fixture(autouse=True)
    def pinned_clock(self):  # type: ignore[no-untyped-def]
        with time_machine.travel("2026-11-18 12:00Z", tick=False):
            yield

    def test_the_owner_erases_after_typing_the_name(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        url = f"/clients/{personas.client.pk}/erase/"
        page = owner_client.get(url).content.decode()
        assert "It cannot be undone" in page
        wrong = owner_client.post(url, {"confirm_name": "Ruth"})
        assert "name exactly as shown" in wrong.content.decode()
        assert Client.objects.filter(pk=personas.client.pk).exists()
        done = owner_client.post(url, {"confirm_name": "  ruth   MILLER "})
        assert done.status_code == 302
        assert not Client.objects.filter(pk=personas.client.pk).exists()
        erased = AuditEvent.objects.get(action="erase")
        assert erased.summary == f"Erased client #{personas.client.pk}"
        assert not AuditEvent.objects.filter(summary__icontains="Ruth").exists()
        assert verify_chain(personas.practice.pk).ok

    def test_nobody_but_the_owner_can_erase_and_another_practice_sees_404(
        self, client: WebClient, personas: Personas
    ) -> None:
        for user in (personas.colleague, personas.outsider):
            client.force_login(user)
            url = f"/clients/{personas.client.pk}/erase/"
            assert client.post(url, {"confirm_name": "Ruth Miller"}).status_code == 404
        assert Client.objects.filter(pk=personas.client.pk).exists()
