"""The run-out projection and re-order planning, by example and by property (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercare.supplies.projection import (
    DoseSchedule,
    ScheduleError,
    TaperStep,
    affected_by_absence,
    latest_order_day,
    plan_reorder,
    project_run_out,
    ready_on,
)

JAN_1 = dt.date(2027, 1, 1)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def simulate_run_out(quantity: Decimal, schedule: DoseSchedule, started_on: dt.date) -> dt.date:
    """Day-by-day reference: the first day whose dose is not covered by what is left."""
    left = quantity
    day_number = 0
    plan = [(step.days, step.daily_dose, 1) for step in schedule.taper]
    while True:
        dose = None
        offset = day_number
        for step_days, step_dose, _every in plan:
            if offset < step_days:
                dose = step_dose
                break
            offset -= step_days
        if dose is None:
            dose = schedule.daily_dose if offset % schedule.every_days == 0 else Decimal(0)
        if dose > left:
            return started_on + days(day_number)
        left -= dose
        day_number += 1


class TestRunOut:
    def test_a_90_day_supply_at_one_a_day_runs_out_on_day_91(self) -> None:
        schedule = DoseSchedule(Decimal(1))
        assert project_run_out(quantity=Decimal(90), schedule=schedule, started_on=JAN_1) == (
            dt.date(2027, 4, 1)
        )

    def test_three_a_day_uses_a_supply_three_times_as_fast(self) -> None:
        schedule = DoseSchedule(Decimal(3))
        assert project_run_out(quantity=Decimal(90), schedule=schedule, started_on=JAN_1) == (
            JAN_1 + days(30)
        )

    def test_a_dose_every_other_day_lasts_twice_as_long(self) -> None:
        schedule = DoseSchedule(Decimal(1), every_days=2)
        # 10 doses on days 0, 2, …, 18; the 11th would be on day 20.
        assert project_run_out(quantity=Decimal(10), schedule=schedule, started_on=JAN_1) == (
            JAN_1 + days(20)
        )

    def test_a_taper_is_used_up_before_the_steady_dose(self) -> None:
        schedule = DoseSchedule(Decimal(1), taper=(TaperStep(days=7, daily_dose=Decimal(2)),))
        # 14 in the first week, then 6 more days at one a day.
        assert project_run_out(quantity=Decimal(20), schedule=schedule, started_on=JAN_1) == (
            JAN_1 + days(13)
        )

    def test_a_supply_too_small_for_the_taper_runs_out_inside_it(self) -> None:
        schedule = DoseSchedule(Decimal(1), taper=(TaperStep(days=7, daily_dose=Decimal(3)),))
        assert project_run_out(quantity=Decimal(10), schedule=schedule, started_on=JAN_1) == (
            JAN_1 + days(3)
        )

    def test_fractional_doses_count_whole_doses_only(self) -> None:
        schedule = DoseSchedule(Decimal("2.5"))
        assert project_run_out(quantity=Decimal(100), schedule=schedule, started_on=JAN_1) == (
            JAN_1 + days(40)
        )
        assert project_run_out(quantity=Decimal(99), schedule=schedule, started_on=JAN_1) == (
            JAN_1 + days(39)
        )

    def test_it_refuses_a_dose_of_zero_naming_the_field(self) -> None:
        with pytest.raises(ScheduleError) as raised:
            project_run_out(
                quantity=Decimal(10), schedule=DoseSchedule(Decimal(0)), started_on=JAN_1
            )
        assert raised.value.field_name == "daily_dose"

    def test_it_refuses_a_negative_quantity_naming_the_field(self) -> None:
        with pytest.raises(ScheduleError) as raised:
            project_run_out(
                quantity=Decimal(-1), schedule=DoseSchedule(Decimal(1)), started_on=JAN_1
            )
        assert raised.value.field_name == "quantity"

    def test_it_refuses_a_taper_step_without_days(self) -> None:
        schedule = DoseSchedule(Decimal(1), taper=(TaperStep(days=0, daily_dose=Decimal(1)),))
        with pytest.raises(ScheduleError) as raised:
            project_run_out(quantity=Decimal(10), schedule=schedule, started_on=JAN_1)
        assert raised.value.field_name == "taper_steps"


doses = st.decimals(min_value=Decimal("0.25"), max_value=Decimal(5), places=2)
schedules = st.builds(
    DoseSchedule,
    daily_dose=doses,
    every_days=st.integers(min_value=1, max_value=7),
    taper=st.lists(
        st.builds(TaperStep, days=st.integers(min_value=1, max_value=10), daily_dose=doses),
        max_size=3,
    ).map(tuple),
)
quantities = st.decimals(min_value=Decimal(0), max_value=Decimal(200), places=1)
start_days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31))


@given(quantity=quantities, schedule=schedules, started_on=start_days)
def test_the_projection_matches_a_day_by_day_count(
    quantity: Decimal, schedule: DoseSchedule, started_on: dt.date
) -> None:
    assert project_run_out(quantity=quantity, schedule=schedule, started_on=started_on) == (
        simulate_run_out(quantity, schedule, started_on)
    )


@given(quantity=quantities, more=quantities, schedule=schedules, started_on=start_days)
def test_more_of_a_supply_never_runs_out_sooner(
    quantity: Decimal, more: Decimal, schedule: DoseSchedule, started_on: dt.date
) -> None:
    sooner = project_run_out(quantity=quantity, schedule=schedule, started_on=started_on)
    later = project_run_out(quantity=quantity + more, schedule=schedule, started_on=started_on)
    assert later >= sooner


class TestReorder:
    def test_the_reminder_goes_out_lead_time_plus_a_week_before_running_out(self) -> None:
        plan = plan_reorder(runs_out_on=dt.date(2027, 4, 1), lead_time_days=14)
        assert plan.order_by == dt.date(2027, 3, 18)
        assert plan.remind_on == dt.date(2027, 3, 11)
        assert not plan.moved_for_absence

    def test_preparation_that_would_overlap_an_absence_moves_before_it(self) -> None:
        # The naturopath's story: 90-day supplement, 14 days' preparation, 3 weeks away.
        absence = (dt.date(2027, 3, 15), dt.date(2027, 4, 4))
        plan = plan_reorder(runs_out_on=dt.date(2027, 4, 1), lead_time_days=14, absences=[absence])
        # Prepared in the 14 days before the absence starts.
        assert plan.order_by == dt.date(2027, 3, 1)
        assert plan.remind_on == dt.date(2027, 2, 22)
        assert plan.moved_for_absence

    def test_a_supply_running_out_well_after_the_return_is_unaffected(self) -> None:
        absence = (dt.date(2027, 3, 1), dt.date(2027, 3, 7))
        plan = plan_reorder(runs_out_on=dt.date(2027, 4, 1), lead_time_days=14, absences=[absence])
        assert plan.order_by == dt.date(2027, 3, 18)
        assert plan.remind_on == dt.date(2027, 3, 11)
        assert not plan.moved_for_absence

    def test_a_reminder_day_inside_an_absence_moves_to_the_day_before_it(self) -> None:
        absence = (dt.date(2027, 3, 8), dt.date(2027, 3, 14))
        plan = plan_reorder(runs_out_on=dt.date(2027, 4, 1), lead_time_days=14, absences=[absence])
        assert plan.order_by == dt.date(2027, 3, 18)
        assert plan.remind_on == dt.date(2027, 3, 7)

    def test_a_reminder_already_past_goes_out_today(self) -> None:
        plan = plan_reorder(
            runs_out_on=dt.date(2027, 4, 1), lead_time_days=14, today=dt.date(2027, 3, 15)
        )
        assert plan.late
        assert plan.remind_on == dt.date(2027, 3, 15)

    def test_an_order_placed_before_an_absence_is_ready_after_it_if_it_cannot_finish(self) -> None:
        absence = (dt.date(2027, 3, 10), dt.date(2027, 3, 20))
        assert ready_on(
            ordered_on=dt.date(2027, 3, 5), lead_time_days=14, absences=[absence]
        ) == dt.date(2027, 4, 4)
        assert ready_on(ordered_on=dt.date(2027, 3, 5), lead_time_days=3, absences=[absence]) == (
            dt.date(2027, 3, 8)
        )

    def test_a_supply_is_affected_when_its_preparation_window_overlaps_the_absence(self) -> None:
        absence = (dt.date(2027, 3, 15), dt.date(2027, 4, 4))
        assert affected_by_absence(
            runs_out_on=dt.date(2027, 4, 10), lead_time_days=14, absence=absence
        )
        assert affected_by_absence(
            runs_out_on=dt.date(2027, 3, 20), lead_time_days=0, absence=absence
        )
        assert not affected_by_absence(
            runs_out_on=dt.date(2027, 4, 20), lead_time_days=14, absence=absence
        )


@st.composite
def absence_lists(draw: st.DrawFn) -> list[tuple[dt.date, dt.date]]:
    found = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        first = draw(st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2027, 12, 31)))
        found.append((first, first + days(draw(st.integers(min_value=0, max_value=30)))))
    return found


run_out_days = st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2028, 1, 31))
lead_times = st.integers(min_value=0, max_value=30)


def inside(day: dt.date, absences: list[tuple[dt.date, dt.date]]) -> bool:
    return any(first <= day <= last for first, last in absences)


@given(runs_out_on=run_out_days, lead_time_days=lead_times, absences=absence_lists())
def test_no_reminder_is_due_later_than_run_out_minus_lead_time(
    runs_out_on: dt.date, lead_time_days: int, absences: list[tuple[dt.date, dt.date]]
) -> None:
    plan = plan_reorder(runs_out_on=runs_out_on, lead_time_days=lead_time_days, absences=absences)
    assert plan.remind_on <= plan.order_by <= runs_out_on - days(lead_time_days)


@given(runs_out_on=run_out_days, lead_time_days=lead_times, absences=absence_lists())
def test_no_reminder_and_no_preparation_falls_inside_an_absence(
    runs_out_on: dt.date, lead_time_days: int, absences: list[tuple[dt.date, dt.date]]
) -> None:
    plan = plan_reorder(runs_out_on=runs_out_on, lead_time_days=lead_time_days, absences=absences)
    assert not inside(plan.remind_on, absences)
    for offset in range(max(lead_time_days, 1)):
        assert not inside(plan.order_by + days(offset), absences)


@given(
    runs_out_on=run_out_days,
    lead_time_days=lead_times,
    absences=absence_lists(),
    today=st.dates(min_value=dt.date(2026, 12, 1), max_value=dt.date(2028, 1, 31)),
)
def test_a_late_reminder_is_never_in_the_past_nor_inside_an_absence(
    runs_out_on: dt.date,
    lead_time_days: int,
    absences: list[tuple[dt.date, dt.date]],
    today: dt.date,
) -> None:
    plan = plan_reorder(
        runs_out_on=runs_out_on, lead_time_days=lead_time_days, absences=absences, today=today
    )
    assert plan.remind_on >= today
    assert not inside(plan.remind_on, absences)
    if not plan.late:
        assert plan.remind_on <= plan.order_by


@given(ordered_on=run_out_days, lead_time_days=lead_times, absences=absence_lists())
def test_an_order_is_never_prepared_during_an_absence(
    ordered_on: dt.date, lead_time_days: int, absences: list[tuple[dt.date, dt.date]]
) -> None:
    ready = ready_on(ordered_on=ordered_on, lead_time_days=lead_time_days, absences=absences)
    assert ready >= ordered_on + days(lead_time_days)
    for offset in range(1, lead_time_days + 1):
        assert not inside(ready - days(offset), absences)


@given(runs_out_on=run_out_days, lead_time_days=lead_times)
def test_without_absences_the_order_day_is_run_out_minus_lead_time(
    runs_out_on: dt.date, lead_time_days: int
) -> None:
    assert latest_order_day(runs_out_on=runs_out_on, lead_time_days=lead_time_days) == (
        runs_out_on - days(lead_time_days)
    )
