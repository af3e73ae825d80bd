"""The demo practice shows measures at work: one client improving, one worsening."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aftercare import demo_load
from aftercare.care.models import CareRule
from aftercare.measures.models import Measure
from aftercare.measures.selectors import worsened_clients

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_client_improving_and_one_worsening_on_phq9_and_who5() -> None:
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC), tick=False):
        practice = demo_load.load_demo_practice(seed=1, clients=40).practice
    histories: dict[tuple[int, str], list[int]] = {}
    for measure in Measure.objects.filter(practice=practice).order_by("completed_at"):
        histories.setdefault((measure.client_id, measure.questionnaire), []).append(measure.total)
    improving = [t for (_, key), t in histories.items() if key == "phq9" and t[-1] < t[0] - 6]
    worsening_who5 = [t for (_, key), t in histories.items() if key == "who5" and t[-1] < t[0]]
    assert improving == [[19, 16, 12, 9, 6]]
    assert worsening_who5 == [[64, 56, 44, 36, 24]]
    names = {row.name for row in worsened_clients(practice)}
    assert names == {"WHO-5", "PHQ-9"}  # the worsening client, on both
    # No demo answer is a crisis, and every stored total adds up from its answers.
    for measure in Measure.objects.filter(practice=practice):
        assert measure.crisis_at is None and measure.answers.get("9", 0) == 0
        raw = sum(v for k, v in measure.answers.items() if k != "10")
        assert raw * (4 if measure.questionnaire == "who5" else 1) == measure.total
    assert CareRule.objects.get(practice=practice, trigger="every_weeks").enabled is False
