"""Telling the client that the practice moved their appointment: once, through the outbox,
with the new time and the confirm / rebook link; not when the rule is off or without consent."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.test import Client as WebClient

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.messaging.models import Message
from aftercare.messaging.worker import Worker
from aftercare.portal.appointments import DEFAULT_MOVED_RULE
from aftercare.testing import Personas, make_appointment

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
THURSDAY_TEN = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


def live(moment: dt.datetime) -> None:
    call_command("tick", "--at", moment.isoformat(), verbosity=0)
    with clock.at(moment):
        Worker().run_until_idle()


def moved_messages(client: Client) -> list[Message]:
    return list(Message.objects.filter(client=client, template_key="appointment_moved"))


@pytest.fixture
def booked(personas: Personas) -> Appointment:
    with clock.at(MONDAY):
        care_setup_practice(practice=personas.practice)
        return make_appointment(personas.client, personas.owner, starts_at=THURSDAY_TEN)


def move(web: WebClient, appointment: Appointment, day: str, time: str, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):  # the care engine re-plans once the move is committed
        response = web.post(f"/appointments/{appointment.pk}/move/", {"day": day, "time": time})
    assert response.status_code == 302


def test_new_practices_tell_clients_of_moves(personas: Personas) -> None:
    rules = care_setup_practice(practice=personas.practice)
    (rule,) = [r for r in rules if r.trigger == "appointment_moved"]
    assert (rule.enabled, rule.template_key, rule.purpose) == (True, "appointment_moved", "care")


def test_the_client_is_told_once_with_the_new_time_and_a_link(
    owner_client: WebClient,
    personas: Personas,
    booked: Appointment,
    django_capture_on_commit_callbacks,
) -> None:
    move(owner_client, booked, "2026-12-04", "15:00", django_capture_on_commit_callbacks)
    # Saved again without a new time (another kind of visit): nothing new to tell.
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            f"/appointments/{booked.pk}/edit/",
            {
                "client": personas.client.pk,
                "practitioner": personas.owner.pk,
                "starts_at": "2026-12-04T15:00",
                "ends_at": "2026-12-04T15:50",
                "kind": "first_visit",
                "status": "booked",
            },
        )
    assert (
        Touchpoint.objects.filter(client=personas.client, template_key="appointment_moved").count()
        == 1
    )
    live(MONDAY + dt.timedelta(minutes=5))
    live(MONDAY + dt.timedelta(minutes=10))
    (message,) = moved_messages(personas.client)
    assert message.subject == "Your appointment has moved to Friday 4 December at 15:00"
    assert "Your appointment with Olivia Owner has moved to Friday 4 December at 15:00." in (
        message.text_body
    )
    assert "/p/" in message.text_body  # the confirm / rebook page


def test_a_second_move_before_the_notice_went_tells_only_the_latest_time(
    owner_client: WebClient,
    personas: Personas,
    booked: Appointment,
    django_capture_on_commit_callbacks,
) -> None:
    with clock.at(dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)):  # quiet hours: it waits
        move(owner_client, booked, "2026-12-04", "15:00", django_capture_on_commit_callbacks)
    with clock.at(dt.datetime(2026, 11, 30, 21, 30, tzinfo=dt.UTC)):
        move(owner_client, booked, "2026-12-07", "11:00", django_capture_on_commit_callbacks)
    notices = Touchpoint.objects.filter(client=personas.client, template_key="appointment_moved")
    assert sorted(notices.values_list("status", flat=True)) == ["cancelled", "planned"]
    planned = notices.get(status="planned")
    assert planned.due_at == dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)  # after quiet hours
    live(dt.datetime(2026, 12, 1, 8, 5, tzinfo=dt.UTC))
    (message,) = moved_messages(personas.client)
    assert "Monday 7 December at 11:00" in message.text_body


def test_the_client_is_not_told_when_the_rule_is_off(
    owner_client: WebClient,
    personas: Personas,
    booked: Appointment,
    django_capture_on_commit_callbacks,
) -> None:
    CareRule.objects.filter(practice=personas.practice, trigger="appointment_moved").update(
        enabled=False
    )
    move(owner_client, booked, "2026-12-04", "15:00", django_capture_on_commit_callbacks)
    live(MONDAY + dt.timedelta(minutes=5))
    assert not Touchpoint.objects.filter(template_key="appointment_moved").exists()
    assert moved_messages(personas.client) == []


def test_a_client_without_consent_for_care_messages_is_not_told(
    owner_client: WebClient,
    personas: Personas,
    booked: Appointment,
    django_capture_on_commit_callbacks,
) -> None:
    Client.objects.filter(pk=personas.client.pk).update(consent_care=False)
    page = owner_client.get(f"/appointments/{booked.pk}/move/").content.decode()
    assert "will not be told: they have not consented to care messages" in page
    move(owner_client, booked, "2026-12-04", "15:00", django_capture_on_commit_callbacks)
    live(MONDAY + dt.timedelta(minutes=5))
    assert moved_messages(personas.client) == []


def _migration() -> Any:
    return importlib.import_module(
        "aftercare.portal.migrations.0002_default_appointment_moved_rule"
    )


def test_existing_practices_get_the_rule_once_and_keep_their_own(personas: Personas) -> None:
    own = CareRule.objects.create(
        practice=personas.other_practice,
        name="Our own notice",
        trigger="appointment_moved",
        enabled=False,
    )
    editor = SimpleNamespace(connection=connection)
    _migration().add_appointment_moved_rule(django_apps, editor)
    _migration().add_appointment_moved_rule(django_apps, editor)  # again: nothing changes
    rules = CareRule.objects.filter(trigger="appointment_moved")
    assert [r.name for r in rules.filter(practice=personas.practice)] == [
        "Tell the client when their appointment moves"
    ]
    assert list(rules.filter(practice=personas.other_practice)) == [own]


def test_the_migration_adds_the_rule_every_new_practice_gets() -> None:
    assert DEFAULT_MOVED_RULE == _migration().RULE
