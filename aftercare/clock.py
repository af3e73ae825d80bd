"""The one source of "now" for Aftercare.

All code asks ``clock.now()`` instead of ``timezone.now()`` so that the whole system can be
run as of any instant (``aftercare tick --at …``) and previewed without changing the wall clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from aftercare.dates import COMMAND_DAYS

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current instant as an aware UTC datetime (or the instant set by ``at``)."""
    if _frozen is not None:
        return _frozen
    return timezone.now()


def today(tz: dt.tzinfo) -> dt.date:
    """Return today's date in the given time zone."""
    return now().astimezone(tz).date()


def parse_instant(raw: str) -> dt.datetime:
    """An ISO 8601 date-time as an aware UTC datetime; without an offset it is taken as UTC.

    Raises ``ValueError`` with a message a person can act on (the commands' ``--at``).
    """
    try:
        instant = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(
            f"expected an ISO date-time such as 2026-12-01T09:00:00+01:00, got {raw!r}"
        ) from error
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    try:
        instant = instant.astimezone(dt.UTC)
    except OverflowError as error:
        raise ValueError(f"{raw.strip()!r} is out of range") from error
    # Replaying far from today would make every date computed from it overflow.
    problem = COMMAND_DAYS.problem(instant.date(), today(dt.UTC))
    if problem:
        raise ValueError(problem)
    return instant


@contextlib.contextmanager
def at(instant: dt.datetime) -> Iterator[dt.datetime]:
    """Run the enclosed block as of ``instant`` (which must be aware)."""
    global _frozen
    if instant.tzinfo is None:
        raise ValueError("clock.at needs an aware datetime")
    previous, _frozen = _frozen, instant.astimezone(dt.UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous
