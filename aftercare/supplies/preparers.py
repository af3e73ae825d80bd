"""What supplies add as a due re-order reminder becomes a message (a care touchpoint preparer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftercare import clock
from aftercare.care.triggers import local_date


def never_a_past_day(touchpoint: Any, details: dict[str, Any]) -> None:
    """Touchpoint preparer: a re-order reminder written on or after its order-by day says
    "order today" instead of naming a day already past (even with the practice's own template).

    The planner already says so when it plans late; this catches a reminder held back since
    (quiet hours, a pause, a worker that was down).
    """
    raw = details.get("order_by_date")
    if not raw or touchpoint.kind != "reorder_reminder":
        return
    client = touchpoint.client
    today = local_date(clock.now(), client.time_zone or client.practice.time_zone)
    if dt.date.fromisoformat(raw) <= today:
        details["order_today"] = True
        details["order_by"] = "today"
