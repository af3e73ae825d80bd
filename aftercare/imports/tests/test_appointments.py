"""Appointments in from calendars: matched, booked, moved, cancelled, never twice."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from aftercare.appointments.models import Appointment, Status
from aftercare.imports.appointments import import_appointment_file, match_series_by_hand
from aftercare.imports.models import SeriesLink, UnmatchedEvent
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday() -> object:
    with time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False):
        yield


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def run(personas: Personas, files: Path, name: str, **kwargs):  # type: ignore[no-untyped-def]
    return import_appointment_file(
        actor=personas.actor(),
        data=(files / name).read_bytes(),
        file_name=name,
        practitioner=personas.owner,
        **kwargs,
    )


def imported(personas: Personas) -> list[tuple[dt.datetime, str]]:
    return list(
        Appointment.objects.filter(practice=personas.practice, source="ics")
        .order_by("starts_at")
        .values_list("starts_at", "status")
    )


def test_a_google_series_imports_once_with_its_exceptions(personas: Personas, files: Path) -> None:
    result = run(personas, files, "google_weekly.ics")
    assert result.as_json() == {
        "created": 4,
        "updated": 0,
        "cancelled": 0,
        "unmatched": 0,
        "refused": [
            {
                "event": "“Christmas Day” 20261225",
                "reason": "an all-day event is not an appointment",
            }
        ],
    }
    assert imported(personas) == [
        (utc(2026, 12, 7, 10), "booked"),
        (utc(2026, 12, 16, 14), "booked"),
        (utc(2027, 1, 4, 10), "booked"),
        (utc(2027, 1, 11, 10), "booked"),
    ]
    assert set(
        Appointment.objects.filter(source="ics").values_list("client_id", "practitioner_id")
    ) == {(personas.client.pk, personas.owner.pk)}
    again = run(personas, files, "google_weekly.ics")
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)
    assert len(imported(personas)) == 4


def test_a_reimport_after_edits_moves_cancels_and_books(personas: Personas, files: Path) -> None:
    run(personas, files, "google_weekly.ics")
    make_client(
        personas.practice, given_name="Amir", family_name="Karimi", email="amir@example.org"
    )
    result = run(personas, files, "google_weekly_edited.ics")
    assert (result.created, result.updated, result.cancelled, result.unmatched) == (1, 1, 1, 0)
    assert imported(personas) == [
        (utc(2026, 12, 7, 10), "booked"),
        (utc(2026, 12, 16, 14), "booked"),
        (utc(2027, 1, 5, 16), "booked"),  # moved from Monday 4th
        (utc(2027, 1, 6, 9), "booked"),  # the new first visit
        (utc(2027, 1, 11, 10), "cancelled"),  # deleted from the series
    ]


def test_an_occurrence_cancelled_after_import_is_cancelled(personas: Personas, files: Path) -> None:
    text = (files / "google_weekly.ics").read_bytes()
    import_appointment_file(
        actor=personas.actor(),
        data=text.replace(b"STATUS:CANCELLED", b"STATUS:CONFIRMED"),
        file_name="a.ics",
        practitioner=personas.owner,
    )
    assert (utc(2026, 12, 28, 10), "booked") in imported(personas)
    result = import_appointment_file(
        actor=personas.actor(), data=text, file_name="a.ics", practitioner=personas.owner
    )
    assert result.cancelled == 1
    assert (utc(2026, 12, 28, 10), "cancelled") in imported(personas)


@pytest.mark.parametrize(
    ("name", "starts_at"),
    [
        ("outlook.ics", utc(2026, 12, 8, 10, 30)),
        ("apple.ics", utc(2026, 12, 9, 9)),
        ("thunderbird.ics", utc(2026, 12, 10, 14)),
        ("x_wr_timezone_only.ics", utc(2026, 12, 11, 14)),
    ],
)
def test_each_calendar_program_s_file_finds_its_client(
    personas: Personas, files: Path, name: str, starts_at: dt.datetime
) -> None:
    assert run(personas, files, name).created == 1
    appointment = Appointment.objects.get(practice=personas.practice, source="ics")
    assert (appointment.client, appointment.starts_at) == (personas.client, starts_at)


def test_a_broken_calendar_keeps_its_good_event(personas: Personas, files: Path) -> None:
    result = run(personas, files, "broken.ics")
    assert result.created == 1
    assert len(result.refused) == 3
    assert imported(personas) == [(utc(2026, 12, 12, 14), "booked")]


def test_an_unmatched_series_is_matched_by_hand_and_remembered(
    personas: Personas, files: Path
) -> None:
    text = (files / "google_weekly.ics").read_bytes().replace(b"ruth@example.org", b"r@x.org")
    first = import_appointment_file(
        actor=personas.actor(), data=text, file_name="a.ics", practitioner=personas.owner
    )
    assert (first.created, first.unmatched) == (0, 4)
    event = UnmatchedEvent.objects.filter(practice=personas.practice).first()
    assert event is not None
    by_hand = match_series_by_hand(actor=personas.actor(), event=event, client=personas.client)
    assert by_hand.created == 4
    assert not UnmatchedEvent.objects.exists()
    assert SeriesLink.objects.get().client == personas.client
    again = import_appointment_file(
        actor=personas.actor(), data=text, file_name="a.ics", practitioner=personas.owner
    )
    assert (again.created, again.unmatched) == (0, 0)


def test_another_practice_s_client_is_never_matched(personas: Personas, files: Path) -> None:
    text = (
        (files / "google_weekly.ics")
        .read_bytes()
        .replace(b"ruth@example.org", b"walter@example.com")
    )
    result = import_appointment_file(
        actor=personas.actor(), data=text, file_name="a.ics", practitioner=personas.owner
    )
    assert (result.created, result.unmatched) == (0, 4)


def test_the_command(personas: Personas, files: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command(
        "import", "appointments", str(files / "broken.ics"),
        "--practice", str(personas.practice.pk),
        "--practitioner", "OLIVIA@riverside.example", "--json",
    )  # fmt: skip
    body = json.loads(capsys.readouterr().out)
    assert (body["created"], len(body["refused"])) == (1, 3)
    assert Appointment.objects.get(source="ics").practitioner == personas.owner
    assert Appointment.objects.get(source="ics").status == Status.BOOKED
