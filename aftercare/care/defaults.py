"""The care rules every new practice starts with (plain data, shared by services and tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "Check in after a first visit",
        "trigger": "appointment_attended",
        "trigger_options": {"first_visit": True},
        "offset_days": 3,
        "local_time": dt.time(9, 0),
        "action": "message",
        "template_key": "check_in",
        "purpose": "care",
        "value": 80,
    },
    {
        "name": "Check in after a visit",
        "trigger": "appointment_attended",
        "trigger_options": {"first_visit": False},
        "offset_days": 7,
        "local_time": dt.time(9, 0),
        "action": "message",
        "template_key": "check_in",
        "purpose": "care",
        "value": 60,
    },
    {
        "name": "Recall after 8 weeks without a visit",
        "trigger": "recall",
        "trigger_options": {"weeks": 8},
        "offset_days": 0,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "recall",
        "purpose": "care",
        "value": 50,
    },
    {
        "name": "Birthday card",
        "trigger": "birthday",
        "trigger_options": {},
        "offset_days": 0,
        "local_time": dt.time(9, 0),
        "action": "message",
        "template_key": "birthday_card",
        "purpose": "celebrations",
        "value": 40,
    },
    {
        "name": "First-visit anniversary note",
        "trigger": "first_visit_anniversary",
        "trigger_options": {},
        "offset_days": 0,
        "local_time": dt.time(9, 30),
        "action": "message",
        "template_key": "anniversary_note",
        "purpose": "celebrations",
        "value": 40,
    },
    {
        # Kindness after a missed appointment: never a bill in the same message (the fee
        # decision goes to the billing tool, not to the client).
        "name": "Ask if all is well after a missed appointment",
        "trigger": "appointment_no_show",
        "trigger_options": {},
        "offset_days": 0,
        "local_time": dt.time(17, 0),
        "action": "message",
        "template_key": "no_show_follow_up",
        "purpose": "care",
        "value": 70,
    },
]
