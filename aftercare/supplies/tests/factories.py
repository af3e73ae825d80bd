"""Small helpers to add supplies in tests without repeating every field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.supplies.models import Supply
from aftercare.supplies.services import supply_create


def add_supply(actor: Actor, client: Client, **fields: Any) -> Supply:
    data: dict[str, Any] = {
        "name": "Magnesium citrate",
        "kind": "supplement",
        "prepared_by": "practice",
        "quantity": Decimal(90),
        "unit": "capsules",
        "daily_dose": Decimal(1),
        "every_days": 1,
        "taper_steps": [],
        "started_on": dt.date(2026, 11, 1),
        "lead_time_days": 14,
        "status": "active",
    }
    data.update(fields)
    return supply_create(actor=actor, client=client, data=data)
