"""Tick steps: one step that raises does not stop the others, and the tick says which failed."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftercare.care import ticks
from aftercare.care.models import TickLease

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture
def steps(monkeypatch: Any) -> list[str]:
    """Three steps, the middle one broken; returns the names of the steps that ran."""
    ran: list[str] = []

    def first(now: dt.datetime) -> int:
        ran.append("first")
        return 2

    def broken(now: dt.datetime) -> int:
        ran.append("broken")
        raise ValueError("a bad row")

    def last(now: dt.datetime) -> int:
        ran.append("last")
        return 3

    monkeypatch.setattr(ticks, "_steps", {"first": first, "broken": broken, "last": last})
    return ran


def test_a_step_that_raises_is_reported_and_the_steps_after_it_still_run(
    steps: list[str],
) -> None:
    with pytest.raises(ticks.TickStepsFailed) as failure:
        ticks.run_tick_steps(NOW)
    assert steps == ["first", "broken", "last"]
    assert failure.value.done == {"first": 2, "last": 3}
    assert failure.value.failed == {"broken": "ValueError: a bad row"}


@pytest.mark.django_db
def test_the_tick_command_prints_what_ran_names_the_failed_step_and_is_not_finished(
    steps: list[str],
) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"broken \(ValueError: a bad row\)"):
        call_command("tick", "--at", NOW.isoformat(), stdout=out)
    assert "; first: 2; last: 3." in out.getvalue()
    assert steps == ["first", "broken", "last"]
    assert TickLease.objects.get().last_finished_at is None  # /healthz shows the lag
