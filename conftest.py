"""Fixtures shared by the whole suite. Personas live in aftercare/testing.py."""

from __future__ import annotations

import pytest

from aftercare.testing import Personas, make_personas


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture
def owner_client(client, personas: Personas):  # type: ignore[no-untyped-def]
    """A Django test client signed in as the owner persona."""
    client.force_login(personas.owner)
    return client
