"""Lost clients as pure functions: the threshold learned from history, the likely reasons."""

from __future__ import annotations

import datetime as dt

from aftercare.insights.lost import Signals, VisitHistory, likely_reasons, lost_since, threshold

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
WEEK = dt.timedelta(weeks=1)
RECALL = 12 * WEEK


def test_a_weekly_client_is_lost_after_two_of_their_weeks_not_the_recall_period() -> None:
    history = VisitHistory(
        visits=11, first_visit_at=NOW - 15 * WEEK, last_visit_at=NOW - 5 * WEEK, has_upcoming=False
    )
    assert threshold(history, RECALL) == 3 * WEEK  # twice a week, but never under 3 weeks
    assert lost_since(history, recall=RECALL, now=NOW) == NOW - 2 * WEEK


def test_a_client_with_little_history_is_judged_by_the_recall_period() -> None:
    history = VisitHistory(
        visits=1, first_visit_at=NOW - 10 * WEEK, last_visit_at=NOW - 10 * WEEK, has_upcoming=False
    )
    assert lost_since(history, recall=RECALL, now=NOW) is None
    later = NOW + 3 * WEEK
    assert lost_since(history, recall=RECALL, now=later) == NOW + 2 * WEEK


def test_a_booked_appointment_means_not_lost() -> None:
    history = VisitHistory(
        visits=1, first_visit_at=NOW - 50 * WEEK, last_visit_at=NOW - 50 * WEEK, has_upcoming=True
    )
    assert lost_since(history, recall=RECALL, now=NOW) is None


def test_reasons_come_most_telling_first_and_unknown_when_none() -> None:
    one_visit = VisitHistory(visits=1, first_visit_at=NOW, last_visit_at=NOW, has_upcoming=False)
    signals = Signals(
        unanswered_message=True,
        fee_charged=True,
        checked_in_after_first_visit=False,
        practitioner_left=True,
    )
    assert likely_reasons(one_visit, signals) == [
        "unanswered_message",
        "fee_charged",
        "no_check_in_after_first_visit",
        "practitioner_left",
    ]
    assert likely_reasons(one_visit, Signals()) == ["unknown"]
    many = VisitHistory(visits=4, first_visit_at=NOW, last_visit_at=NOW, has_upcoming=False)
    assert likely_reasons(many, Signals(checked_in_after_first_visit=False)) == ["unknown"]
