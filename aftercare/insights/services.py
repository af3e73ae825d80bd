"""Writes of insights: refreshing clients' care scores and lost status; reaching out."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from django.db import transaction

from aftercare import clock
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.insights import lost, score
from aftercare.insights.facts import load_facts
from aftercare.insights.models import ClientInsight, InsightsPolicy
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit
from aftercare.practice.models import Practice

logger = logging.getLogger(__name__)

BATCH = 500


def insights_policy_of(practice: Practice | int) -> InsightsPolicy:
    practice_id = practice if isinstance(practice, int) else practice.pk
    policy, _created = InsightsPolicy.objects.get_or_create(practice_id=practice_id)
    return policy


@dataclass
class RefreshResult:
    refreshed: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _mask(checks: list[score.Check], status: str) -> int:
    return sum(1 << index for index, check in enumerate(checks) if check.status == status)


def _insight_row(
    practice_id: int,
    client_id: int,
    facts: object,
    *,
    recall: dt.timedelta,
    now: dt.datetime,
    tz: dt.tzinfo,
) -> ClientInsight:
    care = score.care_score(facts.care)  # type: ignore[attr-defined]
    history = facts.history  # type: ignore[attr-defined]
    since = lost.lost_since(history, recall=recall, now=now)
    reasons = (
        lost.likely_reasons(history, facts.signals)  # type: ignore[attr-defined]
        if since is not None
        else []
    )
    return ClientInsight(
        practice_id=practice_id,
        client_id=client_id,
        score=care.score,
        checks=[asdict(check) for check in care.checks],
        met_mask=_mask(care.checks, score.MET),
        unmet_mask=_mask(care.checks, score.NOT_MET),
        visits=history.visits,
        last_visit_at=history.last_visit_at,
        lost_since=since,
        likely_reasons=reasons,
        lost_month=since.astimezone(tz).date().replace(day=1) if since is not None else None,
        reason_keys=" ".join(reasons),
        refreshed_at=now,
    )


def insights_refresh(
    *,
    practice: Practice | int,
    client_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> RefreshResult:
    """Recompute the care score and lost status of clients of one practice, in batches.

    A client whose facts cannot be judged is reported and skipped; the others are written.
    """
    now = now or clock.now()
    practice_id = practice if isinstance(practice, int) else practice.pk
    policy = insights_policy_of(practice_id)
    reply_target = dt.timedelta(hours=policy.reply_target_hours)
    recall = dt.timedelta(weeks=policy.recall_weeks)
    tz = Practice.objects.get(pk=practice_id).tz
    if client_ids is None:
        ids: Sequence[int] = list(
            Client.objects.filter(practice_id=practice_id, archived=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Archived clients leave the dashboard and the lost list with the next refresh.
        ClientInsight.objects.filter(practice_id=practice_id, client__archived=True).delete()
    else:
        ids = list(
            Client.objects.filter(practice_id=practice_id, pk__in=client_ids, archived=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ClientInsight.objects.filter(
            practice_id=practice_id, client_id__in=client_ids, client__archived=True
        ).delete()
    result = RefreshResult()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        facts = load_facts(practice_id, batch, now=now, reply_target=reply_target)
        rows = []
        for client_id, client_facts in facts.items():
            try:
                rows.append(
                    _insight_row(
                        practice_id, client_id, client_facts, recall=recall, now=now, tz=tz
                    )
                )
            except (ArithmeticError, TypeError, ValueError) as error:
                logger.warning("Care score of client #%s skipped: %s", client_id, error)
                result.skipped.append((client_id, str(error)))
        with transaction.atomic():
            ClientInsight.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["client"],
                update_fields=[
                    "score",
                    "checks",
                    "met_mask",
                    "unmet_mask",
                    "lost_month",
                    "reason_keys",
                    "visits",
                    "last_visit_at",
                    "lost_since",
                    "likely_reasons",
                    "refreshed_at",
                ],
            )
        result.refreshed += len(rows)
    return result


def refresh_one(client: Client, *, now: dt.datetime | None = None) -> ClientInsight:
    """Refresh one client and return their row (the client's-eye view reads it fresh)."""
    insights_refresh(practice=client.practice_id, client_ids=[client.pk], now=now)
    found = ClientInsight.objects.filter(client=client).first()
    if found is None:  # archived: scored for the page, kept off the dashboard
        policy = insights_policy_of(client.practice_id)
        facts = load_facts(
            client.practice_id,
            [client.pk],
            now=now or clock.now(),
            reply_target=dt.timedelta(hours=policy.reply_target_hours),
        )[client.pk]
        found = _insight_row(
            client.practice_id,
            client.pk,
            facts,
            recall=dt.timedelta(weeks=policy.recall_weeks),
            now=now or clock.now(),
            tz=client.practice.tz,
        )
    return found


@transaction.atomic
def lost_client_reach_out(*, actor: Actor, insight: ClientInsight) -> Touchpoint:
    """One click: a "reach out" task for a person in the care queue, due now (audited).

    Clicking again while the task is open finds the same task.
    """
    now = clock.now()
    reasons = ", ".join(lost.REASONS.get(key, key).lower() for key in insight.likely_reasons)
    touchpoint, created = Touchpoint.objects.get_or_create(
        practice=actor.practice,
        client_id=insight.client_id,
        key=f"{insight.client_id}:lost:{insight.last_visit_at:%Y%m%d}"
        if insight.last_visit_at
        else f"{insight.client_id}:lost",
        defaults={
            "kind": "call",
            "action": Action.TASK,
            "title": f"Reach out, we have not seen them for a while (likely: {reasons})"[:200],
            "due_at": now,
            "status": TouchpointStatus.DUE,
            "value": 75,
            "estimated_minutes": 10,
            "context": {"likely_reasons": reasons, "source": "lost_clients"},
        },
    )
    if created:
        record_audit(
            actor,
            "create",
            touchpoint,
            summary=f"Reach out to a lost client (likely: {reasons})",
            client_ids=[insight.client_id],
        )
    ClientInsight.objects.filter(pk=insight.pk).update(reach_out_touchpoint_id=touchpoint.pk)
    return touchpoint


@transaction.atomic
def insights_policy_update(*, actor: Actor, data: dict[str, int]) -> InsightsPolicy:
    """Change the practice's reply target and recall period (audited); scores follow at the
    next refresh."""
    policy = insights_policy_of(actor.practice)
    names = ["reply_target_hours", "recall_weeks"]
    before = {name: getattr(policy, name) for name in names}
    for name in names:
        if name in data:
            setattr(policy, name, data[name])
    policy.save(update_fields=names)
    changes = {
        name: [str(before[name]), str(getattr(policy, name))]
        for name in names
        if before[name] != getattr(policy, name)
    }
    if changes:
        record_audit(actor, "change", policy, summary="Insights targets changed", changes=changes)
    return policy
