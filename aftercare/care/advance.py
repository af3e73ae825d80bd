"""What ``aftercare tick`` does to touchpoints as time passes (the care engine's tick step).

1. A planned touchpoint whose due time has come becomes ``due``: a task appears in the care
   queue, a message is picked up by the messaging worker (which marks it ``sent``).
2. One that is still *blocked* (no consent, opted out) is ``skipped`` with that reason —
   unless it is blocked only for want of consent the client is being asked for (an imported
   client's consent request, to be sent or unanswered): that one *waits*, planned, until the
   answer re-plans it (and expires like any other at its lateness limit).
3. One later than its kind's lateness limit is ``expired`` with the reason, never dropped.
4. A due *message* the worker has not sent within the limit expires too (a birthday card
   three weeks late is worse than none); due *tasks* stay in the queue for a person.

Each write is guarded by the status it expects, so a worker or reconciliation acting at the
same moment never has its work overwritten; running tick twice at one instant changes
nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from aftercare.care.facts import PracticePolicy
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.clients.models import ConsentRequest

CHUNK = 2000
LIMITS = PracticePolicy()
WAITING_FOR_ANSWER = (ConsentRequest.TO_ASK, ConsentRequest.ASKED)


@dataclass
class AdvanceResult:
    due: int = 0
    skipped: int = 0
    expired: int = 0

    @property
    def changed(self) -> int:
        return self.due + self.skipped + self.expired


def late_reason(kind: str, due_at: dt.datetime, *, unsent: bool = False) -> str:
    limit = LIMITS.lateness_limit(kind)
    days = max(limit.days, 1)
    what = kind.replace("_", " ")
    prefix = "Not sent in time" if unsent else "Too late"
    return (
        f"{prefix}: more than {days} day{'s' if days != 1 else ''} after it was due "
        f"({due_at:%Y-%m-%d %H:%M} UTC); a late {what} does more harm than good."
    )[:300]


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def advance_touchpoints(now: dt.datetime) -> AdvanceResult:
    """Steps 1–4 of the module docstring, as of ``now``."""
    result = AdvanceResult()
    make_due: list[int] = []
    closing: list[Touchpoint] = []
    rows = (
        Touchpoint.objects.filter(status=TouchpointStatus.PLANNED, due_at__lte=now)
        .values_list(
            "id",
            "kind",
            "due_at",
            "blocked",
            "held_back_reason",
            "purpose",
            "client__consent_request",
            "client__opted_out_at",
            "client__consent_care",
            "client__consent_information",
            "client__consent_celebrations",
        )
        .iterator(chunk_size=CHUNK)
    )
    for pk, kind, due_at, blocked, held_back_reason, purpose, asking, opted_out, *given in rows:
        consents = dict(zip(("care", "information", "celebrations"), given, strict=True))
        if now > due_at + LIMITS.lateness_limit(kind):
            closing.append(
                Touchpoint(
                    id=pk, status=TouchpointStatus.EXPIRED, status_reason=late_reason(kind, due_at)
                )
            )
        elif (
            blocked
            and asking in WAITING_FOR_ANSWER
            and opted_out is None
            and not consents.get(purpose, True)
        ):
            continue  # waits for the client's answer to the consent request
        elif blocked:
            reason = f"Skipped when due: {held_back_reason or 'it was held back'}"
            closing.append(
                Touchpoint(id=pk, status=TouchpointStatus.SKIPPED, status_reason=reason[:300])
            )
        else:
            make_due.append(pk)
    unsent = (
        Touchpoint.objects.filter(status=TouchpointStatus.DUE, action=Action.MESSAGE)
        .filter(
            Q(due_at__lt=now - min(LIMITS.lateness_limits.values(), default=dt.timedelta(days=1)))
        )
        .values_list("id", "kind", "due_at")
    )
    late_due: list[Touchpoint] = [
        Touchpoint(
            id=pk,
            status=TouchpointStatus.EXPIRED,
            status_reason=late_reason(kind, due_at, unsent=True),
        )
        for pk, kind, due_at in unsent
        if now > due_at + LIMITS.lateness_limit(kind)
    ]
    for ids in _chunks(make_due):
        result.due += Touchpoint.objects.filter(id__in=ids, status=TouchpointStatus.PLANNED).update(
            status=TouchpointStatus.DUE, updated_at=now
        )
    for expected, touchpoints in (
        (TouchpointStatus.PLANNED, closing),
        (TouchpointStatus.DUE, late_due),
    ):
        by_reason: dict[tuple[str, str], list[int]] = {}
        for touchpoint in touchpoints:
            by_reason.setdefault((touchpoint.status, touchpoint.status_reason), []).append(
                touchpoint.pk
            )
        for (status, reason), ids in by_reason.items():
            for chunk in _chunks(ids):
                count = Touchpoint.objects.filter(id__in=chunk, status=expected).update(
                    status=status, status_reason=reason, updated_at=now
                )
                if status == TouchpointStatus.SKIPPED:
                    result.skipped += count
                else:
                    result.expired += count
    return result
