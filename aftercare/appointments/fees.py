"""The no-show and late-cancel fee policy: a pure function from facts to a kind decision.

No Django here (like the care planner), so every case is tested without a database.

The algorithm, for one appointment just marked no-show or late-cancelled:

1. Find the fee: the practice's no-show (or late-cancel) fee, else the appointment's own fee.
   No fee anywhere: nothing to decide (``none``).
2. A late cancel made before the window (24 hours by default) is no late cancel: ``none``.
3. The practice moved or cancelled this appointment within the window: never charge (``waived``).
4. The client told us beforehand by any channel (a message received before the start,
   after the booking): ``waived``.
5. No-show: the client's first no-show (earlier ones that were excused by steps 3–4 do not
   count) is waived when the client is longstanding — at least 5 attended visits, or a client
   for at least 6 months. Late cancel: the first one is waived when the practice chose so.
6. Otherwise ``charged``, with the reason in words ("second no-show", "first no-show of a new
   client: 2 visits in 1 month").

The decision names its rule (``code``) so reports and the lost-clients reasons can count them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

NO_SHOW = "no_show"
LATE_CANCELLED = "late_cancelled"
ATTENDED = "attended"

WAIVED = "waived"
CHARGED = "charged"
NONE = "none"
ACTIONS = (WAIVED, CHARGED, NONE)

# Rules whose no-show or late cancel was no fault of the client: they do not make the next one
# a "second" one.
EXCUSED_CODES = frozenset({"practice_moved", "told_beforehand", "outside_window"})

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FeePolicy:
    """A practice's fees and kindness rules (defaults: the story's kindness)."""

    no_show_fee: Decimal | None = None
    late_cancel_fee: Decimal | None = None
    late_cancel_window: dt.timedelta = dt.timedelta(hours=24)
    waive_first_no_show: bool = True
    longstanding_visits: int = 5
    longstanding_months: int = 6
    waive_first_late_cancel: bool = False


@dataclass(frozen=True)
class EarlierAppointment:
    starts_at: dt.datetime
    status: str
    fee_code: str = ""  # the rule of its own fee decision, if it had one


@dataclass(frozen=True)
class FeeFacts:
    """What the policy needs to know about one appointment and its client."""

    status: str  # no_show or late_cancelled (anything else decides nothing)
    starts_at: dt.datetime
    booked_at: dt.datetime
    marked_at: dt.datetime  # when it was marked: the moment of a late cancel
    client_since: dt.datetime  # the first visit, or when the client was added
    appointment_fee: Decimal | None = None
    earlier: Sequence[EarlierAppointment] = ()
    moved_by_practice_at: dt.datetime | None = None
    told_at: dt.datetime | None = None  # the first message from the client before the start


@dataclass(frozen=True)
class FeeDecision:
    action: str  # waived, charged or none
    amount: Decimal
    reason: str
    code: str


def _fee(policy: FeePolicy, facts: FeeFacts) -> Decimal | None:
    own = policy.no_show_fee if facts.status == NO_SHOW else policy.late_cancel_fee
    fee = own if own is not None else facts.appointment_fee
    return fee if fee is not None and fee > 0 else None


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _span(since: dt.datetime, until: dt.datetime) -> str:
    """A relationship's length in words: "3 years", "7 months", "2 weeks"."""
    days = max(0, (until - since).days)
    if days >= 365:
        return _count(days // 365, "year")
    if days >= 30:
        return _count(days // 30, "month")
    if days >= 7:
        return _count(days // 7, "week")
    return _count(days, "day")


def _months_between(since: dt.datetime, until: dt.datetime) -> int:
    months = (until.year - since.year) * 12 + (until.month - since.month)
    if until.day < since.day:
        months -= 1
    return months


def _window_words(window: dt.timedelta) -> str:
    hours = int(window.total_seconds() // 3600)
    return _count(hours, "hour")


def decide_fee(policy: FeePolicy, facts: FeeFacts) -> FeeDecision:
    """The fee decision for an appointment marked no-show or late-cancelled (steps above)."""
    if facts.status not in (NO_SHOW, LATE_CANCELLED):
        return FeeDecision(NONE, ZERO, "Only a no-show or a late cancel can carry a fee.", "")
    what = "no-show" if facts.status == NO_SHOW else "late cancel"
    # 1. The fee.
    fee = _fee(policy, facts)
    if fee is None:
        return FeeDecision(NONE, ZERO, f"No {what} fee is set.", "no_fee")
    window_start = facts.starts_at - policy.late_cancel_window
    # 2. A cancel before the window is in good time.
    if facts.status == LATE_CANCELLED and facts.marked_at < window_start:
        return FeeDecision(
            NONE,
            ZERO,
            f"Cancelled more than {_window_words(policy.late_cancel_window)} ahead.",
            "outside_window",
        )
    # 3. The practice moved it late: never the client's fault.
    if facts.moved_by_practice_at is not None and facts.moved_by_practice_at >= window_start:
        return FeeDecision(
            WAIVED,
            fee,
            f"We moved this appointment less than {_window_words(policy.late_cancel_window)} before it.",
            "practice_moved",
        )
    # 4. The client told us before the start, by any channel.
    if facts.told_at is not None and facts.booked_at <= facts.told_at < facts.starts_at:
        return FeeDecision(
            WAIVED, fee, f"They let us know before the {what} by message.", "told_beforehand"
        )
    # 5. The first one of a longstanding client (or, if chosen, any client's first late cancel).
    before = [
        earlier
        for earlier in facts.earlier
        if earlier.starts_at < facts.starts_at and earlier.fee_code not in EXCUSED_CODES
    ]
    same_kind = [earlier for earlier in before if earlier.status == facts.status]
    visits = sum(1 for earlier in before if earlier.status == ATTENDED)
    span = _span(facts.client_since, facts.starts_at)
    history = f"{_count(visits, 'visit')} in {span}"
    if facts.status == NO_SHOW:
        if same_kind:
            ordinal = {1: "Second", 2: "Third"}.get(len(same_kind), f"No. {len(same_kind) + 1}")
            return FeeDecision(CHARGED, fee, f"{ordinal} no-show ({history}).", "repeat")
        longstanding = (
            visits >= policy.longstanding_visits
            or _months_between(facts.client_since, facts.starts_at) >= policy.longstanding_months
        )
        if policy.waive_first_no_show and longstanding:
            return FeeDecision(
                WAIVED,
                fee,
                f"First no-show in {span}, {_count(visits, 'visit')}.",
                "first_kindness",
            )
        if policy.waive_first_no_show:
            return FeeDecision(
                CHARGED, fee, f"First no-show of a new client ({history}).", "new_client"
            )
        return FeeDecision(CHARGED, fee, f"First no-show ({history}).", "policy")
    if not same_kind and policy.waive_first_late_cancel:
        return FeeDecision(
            WAIVED,
            fee,
            f"First late cancel in {span}, {_count(visits, 'visit')}.",
            "first_kindness",
        )
    if same_kind:
        return FeeDecision(
            CHARGED, fee, f"Late cancel after {_count(len(same_kind), 'earlier one')}.", "repeat"
        )
    return FeeDecision(CHARGED, fee, f"Late cancel within the window ({history}).", "policy")
