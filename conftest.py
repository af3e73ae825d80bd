"""Fixtures shared by the whole suite. Personas live in aftercare/testing.py."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
import time_machine
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from aftercare.testing import ApiClient, Personas, api_client_for, make_personas

# Property tests check invariants, not speed: on a shared two-core machine (and in CI) a
# per-example deadline only turns load into flaky failures. Speed lives in benchmarks/.
# Derandomized, so a run (CI's too) explores the same cases each time and a failure is
# reproducible; `AFTERCARE_HYPOTHESIS_PROFILE=explore` draws new cases to hunt for more.
hypothesis_settings.register_profile(
    "aftercare", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
hypothesis_settings.register_profile(
    "explore", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("AFTERCARE_HYPOTHESIS_PROFILE", "aftercare"))


def _flush_past_audit_triggers() -> None:
    """Let the suite's flush (transactional tests on SQLite) empty the append-only audit table.

    Django flushes SQLite with ``DELETE FROM``, which the append-only trigger refuses
    (PostgreSQL flushes with TRUNCATE, which row triggers do not see). The triggers are dropped
    for the flush and made again right after, in the same list of statements.
    """
    from django.db.backends.sqlite3.base import DatabaseOperations

    from aftercare.practice import audit_triggers

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if "practice_auditevent" not in tables:
            return statements
        return [
            *audit_triggers.statements("sqlite", drop=True),
            *statements,
            *audit_triggers.statements("sqlite"),
        ]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_past_audit_triggers()


#: The instant every test starts at, whatever the wall clock says: a Monday afternoon (14:30 in
#: London, the personas' practice), so nothing is held for quiet hours, no weekend rule applies
#: and a test passes at 02:30 as at 14:30. A test that needs another instant travels there itself
#: (``time_machine.travel``) or runs as of it (``aftercare.clock.at``).
PINNED_NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    """Pin "now" for every test; time still moves on from there (leases, sessions, timeouts)."""
    with time_machine.travel(PINNED_NOW, tick=True):
        yield


@pytest.fixture(autouse=True, scope="session")
def checked_statements() -> None:
    """Every query built once per shape (``aftercare.statements``) is also built with each
    call's real values in the suite, and must give the same SQL and parameters."""
    from django.conf import settings

    settings.CHECK_STATEMENTS = True


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture
def owner_client(client, personas: Personas):  # type: ignore[no-untyped-def]
    """A Django test client signed in as the owner persona."""
    client.force_login(personas.owner)
    return client


@pytest.fixture
def owner_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.owner)


@pytest.fixture
def colleague_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.colleague)


@pytest.fixture
def assistant_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.assistant)


@pytest.fixture
def outsider_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.outsider)


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(None)
