"""Refreshing care scores over many clients: one bad row is reported and skipped."""

from __future__ import annotations

import datetime as dt

import pytest

from aftercare.insights import score, services
from aftercare.insights.models import ClientInsight
from aftercare.testing import Personas, make_appointment, make_client

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


def test_a_client_that_cannot_be_judged_is_reported_and_the_others_are_written(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = [
        make_client(personas.practice, given_name=f"C{number}", email=f"c{number}@example.org")
        for number in range(3)
    ]
    for client in clients:
        make_appointment(client, starts_at=NOW - dt.timedelta(days=30), status="attended")
    real = score.care_score
    judged: list[score.CareFacts] = []

    def judging(facts: score.CareFacts) -> score.CareScore:
        judged.append(facts)
        if len(judged) == 2:
            raise ValueError("a broken row")
        return real(facts)

    monkeypatch.setattr(score, "care_score", judging)
    result = services.insights_refresh(practice=personas.practice, now=NOW)
    assert len(judged) == 4  # Ruth and the three
    assert [reason for _client_id, reason in result.skipped] == ["a broken row"]
    assert result.refreshed == 3
    skipped_id = result.skipped[0][0]
    written = set(ClientInsight.objects.values_list("client_id", flat=True))
    assert skipped_id not in written
    assert len(written) == 3


def test_an_archived_client_leaves_the_kept_rows_at_the_next_refresh(personas: Personas) -> None:
    services.insights_refresh(practice=personas.practice, now=NOW)
    assert ClientInsight.objects.filter(client=personas.client).exists()
    personas.client.archived = True
    personas.client.save(update_fields=["archived"])
    services.insights_refresh(practice=personas.practice, now=NOW)
    assert not ClientInsight.objects.filter(client=personas.client).exists()
    # Their own page still scores them, without putting them back on the dashboard.
    assert services.refresh_one(personas.client, now=NOW).score == 100
    assert not ClientInsight.objects.filter(client=personas.client).exists()
