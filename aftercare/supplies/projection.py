"""The run-out projection and re-order planning: pure functions over dates (no Django).

Vocabulary (used in code, UI and docs):

- A *dose schedule* is zero or more *taper steps* (``days`` days at ``daily_dose`` a day),
  followed by the steady dose: ``daily_dose`` every ``every_days`` days, which lasts until the
  supply is used up. "3 a day" is ``DoseSchedule(Decimal(3))``; "1 every 2 days" is
  ``DoseSchedule(Decimal(1), every_days=2)``; "2 a day for a week, then 1 a day" is
  ``DoseSchedule(Decimal(1), taper=(TaperStep(days=7, daily_dose=Decimal(2)),))``.
- ``runs_out_on`` is the first day on which what is left no longer covers that day's dose:
  the day the client needs the next supply in hand.
- ``order_by`` is the last day on which the client can order so that the next supply is ready
  by ``runs_out_on``: ``lead_time_days`` of preparation, which must not overlap an absence
  of the practitioner (nobody is there to prepare it), and the order day itself must not
  fall inside one.
- The re-order reminder goes out ``buffer_days`` (default 7) before ``order_by``, moved
  earlier again if that day falls inside an absence. A client who has not ordered gets a
  second reminder halfway to ``order_by``; on the day before ``order_by`` (the *last call*)
  the practitioner is asked to call them.

Absences are inclusive ``(first_day, last_day)`` pairs of dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_BUFFER_DAYS = 7

DateRange = tuple[dt.date, dt.date]


class ScheduleError(ValueError):
    """A dose schedule that cannot be taken: names the field at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


@dataclass(frozen=True)
class TaperStep:
    """``days`` days at ``daily_dose`` a day, before the steady dose."""

    days: int
    daily_dose: Decimal


@dataclass(frozen=True)
class DoseSchedule:
    """How much is taken when: taper steps first, then ``daily_dose`` every ``every_days`` days."""

    daily_dose: Decimal
    every_days: int = 1
    taper: tuple[TaperStep, ...] = field(default_factory=tuple)

    def validate(self) -> None:
        """Raise ScheduleError (naming the field) for a dose that is zero, negative or odd."""
        if self.daily_dose <= 0:
            raise ScheduleError("daily_dose", "The dose must be more than zero.")
        if self.every_days < 1:
            raise ScheduleError("every_days", "Take it at least every 1 day (1 or more).")
        for number, step in enumerate(self.taper, start=1):
            if step.days < 1:
                raise ScheduleError("taper_steps", f"Step {number} must last at least one day.")
            if step.daily_dose <= 0:
                raise ScheduleError("taper_steps", f"Step {number}'s dose must be more than zero.")


def project_run_out(*, quantity: Decimal, schedule: DoseSchedule, started_on: dt.date) -> dt.date:
    """The first day on which what is left no longer covers that day's dose.

    1. Walk the taper steps: each step of ``days`` days uses ``days * daily_dose``; if what is
       left does not cover the whole step, the run-out day is inside it.
    2. Then the steady dose: ``daily_dose`` on every ``every_days``-th day from the step's
       start; the number of whole doses left tells the first uncovered dose day.

    Constant time in the length of the supply (no day-by-day loop), so a sweep over many
    supplies stays cheap.
    """
    if quantity < 0:
        raise ScheduleError("quantity", "The quantity cannot be negative.")
    schedule.validate()
    left = quantity
    day = started_on
    for step in schedule.taper:
        covered_days = int(left // step.daily_dose)
        if covered_days < step.days:
            return day + dt.timedelta(days=covered_days)
        left -= step.daily_dose * step.days
        day += dt.timedelta(days=step.days)
    covered_doses = int(left // schedule.daily_dose)
    return day + dt.timedelta(days=covered_doses * schedule.every_days)


def _overlaps(start: dt.date, end: dt.date, absences: Iterable[DateRange]) -> DateRange | None:
    """The first absence overlapping the inclusive range ``start..end`` (earliest start first)."""
    for first, last in sorted(absences):
        if first <= end and start <= last:
            return first, last
    return None


def latest_order_day(
    *, runs_out_on: dt.date, lead_time_days: int, absences: Sequence[DateRange] = ()
) -> dt.date:
    """The last day to order so the supply is ready by ``runs_out_on``, preparing outside absences.

    1. Start at ``runs_out_on - lead_time_days``.
    2. The order day and the preparation days (``lead_time_days``, at least the order day
       itself) form the busy range; while it overlaps an absence, move the order day so the
       busy range ends the day before that absence starts.
    Each move goes strictly earlier, so the loop ends.
    """
    if lead_time_days < 0:
        raise ScheduleError("lead_time_days", "The lead time cannot be negative.")
    busy_days = max(lead_time_days, 1)
    order_day = runs_out_on - dt.timedelta(days=lead_time_days)
    while True:
        clash = _overlaps(order_day, order_day + dt.timedelta(days=busy_days - 1), absences)
        if clash is None:
            return order_day
        order_day = clash[0] - dt.timedelta(days=busy_days)


def move_out_of_absences(day: dt.date, absences: Sequence[DateRange]) -> dt.date:
    """``day``, or the day before the absence it falls in (repeated for back-to-back absences)."""
    while True:
        clash = _overlaps(day, day, absences)
        if clash is None:
            return day
        day = clash[0] - dt.timedelta(days=1)


def after_absences(day: dt.date, absences: Sequence[DateRange]) -> dt.date:
    """``day``, or the first day after the absence it falls in (repeated for back-to-back ones)."""
    while True:
        clash = _overlaps(day, day, absences)
        if clash is None:
            return day
        day = clash[1] + dt.timedelta(days=1)


@dataclass(frozen=True)
class ReorderPlan:
    """When to remind, by when to order, and whether an absence moved it."""

    runs_out_on: dt.date
    order_by: dt.date
    remind_on: dt.date
    moved_for_absence: bool
    # The ideal reminder day was already past when planned: remind at once.
    late: bool


def plan_reorder(
    *,
    runs_out_on: dt.date,
    lead_time_days: int,
    absences: Sequence[DateRange] = (),
    buffer_days: int = DEFAULT_BUFFER_DAYS,
    today: dt.date | None = None,
) -> ReorderPlan:
    """The re-order reminder day for a supply: ``order_by - buffer``, kept out of absences.

    With ``today``, a reminder day already past becomes ``today`` (``late``), or the first day
    back when today is inside an absence: late, but never sent while nobody can act on it.
    """
    if buffer_days < 0:
        raise ScheduleError("buffer_days", "The buffer cannot be negative.")
    order_by = latest_order_day(
        runs_out_on=runs_out_on, lead_time_days=lead_time_days, absences=absences
    )
    plain_order_by = runs_out_on - dt.timedelta(days=lead_time_days)
    remind_on = move_out_of_absences(order_by - dt.timedelta(days=buffer_days), absences)
    moved = order_by != plain_order_by or remind_on != order_by - dt.timedelta(days=buffer_days)
    late = False
    if today is not None and remind_on < today:
        late = True
        remind_on = after_absences(today, absences)
    return ReorderPlan(
        runs_out_on=runs_out_on,
        order_by=order_by,
        remind_on=remind_on,
        moved_for_absence=moved,
        late=late,
    )


def second_reminder_on(plan: ReorderPlan, absences: Sequence[DateRange] = ()) -> dt.date | None:
    """A second re-order reminder for a client who has not ordered: halfway to ``order_by``.

    At least a day after the first and at least a day before ``order_by`` (so there is still
    time to order), kept out of absences by moving earlier; None when there is no such day.
    """
    gap = (plan.order_by - plan.remind_on).days
    if gap < 2:
        return None
    day = move_out_of_absences(plan.remind_on + dt.timedelta(days=max(1, gap // 2)), absences)
    if day <= plan.remind_on or day >= plan.order_by:
        return None
    return day


def last_call_on(plan: ReorderPlan, absences: Sequence[DateRange], today: dt.date) -> dt.date:
    """When the practitioner should call a client who has still not ordered: the day before
    ``order_by`` (the last day an order is ready in time), before any absence — or today, when
    that has passed."""
    day = move_out_of_absences(plan.order_by - dt.timedelta(days=1), absences)
    return max(day, today)


def ready_on(
    *, ordered_on: dt.date, lead_time_days: int, absences: Sequence[DateRange] = ()
) -> dt.date:
    """The day an order placed on ``ordered_on`` will be ready, told honestly to the client.

    Preparation starts on the first day that is not inside an absence and must run for
    ``lead_time_days`` days without one; if an absence interrupts it, preparation starts
    again after that absence (a compounded remedy is not left half-made).
    """
    if lead_time_days < 0:
        raise ScheduleError("lead_time_days", "The lead time cannot be negative.")
    start = ordered_on
    while True:
        clash = _overlaps(start, start + dt.timedelta(days=max(lead_time_days, 1) - 1), absences)
        if clash is None:
            return start + dt.timedelta(days=lead_time_days)
        start = clash[1] + dt.timedelta(days=1)


def preparation_window(*, runs_out_on: dt.date, lead_time_days: int) -> DateRange:
    """The days the next supply must be prepared in if ordered at the last moment."""
    busy_days = max(lead_time_days, 1)
    start = runs_out_on - dt.timedelta(days=lead_time_days)
    return start, start + dt.timedelta(days=busy_days - 1)


def affected_by_absence(
    *, runs_out_on: dt.date | None, lead_time_days: int, absence: DateRange
) -> bool:
    """True when the supply runs out during the absence or its preparation window overlaps it."""
    if runs_out_on is None:
        return False
    first, last = absence
    if first <= runs_out_on <= last:
        return True
    start, end = preparation_window(runs_out_on=runs_out_on, lead_time_days=lead_time_days)
    return start <= last and first <= end
