"""Erasing one client everywhere (GDPR article 17), so that not even the database file keeps them.

1. Note what identifies the client: full name, email, phone.
2. Run each app's registered erasure step (``register_erasure_step``) for what it holds about
   the client without a foreign key (an unclaimed inbound message from their number …).
3. Delete every row that points at the client (messages, answers, touchpoints, supplies,
   promises, queued messages …: the foreign keys cascade; a row that would only lose its link
   is deleted too).
4. Redact the audit trail's personal details (summaries, changes, addresses) in the rows about
   the client or naming them; the rows stay, pseudonymous, so the chain still verifies. One row
   records the erasure, by id only.
5. Delete the client. SQLite runs with ``secure_delete=ON`` (config.sqlite_database), so the
   freed pages are overwritten with zeros; after the commit a WAL checkpoint (TRUNCATE) moves
   them into the database file and empties the write-ahead log. (PostgreSQL leaves dead tuples
   until VACUUM: docs/security.md.)
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import connection, models, transaction

from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.audit import about_client, index_pending, record_audit, redact
from aftercare.practice.models import AuditEvent

ErasureStep = Callable[[Client], None]
_steps: list[ErasureStep] = []


def register_erasure_step(step: ErasureStep) -> None:
    """``step(client)`` deletes what an app holds about the client without a foreign key."""
    if step not in _steps:
        _steps.append(step)


def identifiers(client: Client) -> list[str]:
    """The strings that identify the client, as stored (for redaction and for tests)."""
    found = [client.full_name, client.email, client.phone]
    return [value for value in found if value and len(value) >= 3]


def client_erase(*, actor: Actor, client: Client) -> None:
    """Remove ``client`` and everything about them (the numbered steps above)."""
    with transaction.atomic():
        names = identifiers(client)
        for step in list(_steps):
            step(client)
        for relation in Client._meta.related_objects:
            if relation.many_to_many or relation.on_delete is models.CASCADE:
                continue  # the client's deletion below takes these
            model = relation.related_model
            model._default_manager.filter(**{relation.field.name: client}).delete()
        redact(audit_rows_about(client, names))
        record_audit(actor, AuditEvent.Action.ERASE, client, summary=f"Erased client #{client.pk}")
        client.delete()
        transaction.on_commit(checkpoint)


def audit_rows_about(client: Client, names: list[str]) -> models.QuerySet[AuditEvent]:
    """The practice's audit rows about the client or naming them (not yet redacted)."""
    rows = AuditEvent.objects.filter(practice=client.practice).exclude(detail_salt="")
    index_pending(client.practice_id)
    concerning = about_client(rows, client.practice_id, client.pk)
    about = set(concerning.values_list("pk", flat=True)) | set(
        rows.filter(object_type="clients.client", object_id=str(client.pk)).values_list(
            "pk", flat=True
        )
    )
    lowered = [name.lower() for name in names]
    for pk, summary, changes, agent in rows.values_list("pk", "summary", "changes", "user_agent"):
        text = f"{summary} {json.dumps(changes, ensure_ascii=False)} {agent}".lower()
        if any(name in text for name in lowered):
            about.add(pk)
    return AuditEvent.objects.filter(pk__in=about)


def checkpoint() -> None:
    """Move the zeroed pages into the SQLite file and empty the write-ahead log."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
