"""The demo practice shows insights at work."""

from __future__ import annotations

import pytest

from aftercare.demo_load import load_demo_practice
from aftercare.insights.models import ClientInsight
from aftercare.measures.selectors import score_rows
from aftercare.supplies.models import Supply

pytestmark = pytest.mark.django_db


def test_the_demo_has_scores_across_the_range_a_lost_client_with_a_reason_and_a_dip() -> None:
    practice = load_demo_practice(seed=7, clients=60, batch_clients=60).practice
    scores = list(ClientInsight.objects.filter(practice=practice).values_list("score", flat=True))
    assert len(scores) == practice.clients.count()  # every client, the imported ones too
    assert min(scores) <= 50 and max(scores) == 100
    lost = ClientInsight.objects.filter(practice=practice, lost_since__isnull=False)
    assert any("unanswered_message" in insight.likely_reasons for insight in lost)
    medication = Supply.objects.get(practice=practice, name="Amitriptyline 10 mg")
    rows = [row for row in score_rows(medication.client) if row.measure == "check_in"]
    before = [row.score for row in rows if row.completed_at.date() < medication.started_on]
    after = [row.score for row in rows if row.completed_at.date() > medication.started_on]
    assert min(after) < min(before)
