"""An iCalendar file as the appointments in it, over a window of time. Pure (no models).

Calendars arrive as Google, Outlook, Apple Calendar and Thunderbird write them, and broken:

1. Text: UTF-8 with or without a byte-order mark; a file that is no calendar at all is
   refused as a whole (``CalendarError``); an empty calendar is simply no events.
2. Time zones: ``X-WR-TIMEZONE`` (Google's calendar-wide zone for floating times) is made
   standard first (``x_wr_timezone``); a ``TZID`` is read from the file's own VTIMEZONE, an
   IANA name or an Outlook (Windows) name; ``Z`` is UTC; a time with no zone at all is in
   the practice's zone.
3. Each event (a UID with its overrides) is checked alone: a broken DTSTART, an unknown
   TZID, an all-day event (not a session) is refused with a message naming the event,
   and the other events still import.
4. Recurring events are expanded over the window (``recurring_ical_events``): EXDATEs drop
   occurrences, a RECURRENCE-ID override moves or cancels one (``STATUS:CANCELLED``).
5. Each occurrence gets a stable key: the UID for a single event, the UID and the original
   start (RECURRENCE-ID, in UTC) for an occurrence of a series, so a re-import updates the
   appointment it made, a moved occurrence keeps its key, and nothing is imported twice.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

import icalendar
import recurring_ical_events
import x_wr_timezone


class CalendarError(ValueError):
    """The file as a whole is no calendar; the message says why."""


@dataclass
class Occurrence:
    key: str
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    attendee_emails: list[str]
    organizer_email: str
    cancelled: bool
    sequence: int


@dataclass
class EventRefusal:
    event: str  # the event's title and start as the practitioner's calendar shows it
    reason: str


@dataclass
class ReadCalendar:
    occurrences: list[Occurrence] = field(default_factory=list)
    refused: list[EventRefusal] = field(default_factory=list)
    series_uids: set[str] = field(default_factory=set)  # UIDs whose whole series was read
    name: str = ""


def _email(value: object) -> str:
    text = str(value or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else ""


def _label(component: icalendar.Event) -> str:
    title = str(component.get("SUMMARY", "") or "").strip() or "(no title)"
    raw = component.get("DTSTART")
    when = raw.to_ical().decode() if raw is not None and hasattr(raw, "to_ical") else ""
    return f"“{title}” {when}".strip()


def _problem(component: icalendar.Event) -> str:
    """Why this component cannot become appointments, or ''."""
    for name, error in component.errors:
        if name in {"DTSTART", "DTEND", "DURATION", "RRULE", "RECURRENCE-ID", "EXDATE"}:
            return f"its {name} cannot be read ({error})"
    start = component.get("DTSTART")
    if start is None:
        return "it has no start (DTSTART)"
    value = start.dt
    if not isinstance(value, dt.datetime):
        return "an all-day event is not an appointment"
    tzid = start.params.get("TZID")
    if tzid and value.tzinfo is None:
        return f"its time zone {tzid!r} is unknown and the file does not define it"
    return ""


def _aware(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def read_calendar(
    data: bytes, *, start: dt.datetime, end: dt.datetime, time_zone: str
) -> ReadCalendar:
    """The appointments in ``data`` between ``start`` and ``end`` (the module's steps)."""
    text = data.decode("utf-8-sig", errors="replace").lstrip("\ufeff \r\n\t")
    if not text.upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarError("The file is not a calendar (.ics): it does not start a VCALENDAR.")
    try:
        calendar = icalendar.Calendar.from_ical(text)
        calendar = x_wr_timezone.to_standard(calendar)
    except (ValueError, KeyError, IndexError) as error:
        raise CalendarError(f"The calendar cannot be read: {error}") from error
    zone = zoneinfo.ZoneInfo(time_zone)
    result = ReadCalendar(name=str(calendar.get("X-WR-CALNAME", "") or ""))
    timezones = list(calendar.walk("VTIMEZONE"))
    by_uid: dict[str, list[icalendar.Event]] = {}
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID", "") or "").strip()
        if not uid:
            result.refused.append(EventRefusal(_label(component), "it has no UID"))
            continue
        by_uid.setdefault(uid, []).append(component)
    for uid, components in by_uid.items():
        good = []
        for component in components:
            problem = _problem(component)
            if problem:
                result.refused.append(EventRefusal(_label(component), problem))
            else:
                good.append(component)
        if not good:
            continue
        series = any(c.get("RRULE") or c.get("RDATE") or c.get("RECURRENCE-ID") for c in good)
        single = icalendar.Calendar()
        for timezone in timezones:
            single.add_component(timezone)
        for component in good:
            single.add_component(component)
        try:
            expanded = recurring_ical_events.of(single).between(
                start.astimezone(zone).replace(tzinfo=None),
                end.astimezone(zone).replace(tzinfo=None),
            )
        except Exception as error:  # the library raises many kinds for one bad rule
            result.refused.append(EventRefusal(_label(good[0]), f"it cannot be expanded ({error})"))
            continue
        if series:
            result.series_uids.add(uid)
        for event in expanded:
            starts = _aware(event["DTSTART"].dt, zone)
            if "DTEND" in event:
                ends = _aware(event["DTEND"].dt, zone)
            elif "DURATION" in event:
                ends = starts + event["DURATION"].dt
            else:
                ends = starts + dt.timedelta(hours=1)
            if ends <= starts:
                result.refused.append(EventRefusal(_label(event), "it ends before it starts"))
                continue
            key = uid
            if series:
                original = _aware(event["RECURRENCE-ID"].dt, zone).astimezone(dt.UTC)
                key = f"{uid}#{original:%Y%m%dT%H%M%SZ}"
            attendees = event.get("ATTENDEE", [])
            if not isinstance(attendees, list):
                attendees = [attendees]
            result.occurrences.append(
                Occurrence(
                    key=key,
                    uid=uid,
                    starts_at=starts.astimezone(dt.UTC),
                    ends_at=ends.astimezone(dt.UTC),
                    title=str(event.get("SUMMARY", "") or "").strip(),
                    attendee_emails=[e for e in (_email(a) for a in attendees) if e],
                    organizer_email=_email(event.get("ORGANIZER")),
                    cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
                    sequence=int(event.get("SEQUENCE", 0) or 0),
                )
            )
    return result
