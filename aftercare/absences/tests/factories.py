"""Helpers to plan absences in tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftercare.absences.models import Absence
from aftercare.absences.services import absence_create
from aftercare.practice.access import Actor


def plan_absence(
    actor: Actor, *, emergency_client_ids: list[int] | None = None, **fields: Any
) -> Absence:
    data: dict[str, Any] = {
        "practitioner": actor.user,
        "first_day": dt.date(2027, 3, 15),
        "last_day": dt.date(2027, 4, 4),
        "private_reason": "Family wedding",
        "public_note": "I am on holiday.",
        "cover_contact": "Dr Colin Colleague, 020 7946 0000",
        "notify_days_before": 21,
        "auto_reply_text": "",
        "announce_to_all": False,
    }
    data.update(fields)
    return absence_create(actor=actor, data=data, emergency_client_ids=emergency_client_ids)
