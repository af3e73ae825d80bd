"""Clients in from a file: match each checked row to a client, then write them all at once.

``import_clients`` is the one implementation behind the upload page, the worker and
``aftercare import clients``:

1. Read the practice's clients once (the match keys and the fields a file can change).
2. Match each row: by external id, then email, then mobile number, then name and date of
   birth (for a sheet with none of those, so a second run still finds its clients). A row
   whose client was already matched by an earlier row is refused, naming that row.
3. Decide: created, updated (with the fields that change), unchanged.
4. Unless it is a dry run, write in one transaction: new clients in bulk with their consent
   history (an import records consent only from a mapped consent column; without one every
   purpose starts without consent, and no event, until the client says so), changed clients
   in bulk, their tags, one audit event for the whole import, and one re-plan of the practice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from aftercare import clock
from aftercare.care.services import request_replan
from aftercare.clients.forms import tags_for
from aftercare.clients.models import Client, ConsentEvent, ConsentRequest, Purpose
from aftercare.imports.exports import CLIENT_COLUMNS
from aftercare.imports.rows import ClientRow, Refusal
from aftercare.practice.access import Actor
from aftercare.practice.audit import append_audit_events, client_list
from aftercare.practice.models import AuditEvent

# The fields a row may set: the export's client columns (so a round trip changes nothing), but
# tags, which are written apart from the client's own fields.
WRITABLE = [column for column in CLIENT_COLUMNS if column != "tags"]
BATCH = 500


@dataclass
class _Plan:
    row: ClientRow
    client: Client | None
    changes: dict[str, Any]


@dataclass
class RowOutcome:
    row: int
    outcome: str  # created, updated, unchanged, refused
    name: str = ""
    detail: str = ""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    client_ids: list[int] = field(default_factory=list)
    plans: list[_Plan] = field(default_factory=list, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [{"row": r.row, "reason": r.reason} for r in self.refused],
        }


def _name_key(given: str, family: str, birth: dt.date | None) -> tuple[str, str, str]:
    return (given.strip().lower(), family.strip().lower(), birth.isoformat() if birth else "")


class ClientIndex:
    """The practice's clients by each match key (step 1)."""

    def __init__(self, clients: Iterable[Client]) -> None:
        self.by_external: dict[str, Client] = {}
        self.by_email: dict[str, Client] = {}
        self.by_phone: dict[str, Client] = {}
        self.by_name: dict[tuple[str, str, str], Client] = {}
        for client in clients:
            self.add(client)

    def add(self, client: Client) -> None:
        if client.external_id:
            self.by_external.setdefault(client.external_id, client)
        if client.email:
            self.by_email.setdefault(client.email.lower(), client)
        if client.phone:
            self.by_phone.setdefault(client.phone, client)
        key = _name_key(client.given_name, client.family_name, client.birth_date)
        self.by_name.setdefault(key, client)

    def match(self, values: dict[str, Any]) -> Client | None:
        external_id = values.get("external_id", "")
        if external_id:
            found = self.by_external.get(external_id)
            if found is not None:
                return found
        for key, index in (("email", self.by_email), ("phone", self.by_phone)):
            if values.get(key) and values[key] in index:
                candidate = index[values[key]]
                # Another id in the same tool is another person sharing an address
                # (a parent booking for children): not this client.
                if external_id and candidate.external_id and candidate.external_id != external_id:
                    continue
                return candidate
        return self.by_name.get(
            _name_key(values["given_name"], values["family_name"], values.get("birth_date"))
        )


def plan_rows(practice_id: int, rows: list[ClientRow], refused: list[Refusal]) -> ImportResult:
    """Steps 1-3: what importing ``rows`` would do, without writing anything."""
    result = ImportResult(refused=list(refused))
    index = ClientIndex(
        Client.objects.filter(practice_id=practice_id).only(*WRITABLE, "practice_id").order_by("id")
    )
    tags_by_client = _tags_by_client(practice_id)
    first_row_of: dict[int, int] = {}
    pending = ClientIndex([])
    for row in rows:
        name = f"{row.values['given_name']} {row.values['family_name']}".strip()
        client = index.match(row.values)
        if client is None:
            twin = pending.match(row.values)
            if twin is not None:
                earlier = first_row_of[id(twin)]
                result.refused.append(Refusal(row.number, f"the same client as row {earlier}"))
                continue
            new = Client(practice_id=practice_id, **row.values)
            pending.add(new)
            first_row_of[id(new)] = row.number
            result.plans.append(_Plan(row, None, row.values))
            result.created += 1
            result.outcomes.append(RowOutcome(row.number, "created", name))
            continue
        if client.pk in first_row_of:
            earlier = first_row_of[client.pk]
            result.refused.append(Refusal(row.number, f"the same client as row {earlier}"))
            continue
        first_row_of[client.pk] = row.number
        changes = {
            key: value
            for key, value in row.values.items()
            if key in WRITABLE and getattr(client, key) != value and not _keeps(key, value)
        }
        tags_change = row.tags is not None and sorted(row.tags) != tags_by_client.get(client.pk, [])
        if changes or tags_change:
            result.updated += 1
            words = sorted(changes) + (["tags"] if tags_change else [])
            result.outcomes.append(
                RowOutcome(
                    row.number, "updated", name, ", ".join(w.replace("_", " ") for w in words)
                )
            )
            result.plans.append(_Plan(row, client, changes))
        else:
            result.unchanged += 1
            result.outcomes.append(RowOutcome(row.number, "unchanged", name))
    result.outcomes.extend(RowOutcome(r.row, "refused", "", r.reason) for r in result.refused)
    result.outcomes.sort(key=lambda outcome: outcome.row)
    result.refused.sort(key=lambda refusal: refusal.row)
    return result


def _keeps(key: str, value: Any) -> bool:
    """An empty id in the file does not take away the one a client already has."""
    return key == "external_id" and not value


def _tags_by_client(practice_id: int) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    through = Client.tags.through.objects.filter(client__practice_id=practice_id)
    for client_id, name in through.values_list("client_id", "tag__name").order_by("tag__name"):
        tags.setdefault(client_id, []).append(name)
    return tags


def import_clients(
    *,
    actor: Actor,
    rows: list[ClientRow],
    refused: list[Refusal],
    dry_run: bool = False,
    how: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Plan the rows and, unless ``dry_run``, write them (the module's steps)."""
    result = plan_rows(actor.practice.pk, rows, refused)
    if dry_run:
        return result
    plans = result.plans
    with transaction.atomic():
        now = clock.now()
        done = 0
        for start in range(0, len(plans), BATCH):
            batch = plans[start : start + BATCH]
            result.client_ids += _write_batch(actor, batch, now=now, how=how)
            done += len(batch)
            if progress is not None:
                progress(done)
        if result.client_ids:
            append_audit_events(
                [
                    AuditEvent(
                        practice=actor.practice,
                        user=actor.user,
                        action=AuditEvent.Action.CREATE if result.created else "change",
                        object_type="clients.client",
                        object_id="",
                        clients=client_list(result.client_ids),
                        summary=(
                            f"Imported clients ({how}): {result.created} created, "
                            f"{result.updated} updated, {len(result.refused)} refused"
                        )[:300],
                        changes={"client_ids": sorted(result.client_ids)},
                        ip_address=actor.ip_address,
                        user_agent=actor.user_agent,
                        via=actor.via,
                    )
                ]
            )
            request_replan(actor.practice)
    return result


def _write_batch(actor: Actor, plans: list[_Plan], *, now: dt.datetime, how: str) -> list[int]:
    new = [plan for plan in plans if plan.client is None]
    created = Client.objects.bulk_create(
        [
            Client(
                practice=actor.practice,
                **{
                    "consent_care": False,
                    "consent_information": False,
                    "consent_celebrations": False,
                    # No consent column: nobody said anything, so the client is asked by
                    # their first message (``messaging/consent.py``).
                    "consent_request": ConsentRequest.NOT_NEEDED
                    if "consent_care" in plan.row.values
                    else ConsentRequest.TO_ASK,
                    **plan.row.values,
                },
                created_at=now,
                updated_at=now,
            )
            for plan in new
        ]
    )
    # Consent history records what a person said: a mapped consent column. Without one,
    # nothing was said, and the client simply has no consent yet (no event to record).
    consent = [
        ConsentEvent(
            client=client,
            purpose=purpose,
            granted=client.has_consent(purpose),
            how=how,
            recorded_by=actor.user,
            at=now,
        )
        for plan, client in zip(new, created, strict=True)
        for purpose in Purpose.values
        if f"consent_{purpose}" in plan.row.values
    ]
    changed = [plan for plan in plans if plan.client is not None]
    for plan in changed:
        assert plan.client is not None  # noqa: S101 - narrowed above
        for key, value in plan.changes.items():
            setattr(plan.client, key, value)
        plan.client.updated_at = now
        consent += [
            ConsentEvent(
                client=plan.client,
                purpose=purpose,
                granted=plan.changes[f"consent_{purpose}"],
                how=how,
                recorded_by=actor.user,
                at=now,
            )
            for purpose in Purpose.values
            if f"consent_{purpose}" in plan.changes
        ]
    fields = sorted({key for plan in changed for key in plan.changes} | {"updated_at"})
    if changed:
        Client.objects.bulk_update([plan.client for plan in changed], fields)
    ConsentEvent.objects.bulk_create(consent)
    _write_tags(actor, [*zip(new, created, strict=True), *((p, p.client) for p in changed)])
    return [client.pk for client in created] + [plan.client.pk for plan in changed]  # type: ignore[union-attr]


def _write_tags(actor: Actor, pairs: list[tuple[_Plan, Client | None]]) -> None:
    tagged = [(plan.row.tags, client) for plan, client in pairs if plan.row.tags is not None]
    if not tagged:
        return
    names = sorted({name for tags, _ in tagged for name in tags or []})
    by_name = {tag.name: tag for tag in tags_for(actor.practice, names)}
    through = Client.tags.through
    through.objects.filter(client__in=[client for _, client in tagged]).delete()
    through.objects.bulk_create(
        through(client_id=client.pk, tag_id=by_name[name].pk)  # type: ignore[union-attr]
        for tags, client in tagged
        for name in tags or []
    )
