"""When will a person read what the client wrote? An honest answer for the client.

``when_read(client, now)`` asks each registered *availability provider* first (the absences
app registers one: "Dr X is away until …, Y covers"), then falls back to the practitioner's next
care hour, then to the next working day at 09:00 in the practice's time zone.
A provider is ``fn(client, now) -> ReadEstimate | None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps

from aftercare.clients.models import Client
from aftercare.locales import format_date, practice_locale

WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 0)


@dataclass(frozen=True)
class ReadEstimate:
    at: dt.datetime
    by: str  # who will read it
    note: str = ""  # e.g. "Dr X is away; Y covers"

    def sentence(self, tz: dt.tzinfo, now: dt.datetime, locale: str | None = None) -> str:
        """ "Dr X will read it on Monday 1 March by 17:00." (en_GB; "Monday, March 1 by 5:00 PM"
        in en_US): in ``locale``, None for the locale in use."""
        local = self.at.astimezone(tz)
        time = format_date(local, "H:i", locale)
        if self.at <= now:
            when = "today"
        elif local.date() == now.astimezone(tz).date():
            when = f"today at {time}"
        elif local.date() == now.astimezone(tz).date() + dt.timedelta(days=1):
            when = f"tomorrow ({format_date(local, 'l', locale)}) by {time}"
        else:
            when = f"on {format_date(local, 'l j F', locale)} by {time}"
        text = f"{self.by} will read it {when}."
        return f"{self.note} {text}".strip() if self.note else text


AvailabilityProvider = Callable[[Client, dt.datetime], "ReadEstimate | None"]
_providers: list[AvailabilityProvider] = []


def register_availability_provider(fn: AvailabilityProvider) -> AvailabilityProvider:
    if fn not in _providers:
        _providers.append(fn)
    return fn


def practitioner_name(client: Client) -> str:
    practitioner = client.primary_practitioner
    return practitioner.display_name if practitioner else f"Someone at {client.practice.name}"


def next_care_hour(client: Client, now: dt.datetime) -> dt.datetime | None:
    try:
        care_hour_model = apps.get_model("care", "CareHour")
    except LookupError:
        return None
    if client.primary_practitioner_id is None:
        return None
    hours = list(
        care_hour_model.objects.filter(
            practice_id=client.practice_id, user_id=client.primary_practitioner_id
        )
    )
    tz = client.practice.tz
    local_now = now.astimezone(tz)
    best: dt.datetime | None = None
    for hour in hours:
        for offset in range(8):
            day = local_now.date() + dt.timedelta(days=offset)
            if day.weekday() != hour.weekday:
                continue
            start = dt.datetime.combine(day, hour.starts, tzinfo=tz)
            end = dt.datetime.combine(day, hour.ends, tzinfo=tz)
            if end <= local_now:
                continue
            candidate = max(start, local_now)
            if best is None or candidate < best:
                best = candidate
            break
    return best


def next_working_time(tz: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(tz)
    if local.weekday() < 5 and WORKDAY_START <= local.time() < WORKDAY_END:
        return now
    day = local.date()
    if local.time() >= WORKDAY_END or local.weekday() >= 5:
        day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, WORKDAY_START, tzinfo=tz)


def when_read(client: Client, now: dt.datetime) -> ReadEstimate:
    for provider in list(_providers):
        estimate = provider(client, now)
        if estimate is not None:
            return estimate
    by = practitioner_name(client)
    # The care hour is the practitioner's boundary: replies wait for it, not for any free minute.
    at = next_care_hour(client, now) or next_working_time(client.practice.tz, now)
    return ReadEstimate(at=at, by=by)


def when_read_sentence(client: Client, now: dt.datetime) -> str:
    practice = client.practice
    return when_read(client, now).sentence(practice.tz, now, practice_locale(practice))
