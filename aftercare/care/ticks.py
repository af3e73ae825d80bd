"""Steps that ``aftercare tick`` runs as of an instant, registered by the features that own them.

``aftercare tick --at T`` makes due touchpoints due (the care engine) and then runs every step
registered here with ``T``, so a feature adds time-based work without editing the command::

    from aftercare.care.ticks import register_tick_step
    register_tick_step("promises: mark broken", promises_mark_broken)

A step is ``fn(now) -> int`` (how many rows it changed, for the command's summary). Steps must
be idempotent: running tick twice at one instant changes nothing the second time. A step that
raises is logged and the others still run; ``TickStepsFailed`` then names it, so the tick is
not counted as finished (``/healthz`` shows the lag) and the next tick tries it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

TickStep = Callable[[dt.datetime], int]

_steps: dict[str, TickStep] = {}
log = logging.getLogger("aftercare.tick")


class TickStepsFailed(RuntimeError):
    """Some steps raised; ``done`` holds what the others changed, ``failed`` why each failed."""

    def __init__(self, done: dict[str, int], failed: dict[str, str]) -> None:
        self.done, self.failed = done, failed
        super().__init__(
            "tick steps failed: " + "; ".join(f"{name}: {why}" for name, why in failed.items())
        )


def register_tick_step(name: str, step: TickStep) -> None:
    """Add (or replace) the step called ``name``; steps run in registration order."""
    _steps[name] = step


def tick_steps() -> list[tuple[str, TickStep]]:
    return list(_steps.items())


def run_tick_steps(now: dt.datetime) -> dict[str, int]:
    """Run every registered step as of ``now``; returns rows changed per step.

    One step's failure does not stop the steps after it: each runs, then ``TickStepsFailed``
    reports the ones that raised.
    """
    if now.tzinfo is None:
        raise ValueError("tick steps need an aware datetime")
    done: dict[str, int] = {}
    failed: dict[str, str] = {}
    for name, step in _steps.items():
        try:
            done[name] = step(now)
        except Exception as error:
            log.exception("tick step %r failed", name)
            failed[name] = f"{type(error).__name__}: {error}"
    if failed:
        raise TickStepsFailed(done, failed)
    return done
