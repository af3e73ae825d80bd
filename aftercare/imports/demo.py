"""Demo data: a client list brought in from Cliniko (one row refused, with its reason; no
column for consent to care, so Imogen has been sent the consent request and not yet answered,
and Rahul will be asked by his first message), and a calendar imported with one session
waiting for its client on the review page."""

from __future__ import annotations

import datetime as dt
import random

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.imports.appointments import import_appointment_file
from aftercare.imports.clients import import_clients
from aftercare.imports.models import ImportJob
from aftercare.imports.reading import read_client_file
from aftercare.messaging.consent import consent_request_send
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role

HEADER = (
    "Patient ID,Title,First name,Last name,Preferred first name,Date of birth,Sex,Email,Mobile,"
    "Home phone,Address 1,Address 2,Address 3,City,State,Post code,Country,"
    "Accepted privacy policy,Accepted email marketing,Accepted SMS marketing,Notes"
)
ROWS = [
    "90001,Ms,Imogen,Hartley,Immy,1979-05-12,Female,imogen.hartley@example.org,07700 123456,,"
    "4 Quay Street,,,Bristol,,BS1 4DJ,United Kingdom,true,true,false,",
    "90002,Mr,Rahul,Varma,,1991-10-02,Male,rahul.varma@example.org,07712 345678,,,,,,,,,true,"
    "false,false,",
    "90003,Mrs,Edith,Clarke,,1948-02-29,Female,edith.clarke@example,07723 456789,,,,,,,,,true,"
    "false,false,",
]


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    owner = (
        Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user").first()
    )
    if owner is None:
        return
    actor = Actor(user=owner.user, practice=practice, membership=owner, via="import")
    data = ("\ufeff" + "\r\n".join([HEADER, *ROWS]) + "\r\n").encode("utf-8")
    with clock.at(now):
        reading = read_client_file(data, practice=practice)
        rows = reading.rows(practice)
        result = import_clients(
            actor=actor, rows=rows.rows, refused=rows.refused, how="import of Patients-Cliniko.csv"
        )
        ImportJob.objects.create(
            practice=practice,
            created_by=owner.user,
            file_name="Patients-Cliniko.csv",
            content=data,
            mapping=reading.mapping,
            date_order=reading.date_order or "",
            status=ImportJob.Status.DONE,
            total_rows=len(ROWS),
            done_rows=len(ROWS),
            result=result.as_json(),
            started_at=now,
            finished_at=now,
        )
        imogen = Client.objects.select_related("practice").get(
            practice=practice, external_id="90001"
        )
        with clock.at(now - dt.timedelta(days=2)):
            consent_request_send(client=imogen)
        start = (
            (now + dt.timedelta(days=3))
            .astimezone(dt.UTC)
            .replace(hour=9, minute=0, second=0, microsecond=0)
        )
        calendar = "\r\n".join(
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
                "BEGIN:VEVENT",
                f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
                f"DTEND:{start + dt.timedelta(minutes=50):%Y%m%dT%H%M%SZ}",
                "RRULE:FREQ=WEEKLY;COUNT=4",
                "UID:demo-weekly-imogen@google.com",
                "ATTENDEE;CN=Imogen:mailto:imogen.hartley@example.org",
                "SUMMARY:Weekly session",
                "END:VEVENT",
                "BEGIN:VEVENT",
                f"DTSTART:{start + dt.timedelta(hours=2):%Y%m%dT%H%M%SZ}",
                f"DTEND:{start + dt.timedelta(hours=3):%Y%m%dT%H%M%SZ}",
                "UID:demo-unknown@google.com",
                "SUMMARY:Intro call – J. from the website",
                "END:VEVENT",
                "END:VCALENDAR",
                "",
            ]
        ).encode()
        import_appointment_file(
            actor=actor, data=calendar, file_name="calendar.ics", practitioner=owner.user
        )
