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

from django.db.models import Count, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models import DateTimeField as DateTimeOutput
from django.db.models.functions import TruncMonth
from django.utils.safestring import SafeString

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.appointments.models import Status as AppointmentStatus
from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.insights.facts import CHECK_IN_TEMPLATES
from aftercare.insights.rows import month_rows
from aftercare.insights.score import CHECK_IN_WITHIN
from aftercare.measures.chart import Chart, Point, render_svg
from aftercare.messaging.models import Direction, Message
from aftercare.practice.access import Actor, scoped
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


def _series(rows: object, first: dt.date, last: dt.date) -> list[MonthShare]:
    found = {_month(row["month"]): row for row in rows if row["month"] is not None}  # type: ignore[attr-defined]
    months = []
    month = first
    while month <= last:
        row = found.get(month, {"met": 0, "total": 0})
        months.append(MonthShare(month, row["met"], row["total"]))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def practice_trends(actor: Actor, *, reply_target: dt.timedelta) -> list[Trend]:
    """The five trends of the module docstring (five queries)."""
    now = clock.now()
    tz = actor.practice.tz
    last = clock.today(tz).replace(day=1)
    first = last
    for _ in range(MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=tz)

    def grouped(queryset: object, field: str, met: Q) -> list[MonthShare]:
        rows = (
            queryset.annotate(month=TruncMonth(field, tzinfo=tz))  # type: ignore[attr-defined]
            .values("month")
            .annotate(met=Count("id", filter=met), total=Count("id"))
            .order_by()
        )
        return _series(rows, first, last)

    checked = Message.objects.filter(
        client_id=OuterRef("client_id"),
        direction=Direction.OUTBOUND,
        template_key__in=CHECK_IN_TEMPLATES,
        created_at__gt=OuterRef("starts_at"),
        created_at__lte=ExpressionWrapper(
            OuterRef("starts_at") + CHECK_IN_WITHIN, output_field=DateTimeOutput()
        ),
    )
    visits = (
        scoped(Appointment, actor)
        .filter(status=AppointmentStatus.ATTENDED, starts_at__gte=since, starts_at__lte=now)
        .annotate(checked=Exists(checked))
    )
    replies = scoped(Message, actor).filter(
        direction=Direction.INBOUND, client__isnull=False, created_at__gte=since
    )
    promises = scoped(Promise, actor).filter(
        status__in=(PromiseStatus.KEPT, PromiseStatus.BROKEN), closed_at__gte=since
    )
    today = clock.today(tz)
    supplies = (
        # Every status but stopped, said as the current ones so that SQLite reads only these
        # months' supplies through ``supply_status_runs_out`` (practice, status, run-out day);
        # "not stopped" read every supply the practice ever had.
        scoped(Supply, actor).filter(
            status__in=CURRENT_SUPPLY_STATUSES, runs_out_on__gte=first, runs_out_on__lt=today
        )
    )
    notices = (
        # Every status but cancelled, said as a list for the same reason: SQLite then reads these
        # months through (practice, status, due) rather than every touchpoint of the practice.
        scoped(Touchpoint, actor).filter(
            kind="absence_notice",
            status__in=[
                status for status in TouchpointStatus if status != TouchpointStatus.CANCELLED
            ],
            due_at__gte=since,
            due_at__lte=now,
        )
    )
    specs = [
        (
            "check_ins_after_visits",
            "Check-ins after visits",
            "followed by a check-in within 14 days",
            grouped(visits, "starts_at", Q(checked=True)),
        ),
        (
            "replies_in_time",
            "Replies answered in time",
            "read or answered by a person in time",
            grouped(
                replies,
                "created_at",
                Q(acknowledged_at__isnull=False)
                & Q(acknowledged_at__lte=F("created_at") + reply_target),
            ),
        ),
        (
            "promises_kept",
            "Promises kept",
            "kept",
            grouped(promises, "closed_at", Q(status=PromiseStatus.KEPT)),
        ),
        (
            "supplies_on_time",
            "Supplies re-ordered on time",
            "re-ordered before they ran out",
            _supply_series(supplies, first, last),
        ),
        (
            "notices_before_absences",
            "Notices before absences",
            "sent",
            grouped(notices, "due_at", Q(status=TouchpointStatus.SENT)),
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


def _supply_series(supplies: object, first: dt.date, last: dt.date) -> list[MonthShare]:
    """Supplies group by the month of their run-out day (a date: no time zone to apply)."""
    on_time = Q(reorder_requested_at__isnull=False) & Q(
        reorder_requested_at__date__lte=F("runs_out_on")
    )
    rows = (
        supplies.annotate(month=TruncMonth("runs_out_on"))  # type: ignore[attr-defined]
        .values("month")
        .annotate(met=Count("id", filter=on_time), total=Count("id"))
        .order_by()
    )
    return _series(rows, first, last)
