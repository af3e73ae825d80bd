"""Reads of appointments: a client's timeline rows and a practitioner's day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
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


def status_actions(
    appointment: Appointment, *, url: Callable[[int], str] | None = None
) -> tuple[TimelineAction, ...]:
    """Buttons that mark a booked ``appointment`` attended, no-show, … (one click each).

    Only booked ones get buttons: once marked, a correction is rare and goes through the
    edit form, so the timeline of a long-standing client is not a wall of buttons. A page of
    many rows passes ``url`` (``row_urls.id_url("appointments-status")``) to reverse once.
    """
    if appointment.status != Status.BOOKED:
        return ()
    url = (url or id_url("appointments-status"))(appointment.pk)
    return tuple(
        TimelineAction(
            label=f"Mark {label.lower()}",
            url=url,
            fields={"status": status},
        )
        for status, label in STATUS_ACTIONS
        if status != appointment.status
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
    memberships = (
        Membership.objects.filter(practice=actor.practice, role__in=[Role.OWNER, Role.PRACTITIONER])
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [membership.user for membership in memberships]


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``day`` and of the next day in ``tz`` (23 or 25 hours apart on DST days)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True)
class DaySchedule:
    day: dt.date
    practitioner: User | None
    appointments: list[Appointment]


def day_schedule(actor: Actor, *, day: dt.date, practitioner: User | None) -> DaySchedule:
    """A practitioner's appointments on ``day`` in the practice's time zone (one query)."""
    start, end = day_bounds(day, actor.practice.tz)
    appointments: QuerySet[Appointment] = (
        scoped(Appointment, actor)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("client", "practitioner")
        .order_by("starts_at", "id")
    )
    if practitioner is not None:
        appointments = appointments.filter(practitioner=practitioner)
    return DaySchedule(day=day, practitioner=practitioner, appointments=list(appointments))


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
    rows = list(VisitKind.objects.filter(practice=actor.practice).order_by("name", "id"))
    keys = {row.key for row in rows}
    for key, name, minutes in DEFAULT_VISIT_KINDS:
        if key not in keys:
            rows.append(VisitKind(practice=actor.practice, key=key, name=name, minutes=minutes))
    rows.sort(key=lambda row: row.name.lower())
    return rows if include_archived else [row for row in rows if not row.archived]


def usual_hours(actor: Actor) -> ScheduleSettings:
    """The practice's usual hours (09:00–17:00 until the owner sets them)."""
    found = ScheduleSettings.objects.filter(practice=actor.practice).first()
    return found or ScheduleSettings(practice=actor.practice)


WEEK_COLUMNS = (
    "starts_at",
    "ends_at",
    "status",
    "kind",
    "client__given_name",
    "client__family_name",
    "practitioner__full_name",
    "practitioner__email",
)


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    appointments: list[Appointment]


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
    rows: QuerySet[Appointment] = (
        scoped(Appointment, actor)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("client", "practitioner")
        # What the week shows: a busy week is hundreds of rows, and each column of a client or
        # a user read and converted for nothing made its query a third of the page's time.
        .only(*WEEK_COLUMNS)
        .order_by("starts_at", "id")
    )
    if practitioner is not None:
        rows = rows.filter(practitioner=practitioner)
    found = list(rows)
    by_day: dict[dt.date, list[Appointment]] = {one: [] for one in days}
    for appointment in found:
        by_day[appointment.starts_at.astimezone(tz).date()].append(appointment)
    live = [a for a in found if a.status != Status.CANCELLED]
    return WeekSchedule(
        days=[WeekDay(day=one, appointments=by_day[one]) for one in days],
        practitioner=practitioner,
        overlapping=schedule.overlapping(
            schedule.Interval(a.pk, a.practitioner_id, a.starts_at, a.ends_at) for a in live
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
