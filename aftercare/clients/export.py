"""One client's data, all of it, as JSON or CSV (GDPR access and portability).

The one implementation behind the web page, ``GET /api/v1/clients/{id}/export`` and
``aftercare export client ID``; the import/export feature builds on it.

1. The client's own fields, their tags and their consent history (every grant and withdrawal).
2. Every row of every model that points at the client, found through Django's model
   registry (``Client._meta.related_objects``), so an app's new table is exported without
   anyone remembering to add it; each section is named ``app.model``.
3. What an app holds about the client without a foreign key (e.g. an inbound message from
   their number that no practice claimed) comes from ``register_export_section``.
4. The audit trail's rows about the client: who read or changed the record, when, and how
   (without staff members' addresses).

CSV is the long form of the same data, one value a line: ``section, record, field, value``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Callable
from typing import Any

from django.db import models

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.audit import about_client, index_pending
from aftercare.practice.models import AuditEvent

ExportSection = Callable[[Client], list[dict[str, Any]]]
_sections: dict[str, ExportSection] = {}

# Sections whose rows are the client's own record, exported first and by name.
SKIPPED_RELATIONS = {"consent_events"}


def register_export_section(name: str, rows: ExportSection) -> None:
    """Add ``name``: rows an app holds about a client without a foreign key to them."""
    _sections[name] = rows


def client_export(client: Client) -> dict[str, Any]:
    """Everything Aftercare holds about ``client`` (the numbered steps above)."""
    data: dict[str, Any] = {
        "format": "aftercare-client-export",
        "version": 1,
        "exported_at": clock.now().isoformat(),
        "practice": client.practice.name,
        "client": row_of(client),
        "tags": sorted(client.tags.values_list("name", flat=True)),
        "consent_history": [
            {
                "purpose": event.purpose,
                "granted": event.granted,
                "how": event.how,
                "at": event.at.isoformat(),
            }
            for event in client.consent_events.order_by("at", "id")
        ],
    }
    for relation in sorted(Client._meta.related_objects, key=lambda r: r.related_model._meta.label):
        if relation.many_to_many or relation.get_accessor_name() in SKIPPED_RELATIONS:
            continue
        model = relation.related_model
        rows = model._default_manager.filter(**{relation.field.name: client}).order_by("pk")
        data[model._meta.label_lower] = [row_of(row) for row in rows]
    for name, rows_for in sorted(_sections.items()):
        data[name] = rows_for(client)
    index_pending(client.practice_id)
    data["access_log"] = [
        {"at": at.isoformat(), "action": action, "summary": summary, "via": via}
        for at, action, summary, via in about_client(
            AuditEvent.objects.filter(practice=client.practice), client.practice_id, client.pk
        )
        .order_by("seq")
        .values_list("at", "action", "summary", "via")
    ]
    return data


def row_of(instance: models.Model) -> dict[str, Any]:
    """A row's own columns as JSON values (foreign keys as ids; no practice id)."""
    row: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name == "practice":
            continue
        row[field.attname] = plain(getattr(instance, field.attname))
    return row


def plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | memoryview):  # a raw email as it arrived: its text
        return bytes(value).decode("utf-8", errors="replace")
    return value


def export_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def export_csv(data: dict[str, Any]) -> str:
    """``section, record, field, value``: one value a line, every section of the JSON."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "record", "field", "value"])
    for section, content in data.items():
        if isinstance(content, dict):
            for field, value in content.items():
                writer.writerow([section, 1, field, _cell(value)])
        elif isinstance(content, list):
            for number, item in enumerate(content, start=1):
                if isinstance(item, dict):
                    for field, value in item.items():
                        writer.writerow([section, number, field, _cell(value)])
                else:
                    writer.writerow([section, number, "value", _cell(item)])
        else:
            writer.writerow([section, "", "", _cell(content)])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def export_file_name(client: Client, extension: str) -> str:
    return f"client-{client.pk}-{clock.now():%Y%m%d}.{extension}"
