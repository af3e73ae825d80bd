"""The planner's inputs and outputs: plain, frozen data with no Django in sight.

Reconciliation (``care/reconcile.py``) loads these from the database; the planner
(``care/planner.py``) and the triggers (``care/triggers.py``) only ever see them, so they can
be tested with hypothesis and benchmarked without a database.

Other features extend the facts without editing this module: a fact loader registered in
``care/reconcile.py`` fills ``ClientFacts.extra["supplies"]`` (readable as ``facts.supplies``),
and a policy loader fills ``PracticePolicy.extra["absences"]`` (``policy.absences``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aftercare.locales import DEFAULT_LOCALE

MESSAGE = "message"
TASK = "task"

# Statuses of existing touchpoints the planner must leave as they are (history).
HISTORY_STATUSES = frozenset({"sent", "done", "skipped", "expired"})


class _Extensible:
    """Attribute access falls back to ``extra``: ``facts.supplies`` reads ``facts.extra["supplies"]``."""

    extra: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, so real fields are never shadowed.
        if name.startswith("__"):
            raise AttributeError(name)
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__} has no {name!r} (nor extra[{name!r}])")


# The many small facts are named tuples, not dataclasses: the sweep builds one per stored row
# (about ten appointments a client), and a tuple is built several times faster.


class AppointmentFact(NamedTuple):
    id: int
    starts_at: dt.datetime
    kind: str
    status: str  # booked, attended, no_show, late_cancelled, cancelled
    practitioner_id: int | None = None
    moved_at: dt.datetime | None = None  # when the practice last moved it to another time


class EventFact(NamedTuple):
    """Something that happened to a client once: a tag added, a resource shared, a referral."""

    id: str  # stable, used in the touchpoint key
    at: dt.datetime
    label: str = ""


class ExistingTouchpoint(NamedTuple):
    """A touchpoint already stored for the client, as far as the planner needs to know."""

    key: str
    status: str
    due_at: dt.datetime
    action: str
    kind: str = ""  # check_in, recall…: one act of care per visit, whatever rule planned it


class SentMessage(NamedTuple):
    """An automated message already sent to the client: the contact budget counts it."""

    at: dt.datetime
    value: int = 50  # how much it mattered; it holds back only messages that matter as little


@dataclass(frozen=True)
class ClientFacts(_Extensible):
    client_id: int
    time_zone: str
    birth_date: dt.date | None = None
    practitioner_id: int | None = None  # the client's primary practitioner
    archived: bool = False
    opted_out: bool = False
    paused_until: dt.datetime | None = None
    consents: frozenset[str] = frozenset({"care"})
    channel: str = "email"  # the preferred channel that has an address, "" when none
    appointments: tuple[AppointmentFact, ...] = ()
    tags: tuple[EventFact, ...] = ()  # id = tag name, at = when first seen
    resources: tuple[EventFact, ...] = ()
    # Automated messages already sent to the client (the contact budget counts them).
    sent_messages: tuple[SentMessage, ...] = ()
    existing: Mapping[str, ExistingTouchpoint] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def _attended(self) -> tuple[AppointmentFact, ...]:
        # cached_property writes to __dict__ directly, so it works on a frozen dataclass.
        return tuple(
            sorted(
                (a for a in self.appointments if a.status == "attended"),
                key=lambda a: (a.starts_at, a.id),
            )
        )

    def attended(self) -> tuple[AppointmentFact, ...]:
        """Attended appointments, oldest first."""
        return self._attended

    def first_attended(self) -> AppointmentFact | None:
        attended = self._attended
        return attended[0] if attended else None


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    trigger: str
    trigger_options: Mapping[str, Any] = field(default_factory=dict)
    offset_days: int = 0
    local_time: dt.time = dt.time(9, 0)
    action: str = MESSAGE
    template_key: str = ""
    purpose: str = "care"
    task_kind: str = ""
    estimated_minutes: int = 5
    condition: Mapping[str, Any] = field(default_factory=dict)
    value: int = 50
    enabled: bool = True
    resource_id: int | None = None  # the resource an "information" message shares

    @property
    def kind(self) -> str:
        """What the touchpoint is: the template for a message, the task kind for a task."""
        if self.action == MESSAGE:
            return self.template_key or self.trigger
        return self.task_kind or self.template_key or self.trigger


# How late a touchpoint may still go out, by kind; past it, it is expired with the reason.
DEFAULT_LATENESS_LIMITS: dict[str, dt.timedelta] = {
    "check_in": dt.timedelta(days=3),
    "birthday_card": dt.timedelta(days=2),
    "anniversary_note": dt.timedelta(days=3),
    "recall": dt.timedelta(days=14),
    "information": dt.timedelta(days=7),
    "referral_follow_up": dt.timedelta(days=7),
    "no_show_follow_up": dt.timedelta(days=3),
    # "Your appointment moved": worth sending only while the news is fresh.
    "appointment_moved": dt.timedelta(days=1),
}
DEFAULT_LATENESS_LIMIT = dt.timedelta(days=7)


@dataclass(frozen=True)
class PracticePolicy(_Extensible):
    time_zone: str = "UTC"
    # How the practice writes dates in the texts the planner makes (``aftercare/locales.py``).
    locale: str = DEFAULT_LOCALE
    quiet_hours_start: dt.time = dt.time(20, 0)
    quiet_hours_end: dt.time = dt.time(8, 0)
    contact_budget_messages: int = 2
    contact_budget_days: int = 7
    lateness_limits: Mapping[str, dt.timedelta] = field(
        default_factory=lambda: dict(DEFAULT_LATENESS_LIMITS)
    )
    # Occurrences due longer ago than this (beyond their lateness limit) are history from
    # before anyone planned them, not missed care: they are not planned at all.
    lookback: dt.timedelta = dt.timedelta(days=30)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def lateness_limit(self, kind: str) -> dt.timedelta:
        return self.lateness_limits.get(kind, DEFAULT_LATENESS_LIMIT)


@dataclass(frozen=True)
class PlannedTouchpoint:
    """One touchpoint that should exist, as the planner decided it."""

    key: str
    client_id: int
    rule_id: int | None
    kind: str
    action: str
    template_key: str
    purpose: str
    channel: str
    title: str
    due_at: dt.datetime  # aware, UTC
    value: int
    estimated_minutes: int
    context: Mapping[str, Any]
    status: str = "planned"  # planned, expired, or "due" kept as it is
    held_back_reason: str = ""
    status_reason: str = ""
    blocked: bool = False
    # Goes out on its own local day, earlier rather than later: quiet hours move it to their
    # end on that day (a re-order reminder placed before an absence must not slip into it).
    keep_day: bool = False
    # Care that must not wait for the contact budget (a first-visit or new-medication
    # check-in, a re-order reminder, an absence notice): it still counts against the budget
    # of other messages, but is never held back by it.
    essential: bool = False

    def with_changes(self, **changes: Any) -> PlannedTouchpoint:
        """A copy with some fields changed: ``dataclasses.replace`` at a tenth of its cost.

        The planner changes a touchpoint several times (kept due, moved out of quiet hours,
        blocked, expired) for every client of every sweep, and ``replace`` re-runs the frozen
        ``__init__`` over all fields; this copies the fields and sets the changed ones.
        """
        unknown = changes.keys() - _PLANNED_FIELD_NAMES
        if unknown:
            raise TypeError(f"PlannedTouchpoint has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(PlannedTouchpoint)
        copy.__dict__.update(self.__dict__, **changes)
        return copy


_PLANNED_FIELD_NAMES = frozenset(PlannedTouchpoint.__dataclass_fields__)
