"""The trends page: what each month counts, and its tables' rows written in Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template

from aftercare.care.models import Touchpoint
from aftercare.insights.rows import month_rows
from aftercare.insights.trends import MonthShare, practice_trends
from aftercare.supplies.models import Supply
from aftercare.testing import Personas

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

# The rows as the template wrote them before ``rows.month_rows``.
TEMPLATE_ROWS = (
    '{% for share in months %}<tr><th scope="row">{{ share.month|ldate:"M Y" }}</th><td>'
    "{% if share.percent is not None %}{{ share.percent }}%{% else %}—{% endif %}</td>"
    "<td>{{ share.met }} of {{ share.total }}</td></tr>{% endfor %}"
)


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def test_month_rows_write_what_the_template_wrote() -> None:
    months = [
        MonthShare(dt.date(2026, 9, 1), 0, 0),
        MonthShare(dt.date(2026, 10, 1), 1, 3),
        MonthShare(dt.date(2026, 11, 1), 7, 7),
    ]
    written = month_rows(months)
    assert written == Template(TEMPLATE_ROWS).render(Context({"months": months}))
    assert "<td>—</td><td>0 of 0</td>" in written and "<td>33%</td><td>1 of 3</td>" in written


def running_out(
    personas: Personas, name: str, reordered: dt.datetime | None, status: str = "active"
) -> Supply:
    """A remedy of the client's that runs out on 10 November, re-ordered at ``reordered``."""
    return Supply.objects.create(
        practice=personas.practice,
        client=personas.client,
        name=f"Remedy {name}",
        quantity=Decimal(10),
        daily_dose=Decimal(1),
        started_on=dt.date(2026, 10, 1),
        status=status,
        runs_out_on=dt.date(2026, 11, 10),
        reorder_requested_at=reordered,
    )


@pytest.mark.django_db
def test_stopped_supplies_and_cancelled_notices_are_not_counted(personas: Personas) -> None:
    for status, reordered in (("active", True), ("reordered", False), ("stopped", True)):
        running_out(personas, status, NOW - 25 * DAY if reordered else None, status=status)
    for number, status in enumerate(("sent", "planned", "cancelled")):
        Touchpoint.objects.create(
            practice=personas.practice,
            client=personas.client,
            key=f"absence-{number}",
            kind="absence_notice",
            action="message",
            due_at=NOW - 5 * DAY,
            status=status,
        )
    trends = {
        trend.key: trend.months[-1]
        for trend in practice_trends(personas.actor(), reply_target=dt.timedelta(hours=48))
    }
    supplies, notices = trends["supplies_on_time"], trends["notices_before_absences"]
    assert (supplies.month, supplies.met, supplies.total) == (dt.date(2026, 11, 1), 1, 2)
    assert (notices.met, notices.total) == (1, 2)


@pytest.mark.django_db
def test_a_reorder_is_on_time_by_the_practices_own_calendar(personas: Personas) -> None:
    """In Auckland (13 hours ahead in November) a re-order at noon UTC on the run-out day is
    already the next day there: late, though it was still that day in UTC. One at 10:00 UTC
    the day before (23:00 there) is on time."""
    personas.practice.time_zone = "Pacific/Auckland"
    personas.practice.save(update_fields=["time_zone"])
    for name, requested in (
        ("late", dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)),
        ("in time", dt.datetime(2026, 11, 9, 10, 0, tzinfo=dt.UTC)),
    ):
        running_out(personas, name, requested)
    (supplies,) = [
        trend
        for trend in practice_trends(personas.actor(), reply_target=dt.timedelta(hours=48))
        if trend.key == "supplies_on_time"
    ]
    # Already 1 December in Auckland: November is the month before the last.
    november = supplies.months[-2]
    assert (november.month, november.met, november.total) == (dt.date(2026, 11, 1), 1, 2)
