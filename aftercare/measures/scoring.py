"""Scoring a questionnaire: totals, severity bands, safety items and change (pure, no Django).

1. ``check_answers`` refuses answers that leave out a required item or use a value the item
   does not offer (every item is required; a conditional item is required only when its
   condition holds).
2. ``score`` adds the scored items' values, multiplies by the questionnaire's multiplier
   (the WHO-5's percentage score is the raw sum × 4), finds the band that holds the total and
   the safety items answered above their threshold.
3. ``change`` compares a total with the one before it: the difference, whether it is better
   or worse (for the WHO-5 higher is better, for the PHQ-9 and GAD-7 lower), and whether it
   reaches the questionnaire's reliable change.
4. ``triage_level`` is what a completed questionnaire raises: **crisis** when a safety item
   was answered above its threshold (PHQ-9 question 9 above 0), else the band's level
   (``urgent`` for a severe total), raised to ``attention`` by a reliable worsening.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aftercare.measures.questionnaires import Band, Item, Questionnaire, SafetyItem

LEVEL_ORDER = ("routine", "attention", "urgent", "crisis")


class AnswerError(ValueError):
    """Answers that cannot be scored: ``item`` names the item at fault."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(f"{item}: {message}")
        self.item = item
        self.message = message


@dataclass(frozen=True)
class Score:
    total: int
    band: Band
    safety: tuple[SafetyItem, ...]  # safety items answered above their threshold
    answers: Mapping[str, int]  # the checked answers, by item key

    @property
    def crisis(self) -> bool:
        return bool(self.safety)


@dataclass(frozen=True)
class Change:
    points: int  # current - previous
    better: bool
    worse: bool
    reliable: bool

    @property
    def reliably_worse(self) -> bool:
        return self.worse and self.reliable

    @property
    def reliably_better(self) -> bool:
        return self.better and self.reliable

    def words(self) -> str:
        """``"4 points better"``, ``"7 points worse (reliable change)"``, ``"no change"``."""
        if self.points == 0:
            return "no change"
        size = abs(self.points)
        words = f"{size} point{'s' if size != 1 else ''} {'better' if self.better else 'worse'}"
        return f"{words} (reliable change)" if self.reliable else words


def is_asked(item: Item, answers: Mapping[str, int], questionnaire: Questionnaire) -> bool:
    """Whether ``item`` is asked given the answers so far (conditional items ask only sometimes)."""
    if item.asked_if_any_above is None:
        return True
    return any(
        answers.get(other.key, -1) > item.asked_if_any_above for other in questionnaire.scored_items
    )


def items_to_ask(questionnaire: Questionnaire, answers: Mapping[str, int]) -> list[Item]:
    return [item for item in questionnaire.items if is_asked(item, answers, questionnaire)]


def check_answer(item: Item, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerError(item.key, f"expected a whole number, got {value!r}")
    if value not in item.values:
        allowed = ", ".join(str(v) for v in sorted(item.values))
        raise AnswerError(item.key, f"choose one of {allowed}, got {value}")
    return value


def check_answers(questionnaire: Questionnaire, answers: Mapping[str, object]) -> dict[str, int]:
    """The answers of every item asked, checked; AnswerError names the first item at fault."""
    known = {item.key for item in questionnaire.items}
    for key in answers:
        if key not in known:
            raise AnswerError(key, f"{questionnaire.name} has no such item")
    checked: dict[str, int] = {}
    for item in questionnaire.scored_items:
        if item.key not in answers:
            raise AnswerError(item.key, "every question needs an answer")
        checked[item.key] = check_answer(item, answers[item.key])
    for item in questionnaire.items:
        if item.scored:
            continue
        if is_asked(item, checked, questionnaire):
            if item.key not in answers:
                raise AnswerError(item.key, "every question needs an answer")
            checked[item.key] = check_answer(item, answers[item.key])
    return {item.key: checked[item.key] for item in questionnaire.items if item.key in checked}


def band_of(questionnaire: Questionnaire, total: int) -> Band:
    for band in questionnaire.bands:
        if band.holds(total):
            return band
    raise ValueError(f"{questionnaire.name}: no band holds {total}")


def safety_alerts(
    questionnaire: Questionnaire, answers: Mapping[str, int]
) -> tuple[SafetyItem, ...]:
    """Safety items answered above their threshold (may be called with a partial set)."""
    return tuple(
        safety
        for safety in questionnaire.safety_items
        if answers.get(safety.item, safety.above) > safety.above
    )


def score(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Score:
    checked = check_answers(questionnaire, answers)
    raw = sum(checked[item.key] for item in questionnaire.scored_items)
    total = raw * questionnaire.multiplier
    return Score(
        total=total,
        band=band_of(questionnaire, total),
        safety=safety_alerts(questionnaire, checked),
        answers=checked,
    )


def change(questionnaire: Questionnaire, previous: int, current: int) -> Change:
    points = current - previous
    better = points > 0 if questionnaire.higher_is_better else points < 0
    worse = points != 0 and not better
    threshold = questionnaire.reliable_change_points
    return Change(
        points=points,
        better=better,
        worse=worse,
        reliable=threshold is not None and abs(points) >= threshold,
    )


def triage_level(result: Score, changed: Change | None = None) -> str:
    if result.crisis:
        return "crisis"
    level = result.band.level
    if changed is not None and changed.reliably_worse and level == "routine":
        level = "attention"
    return level


def triage_reasons(
    questionnaire: Questionnaire, result: Score, changed: Change | None = None
) -> list[str]:
    """What a person reads in the care queue, most serious first."""
    reasons = [safety_reason(questionnaire, safety, result.answers) for safety in result.safety]
    reasons.append(
        f"{questionnaire.name}: {result.total} of {questionnaire.highest}, {result.band.label.lower()}"
    )
    if changed is not None and changed.points:
        reasons.append(f"{questionnaire.name} {changed.words()} since the last one")
    return reasons


def safety_reason(
    questionnaire: Questionnaire, safety: SafetyItem, answers: Mapping[str, int]
) -> str:
    """``questionnaire safety item: PHQ-9 question 9 (…), answered 'Several days'``."""
    item = questionnaire.item(safety.item)
    answer = answers.get(safety.item)
    said = item.label_of(answer) if item is not None and answer is not None else str(answer)
    return f"questionnaire safety item: {safety.reason}, answered '{said}'"
