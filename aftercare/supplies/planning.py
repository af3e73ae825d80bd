"""Supplies in the care planner: facts, triggers and default rules (pure Python, no Django).

Registered with the care engine's trigger registry (``care/triggers.py``) from
``SuppliesConfig.ready()``; the facts come from ``supplies/loaders.py`` (``facts.supplies``)
and ``policy.absences`` from the absences app.

Triggers:

- ``supply_started`` — a new supply of the kinds in ``{"kinds": [...]}`` was started: a
  side-effects check-in ``offset_days`` later (default rules: medication 3 days, remedy 7).
- ``supply_reorder`` — the re-order reminders of an active supply: the first on the day
  ``projection.plan_reorder`` chooses (run-out − lead time − buffer, kept out of the client's
  practitioner's absences), and a second halfway to the order-by day for a client who has not
  ordered by then. The rule's offset is not added: the reminder days are the plan's. Keyed by
  supply and start day, so a new supply cycle gets new reminders and a changed dose moves the
  planned ones. A supply re-order requested, re-ordered or stopped has none. A reminder never
  names a day already past: when the order-by day has come it says "order today".
- ``supply_reorder_overdue`` — a task for the practitioner when the client has still not
  ordered on the day before the last day an order can be ready in time (the *last call*,
  before any absence; at once when that has passed).
- ``supply_reorder_requested`` — a task for the practitioner when a client asks to re-order a
  supply the practice (or a pharmacy) prepares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aftercare.care.triggers import Occurrence, TriggerOption, local_date, register_trigger
from aftercare.locales import DEFAULT_LOCALE, counted, format_date
from aftercare.supplies.projection import (
    DEFAULT_BUFFER_DAYS,
    last_call_on,
    plan_reorder,
    second_reminder_on,
)


@dataclass(frozen=True)
class SupplyFact:
    id: int
    name: str
    kind: str
    prepared_by: str
    started_on: dt.date
    runs_out_on: dt.date | None
    lead_time_days: int
    status: str
    reorder_requested_at: dt.datetime | None = None
    # The one-tap re-order link (signed; valid for one supply cycle). Not compared: it is made
    # from the fields above and its signature carries the moment it was signed, so the
    # sweep's fingerprint of a client (care/fingerprints.py) leaves it out.
    reorder_url: str = field(default="", compare=False)


def day_text(day: dt.date, locale: str = DEFAULT_LOCALE) -> str:
    """A date as a client reads it: "Monday, 1 March 2027" (en_GB), "Monday, March 1, 2027"
    (en_US), "Montag, 1. März 2027" (de_DE)."""
    return format_date(day, "l j F Y", locale)


def supplies_of(facts: Any) -> Sequence[SupplyFact]:
    return tuple(facts.extra.get("supplies", ()))


def absence_ranges_for(facts: Any, policy: Any) -> list[tuple[dt.date, dt.date]]:
    """The client's practitioner's absences (not cancelled) as date ranges."""
    absences: Mapping[int, Sequence[Any]] = policy.extra.get("absences", {})
    return [
        (a.first_day, a.last_day)
        for a in absences.get(facts.practitioner_id, ())
        if not a.cancelled
    ]


def supply_started(facts: Any, rule: Any, policy: Any, now: dt.datetime) -> list[Any]:

    kinds = rule.trigger_options.get("kinds") or ["medication", "remedy"]
    return [
        Occurrence(
            f"supply{supply.id}from{supply.started_on:%Y%m%d}",
            supply.started_on,
            detail=f"{supply.name}, started {day_text(supply.started_on, policy.locale)}",
            context={"supply_id": supply.id, "supply_name": supply.name},
            essential=True,  # asking after a new medication never waits for the budget
        )
        for supply in supplies_of(facts)
        if supply.kind in kinds and supply.status != "stopped"
    ]


def supply_reorder(facts: Any, rule: Any, policy: Any, now: dt.datetime) -> list[Any]:

    buffer_days = int(rule.trigger_options.get("buffer_days", DEFAULT_BUFFER_DAYS))
    today = local_date(now, facts.time_zone or policy.time_zone)
    ranges = absence_ranges_for(facts, policy)
    occurrences = []
    for supply in supplies_of(facts):
        if supply.status != "active" or supply.runs_out_on is None:
            continue
        plan = plan_reorder(
            runs_out_on=supply.runs_out_on,
            lead_time_days=supply.lead_time_days,
            absences=ranges,
            buffer_days=buffer_days,
            today=today,
        )
        context: dict[str, Any] = {
            "supply_id": supply.id,
            "supply_name": supply.name,
            "runs_out_on": day_text(supply.runs_out_on, policy.locale),
            "order_by": day_text(plan.order_by, policy.locale),
            "order_by_date": plan.order_by.isoformat(),
            "lead_time_days": supply.lead_time_days,
        }
        if plan.order_by <= today:
            context["order_today"] = True  # never name a day already past
        if supply.reorder_url:
            context["reorder_url"] = supply.reorder_url
        if plan.moved_for_absence:
            context["absence_note"] = "earlier than usual: the practice is closed later on"
        if plan.late:
            # The ideal day has passed (or fell in an absence): remind at once, say so.
            context["late"] = True
        occurrences.append(
            Occurrence(
                f"supply{supply.id}from{supply.started_on:%Y%m%d}",
                # The planner adds the rule's offset; the plan's day is final, so undo it.
                plan.remind_on - dt.timedelta(days=rule.offset_days),
                detail=f"{supply.name} runs out {day_text(supply.runs_out_on, policy.locale)}, order by {day_text(plan.order_by, policy.locale)}",
                context=context,
                # Its day is chosen around absences and the order-by day: keep it, and never
                # let the contact budget move it past that day.
                keep_day=True,
                essential=True,
            )
        )
        # The second reminder counts from the first's intended day, so it stays put while
        # the first is late; it is planned only after the first actually goes.
        intended = plan_reorder(
            runs_out_on=supply.runs_out_on,
            lead_time_days=supply.lead_time_days,
            absences=ranges,
            buffer_days=buffer_days,
        )
        again = second_reminder_on(intended, ranges)
        again_key = f"supply{supply.id}from{supply.started_on:%Y%m%d}again"
        stored = f"{facts.client_id}:rule{rule.id}:{again_key}" in facts.existing
        if again is not None and (again > plan.remind_on or stored):
            occurrences.append(
                Occurrence(
                    again_key,
                    again - dt.timedelta(days=rule.offset_days),
                    detail=f"second reminder: {supply.name}, order by {day_text(plan.order_by, policy.locale)}",
                    context={**context, "second": True},
                    keep_day=True,
                    essential=True,
                )
            )
    return occurrences


def supply_reorder_overdue(facts: Any, rule: Any, policy: Any, now: dt.datetime) -> list[Any]:
    buffer_days = int(rule.trigger_options.get("buffer_days", DEFAULT_BUFFER_DAYS))
    today = local_date(now, facts.time_zone or policy.time_zone)
    ranges = absence_ranges_for(facts, policy)
    occurrences = []
    for supply in supplies_of(facts):
        if supply.status != "active" or supply.runs_out_on is None:
            continue
        plan = plan_reorder(
            runs_out_on=supply.runs_out_on,
            lead_time_days=supply.lead_time_days,
            absences=ranges,
            buffer_days=buffer_days,
        )
        call_on = last_call_on(plan, ranges, today)
        occurrences.append(
            Occurrence(
                f"supply{supply.id}from{supply.started_on:%Y%m%d}lastcall",
                call_on - dt.timedelta(days=rule.offset_days),
                detail=(
                    f"{supply.name} not re-ordered; the last day to order in time is "
                    f"{day_text(plan.order_by, policy.locale)}"
                    if plan.order_by >= today
                    else f"{supply.name} not re-ordered; it can no longer be ready in time"
                ),
                context={
                    "supply_id": supply.id,
                    "supply_name": supply.name,
                    "order_by": day_text(plan.order_by, policy.locale),
                    "runs_out_on": day_text(supply.runs_out_on, policy.locale),
                },
            )
        )
    return occurrences


def supply_reorder_requested(facts: Any, rule: Any, policy: Any, now: dt.datetime) -> list[Any]:

    prepared_by = rule.trigger_options.get("prepared_by") or ["practice", "pharmacy"]
    return [
        Occurrence(
            f"supply{supply.id}asked{supply.reorder_requested_at:%Y%m%d%H%M}",
            local_date(supply.reorder_requested_at, facts.time_zone or policy.time_zone),
            detail=f"prepare {supply.name} (takes {counted(supply.lead_time_days, 'day', 'days', policy.locale)})",
            context={"supply_id": supply.id, "supply_name": supply.name},
            due_at=supply.reorder_requested_at,
        )
        for supply in supplies_of(facts)
        if supply.status == "reorder_requested"
        and supply.reorder_requested_at is not None
        and supply.prepared_by in prepared_by
    ]


DEFAULT_SUPPLY_RULES: list[dict[str, Any]] = [
    {
        "name": "Side-effects check-in after a new medication",
        "trigger": "supply_started",
        "trigger_options": {"kinds": ["medication"]},
        "offset_days": 3,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "check_in",
        "purpose": "care",
        "value": 85,
    },
    {
        "name": "Side-effects check-in after a new remedy",
        "trigger": "supply_started",
        "trigger_options": {"kinds": ["remedy"]},
        "offset_days": 7,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "check_in",
        "purpose": "care",
        "value": 70,
    },
    {
        "name": "Re-order reminder",
        "trigger": "supply_reorder",
        "trigger_options": {"buffer_days": DEFAULT_BUFFER_DAYS},
        "offset_days": 0,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "reorder_reminder",
        "purpose": "care",
        "value": 90,
    },
    {
        "name": "Call when a supply is not re-ordered in time",
        "trigger": "supply_reorder_overdue",
        "trigger_options": {"buffer_days": DEFAULT_BUFFER_DAYS},
        "offset_days": 0,
        "local_time": dt.time(9, 0),
        "action": "task",
        "task_kind": "call",
        "estimated_minutes": 10,
        "purpose": "care",
        "value": 95,
    },
    {
        "name": "Prepare a re-ordered supply",
        "trigger": "supply_reorder_requested",
        "trigger_options": {"prepared_by": ["practice", "pharmacy"]},
        "offset_days": 0,
        "local_time": dt.time(9, 0),
        "action": "task",
        "task_kind": "prepare_supply",
        "estimated_minutes": 10,
        "purpose": "care",
        "value": 90,
    },
]


# The words of supplies.models.Kind and PreparedBy (this module imports no Django models).
KINDS = TriggerOption(
    "kinds",
    "Kinds of supply",
    "some_of",
    choices=(
        ("remedy", "Remedy"),
        ("supplement", "Supplement"),
        ("medication", "Medication"),
        ("other", "Other"),
    ),
    help="None ticked: medications and remedies",
)
BUFFER_DAYS = TriggerOption(
    "buffer_days",
    "Days of margin before the run-out",
    "number",
    minimum=0,
    maximum=90,
    default=DEFAULT_BUFFER_DAYS,
)
PREPARED_BY = TriggerOption(
    "prepared_by",
    "Prepared by",
    "some_of",
    choices=(
        ("practice", "The practice"),
        ("pharmacy", "A compounding pharmacy"),
        ("client", "The client buys it"),
    ),
    help="None ticked: the practice and compounding pharmacies",
)


def register() -> None:

    register_trigger(
        "supply_started",
        label="A medication, remedy or supplement was started",
        options_help='{"kinds": ["medication"]} — remedy, supplement, medication, other',
        options=(KINDS,),
    )(supply_started)
    register_trigger(
        "supply_reorder",
        label="A supply should be re-ordered (run-out − lead time − buffer, before absences)",
        options_help='{"buffer_days": 7}',
        options=(BUFFER_DAYS,),
    )(supply_reorder)
    register_trigger(
        "supply_reorder_overdue",
        label="A supply is still not re-ordered the day before the last day to order in time",
        options_help='{"buffer_days": 7}',
        options=(BUFFER_DAYS,),
    )(supply_reorder_overdue)
    register_trigger(
        "supply_reorder_requested",
        label="A client asked to re-order a supply",
        options_help='{"prepared_by": ["practice", "pharmacy"]}',
        options=(PREPARED_BY,),
        timed=False,
    )(supply_reorder_requested)
