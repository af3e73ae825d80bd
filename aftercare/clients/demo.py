"""Demo data: one person with two records, to merge.

A client of the demo also booked online under another address: the booking tool created a
second record (its own id in ``external_id``) with the same name, birth date and phone (and one
upcoming session: ``appointments/demo.py``). Their page's *Merge with…* suggests the other record ("the same mobile
number and the same name and birth date") and the merge page sets the two side by side.
Written with plain inserts like the rest of the demo (no audit rows, no re-planning: the care
app plans every demo client at the end).
"""

from __future__ import annotations

import datetime as dt
import random

from aftercare.clients.models import Client, ConsentEvent, Purpose
from aftercare.demo import ascii_name
from aftercare.practice.models import Practice

# Look among the first clients only: cheap on a demo of 100,000.
CANDIDATES = 50
BOOKING_TOOL_ID = "online-booking-4471"


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    original = (
        Client.objects.filter(practice=practice, archived=False, external_id="")
        .exclude(email="")
        .exclude(phone="")
        .exclude(birth_date=None)
        .filter(pk__in=Client.objects.filter(practice=practice).order_by("id")[:CANDIDATES])
        .order_by("id")
        .first()
    )
    if original is None:
        return
    created = now - dt.timedelta(days=rng.randint(2, 9))
    twin = Client.objects.create(
        practice=practice,
        primary_practitioner=original.primary_practitioner,
        given_name=original.given_name,
        family_name=original.family_name,
        birth_date=original.birth_date,
        email=f"{ascii_name(original.given_name)}.{ascii_name(original.family_name)}@mailbox.example",
        phone=original.phone,
        preferred_channel="email",
        consent_care=True,
        consent_information=True,
        external_id=BOOKING_TOOL_ID,
        created_at=created,
        updated_at=created,
    )
    ConsentEvent.objects.bulk_create(
        ConsentEvent(
            client=twin,
            purpose=purpose,
            granted=twin.has_consent(purpose),
            how="online booking form",
            at=created,
        )
        for purpose in Purpose.values
    )
