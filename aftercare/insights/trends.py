"""How the practice cares, month by month: five shares over the last twelve months.

Each trend is one grouped query over the source table, bounded to the months shown, so the
page costs five queries whatever the practice's size:

1. Check-ins after visits: of the visits attended in a month, the share followed by a check-in
   within 14 days.
2. Replies in time: of the clients' messages received in a month, the share read or answered by
   a person within the practice's target.
3. Promises kept: of the promises closed in a month (kept or broken), the share kept.
4. Supplies on time: of the supplies due to run out in a month (up to today), the share
   re-ordered before that day.
5. Notices before absences: of the advance notices due in a month, the share sent.

Drawn with the measures chart (``measures/chart.py``: a line with each value written next to
its point, readable without colour), with every number in a table for screen readers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models import DateTimeField as DateTimeOutput
from django.db.models.functions import TruncDate, TruncMonth
from django.db.models.lookups import LessThanOrEqual
from django.utils.safestring import SafeString

from aftercare import clock, statements
from aftercare.appointments.models import Appointment
from aftercare.appointments.models import Status as AppointmentStatus
from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.insights.facts import CHECK_IN_TEMPLATES
from aftercare.insights.rows import month_rows
from aftercare.insights.score import CHECK_IN_WITHIN
from aftercare.measures.chart import Chart, Point, render_svg
from aftercare.messaging.models import Direction, Message
from aftercare.practice.access import Actor
from aftercare.promises.models import Promise, PromiseStatus
from aftercare.supplies.models import CURRENT_STATUSES as CURRENT_SUPPLY_STATUSES
from aftercare.supplies.models import Supply

MONTHS = 12


@dataclass(frozen=True)
class MonthShare:
    month: dt.date
    met: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.total) if self.total else None


@dataclass(frozen=True)
class Trend:
    key: str
    title: str
    met_words: str  # "followed by a check-in"
    months: list[MonthShare]
    svg: str

    @property
    def rows(self) -> SafeString:
        """The table's rows (``rows.month_rows``: markup written in Python, values escaped)."""
        return month_rows(self.months)


def _month(value: dt.date | dt.datetime) -> dt.date:
    return (value.date() if isinstance(value, dt.datetime) else value).replace(day=1)


def _series(rows: list[tuple[Any, int, int]], first: dt.date, last: dt.date) -> list[MonthShare]:
    """Each month from ``first`` to ``last`` with its (month, met, total) row, or none met of
    none."""
    found = {_month(month): (met, total) for month, met, total in rows if month is not None}
    months = []
    month = first
    while month <= last:
        met, total = found.get(month, (0, 0))
        months.append(MonthShare(month, met, total))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _by_month(rows: QuerySet[Any], field: str, met: Q, tz: dt.tzinfo | None) -> QuerySet[Any]:
    """``rows`` grouped by the month of ``field`` (in ``tz``; a date column has none): how many
    meet ``met`` and how many in all."""
    return (
        rows.annotate(month=TruncMonth(field, tzinfo=tz))
        .values("month")
        .annotate(met=Count("id", filter=met), total=Count("id"))
        .order_by()
        .values_list("month", "met", "total")
    )


def practice_trends(actor: Actor, *, reply_target: dt.timedelta) -> list[Trend]:
    """The five trends of the module docstring (five queries, each built once per time zone:
    ``statements``)."""
    now = clock.now()
    tz = actor.practice.tz
    today = clock.today(tz)
    last = today.replace(day=1)
    first = last
    for _ in range(MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    # What the SQL depends on besides the values: the zone the months are cut in, and the
    # reply target (a constant of the query, as the 14 days of a check-in are).
    shape = (str(tz), reply_target.total_seconds())
    practice = actor.practice.pk

    def visits(practice: int, since: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
        checked = Message.objects.filter(
            client_id=OuterRef("client_id"),
            direction=Direction.OUTBOUND,
            template_key__in=CHECK_IN_TEMPLATES,
            created_at__gt=OuterRef("starts_at"),
            created_at__lte=ExpressionWrapper(
                OuterRef("starts_at") + CHECK_IN_WITHIN, output_field=DateTimeOutput()
            ),
        )
        attended = Appointment.objects.filter(
            practice_id=practice,
            status=AppointmentStatus.ATTENDED,
            starts_at__gte=since,
            starts_at__lte=now,
        ).annotate(checked=Exists(checked))
        return _by_month(attended, "starts_at", Q(checked=True), tz)

    def replies(practice: int, since: dt.datetime) -> QuerySet[Any]:
        received = Message.objects.filter(
            practice_id=practice,
            direction=Direction.INBOUND,
            client__isnull=False,
            created_at__gte=since,
        )
        in_time = Q(acknowledged_at__isnull=False) & Q(
            acknowledged_at__lte=F("created_at") + reply_target
        )
        return _by_month(received, "created_at", in_time, tz)

    def promises(practice: int, since: dt.datetime) -> QuerySet[Any]:
        closed = Promise.objects.filter(
            practice_id=practice,
            status__in=(PromiseStatus.KEPT, PromiseStatus.BROKEN),
            closed_at__gte=since,
        )
        return _by_month(closed, "closed_at", Q(status=PromiseStatus.KEPT), tz)

    def supplies(practice: int, first: dt.date, today: dt.date) -> QuerySet[Any]:
        # Every status but stopped, said as the current ones so that SQLite reads only these
        # months' supplies through ``supply_status_runs_out`` (practice, status, run-out day);
        # "not stopped" read every supply the practice ever had. A run-out day is a date: it
        # groups by its month with no time zone to apply.
        due = Supply.objects.filter(
            practice_id=practice,
            status__in=CURRENT_SUPPLY_STATUSES,
            runs_out_on__gte=first,
            runs_out_on__lt=today,
        )
        # Re-ordered on or before the run-out day, that day as the practice counts days (not
        # the zone the request happened to have active, as ``__date`` would take).
        on_time = Q(reorder_requested_at__isnull=False) & Q(
            LessThanOrEqual(TruncDate("reorder_requested_at", tzinfo=tz), F("runs_out_on"))
        )
        return _by_month(due, "runs_out_on", on_time, None)

    def notices(practice: int, since: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
        # Every status but cancelled, said as a list for the same reason: SQLite then reads these
        # months through (practice, status, due) rather than every touchpoint of the practice.
        due = Touchpoint.objects.filter(
            practice_id=practice,
            kind="absence_notice",
            status__in=[
                status for status in TouchpointStatus if status != TouchpointStatus.CANCELLED
            ],
            due_at__gte=since,
            due_at__lte=now,
        )
        return _by_month(due, "due_at", Q(status=TouchpointStatus.SENT), tz)

    def series(name: str, build: Any, **values: Any) -> list[MonthShare]:
        found = statements.rows(("insights: trend", name, *shape), build, **values)
        return _series(found, first, last)

    specs = [
        (
            "check_ins_after_visits",
            "Check-ins after visits",
            "followed by a check-in within 14 days",
            series("visits", visits, practice=practice, since=since, now=now),
        ),
        (
            "replies_in_time",
            "Replies answered in time",
            "read or answered by a person in time",
            series("replies", replies, practice=practice, since=since),
        ),
        (
            "promises_kept",
            "Promises kept",
            "kept",
            series("promises", promises, practice=practice, since=since),
        ),
        (
            "supplies_on_time",
            "Supplies re-ordered on time",
            "re-ordered before they ran out",
            series("supplies", supplies, practice=practice, first=first, today=today),
        ),
        (
            "notices_before_absences",
            "Notices before absences",
            "sent",
            series("notices", notices, practice=practice, since=since, now=now),
        ),
    ]
    trends = []
    for key, title, met_words, months in specs:
        chart = Chart(
            title=f"{title} (% per month)",
            points=[
                Point(share.month, share.percent) for share in months if share.percent is not None
            ],
            low=0,
            high=100,
            start=first,
            end=last,
            higher_is_better=True,
            unit="%",
        )
        trends.append(
            Trend(key, title, met_words, months, render_svg(chart, chart_id=f"trend-{key}"))
        )
    return trends
