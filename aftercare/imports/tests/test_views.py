"""The import pages: upload, columns, dry run, import by the worker, progress; calendars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.imports.jobs import run_waiting_imports
from aftercare.imports.models import (
    CalendarSubscription,
    ImportJob,
    SavedMapping,
    UnmatchedEvent,
)
from aftercare.practice.models import Practice
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def monday() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


def upload(owner_client, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return owner_client.post(
        reverse("imports-upload-clients"), {"file": SimpleUploadedFile(name, data)}
    )


def test_a_cliniko_file_goes_from_upload_to_imported(
    owner_client, personas: Personas, files: Path
) -> None:  # type: ignore[no-untyped-def]
    response = upload(owner_client, "Patients.csv", (files / "cliniko_patients.csv").read_bytes())
    job = ImportJob.objects.get()
    assert response.url == reverse("imports-columns", args=[job.pk])
    page = owner_client.get(response.url).content.decode()
    assert "recognised as a Cliniko export" in page
    assert "Flat 2, 14 Mill Lane" in page  # first values to judge by
    form = {"column_0": "external_id", "column_2": "given_name", "column_3": "family_name",
            "column_5": "birth_date", "column_7": "email", "column_8": "phone",
            "date_order": "dmy"}  # fmt: skip
    response = owner_client.post(response.url, form)
    assert response.url == reverse("imports-dry-run", args=[job.pk])
    dry = owner_client.get(response.url).content.decode()
    assert "<strong>3</strong> new clients" in dry
    assert "start without consent" in dry
    assert Client.objects.filter(practice=personas.practice).count() == 1
    response = owner_client.post(reverse("imports-start", args=[job.pk]))
    assert response.url == reverse("imports-progress", args=[job.pk])
    waiting = owner_client.get(response.url).content.decode()
    assert "Waiting for the worker" in waiting and 'hx-trigger="every 2s"' in waiting
    assert run_waiting_imports(NOW) == 1
    done = owner_client.get(response.url).content.decode()
    assert "3 created, 0 updated, 0 unchanged, 0 refused" in done
    hannah = Client.objects.get(practice=personas.practice, external_id="1024")
    assert hannah.preferred_name == ""  # that column was left out
    # The mapping is remembered for the next file with these columns.
    assert SavedMapping.objects.get(practice=personas.practice).mapping["Email"] == "email"
    upload(owner_client, "Patients.csv", (files / "cliniko_patients.csv").read_bytes())
    assert ImportJob.objects.first().mapping.get("Preferred first name") is None
    assert run_waiting_imports(NOW) == 0


def test_an_ambiguous_file_asks_how_it_writes_dates(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    Practice.objects.filter(pk=personas.practice.pk).update(country="CA")
    response = upload(owner_client, "sheet.csv", b"First name,Date of birth\r\nAnna,03/04/1980\r\n")
    page = owner_client.get(response.url).content.decode()
    assert "The file could mean either: please say." in page
    refused = owner_client.post(response.url, {"column_0": "given_name", "column_1": "birth_date"})
    assert refused.status_code == 400
    assert "Say how the file writes its dates." in refused.content.decode()


def test_a_mapping_without_a_name_is_refused(owner_client) -> None:  # type: ignore[no-untyped-def]
    response = upload(owner_client, "sheet.csv", b"Email\nanna@example.org\n")
    refused = owner_client.post(response.url, {"column_0": "email"})
    assert "Map a column to “First name” or to “Full name”." in refused.content.decode()


def test_a_file_that_is_no_table_says_so(owner_client) -> None:  # type: ignore[no-untyped-def]
    response = upload(owner_client, "empty.csv", b"")
    assert response.url == reverse("imports-home")
    assert "empty.csv: The file is empty." in owner_client.get(response.url).content.decode()
    assert not ImportJob.objects.exists()


def test_refused_rows_are_listed_with_their_reasons(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    data = b"First name,Email\r\nAnna,anna@example.org\r\nBen,ben@@example\r\n"
    response = upload(owner_client, "sheet.csv", data)
    owner_client.post(response.url, {"column_0": "given_name", "column_1": "email"})
    dry = owner_client.get(reverse("imports-dry-run", args=[ImportJob.objects.get().pk]))
    assert "Row 3</td><td>&#x27;ben@@example&#x27; is not an email address" in dry.content.decode()


def test_the_pages_cost_a_fixed_number_of_queries(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for number in range(5):
        ImportJob.objects.create(
            practice=personas.practice, file_name=f"{number}.csv", content=b"x"
        )
    with django_assert_max_num_queries(14):
        assert owner_client.get(reverse("imports-home")).status_code == 200


def test_a_calendar_upload_and_the_review_of_its_unmatched_series(
    owner_client, personas: Personas, files: Path
) -> None:  # type: ignore[no-untyped-def]
    data = (files / "google_weekly.ics").read_bytes().replace(b"ruth@example.org", b"r@x.org")
    response = owner_client.post(
        reverse("imports-upload-calendar"),
        {"file": SimpleUploadedFile("calendar.ics", data), "practitioner": personas.owner.pk},
    )
    # Stored and queued for the worker, not imported in the request.
    job = ImportJob.objects.get()
    assert response.url == reverse("imports-progress", args=[job.pk])
    assert (job.kind, job.status, job.practitioner) == ("appointments", "queued", personas.owner)
    assert not UnmatchedEvent.objects.exists()
    waiting = owner_client.get(response.url).content.decode()
    assert "Waiting for the worker" in waiting and 'hx-trigger="every 2s"' in waiting
    assert run_waiting_imports(NOW) == 1
    assert run_waiting_imports(NOW) == 0  # imported once
    page = owner_client.get(response.url).content.decode()
    assert "0 booked, 0 moved, 0 cancelled, 4 without a client, 1 refused." in page
    assert "An all-day event is not an appointment" in page
    assert "hx-trigger" not in page
    review = owner_client.get(reverse("imports-unmatched")).content.decode()
    assert "Follow-up session" in review
    event = UnmatchedEvent.objects.order_by("starts_at").first()
    form = owner_client.get(reverse("imports-match", args=[event.pk])).content.decode()
    assert "Whose appointments are these?" in form
    response = owner_client.post(
        reverse("imports-match", args=[event.pk]), {"client": personas.client.pk}
    )
    assert response.url == reverse("imports-unmatched")
    assert Appointment.objects.filter(source="ics", client=personas.client).count() == 4


def test_a_file_that_is_no_calendar_is_refused_at_upload_and_nothing_is_stored(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(
        reverse("imports-upload-calendar"),
        {"file": SimpleUploadedFile("holiday.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")},
    )
    page = owner_client.get(response.url).content.decode()
    assert "holiday.jpg: not a calendar (.ics) nor an appointments CSV" in page
    assert not ImportJob.objects.exists()


def test_a_calendar_the_worker_cannot_read_fails_in_words(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    broken = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:tomorrow\r\n"
    owner_client.post(
        reverse("imports-upload-calendar"), {"file": SimpleUploadedFile("broken.ics", broken)}
    )
    job = ImportJob.objects.get()
    run_waiting_imports(NOW)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("The calendar cannot be read")
    with django_assert_max_num_queries(8):
        page = owner_client.get(reverse("imports-progress", args=[job.pk])).content.decode()
    assert job.error in page.replace("&#x27;", "'")
    assert not Appointment.objects.filter(source="ics").exists()


def test_another_practices_calendar_import_is_a_404(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    job = ImportJob.objects.create(
        practice=personas.other_practice,
        kind="appointments",
        file_name="theirs.ics",
        content=b"BEGIN:VCALENDAR",
        status="done",
    )
    assert owner_client.get(reverse("imports-progress", args=[job.pk])).status_code == 404


def test_exports_download_in_the_import_columns(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.get(reverse("imports-export", args=["clients", "csv"]))
    assert response["Content-Disposition"] == 'attachment; filename="clients.csv"'
    assert "Ruth,Miller" in response.content.decode()
    assert owner_client.get("/imports/export/secrets.csv").status_code == 404


def test_subscribing_refuses_an_inside_address_and_lists_the_calendars(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(reverse("imports-subscribe"), {"url": "http://127.0.0.1/x.ics"})
    page = owner_client.get(response.url).content.decode()
    assert "points inside this server&#x27;s own network" in page
    CalendarSubscription.objects.create(
        practice=personas.practice,
        practitioner=personas.owner,
        url="https://calendar.google.com/calendar/ical/olivia/private-0123456789abcdef/basic.ics",
        last_error="The calendar's server answered 404 Not Found.",
    )
    page = owner_client.get(reverse("imports-home")).content.decode()
    assert "calendar.google.com (…ic.ics)" in page
    assert "private-0123456789abcdef" not in page  # the secret stays secret
    assert "answered 404 Not Found" in page
    subscription = CalendarSubscription.objects.get()
    owner_client.post(reverse("imports-unsubscribe", args=[subscription.pk]))
    assert not CalendarSubscription.objects.exists()


def test_a_calendar_is_only_a_practitioners(owner_client, personas: Personas, files: Path) -> None:  # type: ignore[no-untyped-def]
    """The form offers those who see clients; an assistant's id, forged, makes it nobody's."""
    data = (files / "google_weekly.ics").read_bytes()
    owner_client.post(
        reverse("imports-upload-calendar"),
        {"file": SimpleUploadedFile("calendar.ics", data), "practitioner": personas.assistant.pk},
    )
    assert ImportJob.objects.get().practitioner is None
    page = owner_client.get(reverse("imports-home")).content.decode()
    assert f'value="{personas.colleague.pk}"' in page
    assert f'value="{personas.assistant.pk}"' not in page
