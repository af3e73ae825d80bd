"""Writes for care rules, the care policy and touchpoint planning. Each is atomic and audited.

A change to a rule or the policy re-plans the practice's clients on commit: at once for a
practice of up to ``INLINE_REPLAN_LIMIT`` clients, otherwise by the next ``aftercare tick``
(a request never waits for a sweep over tens of thousands of clients).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from aftercare import clock
from aftercare.care.defaults import DEFAULT_RULES
from aftercare.care.models import (
    OPEN_STATUSES,
    CarePolicy,
    CareRule,
    PlanFingerprint,
    Touchpoint,
    TouchpointStatus,
)
from aftercare.care.reconcile import ReconcileResult, reconcile_all, reconcile_client
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.practice.models import Practice

INLINE_REPLAN_LIMIT = 500

RULE_FIELDS = [
    "name",
    "trigger",
    "trigger_options",
    "offset_days",
    "local_time",
    "action",
    "template_key",
    "purpose",
    "task_kind",
    "estimated_minutes",
    "condition",
    "value",
    "enabled",
    "resource",
]


def care_setup_practice(*, practice: Practice) -> list[CareRule]:
    """Give a new practice its care policy and the default care rules (idempotent)."""
    CarePolicy.objects.get_or_create(practice=practice)
    if CareRule.objects.filter(practice=practice).exists():
        return list(CareRule.objects.filter(practice=practice))
    return CareRule.objects.bulk_create(
        CareRule(practice=practice, **spec) for spec in DEFAULT_RULES
    )


def policy_of(practice: Practice) -> CarePolicy:
    policy, _ = CarePolicy.objects.get_or_create(practice=practice)
    return policy


def request_replan(practice: Practice) -> None:
    """Re-plan every client of the practice once the current transaction commits."""

    def replan() -> None:
        if Client.objects.filter(practice=practice).count() <= INLINE_REPLAN_LIMIT:
            reconcile_all(practice_id=practice.pk)
        else:
            CarePolicy.objects.update_or_create(
                practice=practice, defaults={"replan_requested_at": clock.now()}
            )

    transaction.on_commit(replan)


def replan_requested_practices(now: dt.datetime) -> int:
    """Tick step: sweep the practices whose rules changed; returns touchpoints changed."""
    changed = 0
    for policy in CarePolicy.objects.filter(replan_requested_at__isnull=False):
        requested = policy.replan_requested_at
        changed += reconcile_all(practice_id=policy.practice_id, now=now).changed
        # Clear only the request we served; a change made during the sweep asks again.
        CarePolicy.objects.filter(pk=policy.pk, replan_requested_at=requested).update(
            replan_requested_at=None
        )
    return changed


@transaction.atomic
def care_rule_create(*, actor: Actor, data: dict[str, Any]) -> CareRule:
    rule = CareRule(practice=actor.practice)
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.save()
    record_audit(actor, "create", rule, summary=f"Created care rule {rule.name}")
    request_replan(actor.practice)
    return rule


@transaction.atomic
def care_rule_update(*, actor: Actor, rule: CareRule, data: dict[str, Any]) -> CareRule:
    before = model_to_dict(rule, fields=RULE_FIELDS)
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.save()
    changes = diff_fields(before, model_to_dict(rule, fields=RULE_FIELDS))
    if changes:
        record_audit(
            actor,
            "change",
            rule,
            summary=f"Changed care rule {rule.name}: {', '.join(sorted(changes))}",
            changes=changes,
        )
        request_replan(actor.practice)
    return rule


def care_rule_set_enabled(*, actor: Actor, rule: CareRule, enabled: bool) -> CareRule:
    return care_rule_update(actor=actor, rule=rule, data={"enabled": enabled})


@transaction.atomic
def care_rule_delete(*, actor: Actor, rule: CareRule) -> None:
    """Delete a rule; its open touchpoints are cancelled with the reason, history is kept."""
    Touchpoint.objects.filter(
        rule=rule, status__in=[TouchpointStatus.PLANNED, TouchpointStatus.DUE]
    ).update(
        status=TouchpointStatus.CANCELLED,
        status_reason=f"Its care rule {rule.name!r} was deleted."[:300],
        updated_at=clock.now(),
    )
    record_audit(actor, "delete", rule, summary=f"Deleted care rule {rule.name}")
    rule.delete()


@transaction.atomic
def care_policy_update(*, actor: Actor, data: dict[str, Any]) -> CarePolicy:
    policy = policy_of(actor.practice)
    fields = [
        "quiet_hours_start",
        "quiet_hours_end",
        "contact_budget_messages",
        "contact_budget_days",
    ]
    before = model_to_dict(policy, fields=fields)
    for name in fields:
        if name in data:
            setattr(policy, name, data[name])
    policy.save()
    changes = diff_fields(before, model_to_dict(policy, fields=fields))
    if changes:
        record_audit(
            actor,
            "change",
            policy,
            summary="Changed quiet hours or contact budget",
            changes=changes,
        )
        request_replan(actor.practice)
    return policy


def replan_client_on_commit(client: Client) -> None:
    """The ``on_client_changed`` hook: re-plan the client once the change is committed.

    Runs right after the service's transaction commits, so within the same request a
    no-show recorded instead of an attendance has already cancelled its check-in.
    """
    client_id = client.pk
    if client_id is None:
        return
    transaction.on_commit(lambda: reconcile_client(client_id))


def plan_client(*, client: Client) -> ReconcileResult:
    return reconcile_client(client)


def touchpoints_merge(kept: Client, other: Client) -> int:
    """A merge step (``clients.merge.register_merge_step``): the other record's care joins the
    kept one's plan.

    1. Its planned and due touchpoints were planned from that record's facts; they are
       cancelled, and re-planning the kept client after the merge plans again what is still
       wanted (a cancelled touchpoint is revived under its key).
    2. Every touchpoint of the other record takes the kept client's key prefix (``12:rule3:…``
       becomes ``7:rule3:…``) unless the kept client has that key already: the planner then
       sees the birthday card or check-in already sent under the key it would plan, and never
       sends it twice. Tasks a person added by hand move as they are.
    3. Both records' plan fingerprints go: the kept client's inputs changed, and the sweep
       must plan them again rather than find their old digest.
    """
    now = clock.now()
    PlanFingerprint.objects.filter(client__in=[kept.pk, other.pk]).delete()
    planned = [
        row.pk
        for row in Touchpoint.objects.filter(client=other, status__in=OPEN_STATUSES).only(
            "pk", "context"
        )
        if isinstance(row.context, dict) and "trigger" in row.context
    ]
    Touchpoint.objects.filter(pk__in=planned).update(
        status=TouchpointStatus.CANCELLED,
        status_reason=f"Merged into the record of {kept.full_name}; planned again there."[:300],
        updated_at=now,
    )
    taken = set(Touchpoint.objects.filter(client=kept).values_list("key", flat=True))
    prefix = f"{other.pk}:"
    rekeyed = []
    for pk, key in Touchpoint.objects.filter(client=other).values_list("pk", "key"):
        if not key.startswith(prefix):
            continue
        new_key = f"{kept.pk}:{key.removeprefix(prefix)}"
        if new_key not in taken:
            taken.add(new_key)
            rekeyed.append(Touchpoint(pk=pk, key=new_key, updated_at=now))
    Touchpoint.objects.bulk_update(rekeyed, ["key", "updated_at"], batch_size=500)
    return len(planned)
