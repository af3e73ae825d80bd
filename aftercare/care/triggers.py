"""Care rule triggers: the planner's extension point (pure Python, no Django).

A trigger turns a client's facts into *occurrences*: the moments a care rule fires for that
client. The planner core (``care/planner.py``) knows nothing about appointments or birthdays;
it asks the trigger named by each rule, then places every occurrence at the rule's offset and
local time and applies the boundaries (quiet hours, contact budget, consent, lateness).

Adding a trigger (e.g. supplies: "a new medication was started")::

    from aftercare.care.triggers import Occurrence, register_trigger

    @register_trigger("supply_started", label="A supply was started")
    def supply_started(facts, rule, policy, now):
        return [
            Occurrence(f"supply{s.id}", s.started_on, detail=s.name)
            for s in facts.supplies  # filled by a fact loader, see care/reconcile.py
        ]

``facts.supplies`` reads ``facts.extra["supplies"]``, filled by a fact loader registered with
``aftercare.care.reconcile.register_fact_loader``; ``policy.absences`` works the same way through
``register_policy_loader``. A trigger may also set ``Occurrence.due_at`` to choose the exact
moment itself, or ``Occurrence.source`` to key the touchpoint by its source instead of the rule.
Adjusters (``register_adjuster``) post-process the desired touchpoints of a client before the
boundaries are applied (e.g. move re-order reminders before an absence).

Conditions (``register_condition``) are checks a rule's ``condition`` may name, such as
``{"has_tag": "sleep"}``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from aftercare.care.facts import (
    AppointmentFact,
    ClientFacts,
    PlannedTouchpoint,
    PracticePolicy,
    RuleSpec,
)
from aftercare.locales import DEFAULT_LOCALE, counted, format_date


class Occurrence(NamedTuple):
    """One moment a rule fires for a client.

    ``occurrence`` becomes the last part of the touchpoint key (``42:rule7:appt913``), so it
    must be stable: derived from the source record, never from the clock. ``day`` is the
    client-local date the rule's offset counts from. (A named tuple: the sweep makes one
    for every occurrence of every client.)
    """

    occurrence: str
    day: dt.date
    detail: str = ""
    context: Mapping[str, Any] = MappingProxyType({})
    due_at: dt.datetime | None = None  # set to bypass offset and local time
    source: str = ""  # key by source instead of rule ("42:supply5:reorder3")
    keep_day: bool = False  # quiet hours move it within its day, not to the next one
    essential: bool = False  # care that never waits for the contact budget (planner step 5e)


TriggerFunction = Callable[
    [ClientFacts, RuleSpec, PracticePolicy, dt.datetime], Sequence[Occurrence]
]
ConditionFunction = Callable[[ClientFacts, Any], bool]
Adjuster = Callable[
    [ClientFacts, PracticePolicy, list[PlannedTouchpoint], dt.datetime], list[PlannedTouchpoint]
]


@dataclass(frozen=True)
class TriggerOption:
    """One setting a trigger reads from ``rule.trigger_options``, described for forms and checks.

    ``kind`` says what the value is: ``yes_no`` (true or false; ``choices`` give the words for
    each and ``blank`` for "either"), ``number`` (a whole number from ``minimum`` to
    ``maximum``), ``text``, ``some_of`` (a list taken from ``choices``), ``visit_kind`` (a key
    of the practice's visit kinds) or ``resource`` (the id of one of the practice's resources).
    One name means one thing: every trigger that reads ``kind`` reads a visit kind.
    """

    name: str
    label: str
    kind: str
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    blank: str = ""
    minimum: int = 1
    maximum: int = 520
    default: Any = None


@dataclass(frozen=True)
class TriggerInfo:
    name: str
    label: str
    function: TriggerFunction
    options_help: str = ""
    # The trigger_options it reads; and whether it reads the rule's offset_days and local_time
    # (False: it chooses the moment itself, as a reminder a number of hours before a visit).
    options: tuple[TriggerOption, ...] = ()
    timed: bool = True


TRIGGERS: dict[str, TriggerInfo] = {}
CONDITIONS: dict[str, ConditionFunction] = {}
ADJUSTERS: list[Adjuster] = []


def register_trigger(
    name: str,
    *,
    label: str,
    options_help: str = "",
    options: Sequence[TriggerOption] = (),
    timed: bool = True,
) -> Callable[[TriggerFunction], TriggerFunction]:
    def decorate(function: TriggerFunction) -> TriggerFunction:
        TRIGGERS[name] = TriggerInfo(name, label, function, options_help, tuple(options), timed)
        return function

    return decorate


def trigger_options_by_name() -> dict[str, TriggerOption]:
    """Every option any trigger reads, by name, in the order triggers were registered."""
    found: dict[str, TriggerOption] = {}
    for info in TRIGGERS.values():
        for option in info.options:
            found.setdefault(option.name, option)
    return found


def register_condition(name: str) -> Callable[[ConditionFunction], ConditionFunction]:
    def decorate(function: ConditionFunction) -> ConditionFunction:
        CONDITIONS[name] = function
        return function

    return decorate


def register_adjuster(adjuster: Adjuster) -> Adjuster:
    if adjuster not in ADJUSTERS:
        ADJUSTERS.append(adjuster)
    return adjuster


def trigger_choices() -> list[tuple[str, str]]:
    return [(info.name, info.label) for info in TRIGGERS.values()]


# --- helpers -----------------------------------------------------------------------------------


def local_date(instant: dt.datetime, time_zone: str) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def day_text(day: dt.date, locale: str = DEFAULT_LOCALE) -> str:
    """A day as ``3 Mar 2027`` (en_GB), ``Mar 3, 2027`` (en_US): remembered per day, so the
    sweep pays for Babel once per day it meets, not once per client (see locales.py)."""
    return format_date(day, "j M Y", locale)


def same_day_in_year(day: dt.date, year: int) -> dt.date:
    """``day``'s month and day in ``year``; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def _appointment_occurrences(
    facts: ClientFacts,
    rule: RuleSpec,
    policy: PracticePolicy,
    now: dt.datetime,
    chosen: Iterable[tuple[AppointmentFact, str]],
    *,
    essential: Callable[[AppointmentFact], bool] = lambda appointment: False,
) -> list[Occurrence]:
    """One occurrence per chosen appointment (with the words for its title), keyed ``appt{id}``.

    Appointments too old to plan whose touchpoint is not stored are skipped before anything is
    built: only a shortcut for speed (a client has years of visits); the planner makes the exact
    check on the due time.
    """
    horizon = (
        policy.lookback + policy.lateness_limit(rule.kind) + dt.timedelta(days=2 + rule.offset_days)
    )
    cutoff = now - horizon
    stored_prefix = f"{facts.client_id}:rule{rule.id}:appt"
    occurrences = []
    for appointment, what in chosen:
        if (
            appointment.starts_at < cutoff
            and f"{stored_prefix}{appointment.id}" not in facts.existing
        ):
            continue
        day = local_date(appointment.starts_at, facts.time_zone)
        occurrences.append(
            Occurrence(
                f"appt{appointment.id}",
                day,
                detail=f"{what} on {day_text(day, policy.locale)}",
                context={"appointment_id": appointment.id},
                essential=essential(appointment),
            )
        )
    return occurrences


def _is_first_visit(facts: ClientFacts, appointment_id: int) -> bool:
    first = facts.first_attended()
    return first is not None and first.id == appointment_id


def _yearly(
    facts: ClientFacts,
    rule: RuleSpec,
    policy: PracticePolicy,
    now: dt.datetime,
    *,
    origin: dt.date,
    prefix: str,
    first_year: int,
    detail: Callable[[int], str],
) -> list[Occurrence]:
    """This year's and next year's occurrence of a yearly date (the planner drops stale ones)."""
    this_year = local_date(now, facts.time_zone).year
    return [
        Occurrence(f"{prefix}{year}", same_day_in_year(origin, year), detail=detail(year))
        for year in (this_year - 1, this_year, this_year + 1)
        if year >= first_year
    ]


# --- built-in triggers -------------------------------------------------------------------------

VISIT_KIND = TriggerOption(
    "kind", "Only visits of the kind", "visit_kind", blank="Any kind of visit"
)
FIRST_VISIT = TriggerOption(
    "first_visit",
    "Which visits",
    "yes_no",
    choices=(("yes", "Only the first visit"), ("no", "All but the first")),
    blank="Any visit",
)
WEEKS_HELP = "Recall: weeks without a visit. Every few weeks: how many weeks apart."


@register_trigger(
    "appointment_attended",
    label="An appointment was attended",
    options_help='{"first_visit": true} only the first visit, false all others; {"kind": "follow_up"}',
    options=(FIRST_VISIT, VISIT_KIND),
)
def appointment_attended(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    first_visit = rule.trigger_options.get("first_visit")
    kind = rule.trigger_options.get("kind")
    chosen = []
    for appointment in facts.attended():
        is_first = _is_first_visit(facts, appointment.id) or appointment.kind == "first_visit"
        if first_visit is not None and bool(first_visit) != is_first:
            continue
        if kind and appointment.kind != kind:
            continue
        chosen.append((appointment, "first visit" if is_first else "visit"))
    # Asking after a first visit is care no budget should delay (planner step 6f).
    return _appointment_occurrences(
        facts,
        rule,
        policy,
        now,
        chosen,
        essential=lambda appointment: (
            _is_first_visit(facts, appointment.id) or appointment.kind == "first_visit"
        ),
    )


@register_trigger(
    "appointment_no_show",
    label="A client did not come to an appointment",
    options_help='{"kind": "first_visit"} only appointments of that kind',
    options=(VISIT_KIND,),
)
def appointment_no_show(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    kind = rule.trigger_options.get("kind")
    chosen = [
        (appointment, "missed appointment")
        for appointment in facts.appointments
        if appointment.status == "no_show" and (not kind or appointment.kind == kind)
    ]
    return _appointment_occurrences(facts, rule, policy, now, chosen)


@register_trigger(
    "appointment_booked",
    label="An appointment is booked (use a negative offset for days before it)",
    options_help='{"kind": "follow_up"} only appointments of that kind',
    options=(VISIT_KIND,),
)
def appointment_booked(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    """Each booked appointment: with ``offset_days`` -1, the day before every visit.

    An appointment that is cancelled, or attended before its touchpoint went out, no longer
    fires, so what was planned for it is cancelled with the reason.
    """
    kind = rule.trigger_options.get("kind")
    chosen = [
        (appointment, "visit")
        for appointment in facts.appointments
        if appointment.status == "booked"
        and appointment.starts_at > now
        and (not kind or appointment.kind == kind)
    ]
    return _appointment_occurrences(facts, rule, policy, now, chosen)


@register_trigger(
    "before_appointment",
    label="A time before a booked appointment (a reminder)",
    options_help='{"hours": 24} how long before it (default 24); {"kind": "follow_up"}',
    options=(
        TriggerOption("hours", "Hours before the visit", "number", maximum=24 * 60, default=24),
        VISIT_KIND,
    ),
    timed=False,
)
def before_appointment(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    """Each booked appointment, ``hours`` before it starts (the reminder).

    The due time follows the appointment: moved, it is re-planned for the new time (same key);
    cancelled, the reminder is cancelled with the reason. An appointment booked later than
    ``hours`` before it is reminded at once (the planner sends it while still useful).
    """
    hours = float(rule.trigger_options.get("hours", 24))
    occurrences = []
    for appointment in _upcoming_booked(facts, rule, now):
        day = local_date(appointment.starts_at, facts.time_zone)
        occurrences.append(
            Occurrence(
                f"appt{appointment.id}",
                day,
                detail=f"visit on {day_text(day, policy.locale)}",
                context={"appointment_id": appointment.id},
                due_at=max(appointment.starts_at - dt.timedelta(hours=hours), now),
                essential=True,
            )
        )
    return occurrences


def _upcoming_booked(facts: ClientFacts, rule: RuleSpec, now: dt.datetime) -> list[AppointmentFact]:
    """The client's booked appointments still to come, of the rule's kind if it names one."""
    kind = rule.trigger_options.get("kind")
    return [
        appointment
        for appointment in facts.appointments
        if appointment.status == "booked"
        and appointment.starts_at > now
        and (not kind or appointment.kind == kind)
    ]


@register_trigger(
    "appointment_moved",
    label="A booked appointment was moved to another time (tell the client)",
    options_help='{"kind": "follow_up"} only appointments of that kind',
    options=(VISIT_KIND,),
    timed=False,
)
def appointment_moved(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    """Each upcoming booked appointment the practice moved, at the moment it was moved.

    Keyed by the appointment and the moment of the move (``appt913-moved1764502200``): saving
    it again without a new time fires nothing new, and a second move before the first notice
    went replaces it (the planner cancels the one no longer wanted), so the client hears of the
    latest time once. Moved back into the past or cancelled, nothing is sent.
    """
    occurrences = []
    for appointment in _upcoming_booked(facts, rule, now):
        moved_at = appointment.moved_at
        if moved_at is None:
            continue
        day = local_date(appointment.starts_at, facts.time_zone)
        occurrences.append(
            Occurrence(
                f"appt{appointment.id}-moved{int(moved_at.timestamp())}",
                local_date(moved_at, facts.time_zone),
                detail=f"visit moved to {day_text(day, policy.locale)}",
                context={"appointment_id": appointment.id},
                due_at=moved_at,
                essential=True,
            )
        )
    return occurrences


@register_trigger(
    "every_weeks",
    label="Every few weeks while the client comes to visits",
    options_help='{"weeks": 4}',
    options=(TriggerOption("weeks", "Weeks", "number", help=WEEKS_HELP, default=4),),
)
def every_weeks(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    """Every ``weeks`` weeks from the first attended visit, while the client is in care.

    In care: up to ``weeks`` weeks after the last attended visit or the latest booked one, so a
    client who stopped coming gets at most one more. Only the occurrences around now are
    returned (the one just past, which may still be due, and the next), keyed by their number
    (``every4w-3``) so they never move when visits are added.
    """
    first = facts.first_attended()
    if first is None:
        return []
    weeks = int(rule.trigger_options.get("weeks", 4))
    period = dt.timedelta(weeks=weeks)
    start = local_date(first.starts_at, facts.time_zone)
    last_visit = max(
        (a.starts_at for a in facts.appointments if a.status in {"attended", "booked"}),
        default=first.starts_at,
    )
    until = local_date(last_visit, facts.time_zone) + period
    today = local_date(now, facts.time_zone)
    current = max(1, (today - start) // period)
    occurrences = []
    for number in (current, current + 1):
        day = start + period * number
        if day > until:
            break
        occurrences.append(
            Occurrence(
                f"every{weeks}w-{number}",
                day,
                detail=f"every {counted(weeks, 'week', 'weeks', policy.locale)} since the first visit ({day_text(start, policy.locale)})",
                context={"weeks": weeks},
            )
        )
    return occurrences


@register_trigger(
    "recall",
    label="No visit for some weeks since the last one, and none booked",
    options_help='{"weeks": 8}',
    options=(TriggerOption("weeks", "Weeks", "number", help=WEEKS_HELP, default=8),),
)
def recall(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    attended = facts.attended()
    if not attended:
        return []
    last = attended[-1]
    booked_later = any(
        a.status == "booked" and a.starts_at > last.starts_at for a in facts.appointments
    )
    if booked_later:
        return []
    weeks = int(rule.trigger_options.get("weeks", 8))
    last_day = local_date(last.starts_at, facts.time_zone)
    return [
        Occurrence(
            f"recall-appt{last.id}",
            last_day + dt.timedelta(weeks=weeks),
            detail=f"no visit since {day_text(last_day, policy.locale)}",
            context={"appointment_id": last.id, "weeks": weeks},
        )
    ]


@register_trigger("birthday", label="The client's birthday")
def birthday(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    born = facts.birth_date
    if born is None:
        return []
    return _yearly(
        facts,
        rule,
        policy,
        now,
        origin=born,
        prefix="birthday",
        first_year=born.year + 1,
        detail=lambda year: f"birthday {year}",
    )


@register_trigger("first_visit_anniversary", label="The anniversary of the first visit")
def first_visit_anniversary(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    first = facts.first_attended()
    if first is None:
        return []
    origin = local_date(first.starts_at, facts.time_zone)
    return _yearly(
        facts,
        rule,
        policy,
        now,
        origin=origin,
        prefix="anniversary",
        first_year=origin.year + 1,
        detail=lambda year: (
            f"{year - origin.year} year{'' if year - origin.year == 1 else 's'} "
            "since the first visit"
        ),
    )


def event_occurrences(
    events: Sequence[Any],
    facts: ClientFacts,
    prefix: str,
    wanted: str,
    what: str,
    locale: str = DEFAULT_LOCALE,
) -> list[Occurrence]:
    """One occurrence per event (``EventFact``), keyed ``<prefix><event id>``; ``wanted`` filters
    by id or label (empty: every event). For triggers on one-off events: a tag, a share, a referral.
    """
    occurrences = []
    for event in events:
        if wanted and wanted not in {event.id, event.label}:
            continue
        day = local_date(event.at, facts.time_zone)
        occurrences.append(
            Occurrence(
                f"{prefix}{event.id}",
                day,
                detail=f"{what} {event.label or event.id} on {day_text(day, locale)}",
                context={f"{prefix}_id": event.id},
            )
        )
    return occurrences


@register_trigger(
    "tag_added",
    label="A tag was added",
    options_help='{"tag": "sleep"}',
    options=(TriggerOption("tag", "Tag", "text", help="Empty: any tag"),),
)
def tag_added(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    return event_occurrences(
        facts.tags,
        facts,
        "tag",
        str(rule.trigger_options.get("tag", "")),
        "tagged",
        policy.locale,
    )


@register_trigger(
    "resource_assigned",
    label="A resource was shared",
    options_help='{"resource": "12"}',
    options=(TriggerOption("resource", "Which resource", "resource", blank="Any resource"),),
)
def resource_assigned(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    return event_occurrences(
        facts.resources,
        facts,
        "resource",
        str(rule.trigger_options.get("resource", "")),
        "shared",
        policy.locale,
    )


# --- built-in conditions -----------------------------------------------------------------------


@register_condition("has_tag")
def has_tag(facts: ClientFacts, value: Any) -> bool:
    return any(tag.id == value for tag in facts.tags)


@register_condition("lacks_tag")
def lacks_tag(facts: ClientFacts, value: Any) -> bool:
    return not has_tag(facts, value)


@register_condition("min_attended")
def min_attended(facts: ClientFacts, value: Any) -> bool:
    return len(facts.attended()) >= int(value)


@register_condition("max_attended")
def max_attended(facts: ClientFacts, value: Any) -> bool:
    return len(facts.attended()) <= int(value)
