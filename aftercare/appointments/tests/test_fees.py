"""The fee policy as a pure function: every kindness of the story, and the charges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aftercare.appointments.fees import (
    EarlierAppointment,
    FeeFacts,
    FeePolicy,
    decide_fee,
)

START = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
POLICY = FeePolicy(no_show_fee=Decimal("40.00"), late_cancel_fee=Decimal("20.00"))


def visits(count: int, *, since: dt.datetime, status: str = "attended") -> list[EarlierAppointment]:
    step = (START - since) / (count + 1)
    return [
        EarlierAppointment(starts_at=since + step * (i + 1), status=status) for i in range(count)
    ]


def facts(**fields: object) -> FeeFacts:
    defaults: dict[str, object] = {
        "status": "no_show",
        "starts_at": START,
        "booked_at": START - dt.timedelta(days=14),
        "marked_at": START + dt.timedelta(minutes=20),
        "client_since": START - dt.timedelta(days=3 * 365 + 10),
        "earlier": visits(24, since=START - dt.timedelta(days=3 * 365)),
    }
    return FeeFacts(**(defaults | fields))  # type: ignore[arg-type]


def test_it_waives_the_first_no_show_of_a_longstanding_client() -> None:
    decision = decide_fee(POLICY, facts())
    assert (decision.action, decision.amount) == ("waived", Decimal("40.00"))
    assert decision.reason == "First no-show in 3 years, 24 visits."


def test_it_charges_the_second_no_show() -> None:
    history = [
        *visits(24, since=START - dt.timedelta(days=1000)),
        EarlierAppointment(START - dt.timedelta(days=60), "no_show", "first_kindness"),
    ]
    decision = decide_fee(POLICY, facts(earlier=history))
    assert decision.action == "charged"
    assert decision.amount == Decimal("40.00")
    assert decision.reason.startswith("Second no-show")


def test_it_charges_a_new_clients_first_no_show() -> None:
    since = START - dt.timedelta(days=40)
    decision = decide_fee(POLICY, facts(client_since=since, earlier=visits(2, since=since)))
    assert decision.action == "charged"
    assert decision.reason == "First no-show of a new client (2 visits in 1 month)."


def test_five_visits_make_a_client_longstanding_before_six_months() -> None:
    since = START - dt.timedelta(days=60)
    assert decide_fee(POLICY, facts(client_since=since, earlier=visits(5, since=since))).action == (
        "waived"
    )


def test_six_months_make_a_client_longstanding_with_few_visits() -> None:
    since = START - dt.timedelta(days=200)
    assert decide_fee(POLICY, facts(client_since=since, earlier=visits(1, since=since))).action == (
        "waived"
    )


def test_it_never_charges_when_the_practice_moved_the_appointment_within_the_window() -> None:
    since = START - dt.timedelta(days=10)
    decision = decide_fee(
        POLICY,
        facts(
            client_since=since,
            earlier=[],
            moved_by_practice_at=START - dt.timedelta(hours=5),
        ),
    )
    assert decision.action == "waived"
    assert "moved" in decision.reason
    # Moved a week ahead: the client had time; the usual rules apply.
    early = facts(client_since=since, earlier=[], moved_by_practice_at=START - dt.timedelta(days=7))
    assert decide_fee(POLICY, early).action == "charged"


def test_it_waives_when_the_client_told_us_before_the_start() -> None:
    since = START - dt.timedelta(days=10)
    told = facts(client_since=since, earlier=[], told_at=START - dt.timedelta(hours=1))
    decision = decide_fee(POLICY, told)
    assert (decision.action, decision.code) == ("waived", "told_beforehand")
    # A message after the start, or before the booking, is no notice.
    late = facts(client_since=since, earlier=[], told_at=START + dt.timedelta(minutes=5))
    assert decide_fee(POLICY, late).action == "charged"
    stale = facts(client_since=since, earlier=[], told_at=START - dt.timedelta(days=30))
    assert decide_fee(POLICY, stale).action == "charged"


def test_an_excused_no_show_does_not_make_the_next_one_a_second() -> None:
    history = [
        *visits(6, since=START - dt.timedelta(days=400)),
        EarlierAppointment(START - dt.timedelta(days=30), "no_show", "told_beforehand"),
    ]
    assert decide_fee(POLICY, facts(earlier=history)).action == "waived"


def test_without_any_fee_there_is_nothing_to_decide() -> None:
    decision = decide_fee(FeePolicy(), facts())
    assert (decision.action, decision.amount) == ("none", Decimal("0.00"))
    assert decision.reason == "No no-show fee is set."


def test_the_appointments_own_fee_is_used_when_the_practice_sets_none() -> None:
    since = START - dt.timedelta(days=10)
    decision = decide_fee(
        FeePolicy(), facts(client_since=since, earlier=[], appointment_fee=Decimal("65.00"))
    )
    assert (decision.action, decision.amount) == ("charged", Decimal("65.00"))


def test_a_late_cancel_within_the_window_is_charged_and_one_before_it_is_not() -> None:
    late = facts(status="late_cancelled", marked_at=START - dt.timedelta(hours=3))
    assert decide_fee(POLICY, late).action == "charged"
    assert decide_fee(POLICY, late).amount == Decimal("20.00")
    early = facts(status="late_cancelled", marked_at=START - dt.timedelta(hours=30))
    assert decide_fee(POLICY, early).action == "none"


def test_the_first_late_cancel_is_waived_only_when_the_practice_chose_so() -> None:
    kind = FeePolicy(late_cancel_fee=Decimal("20.00"), waive_first_late_cancel=True)
    late = facts(status="late_cancelled", marked_at=START - dt.timedelta(hours=3))
    assert decide_fee(kind, late).action == "waived"
    again = facts(
        status="late_cancelled",
        marked_at=START - dt.timedelta(hours=3),
        earlier=[EarlierAppointment(START - dt.timedelta(days=20), "late_cancelled", "policy")],
    )
    assert decide_fee(kind, again).action == "charged"


def test_turning_the_kindness_off_charges_every_first_no_show() -> None:
    strict = FeePolicy(no_show_fee=Decimal("40.00"), waive_first_no_show=False)
    assert decide_fee(strict, facts()).action == "charged"


@given(
    visits_count=st.integers(min_value=0, max_value=40),
    days=st.integers(min_value=1, max_value=4000),
    earlier_no_shows=st.integers(min_value=0, max_value=3),
)
def test_a_decision_always_carries_the_fee_and_a_reason_and_repeats_are_charged(
    visits_count: int, days: int, earlier_no_shows: int
) -> None:
    since = START - dt.timedelta(days=days)
    history = visits(visits_count, since=since) + [
        EarlierAppointment(since, "no_show", "policy") for _ in range(earlier_no_shows)
    ]
    decision = decide_fee(POLICY, facts(client_since=since, earlier=history))
    assert decision.amount == Decimal("40.00")
    assert decision.reason.endswith(".")
    if earlier_no_shows:
        assert decision.action == "charged"
    else:
        longstanding = visits_count >= 5 or days >= 190
        assert decision.action == ("waived" if longstanding else "charged") or 180 <= days < 190
