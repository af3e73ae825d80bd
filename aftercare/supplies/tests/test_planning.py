"""Supplies and absences in the care planner (pure: no database)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from aftercare.absences.planning import DEFAULT_ABSENCE_RULES, AbsenceFact
from aftercare.care.facts import AppointmentFact, ClientFacts, PracticePolicy, RuleSpec
from aftercare.care.planner import in_quiet_hours, plan
from aftercare.supplies.planning import DEFAULT_SUPPLY_RULES, SupplyFact

RULES = [
    RuleSpec(id=i, **spec)
    for i, spec in enumerate(DEFAULT_SUPPLY_RULES + DEFAULT_ABSENCE_RULES, start=101)
]
NOW = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)
OWNER = 7


def supply(**fields: object) -> SupplyFact:
    values: dict[str, object] = {
        "id": 5,
        "name": "Compounded magnesium",
        "kind": "supplement",
        "prepared_by": "practice",
        "started_on": dt.date(2027, 1, 3),
        "runs_out_on": dt.date(2027, 4, 3),
        "lead_time_days": 14,
        "status": "active",
    }
    values.update(fields)
    return SupplyFact(**values)  # type: ignore[arg-type]


def facts(*supplies: SupplyFact, time_zone: str = "Europe/London") -> ClientFacts:
    return ClientFacts(
        client_id=42,
        time_zone=time_zone,
        consents=frozenset({"care"}),
        practitioner_id=OWNER,
        extra={"supplies": supplies},
    )


def policy(*absences: AbsenceFact, **fields: object) -> PracticePolicy:
    return PracticePolicy(
        time_zone="Europe/London",
        extra={"absences": {OWNER: absences}},
        **fields,  # type: ignore[arg-type]
    )


def away(first: dt.date, last: dt.date, **fields: object) -> AbsenceFact:
    return AbsenceFact(
        id=3,
        practitioner_id=OWNER,
        first_day=first,
        last_day=last,
        practitioner_name="Olivia",
        **fields,  # type: ignore[arg-type]
    )


def by_kind(touchpoints, kind):  # type: ignore[no-untyped-def]
    return [t for t in touchpoints if t.kind == kind]


def test_a_new_medication_gets_a_side_effects_check_in_after_three_days() -> None:
    planned = plan(facts(supply(kind="medication")), RULES, policy(), NOW)
    [check_in] = by_kind(planned, "check_in")
    assert check_in.due_at == dt.datetime(2027, 1, 6, 10, 0, tzinfo=dt.UTC)
    assert check_in.key == "42:rule101:supply5from20270103"


def test_a_new_remedy_gets_it_after_seven_days() -> None:
    planned = plan(facts(supply(kind="remedy")), RULES, policy(), NOW)
    [check_in] = by_kind(planned, "check_in")
    assert check_in.due_at.date() == dt.date(2027, 1, 10)


def test_the_re_order_reminder_is_due_lead_time_and_a_week_before_running_out() -> None:
    reminder, second = by_kind(plan(facts(supply()), RULES, policy(), NOW), "reorder_reminder")
    assert reminder.due_at == dt.datetime(2027, 3, 13, 10, 0, tzinfo=dt.UTC)
    assert reminder.context["order_by"] == "Saturday, 20 March 2027"
    assert "order_today" not in reminder.context
    # A client who has not ordered is reminded again halfway to the order-by day...
    assert second.due_at == dt.datetime(2027, 3, 16, 10, 0, tzinfo=dt.UTC)
    assert second.context["second"] is True
    # ...and the day before it, the practitioner is asked to call them.
    [call] = by_kind(plan(facts(supply()), RULES, policy(), NOW), "call")
    assert call.action == "task" and call.due_at == dt.datetime(2027, 3, 19, 9, 0, tzinfo=dt.UTC)
    assert "last day to order in time is Saturday, 20 March 2027" in call.title


def test_a_reminder_planned_on_or_after_its_order_by_day_says_order_today() -> None:
    # Runs out in ten days with fourteen days to prepare: the order-by day has passed.
    late = supply(runs_out_on=dt.date(2027, 1, 15))
    [reminder] = by_kind(plan(facts(late), RULES, policy(), NOW), "reorder_reminder")
    assert reminder.context["order_today"] is True
    assert reminder.due_at.date() == NOW.date()
    [call] = by_kind(plan(facts(late), RULES, policy(), NOW), "call")
    assert call.due_at.date() == NOW.date()  # the practitioner is asked at once
    assert "can no longer be ready in time" in call.title


def test_escalation_happens_before_an_absence_not_during_it() -> None:
    absence = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4))
    touchpoints = plan(facts(supply()), RULES, policy(absence), NOW)
    [call] = by_kind(touchpoints, "call")
    assert call.due_at.date() == dt.date(2027, 2, 28) < absence.first_day  # order by 1 March
    for reminder in by_kind(touchpoints, "reorder_reminder"):
        assert reminder.due_at.date() < dt.date(2027, 3, 1)


def test_the_re_order_reminder_moves_before_an_absence_that_overlaps_preparation() -> None:
    absence = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4))
    reminder, _second = by_kind(
        plan(facts(supply()), RULES, policy(absence), NOW), "reorder_reminder"
    )
    assert reminder.due_at.date() == dt.date(2027, 2, 22)
    assert reminder.context["order_by"] == "Monday, 1 March 2027"
    assert "earlier than usual" in reminder.context["absence_note"]


def test_no_reminder_once_a_re_order_is_requested_but_a_task_to_prepare_it() -> None:
    asked = dt.datetime(2027, 1, 5, 8, 30, tzinfo=dt.UTC)
    planned = plan(
        facts(supply(status="reorder_requested", reorder_requested_at=asked)), RULES, policy(), NOW
    )
    assert by_kind(planned, "reorder_reminder") == []
    [task] = by_kind(planned, "prepare_supply")
    assert task.action == "task"
    assert task.due_at == asked


def test_a_check_in_during_an_absence_moves_to_the_first_day_back_unless_covered() -> None:
    medication = supply(kind="medication", started_on=dt.date(2027, 3, 14))
    absence = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4))
    [check_in] = by_kind(plan(facts(medication), RULES, policy(absence), NOW), "check_in")
    assert check_in.due_at == dt.datetime(2027, 4, 5, 9, 0, tzinfo=dt.UTC)  # 10:00 BST
    assert "Olivia is away" in check_in.held_back_reason
    covered = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4), cover_contact="Dr Colin")
    [check_in] = by_kind(plan(facts(medication), RULES, policy(covered), NOW), "check_in")
    assert check_in.due_at.date() == dt.date(2027, 3, 17)


def test_a_client_on_the_emergency_list_is_still_checked_in_with_during_the_absence() -> None:
    # They were promised they can reach the practitioner: the very clients to stay close to.
    medication = supply(kind="medication", started_on=dt.date(2027, 3, 14))
    listed = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4), emergency_client_ids=frozenset({42}))
    [check_in] = by_kind(plan(facts(medication), RULES, policy(listed), NOW), "check_in")
    assert check_in.due_at.date() == dt.date(2027, 3, 17)
    assert "away" not in check_in.held_back_reason


def test_affected_clients_get_an_advance_notice_with_their_order_by_day() -> None:
    absence = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4), cover_contact="Dr Colin")
    [notice] = by_kind(plan(facts(supply()), RULES, policy(absence), NOW), "absence_notice")
    assert notice.due_at.date() == dt.date(2027, 2, 22)
    assert notice.context["actions"] == "order Compounded magnesium by Monday 1 March"
    assert notice.context["cover_contact"] == "Dr Colin"


def booked(id: int, day: int, practitioner: int, status: str = "booked") -> AppointmentFact:
    starts = dt.datetime(2027, 3, day, 10, 0, tzinfo=dt.UTC)
    return AppointmentFact(id, starts, "follow_up", status, practitioner)


def test_the_notice_asks_to_rebook_only_the_absent_practitioners_booked_appointments() -> None:
    client = replace(
        facts(),
        appointments=(
            booked(1, 22, OWNER),  # inside the absence, with the absent practitioner
            booked(2, 20, OWNER),  # also (listed first: by time)
            booked(3, 21, OWNER + 1),  # a colleague's: not affected
            booked(4, 23, OWNER, status="cancelled"),
        ),
    )
    absence = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4))
    [notice] = by_kind(plan(client, RULES, policy(absence), NOW), "absence_notice")
    assert notice.context["actions"] == (
        "rebook your appointment on Saturday 20 March at 10:00; "
        "rebook your appointment on Monday 22 March at 10:00"
    )


def test_a_colleagues_client_booked_with_the_absent_practitioner_is_told_too() -> None:
    colleague = OWNER + 1
    absence = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4), announce_to_all=True)
    booked_in = replace(
        facts(supply()), practitioner_id=colleague, appointments=(booked(1, 22, OWNER),)
    )
    [notice] = by_kind(plan(booked_in, RULES, policy(absence), NOW), "absence_notice")
    # The supply is prepared by their own practitioner, who is not away: not listed.
    assert notice.context["actions"] == "rebook your appointment on Monday 22 March at 10:00"
    # "Also tell clients who are not affected" means the absent practitioner's own clients.
    unaffected = replace(facts(supply()), practitioner_id=colleague)
    assert by_kind(plan(unaffected, RULES, policy(absence), NOW), "absence_notice") == []
    own = replace(facts(), appointments=())
    assert by_kind(plan(own, RULES, policy(absence), NOW), "absence_notice") != []


def test_a_reminder_the_rule_would_send_in_quiet_hours_keeps_its_day_before_an_absence() -> None:
    rules = [replace(r, local_time=dt.time(21, 0)) for r in RULES if r.trigger == "supply_reorder"]
    client = facts(supply(runs_out_on=dt.date(2027, 12, 1), lead_time_days=0))
    absence = away(dt.date(2027, 11, 1), dt.date(2027, 11, 24))
    [reminder] = plan(client, rules, policy(absence), NOW)
    # The day before the absence, at the end of that day's quiet hours (20:00–08:00), not
    # 08:00 the next day, the first day away.
    local = reminder.due_at.astimezone(zoneinfo.ZoneInfo("Europe/London"))
    assert local == dt.datetime(2027, 10, 31, 8, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    assert "quiet hours" in reminder.held_back_reason


def test_unaffected_clients_get_no_notice() -> None:
    absence = away(dt.date(2027, 6, 1), dt.date(2027, 6, 7))
    assert by_kind(plan(facts(supply()), RULES, policy(absence), NOW), "absence_notice") == []


def test_a_notice_already_sent_for_other_dates_is_followed_by_a_correction() -> None:
    from aftercare.care.facts import ExistingTouchpoint

    old_key = "42:rule105:absence3d20270301to20270321"
    sent = ExistingTouchpoint(old_key, "sent", NOW - dt.timedelta(days=1), "message")
    moved = away(dt.date(2027, 3, 15), dt.date(2027, 4, 4))
    client = ClientFacts(**{**facts(supply()).__dict__, "existing": {old_key: sent}})
    [correction] = by_kind(plan(client, RULES, policy(moved), NOW), "absence_correction")
    assert correction.context["first_day"] == "Monday, 15 March 2027"
    cancelled = away(dt.date(2027, 3, 1), dt.date(2027, 3, 21), cancelled=True)
    [correction] = by_kind(plan(client, RULES, policy(cancelled), NOW), "absence_correction")
    assert correction.context["cancelled"] is True


@st.composite
def scenarios(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    runs_out_on = draw(st.dates(min_value=dt.date(2027, 1, 20), max_value=dt.date(2027, 12, 31)))
    lead = draw(st.integers(min_value=0, max_value=30))
    absences = []
    for number in range(draw(st.integers(min_value=0, max_value=3))):
        first = draw(st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2027, 12, 31)))
        last = first + dt.timedelta(days=draw(st.integers(min_value=0, max_value=25)))
        if all(last < a.first_day or first > a.last_day for a in absences):
            absences.append(
                AbsenceFact(id=number, practitioner_id=OWNER, first_day=first, last_day=last)
            )
    # Any quiet hours, to the minute, and any local time for the reminder rule: a reminder the
    # rule would send inside quiet hours keeps its day (it moves to their end on that day).
    minutes = st.times().map(lambda t: t.replace(second=0, microsecond=0))
    quiet_start, quiet_end, local_time = draw(minutes), draw(minutes), draw(minutes)
    zone = draw(
        st.sampled_from(["Europe/London", "Europe/Berlin", "Australia/Sydney", "America/New_York"])
    )
    return runs_out_on, lead, absences, quiet_start, quiet_end, local_time, zone


@settings(max_examples=300)
@given(scenario=scenarios())
def test_re_order_reminders_respect_lead_time_absences_and_quiet_hours(scenario) -> None:  # type: ignore[no-untyped-def]
    runs_out_on, lead, absences, quiet_start, quiet_end, local_time, zone = scenario
    client = facts(supply(runs_out_on=runs_out_on, lead_time_days=lead), time_zone=zone)
    rules = [
        replace(rule, local_time=local_time) for rule in RULES if rule.trigger == "supply_reorder"
    ]
    practice = policy(*absences, quiet_hours_start=quiet_start, quiet_hours_end=quiet_end)
    for reminder in plan(client, rules, practice, NOW):
        if reminder.status != "planned":
            continue
        local = reminder.due_at.astimezone(zoneinfo.ZoneInfo(zone))
        assert not in_quiet_hours(local.time(), quiet_start, quiet_end)
        away_then = [a for a in absences if a.first_day <= local.date() <= a.last_day]
        if away_then:
            # Only when every moment left before the absence was quiet (checked minute by minute).
            tz = zoneinfo.ZoneInfo(zone)
            begins = dt.datetime.combine(away_then[0].first_day, dt.time(0, 0), tzinfo=tz)
            moment = NOW.replace(second=0) + dt.timedelta(minutes=1)
            while moment < begins:
                assert in_quiet_hours(moment.astimezone(tz).time(), quiet_start, quiet_end)
                moment += dt.timedelta(minutes=1)
        if not reminder.context.get("late"):  # a late one goes at once, saying so
            assert local.date() <= runs_out_on - dt.timedelta(days=lead)
