"""Lost clients: who quietly left, and the likely reasons from their history (pure, no Django).

1. A client is *lost* when they have had at least one visit, none is booked ahead, and the time
   since the last visit is longer than their threshold: twice their usual interval between
   visits (learned from their history: at least 3 visits), never under 3 weeks; without such a
   history, the practice's recall period.
2. The likely reasons are read from what happened before they left, most telling first:
   an unanswered message, a supply that ran out, a broken promise, a fee charged, no check-in
   after a first visit, a practitioner who left. None found: "no reason in our records".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MIN_THRESHOLD = dt.timedelta(weeks=3)
HISTORY_VISITS = 3

REASONS = {
    "unanswered_message": "A message of theirs went unanswered",
    "supply_ran_out": "A supply ran out",
    "broken_promise": "We broke a promise",
    "fee_charged": "We charged a no-show or late-cancel fee",
    "no_check_in_after_first_visit": "Nobody checked in after their first visit",
    "practitioner_left": "Their practitioner left the practice",
    "unknown": "No reason in our records",
}


@dataclass(frozen=True)
class VisitHistory:
    visits: int
    first_visit_at: dt.datetime | None
    last_visit_at: dt.datetime | None
    has_upcoming: bool


@dataclass(frozen=True)
class Signals:
    unanswered_message: bool = False
    supply_ran_out: bool = False
    broken_promise: bool = False
    fee_charged: bool = False
    checked_in_after_first_visit: bool = True
    practitioner_left: bool = False


def usual_interval(history: VisitHistory) -> dt.timedelta | None:
    """The mean time between visits, from at least 3 visits; else None."""
    if (
        history.visits < HISTORY_VISITS
        or history.first_visit_at is None
        or history.last_visit_at is None
    ):
        return None
    return (history.last_visit_at - history.first_visit_at) / (history.visits - 1)


def threshold(history: VisitHistory, recall: dt.timedelta) -> dt.timedelta:
    usual = usual_interval(history)
    if usual is None:
        return recall
    return max(MIN_THRESHOLD, 2 * usual)


def lost_since(
    history: VisitHistory, *, recall: dt.timedelta, now: dt.datetime
) -> dt.datetime | None:
    """When the client became lost (last visit + threshold), or None if they are not lost."""
    if history.last_visit_at is None or history.has_upcoming:
        return None
    since = history.last_visit_at + threshold(history, recall)
    return since if since <= now else None


def likely_reasons(history: VisitHistory, signals: Signals) -> list[str]:
    """The reasons' keys, most telling first ("unknown" when nothing is found)."""
    found = [
        key
        for key, present in (
            ("unanswered_message", signals.unanswered_message),
            ("supply_ran_out", signals.supply_ran_out),
            ("broken_promise", signals.broken_promise),
            ("fee_charged", signals.fee_charged),
            (
                "no_check_in_after_first_visit",
                history.visits == 1 and not signals.checked_in_after_first_visit,
            ),
            ("practitioner_left", signals.practitioner_left),
        )
        if present
    ]
    return found or ["unknown"]
