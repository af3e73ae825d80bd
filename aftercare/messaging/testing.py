"""Helpers for messaging tests: due touchpoints and the client's check-in link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftercare import clock
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.messaging.models import Message


def due_message_touchpoint(
    client: Client, *, template_key: str = "check_in", **fields: Any
) -> Touchpoint:
    defaults: dict[str, Any] = {
        "kind": template_key,
        "action": Action.MESSAGE,
        "template_key": template_key,
        "purpose": "care",
        "due_at": clock.now() - dt.timedelta(minutes=1),
        "status": TouchpointStatus.DUE,
    }
    defaults.update(fields)
    key = fields.pop("key", None) or f"{client.pk}:test:{Touchpoint.objects.count()}:{template_key}"
    defaults.pop("key", None)
    return Touchpoint.objects.create(practice=client.practice, client=client, key=key, **defaults)


def message_carrying(touchpoint: Touchpoint) -> Message:
    """The message a touchpoint went out in: its own, or the bundle it rode along in."""
    own = Message.objects.filter(touchpoint=touchpoint).first()
    if own is not None:
        return own
    touchpoint.refresh_from_db()
    number = touchpoint.status_reason.rpartition("message #")[2].rstrip(")")
    return Message.objects.get(pk=int(number))
