"""The API fixtures (a token per persona) for the care app's API tests."""

from __future__ import annotations

from aftercare.api.tests.conftest import outsider_api, owner_api

__all__ = ["outsider_api", "owner_api"]
