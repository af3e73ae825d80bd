"""Scoring against the published rules: every total of each instrument in its published band."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercare.measures.questionnaires import built_in_questionnaires
from aftercare.measures.scoring import (
    AnswerError,
    change,
    check_answers,
    items_to_ask,
    score,
    triage_level,
    triage_reasons,
)

PHQ9 = built_in_questionnaires()["phq9"]
GAD7 = built_in_questionnaires()["gad7"]
WHO5 = built_in_questionnaires()["who5"]

# The published bands, written out here by hand from the sources (not read from the data), so a
# typo in the JSON fails a test: Kroenke, Spitzer & Williams 2001 (PHQ-9); Spitzer et al. 2006
# (GAD-7); the WHO-5's percentage score, ≤ 28 likely depression, ≤ 50 poor well-being.
PUBLISHED = {
    "phq9": [
        (range(0, 5), "None–minimal"),
        (range(5, 10), "Mild"),
        (range(10, 15), "Moderate"),
        (range(15, 20), "Moderately severe"),
        (range(20, 28), "Severe"),
    ],
    "gad7": [
        (range(0, 5), "Minimal"),
        (range(5, 10), "Mild"),
        (range(10, 15), "Moderate"),
        (range(15, 22), "Severe"),
    ],
    "who5": [
        (range(0, 29), "Very low well-being (screen for depression)"),
        (range(29, 51), "Poor well-being"),
        (range(51, 101), "Good well-being"),
    ],
}


def answers_adding_up_to(questionnaire, raw_total: int) -> dict[str, int]:
    """Answers whose scored values add up to ``raw_total`` (filled item by item)."""
    answers = {}
    left = raw_total
    for item in questionnaire.scored_items:
        value = min(left, max(item.values))
        answers[item.key] = value
        left -= value
    assert left == 0
    for item in questionnaire.items:
        if not item.scored and item in items_to_ask(questionnaire, answers):
            answers[item.key] = min(item.values)
    return answers


def published_band(key: str, total: int) -> str:
    for totals, label in PUBLISHED[key]:
        if total in totals:
            return label
    raise AssertionError(f"no published band for {key} {total}")


@pytest.mark.parametrize("raw_total", range(28))
def test_every_phq9_total_lands_in_its_published_band(raw_total: int) -> None:
    result = score(PHQ9, answers_adding_up_to(PHQ9, raw_total))
    assert result.total == raw_total
    assert result.band.label == published_band("phq9", raw_total)


@pytest.mark.parametrize("raw_total", range(22))
def test_every_gad7_total_lands_in_its_published_band(raw_total: int) -> None:
    result = score(GAD7, answers_adding_up_to(GAD7, raw_total))
    assert result.total == raw_total
    assert result.band.label == published_band("gad7", raw_total)


@pytest.mark.parametrize("raw_total", range(26))
def test_every_who5_raw_score_becomes_a_percentage_in_its_published_band(raw_total: int) -> None:
    result = score(WHO5, answers_adding_up_to(WHO5, raw_total))
    assert result.total == raw_total * 4
    assert result.band.label == published_band("who5", raw_total * 4)


def test_a_who5_raw_score_below_13_is_poor_well_being_and_13_is_not() -> None:
    # The WHO-5 scoring sheet: a raw score below 13 indicates poor well-being.
    assert score(WHO5, answers_adding_up_to(WHO5, 12)).band.key in {"poor", "likely_depression"}
    assert score(WHO5, answers_adding_up_to(WHO5, 13)).band.key == "good"


@given(st.data())
def test_any_answers_score_to_the_sum_of_their_values(data: st.DataObject) -> None:
    questionnaire = data.draw(st.sampled_from([PHQ9, GAD7, WHO5]))
    answers = {
        item.key: data.draw(st.sampled_from(sorted(item.values)))
        for item in questionnaire.scored_items
    }
    for item in items_to_ask(questionnaire, answers):
        if not item.scored:
            answers[item.key] = data.draw(st.sampled_from(sorted(item.values)))
    result = score(questionnaire, answers)
    raw = sum(answers[item.key] for item in questionnaire.scored_items)
    assert result.total == raw * questionnaire.multiplier
    assert result.band.low <= result.total <= result.band.high
    assert questionnaire.lowest <= result.total <= questionnaire.highest


@given(st.sampled_from([1, 2, 3]), st.lists(st.sampled_from([0, 1, 2, 3]), min_size=8, max_size=8))
def test_any_phq9_question_9_above_0_is_a_crisis_whatever_the_total(
    item9: int, others: list[int]
) -> None:
    answers = {str(i + 1): value for i, value in enumerate(others)} | {"9": item9, "10": 0}
    result = score(PHQ9, answers)
    assert result.crisis
    assert triage_level(result) == "crisis"
    assert triage_reasons(PHQ9, result)[0].startswith(
        "questionnaire safety item: PHQ-9 question 9 (thoughts of being better off dead"
    )


def test_phq9_question_9_answered_not_at_all_is_no_crisis() -> None:
    result = score(PHQ9, answers_adding_up_to(PHQ9, 0))
    assert not result.crisis
    assert triage_level(result) == "routine"


def test_a_severe_total_raises_an_urgent_item_and_a_moderately_severe_one_attention() -> None:
    severe = score(PHQ9, {str(i): 3 for i in range(1, 8)} | {"8": 0, "9": 0, "10": 1})
    assert severe.total == 21
    assert triage_level(severe) == "urgent"
    assert triage_level(score(GAD7, answers_adding_up_to(GAD7, 15))) == "urgent"
    assert triage_level(score(PHQ9, answers_adding_up_to(PHQ9, 16))) == "attention"


def test_question_10_of_the_phq9_is_asked_only_after_a_problem_and_is_not_scored() -> None:
    none = answers_adding_up_to(PHQ9, 0)
    assert "10" not in {item.key for item in items_to_ask(PHQ9, none)}
    some = {str(i): 0 for i in range(1, 10)} | {"1": 2}
    assert "10" in {item.key for item in items_to_ask(PHQ9, some)}
    with pytest.raises(AnswerError, match="10: every question needs an answer"):
        score(PHQ9, some)
    assert score(PHQ9, some | {"10": 3}).total == 2


def test_every_item_is_required_and_values_must_be_offered() -> None:
    answers = answers_adding_up_to(GAD7, 5)
    del answers["4"]
    with pytest.raises(AnswerError, match="4: every question needs an answer"):
        check_answers(GAD7, answers)
    with pytest.raises(AnswerError, match="1: choose one of 0, 1, 2, 3, got 4"):
        check_answers(GAD7, answers_adding_up_to(GAD7, 5) | {"1": 4})
    with pytest.raises(AnswerError, match="11: GAD-7 has no such item"):
        check_answers(GAD7, answers_adding_up_to(GAD7, 5) | {"11": 0})
    with pytest.raises(AnswerError, match="expected a whole number"):
        check_answers(GAD7, answers_adding_up_to(GAD7, 5) | {"1": True})


def test_change_knows_which_way_is_better_and_when_it_is_reliable() -> None:
    assert change(PHQ9, 18, 11).reliably_better  # 7 points down: reliable (6 or more)
    assert not change(PHQ9, 18, 13).reliable  # 5 points: not reliable
    assert change(PHQ9, 8, 14).reliably_worse
    assert change(GAD7, 6, 10).reliably_worse  # GAD-7: 4 or more
    assert change(WHO5, 60, 48).reliably_worse  # WHO-5: higher is better, 10 points
    assert change(WHO5, 48, 56).better and not change(WHO5, 48, 56).reliable
    assert change(PHQ9, 18, 11).words() == "7 points better (reliable change)"
    assert change(PHQ9, 10, 10).words() == "no change"
    assert change(GAD7, 5, 6).words() == "1 point worse"


def test_a_reliable_worsening_raises_a_routine_band_to_attention() -> None:
    result = score(PHQ9, answers_adding_up_to(PHQ9, 12))
    assert triage_level(result, change(PHQ9, 4, 12)) == "attention"
    assert triage_level(result, change(PHQ9, 10, 12)) == "routine"
    assert triage_reasons(PHQ9, result, change(PHQ9, 4, 12)) == [
        "PHQ-9: 12 of 27, moderate",
        "PHQ-9 8 points worse (reliable change) since the last one",
    ]
