"""Reads of appointments: a client's timeline rows and a practitioner's day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Field,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from aftercare import statements
from aftercare.appointments import schedule
from aftercare.appointments.models import (
    Appointment,
    FeeAction,
    Kind,
    ScheduleSettings,
    Status,
    VisitKind,
)
from aftercare.clients.timeline import TimelineAction, TimelineEntry
from aftercare.practice.access import Actor, get_scoped_or_404, scoped
from aftercare.practice.models import Membership, Role, User
from aftercare.row_urls import id_url

if TYPE_CHECKING:
    from aftercare.clients.models import Client

TIMELINE_APPOINTMENTS = 100

# What a person can mark an appointment as, in the order the buttons are shown.
STATUS_ACTIONS = [
    (Status.ATTENDED, "Attended"),
    (Status.NO_SHOW, "No-show"),
    (Status.LATE_CANCELLED, "Late-cancelled"),
    (Status.CANCELLED, "Cancelled"),
]


def status_marks(status: str) -> tuple[tuple[str, str], ...]:
    """The buttons an appointment of ``status`` gets: (the status it marks, the button's words).

    Only booked ones get buttons: once marked, a correction is rare and goes through the
    edit form, so the timeline of a long-standing client is not a wall of buttons.
    """
    if status != Status.BOOKED:
        return ()
    return tuple(
        (mark, f"Mark {label.lower()}") for mark, label in STATUS_ACTIONS if mark != status
    )


def status_actions(
    appointment: Appointment, *, url: Callable[[int], str] | None = None
) -> tuple[TimelineAction, ...]:
    """Buttons that mark a booked ``appointment`` attended, no-show, … (one click each).

    A page of many rows passes ``url`` (``row_urls.id_url("appointments-status")``) to reverse
    once.
    """
    marks = status_marks(appointment.status)
    if not marks:
        return ()
    url = (url or id_url("appointments-status"))(appointment.pk)
    return tuple(
        TimelineAction(label=label, url=url, fields={"status": mark}) for mark, label in marks
    )


def fee_decision_words(appointment: Appointment) -> str:
    """ "Fee waived (40.00): First no-show in 3 years, 24 visits." """
    if appointment.fee_action == FeeAction.NONE:
        return f"No fee: {appointment.fee_reason}"
    return f"Fee {appointment.fee_action} ({appointment.fee_amount}): {appointment.fee_reason}"


def appointment_timeline(client: Client, actor: Actor) -> list[TimelineEntry]:
    """The client's latest appointments as timeline entries (one query)."""
    appointments = statements.objects(
        ("appointments: a client's timeline", TIMELINE_APPOINTMENTS),
        lambda client, practice: Appointment.objects.filter(
            client_id=client, practice_id=practice
        ).order_by("-starts_at")[:TIMELINE_APPOINTMENTS],
        model=Appointment,
        related=("practitioner",),
        client=client.pk,
        practice=actor.practice.pk,
    )
    edit_url, status_url = id_url("appointments-edit"), id_url("appointments-status")
    entries = []
    for appointment in appointments:
        minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        who = appointment.practitioner.display_name if appointment.practitioner else ""
        detail = f"{minutes} min" + (f" with {who}" if who else "")
        if appointment.fee is not None:
            detail += f" · fee {appointment.fee}"
        if appointment.fee_action:
            detail += f" · {fee_decision_words(appointment)}"
        entries.append(
            TimelineEntry(
                at=appointment.starts_at,
                kind="appointment",
                title=appointment.kind_label,
                detail=detail,
                status=appointment.status,
                status_label=appointment.get_status_display(),
                url=edit_url(appointment.pk),
                actions=status_actions(appointment, url=status_url),
            )
        )
    return entries


def practitioners(actor: Actor) -> list[User]:
    """The people of the actor's practice who have a schedule (owners and practitioners)."""
    memberships = statements.objects(
        "appointments: the practitioners",
        lambda practice: Membership.objects.filter(
            practice_id=practice, role__in=[Role.OWNER, Role.PRACTITIONER]
        ).order_by("user__full_name", "user__email"),
        model=Membership,
        related=("user",),
        practice=actor.practice.pk,
    )
    return [membership.user for membership in memberships]


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``day`` and of the next day in ``tz`` (23 or 25 hours apart on DST days)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


class WeekEntry(NamedTuple):
    """One appointment as the week shows it: a row read as a tuple (``WEEK_COLUMNS``).

    A busy week is hundreds of appointments; making a model instance of each, with its client
    and practitioner, was a fifth of the page's time.
    """

    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    kind: str
    client_id: int
    given_name: str
    family_name: str
    practitioner_id: int | None
    practitioner_full_name: str | None  # None without a practitioner
    practitioner_email: str | None


WEEK_COLUMNS = (
    "id",
    "starts_as_read",  # ``starts_at`` (``_AS_READ``)
    "ends_as_read",
    "status",
    "kind",
    "client_id",
    "client__given_name",
    "client__family_name",
    "practitioner_id",
    "practitioner__full_name",
    "practitioner__email",
)


class DayEntry(NamedTuple):
    """One appointment as the day shows it (``DAY_COLUMNS``): the week's columns, the client's
    answers to the reminder and the fee decision."""

    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    kind: str
    client_id: int
    given_name: str
    family_name: str
    practitioner_id: int | None
    practitioner_full_name: str | None
    practitioner_email: str | None
    confirmed_at: dt.datetime | None
    rebook_requested_at: dt.datetime | None
    rebook_handled_at: dt.datetime | None
    fee_action: str
    fee_amount: Decimal | None
    fee_reason: str


EntryT = TypeVar("EntryT", WeekEntry, DayEntry)

DAY_COLUMNS = (
    *WEEK_COLUMNS,
    "confirmed_at",
    "rebook_requested_at",
    "rebook_handled_at",
    "fee_action",
    "fee_amount",
    "fee_reason",
)


# The start and the end as the database driver gives them (no converter: the output field is a
# bare ``Field``), made aware in ``_schedule_entries``. Django's converter (parse, then
# ``make_aware``) for each of a busy week's 600 moments cost more than running the query.
_AS_READ = {
    "starts_as_read": ExpressionWrapper(F("starts_at"), output_field=Field()),
    "ends_as_read": ExpressionWrapper(F("ends_at"), output_field=Field()),
}


def _aware(value: dt.datetime | str, zone: dt.tzinfo) -> dt.datetime:
    """A moment as the driver gives it: aware (PostgreSQL), or naive in ``zone`` (the database's
    zone, UTC unless set), as SQLite keeps it (parsed by Django's decoder, or still text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _schedule_entries(
    name: str,
    entry: type[EntryT],
    columns: tuple[str, ...],
    actor: Actor,
    *,
    start: dt.datetime,
    end: dt.datetime,
    practitioner: User | None,
) -> list[EntryT]:
    """The practice's (or one practitioner's) appointments from ``start`` to ``end`` in time
    order, as ``entry`` tuples of ``columns`` (the start and end second and third): one query,
    built once per process (``statements``).

    With a practitioner SQLite reads the index on (practice, practitioner, starts_at), for the
    whole practice the one on (practice, starts_at): only the rows shown, already in order.
    """

    def build(**values: Any) -> QuerySet[Appointment]:
        rows = Appointment.objects.filter(
            practice_id=values["practice"],
            starts_at__gte=values["start"],
            starts_at__lt=values["end"],
        )
        if "practitioner" in values:
            rows = rows.filter(practitioner_id=values["practitioner"])
        ordered = rows.annotate(**_AS_READ).order_by("starts_at", "id")
        return ordered.values_list(*columns)  # type: ignore[return-value]

    values: dict[str, Any] = {"practice": actor.practice.pk, "start": start, "end": end}
    if practitioner is not None:
        values["practitioner"] = practitioner.pk
    found = statements.rows((name, practitioner is not None), build, **values)
    zone = connection.timezone
    return [
        entry(row[0], _aware(row[1], zone), _aware(row[2], zone), *row[3:])  # type: ignore[call-arg]
        for row in found
    ]


@dataclass(frozen=True)
class DaySchedule:
    day: dt.date
    practitioner: User | None
    entries: list[DayEntry]


def day_schedule(actor: Actor, *, day: dt.date, practitioner: User | None) -> DaySchedule:
    """A practitioner's appointments on ``day`` in the practice's time zone (one query)."""
    start, end = day_bounds(day, actor.practice.tz)
    entries = _schedule_entries(
        "appointments: the day",
        DayEntry,
        DAY_COLUMNS,
        actor,
        start=start,
        end=end,
        practitioner=practitioner,
    )
    return DaySchedule(day=day, practitioner=practitioner, entries=entries)


def appointment_for_page(actor: Actor, pk: int) -> Appointment:
    """One appointment of the actor's practice with its client and practitioner, else 404."""
    return get_scoped_or_404(
        Appointment.objects.select_related("client", "practitioner"), actor, pk=pk
    )


FEE_REPORT_ROWS = 200


@dataclass(frozen=True)
class FeeReport:
    since: dt.date
    until: dt.date  # inclusive
    charged: Decimal
    charged_count: int
    waived: Decimal
    waived_count: int
    overridden_count: int
    total_count: int
    rows: list[Appointment]


def fee_decisions(actor: Actor, *, since: dt.date, until: dt.date) -> QuerySet[Appointment]:
    """The practice's fee decisions for appointments from ``since`` to ``until`` (inclusive)."""
    start, _ = day_bounds(since, actor.practice.tz)
    _, end = day_bounds(until, actor.practice.tz)
    return (
        scoped(Appointment, actor)
        .exclude(fee_action="")
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("client", "fee_overridden_by")
        .order_by("-starts_at", "-id")
    )


def fee_report(actor: Actor, *, since: dt.date, until: dt.date) -> FeeReport:
    """Totals (charged, waived, overridden) and the latest decisions: two queries."""
    decisions = fee_decisions(actor, since=since, until=until)
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=10, decimal_places=2))
    totals = decisions.aggregate(
        charged=Coalesce(Sum("fee_amount", filter=Q(fee_action=FeeAction.CHARGED)), zero),
        charged_count=Count("id", filter=Q(fee_action=FeeAction.CHARGED)),
        waived=Coalesce(Sum("fee_amount", filter=Q(fee_action=FeeAction.WAIVED)), zero),
        waived_count=Count("id", filter=Q(fee_action=FeeAction.WAIVED)),
        overridden_count=Count("id", filter=Q(fee_overridden_by__isnull=False)),
        total_count=Count("id"),
    )
    return FeeReport(since=since, until=until, rows=list(decisions[:FEE_REPORT_ROWS]), **totals)


# -- the week, visit kinds and usual hours -------------------------------------------------------

DEFAULT_VISIT_KINDS = [(Kind.FIRST_VISIT, "First visit", 60), (Kind.FOLLOW_UP, "Follow-up", 50)]


def visit_kinds(actor: Actor, *, include_archived: bool = False) -> list[VisitKind]:
    """The practice's visit kinds; the built-in two when it has not made its own yet (unsaved)."""
    rows = statements.objects(
        "appointments: visit kinds",
        lambda practice: VisitKind.objects.filter(practice_id=practice).order_by("name", "id"),
        model=VisitKind,
        known={"practice": actor.practice},
        practice=actor.practice.pk,
    )
    keys = {row.key for row in rows}
    for key, name, minutes in DEFAULT_VISIT_KINDS:
        if key not in keys:
            rows.append(VisitKind(practice=actor.practice, key=key, name=name, minutes=minutes))
    rows.sort(key=lambda row: row.name.lower())
    return rows if include_archived else [row for row in rows if not row.archived]


def usual_hours(actor: Actor) -> ScheduleSettings:
    """The practice's usual hours (09:00–17:00 until the owner sets them)."""
    found = statements.objects(
        "appointments: usual hours",
        lambda practice: ScheduleSettings.objects.filter(practice_id=practice).order_by("pk")[:1],
        model=ScheduleSettings,
        practice=actor.practice.pk,
    )
    return found[0] if found else ScheduleSettings(practice=actor.practice)


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    entries: list[WeekEntry]


@dataclass(frozen=True)
class WeekSchedule:
    days: list[WeekDay]
    practitioner: User | None
    overlapping: set[int]


def week_schedule(actor: Actor, *, day: dt.date, practitioner: User | None) -> WeekSchedule:
    """The week (Monday to Sunday) holding ``day`` in the practice's time zone (one query)."""
    tz = actor.practice.tz
    days = schedule.week_of(day)
    start, _ = day_bounds(days[0], tz)
    _, end = day_bounds(days[-1], tz)
    found = _schedule_entries(
        "appointments: the week",
        WeekEntry,
        WEEK_COLUMNS,
        actor,
        start=start,
        end=end,
        practitioner=practitioner,
    )
    # In time order: each day's entries run up to the next day's first instant.
    next_days = [day_bounds(one, tz)[0] for one in days[1:]]
    by_day: list[list[WeekEntry]] = [[] for _ in days]
    index = 0
    for entry in found:
        while index < len(next_days) and entry.starts_at >= next_days[index]:
            index += 1
        by_day[index].append(entry)
    return WeekSchedule(
        days=[WeekDay(day=one, entries=entries) for one, entries in zip(days, by_day, strict=True)],
        practitioner=practitioner,
        overlapping=schedule.overlapping(
            schedule.Interval(entry.pk, entry.practitioner_id, entry.starts_at, entry.ends_at)
            for entry in found
            if entry.status != Status.CANCELLED
        ),
    )


def overlaps_with(actor: Actor, appointment: Appointment) -> list[Appointment]:
    """Other live appointments of the same practitioner that share time with ``appointment``."""
    if appointment.practitioner_id is None or appointment.status == Status.CANCELLED:
        return []
    return list(
        scoped(Appointment, actor)
        .filter(
            practitioner_id=appointment.practitioner_id,
            starts_at__lt=appointment.ends_at,
            ends_at__gt=appointment.starts_at,
        )
        .exclude(pk=appointment.pk)
        .exclude(status=Status.CANCELLED)
        .select_related("client")
        .order_by("starts_at")[:5]
    )
