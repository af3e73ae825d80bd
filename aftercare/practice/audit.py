"""The audit trail: who did what to which record, when and from where."""

from __future__ import annotations

from typing import Any

from django.db import models

from aftercare.practice.access import Actor
from aftercare.practice.models import AuditEvent


def record_audit(
    actor: Actor,
    action: str,
    obj: models.Model,
    *,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event for ``obj`` (within the caller's transaction)."""
    return AuditEvent.objects.create(
        practice=actor.practice,
        user=actor.user,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300] or str(obj)[:300],
        changes=changes or {},
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        via=actor.via,
    )


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose values changed, as ``{field: [old, new]}`` (values as strings)."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)
