"""Small factories for the care queue's tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.practice.models import User
from aftercare.promises.models import Promise
from aftercare.queue.models import CareHour

NOW = dt.datetime(2026, 11, 24, 8, 15, tzinfo=dt.UTC)  # Tuesday, 08:15 in London
_numbers = itertools.count(1)


def make_task(client: Client, **fields: Any) -> Touchpoint:
    number = next(_numbers)
    defaults: dict[str, Any] = {
        "key": f"{client.pk}:test:{number}",
        "kind": "call",
        "action": Action.TASK,
        "title": f"Call about how things are going ({number})",
        "due_at": NOW - dt.timedelta(hours=1),
        "status": TouchpointStatus.DUE,
        "value": 50,
        "estimated_minutes": 10,
    }
    defaults.update(fields)
    return Touchpoint.objects.create(practice=client.practice, client=client, **defaults)


def make_promise(client: Client, practitioner: User | None = None, **fields: Any) -> Promise:
    defaults: dict[str, Any] = {
        "what": "Send the sleep diary template",
        "due_at": NOW + dt.timedelta(days=1),
    }
    defaults.update(fields)
    return Promise.objects.create(
        practice=client.practice, client=client, practitioner=practitioner, **defaults
    )


def make_care_hour(user: User, client: Client, **fields: Any) -> CareHour:
    defaults: dict[str, Any] = {"weekday": 1, "starts": dt.time(8, 0), "ends": dt.time(9, 0)}
    defaults.update(fields)
    return CareHour.objects.create(practice=client.practice, user=user, **defaults)
