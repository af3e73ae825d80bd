"""Referrals in the care planner: the "referral made" trigger, its fact loader, the default rule.

A care rule on ``referral_made`` plans a follow-up ("did you find the help you needed?") a
number of days after each referral. Every practice starts with one (``DEFAULT_REFERRAL_RULES``;
existing practices got it from the migration ``promises.0002``), so no referral goes without a
follow-up unless the practice turns the rule off. The loader reads every referral of a batch of
clients in one query; the planner sees them as ``facts.extra["referrals"]``, oldest first.
A referral whose outcome is already recorded needs no follow-up: it is not loaded, so a
follow-up still planned for it is cancelled as obsolete.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aftercare.care.facts import ClientFacts, EventFact, PracticePolicy, RuleSpec
from aftercare.care.triggers import Occurrence, event_occurrences, register_trigger
from aftercare.promises.models import Referral


def load_referrals(client_ids: Sequence[int]) -> dict[int, tuple[EventFact, ...]]:
    """``{client_id: (EventFact(referral id, referred at, referred to), …)}``, oldest first."""
    found: dict[int, list[EventFact]] = defaultdict(list)
    rows = Referral.objects.filter(client_id__in=client_ids, outcome="").values_list(
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
    referrals = facts.extra.get("referrals", ())
    to_whom = {f"referral{event.id}": event.label for event in referrals}
    # The follow-up names whom the client was referred to ("… with Dr Patel").
    return [
        occurrence._replace(
            context={**occurrence.context, "referred_to": to_whom[occurrence.occurrence]}
        )
        for occurrence in event_occurrences(
            referrals, facts, "referral", "", "referred to", policy.locale
        )
    ]


def register_triggers() -> None:
    register_trigger("referral_made", label="A referral was made")(referral_made)


# The rule every practice starts with. The migration promises.0002 gives existing practices a
# frozen copy of it; change both together.
DEFAULT_REFERRAL_RULES: list[dict[str, Any]] = [
    {
        "name": "Follow up a referral: did you find the help you needed?",
        "trigger": "referral_made",
        "trigger_options": {},
        "offset_days": 14,
        "local_time": dt.time(10, 0),
        "action": "message",
        "template_key": "referral_follow_up",
        "purpose": "care",
        "value": 70,
    }
]
