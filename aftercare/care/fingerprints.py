"""Input fingerprints: the sweep plans a client again only when what the planner reads changed.

A client's fingerprint is a digest of everything the planner and reconciliation read for them:
the client's row (time zone, birth date, consent, channel addresses, pause, archived), their
appointments, tags, observed tags, stored touchpoints and shared resources as the database
returns them, every fact loader's facts (supplies, referrals, unread messages), the practice's
enabled rules and policy with every policy loader's facts (absences), the installed triggers,
adjusters and loaders, and the client's local day — the boundary at which time passing alone
changes a plan (a yearly occurrence rolls on, a recall or lateness horizon passes). Within a
day the plan of an unchanged client is not made again; every event still re-plans its client
at once, and the daily sweep of ``aftercare tick`` re-plans everyone on their new day.

Pure Python: ``care/reconcile.py`` reads the rows, stores the digests (``PlanFingerprint``) and
compares them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

# Bump to make every client's plan again (e.g. when the planner's logic changes).
VERSION = "1"


def stable(value: Any) -> Any:
    """``value`` in a form whose ``repr`` is the same in every process and for equal facts.

    Sets are sorted (their order depends on the process's string hashing), mappings sorted by
    key, and dataclasses reduced to the fields that take part in their equality (a signed link
    built from the other fields, ``compare=False``, is left out: it changes every second).
    """
    if value is None or isinstance(value, str | int | float | dt.date | dt.time | dt.timedelta):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (
            type(value).__name__,
            tuple(stable(getattr(value, f.name)) for f in fields if f.compare),
        )
    if isinstance(value, Mapping):
        return tuple(sorted((repr(stable(key)), stable(item)) for key, item in value.items()))
    if isinstance(value, set | frozenset):
        return tuple(sorted((stable(item) for item in value), key=repr))
    if isinstance(value, tuple | list):
        return tuple(stable(item) for item in value)
    return repr(value)


def digest(*parts: Any) -> str:
    """A 32-character digest of ``parts``, whose ``repr`` must be stable (raw rows, ``stable()``)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
