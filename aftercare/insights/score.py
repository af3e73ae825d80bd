"""The care score: "if I were my own client, would I feel cared for?" as a pure function.

No Django here: the facts are loaded in bulk by ``insights/facts.py``; this module only judges.

1. Each check of the checklist looks at the facts and answers *met*, *not met* or *not
   applicable*, with its evidence in words ("answered 3 of 4 messages within 2 days").
2. The score is the share of applicable checks that are met, 0–100 (rounded). A client with no
   applicable check yet (nothing happened) scores 100: nothing was left undone.

The checks, in the order a client would feel them:
- checked in after the last visit (a check-in asked within 14 days of it);
- replies answered within the practice's target (default 2 days);
- no broken promise;
- supplies never ran out (none ran out before a re-order);
- told before each absence that touched them (an advance notice before it began);
- no automated message to them while a message of theirs waited unread;
- celebrations sent where consented (a birthday or anniversary in the last year got a card).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

MET = "met"
NOT_MET = "not_met"
NOT_APPLICABLE = "not_applicable"

CHECK_IN_WITHIN = dt.timedelta(days=14)
LOOK_BACK = dt.timedelta(days=365)


@dataclass(frozen=True)
class Reply:
    """A message the client sent, and when a person read or answered it."""

    received_at: dt.datetime
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class AbsenceNotice:
    first_day: dt.date
    told_at: dt.datetime | None  # the advance notice sent to this client, if any


@dataclass(frozen=True)
class CareFacts:
    """What happened between one client and the practice (the last year, unless said)."""

    now: dt.datetime
    reply_target: dt.timedelta = dt.timedelta(days=2)
    last_visit_at: dt.datetime | None = None
    check_in_after_last_visit_at: dt.datetime | None = None  # the first one asked after it
    replies: Sequence[Reply] = ()
    promises_kept: int = 0
    promises_broken: int = 0
    supplies: int = 0
    supplies_ran_out: Sequence[str] = ()  # names of supplies that ran out before a re-order
    absences: Sequence[AbsenceNotice] = ()
    automated_while_waiting: int = 0
    celebrations_consented: bool = False
    celebrations_due: int = 0  # birthdays and first-visit anniversaries in the last year
    celebrations_sent: int = 0


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    status: str
    detail: str


@dataclass(frozen=True)
class CareScore:
    score: int
    checks: list[Check] = field(default_factory=list)

    @property
    def not_met(self) -> list[Check]:
        return [check for check in self.checks if check.status == NOT_MET]


LABELS = {
    "checked_in": "Checked in after the last visit",
    "replies_answered": "Replies answered in time",
    "promises_kept": "No broken promise",
    "supplies_on_time": "Supplies never ran out",
    "absences_told": "Told before each absence",
    "no_automation_while_waiting": "No automated message while they waited",
    "celebrations_sent": "Celebrations sent",
}


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _duration(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return _plural(max(1, round(hours)), "hour")
    return _plural(round(hours / 24), "day")


def check_checked_in(facts: CareFacts) -> Check:
    key = "checked_in"
    if facts.last_visit_at is None:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No visit yet.")
    asked = facts.check_in_after_last_visit_at
    if asked is not None and asked - facts.last_visit_at <= CHECK_IN_WITHIN:
        days = max(0, (asked - facts.last_visit_at).days)
        return Check(key, LABELS[key], MET, f"Asked how they were {_plural(days, 'day')} after.")
    if facts.now - facts.last_visit_at <= CHECK_IN_WITHIN:
        return Check(key, LABELS[key], NOT_APPLICABLE, "The last visit was less than 2 weeks ago.")
    return Check(key, LABELS[key], NOT_MET, "Nobody asked how they were after the last visit.")


def check_replies(facts: CareFacts) -> Check:
    key = "replies_answered"
    target = facts.reply_target
    judged = [
        reply
        for reply in facts.replies
        if reply.answered_at is not None or facts.now - reply.received_at > target
    ]
    if not judged:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No message from them to answer.")
    late = [
        reply
        for reply in judged
        if reply.answered_at is None or reply.answered_at - reply.received_at > target
    ]
    in_time = len(judged) - len(late)
    detail = f"{in_time} of {_plural(len(judged), 'message')} answered within {_duration(target)}."
    if not late:
        return Check(key, LABELS[key], MET, detail)
    waiting = [reply for reply in late if reply.answered_at is None]
    if waiting:
        oldest = min(reply.received_at for reply in waiting)
        detail += f" One has waited {_duration(facts.now - oldest)}."
    return Check(key, LABELS[key], NOT_MET, detail)


def check_promises(facts: CareFacts) -> Check:
    key = "promises_kept"
    total = facts.promises_kept + facts.promises_broken
    if not total:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No promise made.")
    detail = f"{facts.promises_kept} of {_plural(total, 'promise')} kept."
    return Check(key, LABELS[key], NOT_MET if facts.promises_broken else MET, detail)


def check_supplies(facts: CareFacts) -> Check:
    key = "supplies_on_time"
    if not facts.supplies:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No supplies.")
    if facts.supplies_ran_out:
        names = ", ".join(facts.supplies_ran_out[:3])
        return Check(key, LABELS[key], NOT_MET, f"Ran out: {names}.")
    return Check(key, LABELS[key], MET, f"{_plural(facts.supplies, 'supply')} never ran out.")


def check_absences(facts: CareFacts) -> Check:
    key = "absences_told"
    if not facts.absences:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No absence touched them.")
    told = [
        absence
        for absence in facts.absences
        if absence.told_at is not None and absence.told_at.date() < absence.first_day
    ]
    detail = f"Told before {len(told)} of {_plural(len(facts.absences), 'absence')}."
    return Check(key, LABELS[key], MET if len(told) == len(facts.absences) else NOT_MET, detail)


def check_waiting(facts: CareFacts) -> Check:
    key = "no_automation_while_waiting"
    if not facts.replies:
        return Check(key, LABELS[key], NOT_APPLICABLE, "They have not written to us.")
    if facts.automated_while_waiting:
        return Check(
            key,
            LABELS[key],
            NOT_MET,
            f"{_plural(facts.automated_while_waiting, 'automated message')} went to them while "
            "a message of theirs was unread.",
        )
    return Check(key, LABELS[key], MET, "Nothing automated while they waited for a person.")


def check_celebrations(facts: CareFacts) -> Check:
    key = "celebrations_sent"
    if not facts.celebrations_consented:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No consent to celebrations.")
    if not facts.celebrations_due:
        return Check(key, LABELS[key], NOT_APPLICABLE, "No birthday or anniversary to celebrate.")
    sent = min(facts.celebrations_sent, facts.celebrations_due)
    detail = f"{sent} of {_plural(facts.celebrations_due, 'occasion')} celebrated."
    return Check(key, LABELS[key], MET if sent >= facts.celebrations_due else NOT_MET, detail)


CHECKS = (
    check_checked_in,
    check_replies,
    check_promises,
    check_supplies,
    check_absences,
    check_waiting,
    check_celebrations,
)


def care_score(facts: CareFacts) -> CareScore:
    """The score and its checklist (steps in the module docstring)."""
    checks = [check(facts) for check in CHECKS]
    applicable = [check for check in checks if check.status != NOT_APPLICABLE]
    met = sum(1 for check in applicable if check.status == MET)
    score = round(100 * met / len(applicable)) if applicable else 100
    return CareScore(score=score, checks=checks)
