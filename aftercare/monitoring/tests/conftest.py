"""Monitoring tests send for real, through the messaging tests' SMTP server on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from aftercare.messaging.tests.conftest import smtp_server  # noqa: F401 - a fixture

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metrics_settings(settings: Any, tmp_path: Any) -> Any:
    """A metrics token, and a latency folder of this test's own."""
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_DIR = tmp_path / "metrics"
    return settings
