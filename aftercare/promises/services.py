"""Promises and referrals: commitments a person must keep, and help found elsewhere.

Promises: create them (by hand or from another feature), keep, release, acknowledge, break.

Other features call ``promise_create(actor=…, client=…, what=…, due_from=…, due_until=…,
source="absence", source_ref="absence:12")``; the absences feature does so for every client it
puts on an emergency list. ``promises_mark_broken`` is the tick step that marks promises still
open at their due time as broken. Making a referral calls ``client_changed`` so the care
engine's "referral made" trigger can plan its follow-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from aftercare import clock
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client
from aftercare.practice.access import Actor, get_scoped_or_404
from aftercare.practice.audit import record_audit
from aftercare.practice.models import AuditEvent, Membership, User
from aftercare.promises.models import Promise, PromiseSource, PromiseStatus, Referral
from aftercare.queue.services import check_reason, check_snooze_until


def _check_due(
    due_at: dt.datetime | None, due_from: dt.datetime | None, due_until: dt.datetime | None
) -> None:
    for name, value in (("due_at", due_at), ("due_from", due_from), ("due_until", due_until)):
        if value is not None and value.tzinfo is None:
            raise ValidationError({name: "The time needs a time zone."})
    if due_at is not None and (due_from is not None or due_until is not None):
        raise ValidationError({"due_at": "Give either a moment or a window, not both."})
    if due_at is None and due_until is None:
        raise ValidationError({"due_at": "Say when the promise is due (a moment or a window)."})
    if due_until is not None and due_from is not None and due_until <= due_from:
        raise ValidationError({"due_until": "The window must end after it starts."})


@transaction.atomic
def promise_create(
    *,
    actor: Actor,
    client: Client,
    what: str,
    due_at: dt.datetime | None = None,
    due_from: dt.datetime | None = None,
    due_until: dt.datetime | None = None,
    practitioner: User | None = None,
    source: str = PromiseSource.BY_HAND,
    source_ref: str = "",
) -> Promise:
    """Record a promise made to ``client``; it shows in the care queue shortly before it is due."""
    if client.practice_id != actor.practice.pk:
        raise ValidationError({"client": "This client is not in your practice."})
    what = (what or "").strip()
    if not what:
        raise ValidationError({"what": "Say what was promised."})
    if len(what) > 300:
        raise ValidationError({"what": "Keep it under 300 characters."})
    _check_due(due_at, due_from, due_until)
    if source not in PromiseSource.values:
        raise ValidationError({"source": f"Unknown source {source!r}."})
    practitioner = practitioner or actor.user
    if (
        practitioner is not None
        and not Membership.objects.filter(user=practitioner, practice=actor.practice).exists()
    ):
        raise ValidationError({"practitioner": "Choose a member of your practice."})
    promise = Promise.objects.create(
        practice=actor.practice,
        client=client,
        practitioner=practitioner,
        what=what,
        due_at=due_at,
        due_from=due_from if due_until is not None else None,
        due_until=due_until,
        source=source,
        source_ref=source_ref[:100],
        created_by=actor.user,
    )
    record_audit(actor, "create", promise, summary=f"Promise to {client.full_name}: {what}"[:300])
    return promise


def _open_promise(actor: Actor, object_id: str | int) -> Promise:
    return get_scoped_or_404(
        Promise.objects.select_for_update().select_related("client"), actor, pk=object_id
    )


def _close(actor: Actor, promise: Promise, status: str, reason: str = "") -> Promise:
    if promise.status != PromiseStatus.OPEN:
        raise ValidationError(
            {"action": f"This promise is already {promise.get_status_display().lower()}."}
        )
    promise.status = status
    promise.status_reason = reason
    promise.closed_by = actor.user
    promise.closed_at = clock.now()
    promise.save(update_fields=["status", "status_reason", "closed_by", "closed_at"])
    summary = f"Promise {promise.get_status_display().lower()}: {promise.what}"
    if reason:
        summary += f" ({reason})"
    record_audit(actor, "change", promise, summary=summary[:300])
    return promise


@transaction.atomic
def promise_keep(*, actor: Actor, promise_id: int | str) -> Promise:
    return _close(actor, _open_promise(actor, promise_id), PromiseStatus.KEPT)


@transaction.atomic
def promise_release(*, actor: Actor, promise_id: int | str, reason: str) -> Promise:
    """Release the practice from a promise that no longer applies (the reason is required)."""
    reason = check_reason(reason)
    return _close(actor, _open_promise(actor, promise_id), PromiseStatus.RELEASED, reason)


@transaction.atomic
def promise_acknowledge(*, actor: Actor, promise_id: int | str) -> Promise:
    """Take note of a broken promise, so it leaves the care queue."""
    promise = _open_promise(actor, promise_id)
    if promise.status != PromiseStatus.BROKEN:
        raise ValidationError({"action": "Only a broken promise can be acknowledged."})
    if promise.acknowledged_at is not None:
        raise ValidationError({"action": "This broken promise was already acknowledged."})
    promise.acknowledged_by = actor.user
    promise.acknowledged_at = clock.now()
    promise.save(update_fields=["acknowledged_by", "acknowledged_at"])
    record_audit(actor, "change", promise, summary=f"Acknowledged broken promise: {promise.what}")
    return promise


@transaction.atomic
def promise_snooze(*, actor: Actor, promise_id: int | str, until: dt.datetime | None) -> Promise:
    promise = _open_promise(actor, promise_id)
    if promise.status != PromiseStatus.OPEN:
        raise ValidationError({"action": "Only an open promise can be snoozed."})
    promise.snoozed_until = check_snooze_until(until, clock.now())
    if promise.deadline is not None and promise.snoozed_until > promise.deadline:
        raise ValidationError(
            {"until": "Snoozing past its due time would break the promise; choose an earlier date."}
        )
    promise.save(update_fields=["snoozed_until"])
    record_audit(
        actor, "change", promise, summary=f"Snoozed promise until {promise.snoozed_until:%Y-%m-%d}"
    )
    return promise


def perform_on_promise(
    actor: Actor,
    object_id: str,
    action: str,
    *,
    until: dt.datetime | None = None,
    reason: str = "",
) -> None:
    """The ``promise`` queue source's actions: done = kept (or acknowledged if broken)."""
    if action == "done":
        promise = get_scoped_or_404(Promise.objects.all(), actor, pk=object_id)
        if promise.status == PromiseStatus.BROKEN:
            promise_acknowledge(actor=actor, promise_id=object_id)
        else:
            promise_keep(actor=actor, promise_id=object_id)
    elif action == "snooze":
        promise_snooze(actor=actor, promise_id=object_id, until=until)
    elif action == "skip":
        promise_release(actor=actor, promise_id=object_id, reason=reason)
    else:
        raise ValidationError({"action": f"Unknown action {action!r}."})


# A verdict on a promise whose time is up: ``(status, reason)``, or None to wait a little.
Verdict = tuple[str, str] | None
Judge = Callable[[Promise, dt.datetime], Verdict]
_judges: dict[str, Judge] = {}
NOT_KEPT = "Not kept by its due time"


def register_promise_judge(source: str, judge: Judge) -> Judge:
    """Let the feature that makes promises of ``source`` judge them when their time is up.

    A promise nobody marks kept is broken at its deadline — unless it says something other than
    "do this by then": the absences feature's "you can reach me while I am away" is kept when
    every message passed on was answered in person, and was kept if the client never wrote.
    ``judge(promise, now)`` returns ``("kept" | "broken", reason)`` or None to decide later.
    """
    _judges[source] = judge
    return judge


@transaction.atomic
def promises_mark_broken(now: dt.datetime) -> int:
    """Tick step: every promise still open at its due time is judged, and says why.

    Broken, unless the feature that made it judges it (``register_promise_judge``). Two queries
    and one bulk insert whatever the number of promises, plus what the judges read; idempotent.
    """
    late = list(
        Promise.objects.select_for_update()
        .filter(status=PromiseStatus.OPEN)
        .filter(Q(due_at__lte=now) | Q(due_until__lte=now))
        .select_related("client")
    )
    closed = []
    for promise in late:
        judge = _judges.get(promise.source)
        verdict = judge(promise, now) if judge else (PromiseStatus.BROKEN, NOT_KEPT)
        if verdict is None:
            continue
        promise.status, promise.status_reason = verdict[0], verdict[1][:300]
        promise.closed_at = now
        closed.append(promise)
    if not closed:
        return 0
    Promise.objects.bulk_update(closed, ["status", "status_reason", "closed_at"])
    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice_id=promise.practice_id,
            action=AuditEvent.Action.CHANGE,
            object_type=Promise._meta.label_lower,
            object_id=str(promise.pk),
            summary=f"Promise {promise.status}: {promise.what} ({promise.status_reason})"[:300],
            via="cli",
            at=now,
        )
        for promise in closed
    )
    return len(closed)


@transaction.atomic
def referral_create(
    *, actor: Actor, client: Client, referred_to: str, why: str, referred_at: Any = None
) -> Referral:
    """Record a referral; the care engine's "referral made" rule plans the follow-up."""
    if client.practice_id != actor.practice.pk:
        raise ValidationError({"client": "This client is not in your practice."})
    referred_to = (referred_to or "").strip()
    why = (why or "").strip()
    errors = {}
    if not referred_to:
        errors["referred_to"] = "Say who the client was referred to."
    elif len(referred_to) > 200:
        errors["referred_to"] = "Keep it under 200 characters."
    if not why:
        errors["why"] = "Say why, so the follow-up can ask the right question."
    now = clock.now()
    if referred_at is not None and (referred_at.tzinfo is None or referred_at > now):
        errors["referred_at"] = "The referral cannot be in the future."
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        practice=actor.practice,
        client=client,
        referred_to=referred_to,
        why=why,
        referred_at=referred_at or now,
        created_by=actor.user,
    )
    record_audit(actor, "create", referral, summary=f"Referred {client.full_name} to {referred_to}")
    client_changed(client)
    return referral


@transaction.atomic
def referral_record_outcome(*, actor: Actor, referral: Referral, outcome: str) -> Referral:
    """What the follow-up found ("found a sleep clinic, first visit next week").

    Once the outcome is known the client is not asked again: re-planning cancels a follow-up
    message still planned for this referral.
    """
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": "Write what the follow-up found."})
    referral.outcome = outcome
    referral.outcome_at = clock.now()
    referral.save(update_fields=["outcome", "outcome_at"])
    record_audit(actor, "change", referral, summary="Recorded the referral's outcome")
    client_changed(referral.client)
    return referral
