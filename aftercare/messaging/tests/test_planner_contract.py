"""The care planner sees what messaging records on a client (opt-out, pause, unusable address)."""

from __future__ import annotations

import datetime as dt

from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.testing import Personas

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def attend(personas: Personas) -> None:
    personas.appointment.status = "attended"
    personas.appointment.save()
    care_setup_practice(practice=personas.practice)


def test_an_opted_out_client_gets_no_planned_message(personas: Personas) -> None:
    attend(personas)
    Client.objects.filter(pk=personas.client.pk).update(opted_out_at=NOW)
    reconcile_client(personas.client.pk, now=NOW)
    messages = Touchpoint.objects.filter(client=personas.client, action="message")
    assert messages.exists()
    assert all(t.blocked and "opted out" in t.held_back_reason for t in messages)


def test_a_pause_moves_planned_messages_after_its_last_day(personas: Personas) -> None:
    attend(personas)
    Client.objects.filter(pk=personas.client.pk).update(paused_until=dt.date(2026, 12, 10))
    reconcile_client(personas.client.pk, now=NOW)
    check_in = (
        Touchpoint.objects.filter(client=personas.client, action="message")
        .order_by("due_at")
        .first()
    )
    assert check_in is not None
    assert check_in.due_at >= dt.datetime(2026, 12, 11, 8, 0, tzinfo=dt.UTC)


def test_an_unusable_email_address_moves_messages_to_sms(personas: Personas) -> None:
    attend(personas)
    Client.objects.filter(pk=personas.client.pk).update(email_unusable=True)
    reconcile_client(personas.client.pk, now=NOW)
    channels = set(
        Touchpoint.objects.filter(client=personas.client, action="message").values_list(
            "channel", flat=True
        )
    )
    assert channels == {"sms"}
