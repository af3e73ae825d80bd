"""Absences in the care planner: one rule everywhere (pure Python, no Django).

``policy.absences`` maps a practitioner id to their ``AbsenceFact``s (loaded by
``absences/loaders.py``); ``facts.practitioner_id`` is the client's primary practitioner, and
the booked appointments among ``facts.appointments`` carry their practitioner's id.

1. The *adjuster* ``move_around_absences`` (runs before the boundaries, so quiet hours and
   the contact budget still apply to the new time):
   a. a check-in that invites a reply and would land during the practitioner's absence moves
      to the first day back at the same local time — unless the absence names a cover, or the
      client is on its emergency list (they were promised they can reach the practitioner:
      those are the clients to stay close to);
   b. a recall waits until the return, cover or not;
   c. re-order reminders are already placed before the absence by ``supply_reorder``.
2. The trigger ``absence_notice``: ``notify_days_before`` days before the absence (or at once
   if that day has passed), each *affected* client gets a personal notice listing what
   concerns them: appointments to rebook, supplies to order by a date, the emergency list.
   The absences considered are the client's primary practitioner's and those of anyone the
   client has an appointment booked with or is on the emergency list of (a colleague's client
   booked with the absent practitioner is told too; supplies count only for their own
   practitioner). Keyed by absence and its dates, so a moved absence plans a new notice.
3. The trigger ``absence_correction``: a client who was already sent a notice for dates that
   are no longer true (moved or cancelled) gets a correction at once, never silence.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aftercare.care.triggers import Occurrence, local_date, register_adjuster, register_trigger
from aftercare.locales import format_date, format_day_at
from aftercare.supplies.planning import absence_ranges_for, day_text, supplies_of
from aftercare.supplies.projection import affected_by_absence, plan_reorder

REPLY_INVITING_KINDS = frozenset({"check_in"})
WAIT_FOR_RETURN_KINDS = frozenset({"recall"})


@dataclass(frozen=True)
class AbsenceFact:
    id: int
    practitioner_id: int
    first_day: dt.date
    last_day: dt.date
    notify_days_before: int = 21
    cover_contact: str = ""
    practitioner_name: str = ""
    public_note: str = ""
    cancelled: bool = False
    announce_to_all: bool = False
    emergency_client_ids: frozenset[int] = frozenset()

    @property
    def fingerprint(self) -> str:
        return f"{self.first_day:%Y%m%d}to{self.last_day:%Y%m%d}"

    @property
    def back_on(self) -> dt.date:
        return self.last_day + dt.timedelta(days=1)


def absences_for(facts: Any, policy: Any) -> Sequence[AbsenceFact]:
    """The absences of the client's primary practitioner."""
    absences: Mapping[int, Sequence[AbsenceFact]] = policy.extra.get("absences", {})
    return absences.get(facts.practitioner_id, ())


def absences_concerning(facts: Any, policy: Any, now: dt.datetime) -> list[AbsenceFact]:
    """Absences that may concern the client: their primary practitioner's, those of anyone
    they have an appointment booked with, and any whose emergency list they are on."""
    absences: Mapping[int, Sequence[AbsenceFact]] = policy.extra.get("absences", {})
    if not absences:
        return []
    booked_with = {
        a.practitioner_id for a in facts.appointments if a.status == "booked" and a.starts_at >= now
    }
    return sorted(
        (
            absence
            for practitioner_id, practitioner_absences in absences.items()
            for absence in practitioner_absences
            if practitioner_id == facts.practitioner_id
            or practitioner_id in booked_with
            or facts.client_id in absence.emergency_client_ids
        ),
        key=lambda a: (a.first_day, a.id),
    )


def _all_absences(policy: Any) -> list[AbsenceFact]:
    absences: Mapping[int, Sequence[AbsenceFact]] = policy.extra.get("absences", {})
    return sorted(
        (a for rows in absences.values() for a in rows), key=lambda a: (a.first_day, a.id)
    )


def _days(absence: AbsenceFact, locale: str) -> str:
    """ "1 Mar–14 Mar": an absence's days, short, for a practitioner's line."""
    return f"{format_date(absence.first_day, 'j M', locale)}–{format_date(absence.last_day, 'j M', locale)}"


def _tz(facts: Any, policy: Any) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(facts.time_zone or policy.time_zone)


def move_around_absences(
    facts: Any, policy: Any, touchpoints: list[Any], now: dt.datetime
) -> list[Any]:
    """Step 1 of the module docstring."""
    absences = [a for a in absences_for(facts, policy) if not a.cancelled]
    if not absences:
        return touchpoints
    tz = _tz(facts, policy)
    result = []
    for touchpoint in touchpoints:
        if touchpoint.status != "planned" or touchpoint.action != "message":
            result.append(touchpoint)
            continue
        kind = touchpoint.template_key or touchpoint.kind
        waits = kind in WAIT_FOR_RETURN_KINDS
        invites_reply = kind in REPLY_INVITING_KINDS
        if not waits and not invites_reply:
            result.append(touchpoint)
            continue
        for _ in range(len(absences) + 1):  # back-to-back absences: move again
            local = touchpoint.due_at.astimezone(tz)
            clash = next((a for a in absences if a.first_day <= local.date() <= a.last_day), None)
            answered_while_away = clash is not None and (
                clash.cover_contact or facts.client_id in clash.emergency_client_ids
            )
            if clash is None or (invites_reply and not waits and answered_while_away):
                break
            moved = dt.datetime.combine(clash.back_on, local.time().replace(tzinfo=None))
            moved_utc = moved.replace(tzinfo=tz).astimezone(dt.UTC)
            who = clash.practitioner_name or "the practitioner"
            touchpoint = touchpoint.with_changes(
                due_at=moved_utc,
                held_back_reason=(
                    f"Moved to {format_date(clash.back_on, 'j M Y', policy.locale)}: {who} is away "
                    f"{_days(clash, policy.locale)}"
                    + ("" if waits else " and no cover is named")
                    + "."
                )[:300],
            )
        result.append(touchpoint)
    return result


def rebook_action(local: dt.datetime, locale: str) -> str:
    """ "rebook your appointment on Monday 1 March at 14:30": one line of an absence notice."""
    return f"rebook your appointment on {format_day_at(local, locale=locale)}"


def order_action(supply_name: str, order_by: dt.date, locale: str) -> str:
    """ "order Calm drops by Monday 1 March": one line of an absence notice."""
    return f"order {supply_name} by {format_date(order_by, 'l j F', locale)}"


def notice_actions(facts: Any, policy: Any, absence: AbsenceFact, now: dt.datetime) -> list[str]:
    """What in this absence concerns the client (empty: not affected)."""
    tz = _tz(facts, policy)
    locale = policy.locale
    actions = []
    for appointment in sorted(facts.appointments, key=lambda a: (a.starts_at, a.id)):
        if appointment.status != "booked" or appointment.starts_at < now:
            continue
        local = appointment.starts_at.astimezone(tz)
        if appointment.practitioner_id == absence.practitioner_id and (
            absence.first_day <= local.date() <= absence.last_day
        ):
            actions.append(rebook_action(local, locale))
    # Supplies are prepared by the client's own practitioner: only their absences delay them.
    own = absence.practitioner_id == facts.practitioner_id
    ranges = absence_ranges_for(facts, policy)
    for supply in supplies_of(facts) if own else ():
        if supply.status != "active" or supply.runs_out_on is None:
            continue
        if affected_by_absence(
            runs_out_on=supply.runs_out_on,
            lead_time_days=supply.lead_time_days,
            absence=(absence.first_day, absence.last_day),
        ):
            plan = plan_reorder(
                runs_out_on=supply.runs_out_on,
                lead_time_days=supply.lead_time_days,
                absences=ranges,
            )
            actions.append(order_action(supply.name, plan.order_by, locale))
    if facts.client_id in absence.emergency_client_ids:
        actions.append("you can still reach me: you are on my emergency list")
    return actions


def _details(absence: AbsenceFact, actions: list[str], locale: str) -> dict[str, Any]:
    return {
        "absence_id": absence.id,
        "away_practitioner": absence.practitioner_name,
        "first_day": day_text(absence.first_day, locale),
        "last_day": day_text(absence.last_day, locale),
        "back_on": day_text(absence.back_on, locale),
        "cover_contact": absence.cover_contact,
        "public_note": absence.public_note,
        "actions": "; ".join(actions),
        "cancelled": absence.cancelled,
    }


def absence_notice(facts: Any, rule: Any, policy: Any, now: dt.datetime) -> list[Any]:

    today = local_date(now, facts.time_zone or policy.time_zone)
    occurrences = []
    for absence in absences_concerning(facts, policy, now):
        if absence.cancelled or absence.last_day < today:
            continue
        actions = notice_actions(facts, policy, absence, now)
        # "Also tell clients who are not affected" means the practitioner's own clients.
        announce = absence.announce_to_all and absence.practitioner_id == facts.practitioner_id
        if not actions and not announce:
            continue
        notify_on = absence.first_day - dt.timedelta(days=absence.notify_days_before)
        occurrences.append(
            Occurrence(
                f"absence{absence.id}d{absence.fingerprint}",
                # Planned late (the absence was entered less than N days ahead): tell them now.
                max(notify_on, today) - dt.timedelta(days=rule.offset_days),
                detail=f"{absence.practitioner_name} away {_days(absence, policy.locale)}",
                context=_details(absence, actions, policy.locale),
                essential=True,  # told before the absence, whatever else they were sent
            )
        )
    return occurrences


def absence_correction(facts: Any, rule: Any, policy: Any, now: dt.datetime) -> list[Any]:

    today = local_date(now, facts.time_zone or policy.time_zone)
    occurrences = []
    # Any absence the client was told about, whoever's it is and whatever changed since.
    for absence in _all_absences(policy):
        marker = f":absence{absence.id}d"
        sent = [
            key.rsplit(marker, 1)[1]
            for key, existing in facts.existing.items()
            if marker in key and existing.status == "sent" and ":correction" not in key
        ]
        stale = sorted(fp for fp in sent if absence.cancelled or fp != absence.fingerprint)
        if not stale:
            continue
        actions = [] if absence.cancelled else notice_actions(facts, policy, absence, now)
        version = "cancelled" if absence.cancelled else absence.fingerprint
        occurrences.append(
            Occurrence(
                f"absence{absence.id}correction{version}",
                today - dt.timedelta(days=rule.offset_days),
                detail=f"{absence.practitioner_name}'s absence "
                + ("cancelled" if absence.cancelled else "moved"),
                context=_details(absence, actions, policy.locale),
                due_at=now if rule.offset_days == 0 else None,
                essential=True,
            )
        )
    return occurrences


DEFAULT_ABSENCE_RULES: list[dict[str, Any]] = [
    {
        "name": "Advance notice of an absence",
        "trigger": "absence_notice",
        "trigger_options": {},
        "offset_days": 0,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "absence_notice",
        "purpose": "care",
        "value": 95,
    },
    {
        "name": "Correction when an absence moves or is cancelled",
        "trigger": "absence_correction",
        "trigger_options": {},
        "offset_days": 0,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "absence_correction",
        "purpose": "care",
        "value": 95,
    },
]


def register() -> None:

    register_trigger(
        "absence_notice",
        label="An absence is coming that affects the client (advance notice)",
    )(absence_notice)
    register_trigger(
        "absence_correction",
        label="An absence the client was told about moved or was cancelled",
    )(absence_correction)
    register_adjuster(move_around_absences)
