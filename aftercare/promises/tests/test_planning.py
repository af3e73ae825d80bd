"""Referrals in the planner: the follow-up counts from the referral; the loader reads them once."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from aftercare import clock
from aftercare.care.advance import advance_touchpoints
from aftercare.care.facts import ClientFacts, EventFact, PracticePolicy, RuleSpec
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.planner import plan
from aftercare.care.services import care_setup_practice
from aftercare.messaging.models import Message
from aftercare.messaging.services import message_queue
from aftercare.messaging.worker import Worker
from aftercare.practice.access import Actor
from aftercare.practice.services import practice_create
from aftercare.promises.planning import DEFAULT_REFERRAL_RULES, load_referrals
from aftercare.promises.services import referral_create, referral_record_outcome
from aftercare.testing import Personas, make_client

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


# --- the default follow-up rule -------------------------------------------------------------

REFERRED_ON = dt.datetime(2027, 2, 1, 11, 0, tzinfo=UTC)  # a Monday


@pytest.mark.django_db
def test_a_new_practice_follows_up_every_referral_without_writing_a_rule(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    with clock.at(REFERRED_ON), django_capture_on_commit_callbacks(execute=True):
        practice, owner, _ = practice_create(
            name="Willow Clinic", owner_email="wendy@willow.example", time_zone="Europe/London"
        )
        client = make_client(practice, primary_practitioner=owner)
        actor = Actor(user=owner, practice=practice, via="test")
        referral_create(
            actor=actor, client=client, referred_to="Dr Patel, sleep clinic", why="Insomnia"
        )
    [rule] = CareRule.objects.filter(practice=practice, trigger="referral_made")
    assert rule.template_key == "referral_follow_up" and rule.enabled
    [follow_up] = Touchpoint.objects.filter(client=client, rule=rule)
    assert follow_up.due_at == dt.datetime(2027, 2, 15, 10, 0, tzinfo=UTC)  # 14 days, 10:00
    with clock.at(follow_up.due_at):
        advance_touchpoints(follow_up.due_at)
        Worker().run_once()
    message = Message.objects.get(touchpoint=follow_up)
    assert message.status == "sent"
    assert message.subject == "Did you find the help you needed, Ruth?"
    assert "we suggested you see Dr Patel, sleep clinic" in message.text_body
    assert "/p/c/" in message.text_body  # one tap to answer


@pytest.mark.django_db
def test_no_follow_up_asks_once_the_outcome_is_recorded(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    care_setup_practice(practice=personas.practice)
    actor = personas.actor()
    with clock.at(REFERRED_ON), django_capture_on_commit_callbacks(execute=True):
        referral = referral_create(
            actor=actor, client=personas.client, referred_to="Physio", why="Back pain"
        )
    follow_up = Touchpoint.objects.get(client=personas.client, rule__trigger="referral_made")
    assert follow_up.status == "planned"
    with (
        clock.at(REFERRED_ON + dt.timedelta(days=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        referral_record_outcome(actor=actor, referral=referral, outcome="Sees the physio weekly")
    follow_up.refresh_from_db()
    assert follow_up.status == "cancelled"


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.django_db
def test_the_follow_up_is_written_in_the_clients_language(
    personas: Personas, language: str
) -> None:
    personas.client.language = language
    personas.client.save()
    message = message_queue(
        client=personas.client,
        template_key="referral_follow_up",
        details={"referred_to": "Dr Patel"},
    )
    greeting = {"en": "Dear Ruth", "de": "Liebe(r) Ruth"}[language]
    assert message.text_body.startswith(greeting)
    assert "Dr Patel" in message.text_body


def _migration() -> Any:
    return importlib.import_module("aftercare.promises.migrations.0002_default_referral_follow_up")


@pytest.mark.django_db
def test_existing_practices_get_the_rule_once_and_keep_their_own(personas: Personas) -> None:
    own = CareRule.objects.create(
        practice=personas.other_practice,
        name="Our own referral call",
        trigger="referral_made",
        action="task",
        enabled=False,
    )
    editor = SimpleNamespace(connection=connection)
    _migration().add_referral_follow_up(django_apps, editor)
    _migration().add_referral_follow_up(django_apps, editor)  # again: nothing changes
    rules = CareRule.objects.filter(trigger="referral_made")
    assert [r.name for r in rules.filter(practice=personas.practice)] == [
        DEFAULT_REFERRAL_RULES[0]["name"]
    ]
    assert list(rules.filter(practice=personas.other_practice)) == [own]


def test_the_migration_adds_the_rule_every_new_practice_gets() -> None:
    # A frozen copy: if the default changes, the migration's meaning must be decided anew.
    assert DEFAULT_REFERRAL_RULES[0] == _migration().RULE
