"""Fixtures shared by the whole suite. Personas live in aftercare/testing.py."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from aftercare.testing import Personas, make_personas

# Property tests check invariants, not speed: on a shared two-core machine (and in CI) a
# per-example deadline only turns load into flaky failures. Speed lives in benchmarks/.
hypothesis_settings.register_profile(
    "aftercare", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("aftercare")


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture
def owner_client(client, personas: Personas):  # type: ignore[no-untyped-def]
    """A Django test client signed in as the owner persona."""
    client.force_login(personas.owner)
    return client
