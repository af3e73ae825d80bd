"""The demo shows a client list brought in from Cliniko (a consent request open) and a calendar
waiting for review."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.imports.models import ImportJob, UnmatchedEvent
from aftercare.messaging.models import Message

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_demo_has_an_import_with_a_refused_row_and_a_session_to_review() -> None:
    with clock.at(NOW):
        call_command("demo", "--clients", "10", "--seed", "3", "-v", "0", stdout=io.StringIO())
    job = ImportJob.objects.get()
    assert job.result["created"] == 2
    assert job.result["refused"] == [
        {"row": 4, "reason": "'edith.clarke@example' is not an email address"}
    ]
    imogen = Client.objects.get(external_id="90001")
    assert (imogen.consent_care, imogen.consent_information) == (False, True)
    # No consent column for care: Imogen was sent the consent request and has not answered.
    assert imogen.consent_request == "asked"
    assert imogen.consent_asked_at == NOW - dt.timedelta(days=2)
    assert Message.objects.filter(client=imogen, template_key="consent_request").count() == 1
    assert Appointment.objects.filter(client=imogen, source="ics").count() == 4
    assert UnmatchedEvent.objects.get().title == "Intro call – J. from the website"
