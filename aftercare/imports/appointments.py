"""Appointments in from a calendar: match each occurrence to a client, then book, move or cancel.

``import_occurrences`` is the one implementation behind the upload, ``aftercare import
appointments`` and the review screen:

1. Find the client of each occurrence: the client matched by hand to its series (remembered
   in ``SeriesLink``), else a client whose email is among the attendees (the organiser, the
   practitioner, is no client), else the one client whose full name is in the title.
2. An occurrence with no client waits in the review screen (``UnmatchedEvent``).
3. Book what is new, move what moved (same key, new times), cancel what the calendar
   cancelled (``STATUS:CANCELLED``) or no longer holds (an EXDATE added to a series read
   over the same window). Appointments are keyed ``source="ics"`` + the occurrence key, so
   nothing is imported twice. An appointment already marked attended or no-show keeps its
   status; only its times follow the calendar.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from aftercare import clock
from aftercare.appointments.models import Appointment, Status
from aftercare.appointments.services import appointment_create, appointment_update
from aftercare.clients.models import Client
from aftercare.imports.calendars import CalendarError, EventRefusal, Occurrence, read_calendar
from aftercare.imports.clients import ClientIndex
from aftercare.imports.columns import normalise
from aftercare.imports.exports import appointment_external_id
from aftercare.imports.models import SeriesLink, UnmatchedEvent
from aftercare.imports.tabular import Table, read_table
from aftercare.practice.access import Actor
from aftercare.practice.models import User

SOURCE = "ics"
WINDOW_BEFORE = dt.timedelta(days=365)
WINDOW_AFTER = dt.timedelta(days=365)


@dataclass
class AppointmentImportResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unmatched: int = 0
    refused: list[EventRefusal] = field(default_factory=list)
    keys: list[str] = field(default_factory=list, repr=False)  # every occurrence read

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "cancelled": self.cancelled,
            "unmatched": self.unmatched,
            "refused": [{"event": r.event, "reason": r.reason} for r in self.refused],
        }


def series_prefix(uid: str) -> str:
    """What the stored keys of every occurrence of the series ``uid`` start with."""
    return stored_key(f"{uid}#19700101T000000Z")[: -len("19700101T000000Z")]


def stored_key(key: str) -> str:
    """The occurrence key as it fits ``Appointment.external_id`` (long UIDs are hashed)."""
    if len(key) <= 200:
        return key
    uid, _, when = key.rpartition("#") if "#" in key else (key, "", "")
    digest = hashlib.sha256(uid.encode()).hexdigest()
    return f"sha256:{digest}#{when}" if when else f"sha256:{digest}"


class ClientFinder:
    """Step 1: the practice's clients by series, email and full name (read once)."""

    def __init__(self, practice_id: int, ignore_emails: Iterable[str]) -> None:
        self.by_series = dict(
            SeriesLink.objects.filter(practice_id=practice_id).values_list("uid", "client_id")
        )
        self.by_email: dict[str, int] = {}
        names: dict[str, list[int]] = {}
        for pk, given, family, email in Client.objects.filter(
            practice_id=practice_id, archived=False
        ).values_list("id", "given_name", "family_name", "email"):
            if email:
                self.by_email.setdefault(email.lower(), pk)
            names.setdefault(f"{given} {family}".strip().lower(), []).append(pk)
        self.by_name = {
            name: pks[0] for name, pks in names.items() if len(pks) == 1 and " " in name
        }
        self.ignore = {email.lower() for email in ignore_emails if email}

    def find(self, occurrence: Occurrence) -> int | None:
        if occurrence.uid in self.by_series:
            return self.by_series[occurrence.uid]
        for email in occurrence.attendee_emails:
            is_staff = email in self.ignore or email == occurrence.organizer_email
            if not is_staff and email in self.by_email:
                return self.by_email[email]
        words = re.findall(r"[\w'’-]+", occurrence.title.lower())
        found = {
            self.by_name[" ".join(words[i : i + size])]
            for size in (2, 3, 4)
            for i in range(len(words) - size + 1)
            if " ".join(words[i : i + size]) in self.by_name
        }
        return found.pop() if len(found) == 1 else None


def is_icalendar(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCALENDAR")


def calendar_file_problem(data: bytes) -> str:
    """Why ``data`` is neither a calendar nor our appointments CSV (checked before it is
    stored for the worker), or ``""``."""
    if is_icalendar(data):
        return ""
    try:
        table = read_table(data)
    except ValueError as error:
        return f"not a calendar (.ics) nor an appointments CSV: {error}"
    missing = missing_table_columns(table)
    if missing:
        return f"not a calendar (.ics) nor an appointments CSV (no {', '.join(missing)} column)"
    return ""


def missing_table_columns(table: Table) -> list[str]:
    headers = {normalise(h) for h in table.headers}
    return [c for c in ("starts_at", "ends_at") if normalise(c) not in headers]


def import_appointment_file(
    *,
    actor: Actor,
    data: bytes,
    file_name: str,
    practitioner: User | None,
    dry_run: bool = False,
    gone_keys: Iterable[str] = (),
) -> AppointmentImportResult:
    """Read an .ics file over the window around now (or our own CSV) and import it."""
    if not is_icalendar(data):
        try:
            table = read_table(data)
        except ValueError as error:
            raise CalendarError(str(error)) from error
        return import_appointment_table(actor=actor, table=table, dry_run=dry_run)
    now = clock.now()
    calendar = read_calendar(
        data,
        start=now - WINDOW_BEFORE,
        end=now + WINDOW_AFTER,
        time_zone=actor.practice.time_zone,
    )
    result = import_occurrences(
        actor=actor,
        occurrences=calendar.occurrences,
        series_uids=calendar.series_uids,
        practitioner=practitioner,
        window=(now - WINDOW_BEFORE, now + WINDOW_AFTER),
        dry_run=dry_run,
        gone_keys=gone_keys,
    )
    result.refused = calendar.refused + result.refused
    result.keys = [stored_key(o.key) for o in calendar.occurrences]
    return result


def import_occurrences(
    *,
    actor: Actor,
    occurrences: list[Occurrence],
    series_uids: set[str],
    practitioner: User | None,
    window: tuple[dt.datetime, dt.datetime],
    dry_run: bool = False,
    gone_keys: Iterable[str] = (),
) -> AppointmentImportResult:
    """Steps 1-3 of the module for occurrences already read.

    ``gone_keys``: stored keys a subscribed calendar held before and holds no more (deleted
    events); their booked appointments in the window are cancelled too.
    """
    result = AppointmentImportResult()
    practice = actor.practice
    finder = ClientFinder(practice.pk, [practitioner.email if practitioner else ""])
    keys = {stored_key(o.key): o for o in occurrences}
    existing = {
        a.external_id: a
        for a in Appointment.objects.filter(
            practice=practice, source=SOURCE, external_id__in=list(keys)
        ).select_related("client")
    }
    vanished = [
        appointment
        for uid in series_uids
        for appointment in Appointment.objects.filter(
            practice=practice,
            source=SOURCE,
            external_id__startswith=series_prefix(uid),
            starts_at__gte=window[0],
            starts_at__lt=window[1],
            status=Status.BOOKED,
        ).select_related("client")
        if appointment.external_id not in keys
    ]
    vanished += Appointment.objects.filter(
        practice=practice,
        source=SOURCE,
        external_id__in=[key for key in gone_keys if key not in keys],
        starts_at__gte=window[0],
        starts_at__lt=window[1],
        status=Status.BOOKED,
    ).exclude(pk__in=[a.pk for a in vanished])
    # An occurrence edited on its own (moved, cancelled) often loses its attendees: it
    # belongs to the client its series was found for.
    client_of_series: dict[str, int] = {}
    for occurrence in occurrences:
        found = finder.find(occurrence)
        if found is not None:
            client_of_series.setdefault(occurrence.uid, found)
    clients = Client.objects.filter(practice=practice).in_bulk(set(client_of_series.values()))
    matched_keys = []
    with transaction.atomic():
        for key, occurrence in keys.items():
            appointment = existing.get(key)
            if appointment is None and occurrence.cancelled:
                continue
            client_id = (
                appointment.client_id if appointment else client_of_series.get(occurrence.uid)
            )
            if client_id is None:
                result.unmatched += 1
                if not dry_run:
                    _hold_for_review(actor, occurrence, key, practitioner)
                continue
            matched_keys.append(key)
            if appointment is None:
                result.created += 1
                if not dry_run:
                    appointment_create(
                        actor=actor,
                        data={
                            "client": clients[client_id],
                            "practitioner": practitioner,
                            "starts_at": occurrence.starts_at,
                            "ends_at": occurrence.ends_at,
                        },
                        source=SOURCE,
                        external_id=key,
                    )
                continue
            if occurrence.cancelled:
                if appointment.status == Status.BOOKED:
                    result.cancelled += 1
                    if not dry_run:
                        appointment_update(
                            actor=actor,
                            appointment=appointment,
                            data={"status": Status.CANCELLED},
                        )
                continue
            changes: dict[str, Any] = {}
            if appointment.starts_at != occurrence.starts_at:
                changes["starts_at"] = occurrence.starts_at
            if appointment.ends_at != occurrence.ends_at:
                changes["ends_at"] = occurrence.ends_at
            if appointment.status == Status.CANCELLED:
                changes["status"] = Status.BOOKED
            if changes:
                result.updated += 1
                if not dry_run:
                    appointment_update(actor=actor, appointment=appointment, data=changes)
        for appointment in vanished:
            result.cancelled += 1
            if not dry_run:
                appointment_update(
                    actor=actor, appointment=appointment, data={"status": Status.CANCELLED}
                )
        UnmatchedEvent.objects.filter(practice=practice, key__in=matched_keys).delete()
        if dry_run:
            transaction.set_rollback(True)
    return result


def _hold_for_review(
    actor: Actor, occurrence: Occurrence, key: str, practitioner: User | None
) -> None:
    UnmatchedEvent.objects.update_or_create(
        practice=actor.practice,
        key=key,
        defaults={
            "uid": occurrence.uid[:500],
            "practitioner": practitioner,
            "title": occurrence.title[:300],
            "starts_at": occurrence.starts_at,
            "ends_at": occurrence.ends_at,
            "attendee_emails": occurrence.attendee_emails,
        },
    )


@transaction.atomic
def match_series_by_hand(
    *, actor: Actor, event: UnmatchedEvent, client: Client
) -> AppointmentImportResult:
    """The review screen: this event's series is this client's, now and on every re-import."""
    SeriesLink.objects.update_or_create(
        practice=actor.practice, uid=event.uid, defaults={"client": client}
    )
    waiting = list(UnmatchedEvent.objects.filter(practice=actor.practice, uid=event.uid))
    occurrences = [
        Occurrence(
            key=w.key,
            uid=w.uid,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            title=w.title,
            attendee_emails=list(w.attendee_emails),
            organizer_email="",
            cancelled=False,
            sequence=0,
        )
        for w in waiting
    ]
    result = import_occurrences(
        actor=actor,
        occurrences=occurrences,
        series_uids=set(),
        practitioner=event.practitioner,
        window=(clock.now(), clock.now()),
    )
    UnmatchedEvent.objects.filter(pk__in=[w.pk for w in waiting]).delete()
    return result


def import_appointment_table(
    *, actor: Actor, table: Table, dry_run: bool = False
) -> AppointmentImportResult:
    """Appointments from a CSV in ``exports.APPOINTMENT_COLUMNS`` (our own export).

    Each row is upserted by its ``external_id`` (an ``aftercare-N`` id is row N of this
    practice, so our own file reads back unchanged); its client is found by the client's
    match keys, its practitioner by email among the practice's members.
    """
    result = AppointmentImportResult()
    practice = actor.practice
    column = {normalise(h): i for i, h in enumerate(table.headers)}
    missing = missing_table_columns(table)
    if missing:
        raise CalendarError(
            f"The file is neither a calendar nor an appointments CSV (no {', '.join(missing)} "
            "column)."
        )
    clients = ClientIndex(Client.objects.filter(practice=practice).order_by("id"))
    staff = {
        user.email.lower(): user for user in User.objects.filter(memberships__practice=practice)
    }
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    existing = {
        appointment_external_id(a): a
        for a in Appointment.objects.filter(practice=practice).select_related("client")
    }
    with transaction.atomic():
        for number, cells in table.rows:

            def cell(name: str, cells: list[str] = cells) -> str:
                index = column.get(normalise(name))
                return cells[index].strip() if index is not None and index < len(cells) else ""

            try:
                data = _appointment_values(cell, clients, staff, zone)
            except ValueError as error:
                result.refused.append(EventRefusal(f"row {number}", str(error)))
                continue
            appointment = existing.get(cell("external_id"))
            if appointment is None:
                result.created += 1
                if not dry_run:
                    existing[cell("external_id") or f"row {number}"] = appointment_create(
                        actor=actor, data=data, source="csv", external_id=cell("external_id")
                    )
                continue
            changes = {
                k: v
                for k, v in data.items()
                if getattr(appointment, k) != v and k not in {"client"}
            }
            if changes:
                result.updated += 1
                if not dry_run:
                    appointment_update(actor=actor, appointment=appointment, data=changes)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _appointment_values(
    cell: Any, clients: ClientIndex, staff: dict[str, User], zone: zoneinfo.ZoneInfo
) -> dict[str, Any]:
    birth = cell("client_birth_date")
    client = clients.match(
        {
            "external_id": cell("client_external_id"),
            "email": cell("client_email").lower(),
            "given_name": cell("client_given_name"),
            "family_name": cell("client_family_name"),
            "birth_date": dt.date.fromisoformat(birth) if birth else None,
        }
    )
    if client is None:
        raise ValueError("no client of the practice matches its client columns")
    times = {}
    for name in ("starts_at", "ends_at"):
        try:
            value = dt.datetime.fromisoformat(cell(name))
        except ValueError as error:
            raise ValueError(f"{name}: {cell(name)!r} is not a date and time") from error
        times[name] = value if value.tzinfo else value.replace(tzinfo=zone)
    if times["ends_at"] <= times["starts_at"]:
        raise ValueError("it ends before it starts")
    status = cell("status") or Status.BOOKED
    if status not in Status.values:
        raise ValueError(f"status {status!r} is not one of {', '.join(Status.values)}")
    fee = None
    if cell("fee"):
        try:
            fee = decimal.Decimal(cell("fee"))
        except decimal.InvalidOperation as error:
            raise ValueError(f"fee {cell('fee')!r} is not an amount") from error
    return {
        "client": client,
        "practitioner": staff.get(cell("practitioner_email").lower()),
        "starts_at": times["starts_at"].astimezone(dt.UTC),
        "ends_at": times["ends_at"].astimezone(dt.UTC),
        "kind": cell("kind")[:40] or "follow_up",
        "status": status,
        "fee": fee,
    }
