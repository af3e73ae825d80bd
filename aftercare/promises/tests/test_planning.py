"""Referrals in the planner: the follow-up counts from the referral; the loader reads them once."""

from __future__ import annotations

import datetime as dt

import pytest

from aftercare.care.facts import ClientFacts, EventFact, PracticePolicy, RuleSpec
from aftercare.care.planner import plan
from aftercare.promises.planning import load_referrals
from aftercare.promises.services import referral_create
from aftercare.testing import Personas

UTC = dt.UTC


def test_a_referral_follow_up_counts_from_the_referral() -> None:
    client = ClientFacts(
        client_id=42,
        time_zone="Europe/London",
        consents=frozenset({"care"}),
        extra={
            "referrals": (EventFact("7", dt.datetime(2026, 11, 12, 15, tzinfo=UTC), "Dr Patel"),)
        },
    )
    rule = RuleSpec(
        id=2,
        name="Follow up",
        trigger="referral_made",
        offset_days=14,
        template_key="referral_follow_up",
    )
    planned = plan(client, [rule], PracticePolicy(), dt.datetime(2026, 11, 12, 16, tzinfo=UTC))
    assert [t.key for t in planned] == ["42:rule2:referral7"]
    assert planned[0].due_at == dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 09:00 London


def test_a_client_without_referrals_plans_no_follow_up() -> None:
    client = ClientFacts(client_id=42, time_zone="Europe/London")
    rule = RuleSpec(id=2, name="Follow up", trigger="referral_made", offset_days=14)
    assert plan(client, [rule], PracticePolicy(), dt.datetime(2026, 11, 12, tzinfo=UTC)) == []


@pytest.mark.django_db
def test_the_loader_reads_every_referral_of_a_batch_in_one_query(
    personas: Personas, django_assert_num_queries
) -> None:
    actor = personas.actor()
    first = referral_create(
        actor=actor,
        client=personas.client,
        referred_to="Dr Patel",
        why="Sleep",
        referred_at=dt.datetime(2026, 11, 1, tzinfo=UTC),
    )
    referral_create(actor=actor, client=personas.client, referred_to="Physio", why="Back")
    with django_assert_num_queries(1):
        loaded = load_referrals([personas.client.pk, personas.other_client.pk])
    assert list(loaded) == [personas.client.pk]
    assert [event.label for event in loaded[personas.client.pk]] == ["Dr Patel", "Physio"]
    assert loaded[personas.client.pk][0].id == str(first.pk)
