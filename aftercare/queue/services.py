"""Writes behind the care queue: one-click actions, task touchpoints, care hours, feed keys.

Each write is atomic, audited and records who did it and when. Bad input raises
``ValidationError`` with a message naming the field; nothing is half-saved.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from aftercare import clock
from aftercare.care.models import OPEN_STATUSES as OPEN_TOUCHPOINT_STATUSES
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.practice.access import Actor, get_scoped_or_404
from aftercare.practice.audit import record_audit
from aftercare.queue import items
from aftercare.queue.models import CalendarFeed, CareHour, QueueAct


def check_snooze_until(until: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if until is None:
        raise ValidationError({"until": "Choose the date to snooze until."})
    if until.tzinfo is None:
        raise ValidationError({"until": "The snooze date needs a time zone."})
    if until <= now:
        raise ValidationError({"until": "Choose a date in the future to snooze until."})
    return until


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why you skip it, so the next person knows."})
    return reason[:300]


@transaction.atomic
def queue_item_perform(
    *,
    actor: Actor,
    item_id: str,
    action: str,
    until: dt.datetime | None = None,
    reason: str = "",
) -> None:
    """Carry out ``action`` on the queue item ``item_id`` through the source that owns it."""
    try:
        kind, object_id = items.split_item_id(item_id)
    except ValueError as error:
        raise Http404("Unknown queue item") from error
    source = items.queue_source(kind)
    if source is None or source.perform is None:
        raise Http404("Unknown queue item")
    if action not in {"done", "snooze", "skip"}:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    source.perform(actor, object_id, action, until=until, reason=reason)
    if action in {"done", "skip"} and actor.user is not None:
        QueueAct.objects.create(
            practice=actor.practice, user=actor.user, item=item_id[:60], action=action
        )


def _open_task(actor: Actor, object_id: str) -> Touchpoint:
    touchpoint = get_scoped_or_404(
        Touchpoint.objects.select_for_update().select_related("client"),
        actor,
        pk=object_id,
        action=Action.TASK,
    )
    if touchpoint.status not in OPEN_TOUCHPOINT_STATUSES:
        raise ValidationError(
            {"action": f"This task is already {touchpoint.get_status_display().lower()}."}
        )
    return touchpoint


def perform_on_touchpoint(
    actor: Actor,
    object_id: str,
    action: str,
    *,
    until: dt.datetime | None = None,
    reason: str = "",
) -> None:
    """Done / snooze / skip one task touchpoint (the ``touchpoint`` queue source)."""
    now = clock.now()
    touchpoint = _open_task(actor, object_id)
    if action == "done":
        touchpoint.status = TouchpointStatus.DONE
        touchpoint.completed_by = actor.user
        touchpoint.completed_at = now
        fields = ["status", "completed_by", "completed_at", "updated_at"]
        summary = f"Done: {touchpoint.title or touchpoint.kind}"
    elif action == "snooze":
        touchpoint.snoozed_until = check_snooze_until(until, now)
        fields = ["snoozed_until", "updated_at"]
        summary = f"Snoozed until {touchpoint.snoozed_until:%Y-%m-%d %H:%M}"
    elif action == "skip":
        touchpoint.status = TouchpointStatus.SKIPPED
        touchpoint.status_reason = check_reason(reason)
        touchpoint.completed_by = actor.user
        touchpoint.completed_at = now
        fields = ["status", "status_reason", "completed_by", "completed_at", "updated_at"]
        summary = f"Skipped: {touchpoint.status_reason}"
    else:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    touchpoint.updated_at = now
    touchpoint.save(update_fields=fields)
    record_audit(actor, "change", touchpoint, summary=summary)


# --- care hours --------------------------------------------------------------------------


@transaction.atomic
def care_hour_create(*, actor: Actor, weekday: int, starts: dt.time, ends: dt.time) -> CareHour:
    """Add a weekly care hour for the acting user (several are allowed; overlaps are not)."""
    if weekday not in range(7):
        raise ValidationError({"weekday": "Choose a day of the week."})
    if ends <= starts:
        raise ValidationError({"ends": "The care hour must end after it starts."})
    overlapping = CareHour.objects.filter(
        practice=actor.practice,
        user=actor.user,
        weekday=weekday,
        starts__lt=ends,
        ends__gt=starts,
    ).first()
    if overlapping is not None:
        raise ValidationError({"starts": f"This overlaps your care hour {overlapping}."})
    hour = CareHour.objects.create(
        practice=actor.practice, user=actor.user, weekday=weekday, starts=starts, ends=ends
    )
    record_audit(actor, "create", hour, summary=f"Care hour {hour}")
    return hour


@transaction.atomic
def care_hour_delete(*, actor: Actor, hour: CareHour) -> None:
    if hour.practice_id != actor.practice.pk or hour.user_id != getattr(actor.user, "pk", None):
        raise Http404("Not found")
    record_audit(actor, "delete", hour, summary=f"Removed care hour {hour}")
    hour.delete()


# --- the calendar feed's secret -------------------------------------------------------------


def calendar_feed_for(*, actor: Actor) -> CalendarFeed:
    """The acting user's feed in this practice, created on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(
        practice=actor.practice,
        user=actor.user,
        defaults={"key": secrets.token_urlsafe(24)},
    )
    return feed


@transaction.atomic
def calendar_feed_reset(*, actor: Actor) -> CalendarFeed:
    """Give the feed a new secret, so every URL handed out before stops working."""
    feed = calendar_feed_for(actor=actor)
    feed.key = secrets.token_urlsafe(24)
    feed.save(update_fields=["key"])
    record_audit(actor, "change", feed, summary="Reset the calendar feed address")
    return feed
