"""Referrals in the care planner: the "referral made" trigger and its fact loader.

A care rule on ``referral_made`` plans a follow-up ("did you find the help you needed?") a
number of days after each referral. The loader reads every referral of a batch of clients in
one query; the planner sees them as ``facts.extra["referrals"]``, oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from aftercare.care.facts import ClientFacts, EventFact, PracticePolicy, RuleSpec
from aftercare.care.triggers import Occurrence, event_occurrences, register_trigger
from aftercare.promises.models import Referral


def load_referrals(client_ids: Sequence[int]) -> dict[int, tuple[EventFact, ...]]:
    """``{client_id: (EventFact(referral id, referred at, referred to), …)}``, oldest first."""
    found: dict[int, list[EventFact]] = defaultdict(list)
    rows = Referral.objects.filter(client_id__in=client_ids).values_list(
        "id", "client_id", "referred_at", "referred_to"
    )
    for pk, client_id, at, referred_to in rows:
        found[client_id].append(EventFact(str(pk), at, referred_to))
    return {
        client_id: tuple(sorted(events, key=lambda event: (event.at, event.id)))
        for client_id, events in found.items()
    }


def referral_made(
    facts: ClientFacts, rule: RuleSpec, policy: PracticePolicy, now: dt.datetime
) -> list[Occurrence]:
    return event_occurrences(facts.extra.get("referrals", ()), facts, "referral", "", "referred to")


def register_triggers() -> None:
    register_trigger("referral_made", label="A referral was made")(referral_made)
