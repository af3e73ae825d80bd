"""Appointment reminders: planned 24 h before, following moves and cancellations, sent with a
link whose page confirms the visit or asks for another time (into the care queue)."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.appointments.services import appointment_update
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.links import make_token
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.worker import Worker
from aftercare.portal.appointments import DEFAULT_RULE
from aftercare.queue.selectors import care_queue
from aftercare.testing import Personas, make_appointment

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
THURSDAY_TEN = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


def live(moment: dt.datetime) -> None:
    call_command("tick", "--at", moment.isoformat(), verbosity=0)
    with clock.at(moment):
        Worker().run_until_idle()


def reminders(personas: Personas) -> list[Touchpoint]:
    return list(
        Touchpoint.objects.filter(
            client=personas.client, template_key="appointment_reminder"
        ).order_by("id")
    )


@pytest.fixture
def booked(personas: Personas) -> Appointment:
    Client.objects.filter(pk=personas.client.pk).update(phone="+447911123456")
    with clock.at(MONDAY):
        care_setup_practice(practice=personas.practice)
        visit = make_appointment(personas.client, personas.owner, starts_at=THURSDAY_TEN)
        call_command("plan", "--client", str(personas.client.pk), verbosity=0)
    return visit


def test_new_practices_start_with_the_reminder_rule_enabled(personas: Personas) -> None:
    rules = care_setup_practice(practice=personas.practice)
    (rule,) = [r for r in rules if r.trigger == "before_appointment"]
    assert (rule.enabled, rule.trigger_options, rule.template_key) == (
        True, {"hours": 24}, "appointment_reminder",
    )  # fmt: skip


def test_the_reminder_is_planned_a_day_before_and_follows_a_move_and_a_cancellation(
    personas: Personas, booked: Appointment
) -> None:
    (reminder,) = reminders(personas)
    assert (reminder.status, reminder.due_at) == ("planned", THURSDAY_TEN - dt.timedelta(days=1))
    with clock.at(MONDAY):
        appointment_update(
            actor=personas.actor(),
            appointment=booked,
            data={"starts_at": THURSDAY_TEN + dt.timedelta(days=1, hours=4),
                  "ends_at": THURSDAY_TEN + dt.timedelta(days=1, hours=5)},
        )  # fmt: skip
        call_command("plan", "--client", str(personas.client.pk), verbosity=0)
    (moved,) = reminders(personas)
    assert moved.due_at == THURSDAY_TEN + dt.timedelta(hours=4)
    with clock.at(MONDAY):
        appointment_update(actor=personas.actor(), appointment=booked, data={"status": "cancelled"})
        call_command("plan", "--client", str(personas.client.pk), verbosity=0)
    (cancelled,) = reminders(personas)
    assert cancelled.status == "cancelled"


def test_the_client_confirms_from_the_reminder_and_the_schedule_and_api_show_it(
    personas: Personas, booked: Appointment, client, owner_api
) -> None:  # type: ignore[no-untyped-def]
    live(THURSDAY_TEN - dt.timedelta(days=1))
    message = Message.objects.get(
        client=personas.client, template_key="appointment_reminder", direction=Direction.OUTBOUND
    )
    assert "Thursday 3 December at 10:00" in message.subject
    link = re.search(r"https?://\S+/p/a/\S+/", message.text_body)
    assert link, message.text_body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    with clock.at(THURSDAY_TEN - dt.timedelta(hours=20)):
        page = client.get(f"/{path}").content.decode()
        assert "Thursday, 3 December 2026 at 10:00" in page
        answered = client.post(f"/{path}", {"answer": "confirm"}).content.decode()
    assert "we look forward to seeing you" in answered
    booked.refresh_from_db()
    assert booked.confirmed_at == THURSDAY_TEN - dt.timedelta(hours=20)
    body = owner_api.get(f"/api/v1/appointments/{booked.pk}").json()
    assert body["confirmed_at"].startswith("2026-12-02T14:00")


def test_asking_for_another_time_lands_in_the_care_queue(
    personas: Personas, booked: Appointment, client
) -> None:  # type: ignore[no-untyped-def]
    path = f"/p/a/{make_token('appointment', booked.pk)}/"
    with clock.at(MONDAY):
        client.post(path, {"answer": "rebook"})
        items = care_queue(personas.actor(), MONDAY, scope="practice", kinds={"rebook"})
    assert [(i.client_name, i.title) for i in items] == [
        ("Ruth Miller", "Find another time for the appointment")
    ]
    booked.refresh_from_db()
    assert booked.rebook_requested_at == MONDAY


def test_a_link_for_another_page_or_tampered_is_refused(client, booked: Appointment) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/p/a/{make_token('resource', booked.pk)}/").status_code == 404


def _migration() -> Any:
    return importlib.import_module("aftercare.portal.migrations.0001_default_appointment_reminder")


def test_existing_practices_get_the_reminder_rule_once_and_keep_their_own(
    personas: Personas,
) -> None:
    own = CareRule.objects.create(
        practice=personas.other_practice,
        name="Our own reminder",
        trigger="before_appointment",
        trigger_options={"hours": 48},
        enabled=False,
    )
    editor = SimpleNamespace(connection=connection)
    _migration().add_appointment_reminder(django_apps, editor)
    _migration().add_appointment_reminder(django_apps, editor)  # again: nothing changes
    rules = CareRule.objects.filter(trigger="before_appointment")
    assert [r.name for r in rules.filter(practice=personas.practice)] == ["Appointment reminder"]
    assert list(rules.filter(practice=personas.other_practice)) == [own]


def test_the_migration_adds_the_rule_every_new_practice_gets() -> None:
    assert DEFAULT_RULE == _migration().RULE
