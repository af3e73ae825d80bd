"""The triggers a questionnaire (or any message) is sent on before visits and every few weeks."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from aftercare.care.facts import AppointmentFact, ClientFacts, PracticePolicy, RuleSpec
from aftercare.care.triggers import appointment_booked, every_weeks

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
POLICY = PracticePolicy()


def visit(id: int, days: int, status: str = "attended", kind: str = "follow_up") -> AppointmentFact:
    return AppointmentFact(id, NOW + dt.timedelta(days=days), kind, status)


def facts(*appointments: AppointmentFact) -> ClientFacts:
    return ClientFacts(client_id=1, time_zone="Europe/London", appointments=appointments)


def rule(trigger: str, **options: object) -> RuleSpec:
    return RuleSpec(id=7, name="r", trigger=trigger, trigger_options=options, offset_days=-1)


def test_booked_fires_for_each_visit_still_to_come() -> None:
    found = appointment_booked(
        facts(
            visit(1, -10),
            visit(2, 3, "booked"),
            visit(3, 9, "booked", kind="group"),
            visit(4, 5, "cancelled"),
            visit(5, -2, "booked"),
        ),
        rule("appointment_booked"),
        POLICY,
        NOW,
    )
    assert [o.occurrence for o in found] == ["appt2", "appt3"]
    assert found[0].day == dt.date(2026, 11, 27)
    only_groups = appointment_booked(
        facts(visit(2, 3, "booked"), visit(3, 9, "booked", kind="group")),
        rule("appointment_booked", kind="group"),
        POLICY,
        NOW,
    )
    assert [o.occurrence for o in only_groups] == ["appt3"]


def test_every_weeks_counts_from_the_first_visit_and_stops_after_the_last() -> None:
    in_care = facts(visit(1, -60), visit(2, -20), visit(3, 10, "booked"))
    found = every_weeks(in_care, rule("every_weeks", weeks=4), POLICY, NOW)
    # First visit 25 Sep; every 4 weeks: 20 Nov (number 2) just past, 18 Dec (3) next.
    assert [(o.occurrence, o.day) for o in found] == [
        ("every4w-2", dt.date(2026, 11, 20)),
        ("every4w-3", dt.date(2026, 12, 18)),
    ]
    gone = facts(visit(1, -200), visit(2, -150))
    assert every_weeks(gone, rule("every_weeks", weeks=4), POLICY, NOW) == []
    assert every_weeks(facts(), rule("every_weeks", weeks=4), POLICY, NOW) == []


@given(
    st.integers(min_value=1, max_value=12),
    st.lists(st.integers(min_value=-400, max_value=60), min_size=1, max_size=8),
)
def test_every_weeks_keys_never_move_and_stay_within_care(weeks: int, days: list[int]) -> None:
    appointments = tuple(
        visit(i, day, "attended" if day <= 0 else "booked") for i, day in enumerate(days)
    )
    client = facts(*appointments)
    found = every_weeks(client, rule("every_weeks", weeks=weeks), POLICY, NOW)
    first = client.first_attended()
    if first is None:
        assert found == []
        return
    start = first.starts_at.astimezone(dt.UTC).date()
    last = max(a.starts_at for a in appointments).date()
    for occurrence in found:
        number = int(occurrence.occurrence.split("-")[1])
        assert occurrence.occurrence == f"every{weeks}w-{number}"
        assert occurrence.day == start + dt.timedelta(weeks=weeks * number)
        assert occurrence.day <= last + dt.timedelta(weeks=weeks)
    assert len(found) <= 2
