"""The planner: which touchpoints should exist for one client (pure Python, no Django).

``plan(facts, rules, policy, now)`` is a pure function: the same input always gives the same
output, so reconciliation can run it after every change and the sweep can run it for every
client without ever duplicating or losing a touchpoint. The sweep plans a batch with one
``Planner(rules, policy, now)``, which does the per-rule work once for all its clients.

The algorithm:

1. An archived client gets nothing.
2. For each enabled rule whose condition holds, the rule's trigger (``care/triggers.py``)
   yields occurrences; each becomes a touchpoint keyed ``{client}:{rule7|source}:{occurrence}``
   and due on the occurrence's local day plus the rule's offset, at the rule's local time in
   the client's time zone (so 09:00 stays 09:00 across daylight-saving changes).
3. Touchpoints already sent, done, skipped or expired are history and are left out; ``due``
   ones stay as they are. Occurrences older than their lateness limit plus the policy's
   lookback are history from before anyone planned them and are left out too.
4. One act of care per visit: when several rules plan the same kind of touchpoint for the
   same visit (the general "after a visit" check-in and one for that visit kind), the most
   specific rule wins (a visit kind beats first-visit-or-not, then each condition counts;
   then the higher value, then the older rule); one already sent, done or due for that visit
   stops the others.
5. Adjusters registered by other features (absences, messaging) may move or add touchpoints.
6. Boundaries, each recording why in ``held_back_reason``:
   a. a message to an opted-out client, without consent for its purpose or without any
      channel is *blocked*: kept, but skipped when due if still blocked;
   b. a touchpoint past its kind's lateness limit is *expired* with the reason;
   c. a message inside a pause moves to the end of the pause;
   d. a message inside quiet hours (client local time) moves to the end of quiet hours; one
      that must keep its day (``keep_day``, e.g. a re-order reminder placed before an absence)
      moves to the end of that day's quiet hours, or goes at once, rather than into the next;
   e. bundling: an email due within a day of another planned email to the client goes with
      it, as one message (at most ``BUNDLE_LIMIT`` parts; a celebration never goes early, a
      ``keep_day`` message only on its own day);
   f. the contact budget protects clients from noise, never from care: at most N automated
      messages in any D days, where a message is held back only by messages that matter at
      least as much (sent ones included; a bundle counts once). Essential care (a first-visit
      or new-medication check-in, a re-order reminder, an absence notice) is never held back.
      A message goes to the first moment that fits and is outside quiet hours — unless that is
      past its lateness limit: then it joins a message it can be bundled with before then, or
      goes at its time over the budget, saying so. Held, bundled or sent: never dropped.

Messages are placed most important first (essential, then by value), so each one sees the
times of everything that matters more.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aftercare.care.facts import (
    HISTORY_STATUSES,
    MESSAGE,
    ClientFacts,
    ExistingTouchpoint,
    PlannedTouchpoint,
    PracticePolicy,
    RuleSpec,
)
from aftercare.care.triggers import (
    ADJUSTERS,
    CONDITIONS,
    TRIGGERS,
    Occurrence,
    TriggerFunction,
)

PURPOSE_NAMES = {
    "care": "care messages",
    "information": "useful information",
    "celebrations": "celebrations",
}
# Step 6e: messages to one client within this long of each other go as one, on email (an SMS
# or WhatsApp message stays short and on its own), at most this many together.
BUNDLE_WINDOW = dt.timedelta(days=1)
BUNDLE_CHANNELS = frozenset({"email"})
BUNDLE_LIMIT = 3
# Step 4: a sent, done or due touchpoint of a visit stops other rules' ones of the same kind.
TAKEN_STATUSES = frozenset({"sent", "done", "due"})
ESSENTIAL_VALUE = 101  # above any rule's value (0–100): essential care outranks everything


def plan(
    facts: ClientFacts, rules: Sequence[RuleSpec], policy: PracticePolicy, now: dt.datetime
) -> list[PlannedTouchpoint]:
    """The touchpoints that should exist for this client as of ``now``, sorted by due time."""
    return Planner(rules, policy, now).plan(facts)


@dataclass(frozen=True)
class _PreparedRule:
    """A rule with what does not depend on the client worked out once (``Planner``)."""

    rule: RuleSpec
    trigger: TriggerFunction
    key_part: str  # "rule7": a touchpoint key's middle part when the occurrence names no source
    offset: dt.timedelta
    # Occurrences whose day is before this are far older than any lateness limit: skipped
    # before the (costlier) due time is worked out. The exact check is ``stale_before``.
    ancient_day: dt.date
    stale_before: dt.datetime


class Planner:
    """``plan()`` for many clients under the same rules, policy and instant (the sweep's batches).

    Everything that depends only on the rules, the policy and ``now`` — which triggers are
    installed, each rule's cutoffs — is worked out once here, not once per client; ``plan``
    stays a pure function of its inputs.
    """

    def __init__(self, rules: Sequence[RuleSpec], policy: PracticePolicy, now: dt.datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("plan() needs an aware 'now'")
        self.policy = policy
        self.now = now
        self.rules: list[_PreparedRule] = []
        self.specificity = {rule.id: specificity(rule) for rule in rules}
        for rule in rules:
            info = TRIGGERS.get(rule.trigger)
            if not rule.enabled or info is None:
                continue  # off, or a trigger whose feature is not installed: the rule waits
            too_old = now - policy.lookback - policy.lateness_limit(rule.kind)
            self.rules.append(
                _PreparedRule(
                    rule=rule,
                    trigger=info.function,
                    key_part=f"rule{rule.id}",
                    offset=dt.timedelta(days=rule.offset_days),
                    ancient_day=too_old.date() - dt.timedelta(days=2),
                    stale_before=too_old,
                )
            )

    def plan(self, facts: ClientFacts) -> list[PlannedTouchpoint]:
        """Steps 1–5 of the module docstring for one client."""
        if facts.archived:
            return []
        policy, now = self.policy, self.now
        tz = zoneinfo.ZoneInfo(facts.time_zone or policy.time_zone)
        existing = facts.existing
        desired: dict[str, PlannedTouchpoint] = {}
        for prepared in self.rules:
            rule = prepared.rule
            if rule.condition and not condition_holds(facts, rule):
                continue
            for occurrence in prepared.trigger(facts, rule, policy, now):
                source = occurrence.source or prepared.key_part
                key = f"{facts.client_id}:{source}:{occurrence.occurrence}"
                if key in desired:
                    continue
                stored = existing.get(key)
                if stored is None:
                    if (
                        occurrence.due_at is None
                        and occurrence.day + prepared.offset < prepared.ancient_day
                    ):
                        continue
                elif stored.status in HISTORY_STATUSES:
                    continue
                touchpoint = _touchpoint(facts, prepared, occurrence, tz, key)
                if stored is not None and stored.status == "due":
                    desired[key] = touchpoint.with_changes(status="due", due_at=stored.due_at)
                elif stored is not None or touchpoint.due_at >= prepared.stale_before:
                    desired[key] = touchpoint
        if desired:
            _one_act_per_visit(desired, existing, self.specificity)
        touchpoints = list(desired.values())
        for adjuster in ADJUSTERS:
            touchpoints = adjuster(facts, policy, touchpoints, now)
        touchpoints = apply_boundaries(facts, policy, touchpoints, now, tz)
        return sorted(touchpoints, key=lambda t: (t.due_at, t.key))


def specificity(rule: RuleSpec) -> tuple[int, int, int]:
    """How narrowly a rule picks its visits (step 4): a visit kind, first visit or not, each
    condition; then its value; then the older rule (the smaller id)."""
    options = rule.trigger_options
    narrowness = 2 * ("kind" in options) + ("first_visit" in options) + len(rule.condition)
    return (narrowness, rule.value, -rule.id)


def _one_act_per_visit(
    desired: dict[str, PlannedTouchpoint],
    existing: Mapping[str, ExistingTouchpoint],
    ranks: Mapping[int, tuple[int, int, int]],
) -> None:
    """Step 4: keep one touchpoint of each kind per visit (``appt…`` occurrences), in place."""
    groups: dict[tuple[str, str], list[PlannedTouchpoint]] = defaultdict(list)
    for touchpoint in desired.values():
        occurrence = touchpoint.key.rpartition(":")[2]
        if occurrence.startswith("appt"):
            groups[(touchpoint.kind, occurrence)].append(touchpoint)
    if not groups:
        return
    taken = {
        (stored.kind, stored.key.rpartition(":")[2])
        for stored in existing.values()
        if stored.status in TAKEN_STATUSES and stored.kind
    }
    lowest = (-1, -1, 0)
    for group, members in groups.items():
        due = [member for member in members if member.status == "due"]
        if due:
            keep: PlannedTouchpoint | None = due[0]
        elif group in taken:
            keep = None  # another rule's touchpoint for this visit went out or is going
        elif len(members) == 1:
            continue
        else:
            keep = max(members, key=lambda member: ranks.get(member.rule_id or 0, lowest))
        for member in members:
            if member is not keep:
                del desired[member.key]


def condition_holds(facts: ClientFacts, rule: RuleSpec) -> bool:
    """Every check named in the rule's condition holds; an unknown check never holds."""
    for name, value in rule.condition.items():
        check = CONDITIONS.get(name)
        if check is None or not check(facts, value):
            return False
    return True


def local_moment(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """``time`` on ``day`` in ``tz`` as an aware UTC datetime.

    A time that does not exist (clocks jump forward) comes out one hour later, the way a
    wall clock shows it; an ambiguous one (clocks go back) is the first of the two.
    """
    naive = dt.datetime.combine(day, time.replace(tzinfo=None))
    return naive.replace(tzinfo=tz).astimezone(dt.UTC)


def _touchpoint(
    facts: ClientFacts,
    prepared: _PreparedRule,
    occurrence: Occurrence,
    tz: dt.tzinfo,
    key: str,
) -> PlannedTouchpoint:
    rule = prepared.rule
    if occurrence.due_at is not None:
        due_at = occurrence.due_at.astimezone(dt.UTC)
    else:
        due_at = local_moment(occurrence.day + prepared.offset, rule.local_time, tz)
    title = f"{rule.name}: {occurrence.detail}" if occurrence.detail else rule.name
    return PlannedTouchpoint(
        key=key,
        client_id=facts.client_id,
        rule_id=rule.id,
        kind=rule.kind,
        action=rule.action,
        template_key=rule.template_key,
        purpose=rule.purpose,
        channel=facts.channel if rule.action == MESSAGE else "",
        title=title[:200],
        due_at=due_at,
        value=rule.value,
        estimated_minutes=rule.estimated_minutes,
        keep_day=occurrence.keep_day,
        # Essential care is care: information and celebrations wait for the budget like noise.
        essential=occurrence.essential and rule.purpose == "care",
        context={
            "trigger": rule.trigger,
            **occurrence.context,
            # The worker shares this resource (re-checked then) when it writes the message.
            **({"resource_id": rule.resource_id} if rule.resource_id else {}),
        },
    )


# --- boundaries --------------------------------------------------------------------------------


def in_quiet_hours(local: dt.time, start: dt.time, end: dt.time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def leave_quiet_hours(instant: dt.datetime, tz: dt.tzinfo, policy: PracticePolicy) -> dt.datetime:
    """``instant`` if it is outside quiet hours, else the end of those quiet hours."""
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    local = instant.astimezone(tz)
    if not in_quiet_hours(local.time(), start, end):
        return instant
    # The end of quiet hours on this day or a later one. A day whose end time falls in a
    # daylight-saving gap yields a later wall time that may still be quiet (e.g. quiet hours
    # 01:01–01:00 on the night 01:00 is skipped): then the next day's end is the answer.
    for days in range(4):
        candidate = local_moment(local.date() + dt.timedelta(days=days), end, tz)
        if candidate > instant and not in_quiet_hours(candidate.astimezone(tz).time(), start, end):
            return candidate
    raise AssertionError(
        f"no moment outside quiet hours {start}–{end} within four days"
    )  # pragma: no cover


def stay_in_day_out_of_quiet_hours(
    instant: dt.datetime, tz: dt.tzinfo, policy: PracticePolicy, now: dt.datetime
) -> dt.datetime:
    """For a touchpoint that must keep its day: the end of quiet hours on that same local day
    (earlier or later) if that is outside quiet hours and not yet past, else at once if that is
    still on the day and outside quiet hours; only when neither is left, as
    ``leave_quiet_hours``. A reminder due 21:00 with quiet hours 20:00–08:00 goes at 08:00 that
    day, not 08:00 the next, which may be the first day of an absence."""
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    local = instant.astimezone(tz)
    if not in_quiet_hours(local.time(), start, end):
        return instant
    same_day = local_moment(local.date(), end, tz)
    if (
        same_day >= now
        and same_day.astimezone(tz).date() == local.date()
        and not in_quiet_hours(same_day.astimezone(tz).time(), start, end)
    ):
        return same_day
    # That end has passed: now, if it is still the same day and outside quiet hours.
    local_now = now.astimezone(tz)
    if (
        now < instant
        and local_now.date() == local.date()
        and not in_quiet_hours(local_now.time(), start, end)
    ):
        return now
    return leave_quiet_hours(instant, tz, policy)


def blocked_reason(facts: ClientFacts, touchpoint: PlannedTouchpoint) -> str:
    if facts.opted_out:
        return "The client opted out of automated messages."
    if touchpoint.purpose not in facts.consents:
        name = PURPOSE_NAMES.get(touchpoint.purpose, touchpoint.purpose)
        return f"No consent for {name}."
    if not touchpoint.channel:
        return "No email address or mobile number to reach the client."
    return ""


def _local_text(instant: dt.datetime, tz: dt.tzinfo) -> str:
    return f"{instant.astimezone(tz):%Y-%m-%d %H:%M}"


def apply_boundaries(
    facts: ClientFacts,
    policy: PracticePolicy,
    touchpoints: Iterable[PlannedTouchpoint],
    now: dt.datetime,
    tz: dt.tzinfo,
) -> list[PlannedTouchpoint]:
    """Steps 6a–6f of the module docstring."""
    result: list[PlannedTouchpoint] = []
    to_place: list[PlannedTouchpoint] = []
    # (time, value) of every automated message that counts against the budget, sorted.
    counted: list[tuple[dt.datetime, int]] = [
        (sent.at.astimezone(dt.UTC), sent.value) for sent in facts.sent_messages
    ]
    for touchpoint in touchpoints:
        if touchpoint.status == "due":
            if touchpoint.action == MESSAGE:
                counted.append((touchpoint.due_at, _weight(touchpoint)))
            result.append(touchpoint)
            continue
        limit = policy.lateness_limit(touchpoint.kind)
        if now > touchpoint.due_at + limit:
            days = limit.days or 1
            result.append(
                touchpoint.with_changes(
                    status="expired",
                    status_reason=(
                        f"More than {days} day{'s' if days != 1 else ''} late "
                        f"(was due {_local_text(touchpoint.due_at, tz)}): "
                        f"a late {touchpoint.kind.replace('_', ' ')} does more harm than good."
                    )[:300],
                )
            )
            continue
        if touchpoint.action != MESSAGE:
            result.append(touchpoint)
            continue
        reason = blocked_reason(facts, touchpoint)
        if reason:
            result.append(touchpoint.with_changes(blocked=True, held_back_reason=reason))
            continue
        to_place.append(touchpoint)

    counted.sort()
    placement = _Placement(facts, policy, now, tz, counted)
    for touchpoint in sorted(to_place, key=lambda t: (-_weight(t), t.due_at, t.key)):
        result.append(placement.place(touchpoint))
    return result


def _weight(touchpoint: PlannedTouchpoint) -> int:
    return ESSENTIAL_VALUE if touchpoint.essential else touchpoint.value


class _Placement:
    """Steps 6c–6f for one client's live messages, most important first."""

    def __init__(
        self,
        facts: ClientFacts,
        policy: PracticePolicy,
        now: dt.datetime,
        tz: dt.tzinfo,
        counted: list[tuple[dt.datetime, int]],
    ) -> None:
        self.facts, self.policy, self.now, self.tz = facts, policy, now, tz
        self.counted = counted
        self.budget = policy.contact_budget_messages
        self.window = dt.timedelta(days=policy.contact_budget_days)
        self.primaries: list[PlannedTouchpoint] = []  # placed messages others may join
        self.parts: dict[str, int] = {}  # a primary's key → how many messages it carries

    def place(self, touchpoint: PlannedTouchpoint) -> PlannedTouchpoint:
        policy, tz = self.policy, self.tz
        reasons: list[str] = []
        due_at = touchpoint.due_at
        if self.facts.paused_until is not None and due_at < self.facts.paused_until:
            due_at = self.facts.paused_until.astimezone(dt.UTC)
            reasons.append(f"messages paused until {_local_text(due_at, tz)}")
        due_at = self._out_of_quiet_hours(touchpoint, due_at, reasons)
        weight = _weight(touchpoint)
        partner = self._partner(touchpoint, due_at, due_at - BUNDLE_WINDOW, due_at + BUNDLE_WINDOW)
        if partner is None and not touchpoint.essential and self._budget_applies():
            times = [at for at, value in self.counted if value >= weight]
            budgeted = _fit_budget(due_at, times, self.budget, self.window, tz, policy)
            latest = touchpoint.due_at + policy.lateness_limit(touchpoint.kind)
            if budgeted <= latest:
                if budgeted != due_at:
                    reasons.append(self._budget_words())
                    due_at = budgeted
            else:
                # Held back that long it would come too late: join a message before then, or
                # go over the budget. Never dropped.
                partner = self._partner(touchpoint, due_at, due_at, latest)
                if partner is None:
                    reasons.append(
                        f"over the {self._budget_words()}, sent anyway: held back any longer "
                        f"it would come too late"
                    )
        if partner is not None:
            self.parts[partner.key] += 1
            reasons.append(f"sent together with “{partner.title}” in one message")
            placed = touchpoint.with_changes(
                due_at=partner.due_at,
                context={**touchpoint.context, "bundle_with": partner.key},
            )
            return _with_reasons(placed, touchpoint.due_at, reasons, tz)
        bisect.insort(self.counted, (due_at, weight))
        placed = (
            touchpoint.with_changes(due_at=due_at) if due_at != touchpoint.due_at else touchpoint
        )
        if placed.channel in BUNDLE_CHANNELS:
            self.primaries.append(placed)
            self.parts[placed.key] = 1
        return _with_reasons(placed, touchpoint.due_at, reasons, tz)

    def _budget_applies(self) -> bool:
        return self.budget >= 1 and self.window > dt.timedelta(0)

    def _budget_words(self) -> str:
        budget = self.budget
        return (
            f"contact budget (at most {budget} automated message"
            f"{'s' if budget != 1 else ''} in {self.policy.contact_budget_days} days)"
        )

    def _out_of_quiet_hours(
        self, touchpoint: PlannedTouchpoint, due_at: dt.datetime, reasons: list[str]
    ) -> dt.datetime:
        policy = self.policy
        if touchpoint.keep_day:
            moved = stay_in_day_out_of_quiet_hours(due_at, self.tz, policy, self.now)
        else:
            moved = leave_quiet_hours(due_at, self.tz, policy)
        if moved != due_at:
            reasons.append(
                f"quiet hours ({policy.quiet_hours_start:%H:%M}–{policy.quiet_hours_end:%H:%M})"
            )
        return moved

    def _partner(
        self,
        touchpoint: PlannedTouchpoint,
        due_at: dt.datetime,
        earliest: dt.datetime,
        latest: dt.datetime,
    ) -> PlannedTouchpoint | None:
        """The placed message nearest ``due_at`` within [earliest, latest] it may join (6e)."""
        if touchpoint.channel not in BUNDLE_CHANNELS or touchpoint.context.get("bundle_with"):
            return None
        if touchpoint.purpose == "celebrations":
            earliest = max(earliest, due_at)  # a birthday card never goes early
        own_day = due_at.astimezone(self.tz).date() if touchpoint.keep_day else None
        best: PlannedTouchpoint | None = None
        for primary in self.primaries:
            at = primary.due_at
            if not earliest <= at <= latest or primary.channel != touchpoint.channel:
                continue
            if self.parts[primary.key] >= BUNDLE_LIMIT or at < self.now:
                continue
            if own_day is not None and at.astimezone(self.tz).date() != own_day:
                continue
            if best is None or abs(at - due_at) < abs(best.due_at - due_at):
                best = primary
        return best


def _with_reasons(
    touchpoint: PlannedTouchpoint, planned_at: dt.datetime, reasons: list[str], tz: dt.tzinfo
) -> PlannedTouchpoint:
    if not reasons:
        return touchpoint
    if touchpoint.due_at == planned_at:
        text = f"{'; '.join(reasons).capitalize()}."
    else:
        text = (
            f"Moved from {_local_text(planned_at, tz)} to "
            f"{_local_text(touchpoint.due_at, tz)}: {'; '.join(reasons)}."
        )
    return touchpoint.with_changes(held_back_reason=text[:300])


def _fit_budget(
    due_at: dt.datetime,
    times: list[dt.datetime],
    budget: int,
    window: dt.timedelta,
    tz: dt.tzinfo,
    policy: PracticePolicy,
) -> dt.datetime:
    """The first moment at or after ``due_at`` where one more message keeps every window within budget.

    A window count only drops when an earlier message leaves it, so the candidates are
    ``p + window`` for messages ``p`` near ``due_at``; each candidate also leaves quiet hours.
    """
    candidate = due_at
    while _over_budget(candidate, times, budget, window):
        low = bisect.bisect_right(times, candidate - window)
        nearby = [p + window for p in times[low:] if p + window > candidate]
        candidate = leave_quiet_hours(min(nearby), tz, policy)
    return candidate


def _over_budget(
    candidate: dt.datetime, times: list[dt.datetime], budget: int, window: dt.timedelta
) -> bool:
    """Would a message at ``candidate`` make any window of length ``window`` hold more than ``budget``?"""
    low = bisect.bisect_right(times, candidate - window)
    high = bisect.bisect_right(times, candidate)
    # Every window containing the candidate can be shifted to start at the candidate or at
    # an earlier message without losing messages, so these starts cover the worst case.
    for start in [*times[low:high], candidate]:
        count = bisect.bisect_left(times, start + window) - bisect.bisect_left(times, start)
        if count + 1 > budget:  # the candidate itself lies in every one of these windows
            return True
    return False
