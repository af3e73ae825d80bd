"""The care score as a pure function: each check met, not met or not applicable, with evidence."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from aftercare.insights.score import AbsenceNotice, CareFacts, Reply, care_score

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def statuses(facts: CareFacts) -> dict[str, str]:
    return {check.key: check.status for check in care_score(facts).checks}


def test_a_client_nothing_happened_to_scores_100_with_every_check_not_applicable() -> None:
    result = care_score(CareFacts(now=NOW))
    assert result.score == 100
    assert set(statuses(CareFacts(now=NOW)).values()) == {"not_applicable"}
    assert [check.key for check in result.checks] == [
        "checked_in",
        "replies_answered",
        "promises_kept",
        "supplies_on_time",
        "absences_told",
        "no_automation_while_waiting",
        "celebrations_sent",
    ]


def test_a_well_cared_for_client_meets_every_check_that_applies() -> None:
    facts = CareFacts(
        now=NOW,
        last_visit_at=NOW - 30 * DAY,
        check_in_after_last_visit_at=NOW - 27 * DAY,
        replies=[Reply(NOW - 10 * DAY, NOW - 9 * DAY)],
        promises_kept=2,
        supplies=1,
        absences=[AbsenceNotice((NOW - 5 * DAY).date(), NOW - 20 * DAY)],
        celebrations_consented=True,
        celebrations_due=1,
        celebrations_sent=1,
    )
    result = care_score(facts)
    assert result.score == 100
    assert not result.not_met
    assert result.checks[0].detail == "Asked how they were 3 days after."


def test_each_lapse_is_named_with_its_evidence_and_lowers_the_score() -> None:
    facts = CareFacts(
        now=NOW,
        last_visit_at=NOW - 40 * DAY,
        replies=[Reply(NOW - 10 * DAY, None), Reply(NOW - 20 * DAY, NOW - 19 * DAY)],
        promises_kept=1,
        promises_broken=1,
        supplies=2,
        supplies_ran_out=["Magnesium"],
        absences=[AbsenceNotice((NOW - 5 * DAY).date(), None)],
        automated_while_waiting=2,
        celebrations_consented=True,
        celebrations_due=1,
    )
    result = care_score(facts)
    assert result.score == 0
    details = {check.key: check.detail for check in result.checks}
    assert details["replies_answered"] == (
        "1 of 2 messages answered within 2 days. One has waited 10 days."
    )
    assert details["promises_kept"] == "1 of 2 promises kept."
    assert details["supplies_on_time"] == "Ran out: Magnesium."
    assert details["absences_told"] == "Told before 0 of 1 absence."


def test_a_message_still_within_the_target_is_not_yet_judged() -> None:
    facts = CareFacts(now=NOW, replies=[Reply(NOW - dt.timedelta(hours=5), None)])
    assert statuses(facts)["replies_answered"] == "not_applicable"


def test_a_recent_visit_is_not_yet_owed_a_check_in() -> None:
    facts = CareFacts(now=NOW, last_visit_at=NOW - 3 * DAY)
    assert statuses(facts)["checked_in"] == "not_applicable"


def test_a_notice_after_the_absence_began_does_not_count() -> None:
    first_day = (NOW - 5 * DAY).date()
    facts = CareFacts(now=NOW, absences=[AbsenceNotice(first_day, NOW - 4 * DAY)])
    assert statuses(facts)["absences_told"] == "not_met"


@given(
    kept=st.integers(0, 5),
    broken=st.integers(0, 5),
    ran_out=st.booleans(),
    waiting=st.integers(0, 3),
)
def test_the_score_is_the_share_of_applicable_checks_met(
    kept: int, broken: int, ran_out: bool, waiting: int
) -> None:
    facts = CareFacts(
        now=NOW,
        replies=[Reply(NOW - 9 * DAY, NOW - 8 * DAY)],
        promises_kept=kept,
        promises_broken=broken,
        supplies=1,
        supplies_ran_out=["Zinc"] if ran_out else [],
        automated_while_waiting=waiting,
    )
    result = care_score(facts)
    applicable = [check for check in result.checks if check.status != "not_applicable"]
    met = [check for check in applicable if check.status == "met"]
    assert 0 <= result.score <= 100
    assert result.score == round(100 * len(met) / len(applicable))
    assert all(check.detail.endswith(".") for check in result.checks)
