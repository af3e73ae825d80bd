"""Steps that ``aftercare tick`` runs as of an instant, registered by the features that own them.

``aftercare tick --at T`` makes due touchpoints due (the care engine) and then runs every step
registered here with ``T``, so a feature adds time-based work without editing the command::

    from aftercare.care.ticks import register_tick_step
    register_tick_step("promises: mark broken", promises_mark_broken)

A step is ``fn(now) -> int`` (how many rows it changed, for the command's summary). Steps must
be idempotent: running tick twice at one instant changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

TickStep = Callable[[dt.datetime], int]

_steps: dict[str, TickStep] = {}


def register_tick_step(name: str, step: TickStep) -> None:
    """Add (or replace) the step called ``name``; steps run in registration order."""
    _steps[name] = step


def tick_steps() -> list[tuple[str, TickStep]]:
    return list(_steps.items())


def run_tick_steps(now: dt.datetime) -> dict[str, int]:
    """Run every registered step as of ``now``; returns rows changed per step."""
    if now.tzinfo is None:
        raise ValueError("tick steps need an aware datetime")
    return {name: step(now) for name, step in _steps.items()}
