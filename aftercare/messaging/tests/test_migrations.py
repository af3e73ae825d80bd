"""The data step of messaging's 0007 migration, before its unique constraint on inbound
provider ids: an installation that stored a retried webhook twice must still upgrade."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from aftercare.messaging.models import AwayRouting, Direction, Message, MessageStatus
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def _migration() -> Any:
    return importlib.import_module(
        "aftercare.messaging.migrations.0007_worker_turns_and_inbound_lookups"
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="drops the constraint inside the test's transaction"
)
def test_doubled_inbound_provider_ids_keep_both_messages_and_only_the_first_keeps_the_id(
    personas: Personas,
) -> None:
    constraint = next(
        c for c in Message._meta.constraints if c.name == "one_inbound_per_provider_id"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(Message, constraint)

    def inbound(provider_id: str) -> Message:
        return Message.objects.create(
            practice=personas.practice,
            client=personas.client,
            direction=Direction.INBOUND,
            status=MessageStatus.RECEIVED,
            channel="sms",
            text_body="Feeling better, thanks",
            provider_id=provider_id,
        )

    first, second, third = inbound("SM1"), inbound("SM1"), inbound("SM1")
    alone = inbound("SM2")
    _migration().keep_one_provider_id_per_inbound_message(django_apps, SimpleNamespace())
    with connection.cursor() as cursor:  # the rows' deferred checks, before the index
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.add_constraint(Message, constraint)  # would fail on a doubled id
    ids = dict(Message.objects.filter(channel="sms").values_list("pk", "provider_id"))
    assert ids == {first.pk: "SM1", second.pk: "", third.pk: "", alone.pk: "SM2"}


def _reply(personas: Personas, text: str, context: dict[str, Any]) -> Message:
    return Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction=Direction.INBOUND,
        channel="sms",
        status=MessageStatus.RECEIVED,
        text_body=text,
        context=context,
    )


def test_replies_routed_before_the_column_keep_their_routing(personas: Personas) -> None:
    """Migration 0013 reads the context's keys of replies routed before ``away_routing``: a
    reply passed on stays an emergency message, one held stays out of the routine replies."""
    migration = importlib.import_module("aftercare.messaging.migrations.0013_away_routing")
    passed_on = _reply(personas, "Fever", {"escalated_for_absence": 7})
    held = _reply(personas, "Hello?", {"waits_for_absence": 7})
    plain = _reply(personas, "Thanks", {"absence_id": 7})
    migration.route_from_context(django_apps, None)
    routed = dict(Message.objects.values_list("pk", "away_routing"))
    assert routed[passed_on.pk] == AwayRouting.PASSED_ON
    assert routed[held.pk] == AwayRouting.WAITING
    assert routed[plain.pk] == AwayRouting.NONE
