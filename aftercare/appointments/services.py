"""Writes to appointments. Each is atomic, audited, and tells `clients.events` the client changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.text import slugify

from aftercare import clock
from aftercare.appointments import fees
from aftercare.appointments.forms import APPOINTMENT_FIELDS
from aftercare.appointments.models import (
    Appointment,
    FeeAction,
    FeePolicy,
    ScheduleSettings,
    Status,
    VisitKind,
)
from aftercare.clients.events import client_changed
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit


@transaction.atomic
def appointment_create(
    *, actor: Actor, data: dict[str, Any], source: str = "manual", external_id: str = ""
) -> Appointment:
    appointment = Appointment(practice=actor.practice, source=source, external_id=external_id)
    for name in APPOINTMENT_FIELDS:
        if name in data:
            setattr(appointment, name, data[name])
    appointment.save()
    record_audit(
        actor,
        "create",
        appointment,
        summary=f"Booked {appointment.starts_at:%Y-%m-%d %H:%M} for client #{appointment.client_id}",
    )
    client_changed(appointment.client)
    return appointment


# "Did the client tell us before the start?" Messaging (a higher app) registers a finder that
# returns when the client's first message between the booking and the start arrived.
NoticeFinder = Callable[[Appointment], "dt.datetime | None"]
NOTICE_FINDERS: list[NoticeFinder] = []


def register_notice_finder(finder: NoticeFinder) -> NoticeFinder:
    if finder not in NOTICE_FINDERS:
        NOTICE_FINDERS.append(finder)
    return finder


def fee_policy_of(practice: Any) -> FeePolicy:
    """The practice's fee policy row (made with the defaults on first use)."""
    policy, _created = FeePolicy.objects.get_or_create(practice=practice)
    return policy


def policy_for_decision(policy: FeePolicy) -> fees.FeePolicy:
    return fees.FeePolicy(
        no_show_fee=policy.no_show_fee,
        late_cancel_fee=policy.late_cancel_fee,
        late_cancel_window=dt.timedelta(hours=policy.late_cancel_window_hours),
        waive_first_no_show=policy.waive_first_no_show,
        longstanding_visits=policy.longstanding_visits,
        longstanding_months=policy.longstanding_months,
        waive_first_late_cancel=policy.waive_first_late_cancel,
    )


def fee_facts(appointment: Appointment, *, now: dt.datetime) -> fees.FeeFacts:
    """What the fee policy needs about ``appointment``: its client's history (one query)."""
    earlier = [
        fees.EarlierAppointment(starts_at=starts_at, status=status, fee_code=code)
        for starts_at, status, code in Appointment.objects.filter(
            client_id=appointment.client_id, starts_at__lt=appointment.starts_at
        )
        .exclude(pk=appointment.pk)
        .values_list("starts_at", "status", "fee_code")
    ]
    first_visit = min(
        (item.starts_at for item in earlier if item.status == Status.ATTENDED), default=None
    )
    client_since = appointment.client.created_at
    if first_visit is not None and first_visit < client_since:
        client_since = first_visit
    told = [found for finder in NOTICE_FINDERS if (found := finder(appointment)) is not None]
    return fees.FeeFacts(
        status=appointment.status,
        starts_at=appointment.starts_at,
        booked_at=appointment.created_at,
        marked_at=now,
        client_since=client_since,
        appointment_fee=appointment.fee,
        earlier=earlier,
        moved_by_practice_at=appointment.moved_by_practice_at,
        told_at=min(told, default=None),
    )


FEE_FIELDS = [
    "fee_action",
    "fee_amount",
    "fee_reason",
    "fee_code",
    "fee_decided_at",
    "fee_overridden_by",
    "fee_policy_action",
]


def _decide_fee(appointment: Appointment, *, now: dt.datetime) -> str:
    """Take (or clear) the fee decision after the status changed; return it in words."""
    if appointment.status not in (Status.NO_SHOW, Status.LATE_CANCELLED):
        withdrawn = bool(appointment.fee_action)
        appointment.fee_action = appointment.fee_reason = appointment.fee_code = ""
        appointment.fee_policy_action = ""
        appointment.fee_amount = appointment.fee_decided_at = None
        appointment.fee_overridden_by = None
        return "fee decision withdrawn" if withdrawn else ""
    decision = fees.decide_fee(
        policy_for_decision(fee_policy_of(appointment.practice)), fee_facts(appointment, now=now)
    )
    appointment.fee_action = decision.action
    appointment.fee_amount = decision.amount
    appointment.fee_reason = decision.reason
    appointment.fee_code = decision.code
    appointment.fee_decided_at = now
    appointment.fee_overridden_by = None
    appointment.fee_policy_action = decision.action
    what = "no-show" if appointment.status == Status.NO_SHOW else "late cancel"
    return f"{what} fee {decision.action} ({decision.amount}): {decision.reason}"


@transaction.atomic
def appointment_update(
    *, actor: Actor, appointment: Appointment, data: dict[str, Any]
) -> Appointment:
    before = model_to_dict(appointment, fields=APPOINTMENT_FIELDS)
    for name in APPOINTMENT_FIELDS:
        if name in data:
            setattr(appointment, name, data[name])
    if appointment.starts_at != before["starts_at"]:
        # The client confirmed another time: the moved appointment asks again.
        appointment.confirmed_at = None
    now = clock.now()
    appointment.updated_at = now
    changes = diff_fields(before, model_to_dict(appointment, fields=APPOINTMENT_FIELDS))
    if "starts_at" in changes:
        appointment.moved_by_practice_at = now
    # Every fee decision is audited, in the same event as the status that caused it.
    decision = _decide_fee(appointment, now=now) if "status" in changes else ""
    if changes:
        record_audit(
            actor,
            "change",
            appointment,
            summary=f"Changed {', '.join(sorted(changes))}" + (f"; {decision}" if decision else ""),
            changes=changes,
        )
    appointment.save()
    client_changed(appointment.client)
    return appointment


def appointment_move(
    *, actor: Actor, appointment: Appointment, starts_at: dt.datetime
) -> Appointment:
    """Move a booked appointment to ``starts_at``, keeping its length (audited like any change).

    Through ``appointment_update``: it records when the practice moved it, which the care
    engine's reminders follow and its "appointment moved" rule tells the client of.
    """
    length = appointment.ends_at - appointment.starts_at
    return appointment_update(
        actor=actor,
        appointment=appointment,
        data={"starts_at": starts_at, "ends_at": starts_at + length},
    )


# "Will the client be told of the move?" The app that tells them (the portal's appointment
# messages) registers a function answering in words for the move form.
MoveNotice = Callable[[Appointment], "str | None"]
MOVE_NOTICES: list[MoveNotice] = []


def register_move_notice(notice: MoveNotice) -> MoveNotice:
    if notice not in MOVE_NOTICES:
        MOVE_NOTICES.append(notice)
    return notice


def move_notice_words(appointment: Appointment) -> str:
    """Whether (and how) the client will hear that the appointment moved, in a sentence."""
    for notice in MOVE_NOTICES:
        words = notice(appointment)
        if words:
            return words
    return f"{appointment.client.full_name} will not be told: nothing tells clients of moves."


@transaction.atomic
def appointment_override_fee(
    *, actor: Actor, appointment: Appointment, action: str, reason: str
) -> Appointment:
    """A person overrides the policy's fee decision, with their reason (audited).

    The policy's own decision stays in ``fee_policy_action`` for the report's totals.
    """
    if not appointment.fee_action:
        raise ValueError("Only a no-show or a late cancel has a fee decision to override.")
    if action not in (FeeAction.WAIVED, FeeAction.CHARGED):
        raise ValueError("Choose waived or charged.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("Say why, in a few words.")
    if len(reason) > 280:
        raise ValueError(f"At most 280 characters for the reason (it has {len(reason)}).")
    if appointment.fee_amount is None or appointment.fee_amount <= Decimal(0):
        fee = appointment.fee if appointment.fee is not None else None
        if fee is None and action == FeeAction.CHARGED:
            raise ValueError("There is no fee to charge: set the fee first.")
        appointment.fee_amount = fee
    if not appointment.fee_policy_action:
        appointment.fee_policy_action = appointment.fee_action
    appointment.fee_action = action
    appointment.fee_reason = (
        f"{reason} (overridden; the policy said {appointment.fee_policy_action})"
    )
    appointment.fee_overridden_by = actor.user
    appointment.fee_decided_at = clock.now()
    appointment.save(update_fields=[*FEE_FIELDS])
    record_audit(
        actor,
        "change",
        appointment,
        summary=f"Fee overridden to {action}: {reason}",
    )
    return appointment


def appointment_set_status(*, actor: Actor, appointment: Appointment, status: str) -> Appointment:
    return appointment_update(actor=actor, appointment=appointment, data={"status": status})


@transaction.atomic
def appointment_delete(*, actor: Actor, appointment: Appointment) -> None:
    client = appointment.client
    record_audit(actor, "delete", appointment, summary=f"Deleted appointment #{appointment.pk}")
    appointment.delete()
    client_changed(client)


@transaction.atomic
def appointment_confirm(*, actor: Actor, appointment: Appointment) -> bool:
    """The client confirms they will come (the reminder's link); False when already done."""
    if appointment.confirmed_at is not None or appointment.status != "booked":
        return False
    appointment.confirmed_at = clock.now()
    appointment.save(update_fields=["confirmed_at"])
    record_audit(actor, "change", appointment, summary="The client confirmed the appointment")
    return True


@transaction.atomic
def appointment_request_rebook(*, actor: Actor, appointment: Appointment) -> bool:
    """The client asks for another time (the reminder's link): it goes to the care queue."""
    if appointment.rebook_requested_at is not None and appointment.rebook_handled_at is None:
        return False
    appointment.rebook_requested_at = clock.now()
    appointment.rebook_handled_at = None
    appointment.confirmed_at = None
    appointment.save(update_fields=["rebook_requested_at", "rebook_handled_at", "confirmed_at"])
    record_audit(actor, "change", appointment, summary="The client asked to rebook")
    return True


@transaction.atomic
def appointment_rebook_handled(*, actor: Actor, appointment: Appointment) -> None:
    appointment.rebook_handled_at = clock.now()
    appointment.save(update_fields=["rebook_handled_at"])
    record_audit(actor, "change", appointment, summary="Handled the request to rebook")


@transaction.atomic
def fee_policy_update(*, actor: Actor, policy: FeePolicy, data: dict[str, Any]) -> FeePolicy:
    """Change the practice's fee policy (audited); decisions already taken stay as they were."""
    names = [name for name in data if hasattr(policy, name)]
    before = model_to_dict(policy, fields=names)
    for name in names:
        setattr(policy, name, data[name])
    policy.save(update_fields=names)
    changes = diff_fields(before, model_to_dict(policy, fields=names))
    if changes:
        record_audit(
            actor,
            "change",
            policy,
            summary=f"Fee policy: changed {', '.join(sorted(changes))}",
            changes=changes,
        )
    return policy


# -- visit kinds and the usual hours ------------------------------------------------------------

MAX_VISIT_KINDS = 50


@transaction.atomic
def visit_kind_save(
    *, actor: Actor, key: str, name: str, minutes: int, archived: bool = False
) -> VisitKind:
    """Add a visit kind (``key`` empty: made from the name) or change one; the key never changes,
    so appointments already booked keep their kind."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the visit kind a name, e.g. Follow-up."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    if not 5 <= minutes <= 480:
        raise ValidationError({"minutes": "A visit lasts from 5 to 480 minutes."})
    key = key or slugify(name).replace("-", "_")[:40] or "visit"
    kind = VisitKind.objects.filter(practice=actor.practice, key=key).first()
    if kind is None:
        if VisitKind.objects.filter(practice=actor.practice).count() >= MAX_VISIT_KINDS:
            raise ValidationError({"name": f"A practice has at most {MAX_VISIT_KINDS} kinds."})
        kind = VisitKind(practice=actor.practice, key=key)
        action = "create"
    else:
        action = "change"
    kind.name, kind.minutes, kind.archived = name, minutes, archived
    kind.save()
    record_audit(actor, action, kind, summary=f"Visit kind {kind}")
    return kind


@transaction.atomic
def usual_hours_set(*, actor: Actor, day_starts: dt.time, day_ends: dt.time) -> ScheduleSettings:
    if day_ends <= day_starts:
        raise ValidationError({"day_ends": "The day must end after it starts."})
    hours, _ = ScheduleSettings.objects.update_or_create(
        practice=actor.practice, defaults={"day_starts": day_starts, "day_ends": day_ends}
    )
    record_audit(actor, "change", hours, summary=f"Usual hours {hours}")
    return hours
