"""The audit trail: who did what to which record, when and from where.

How a row is appended (``append_audit_events``):

1. Lock the practice's chain head (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
   transaction already holds the write lock from BEGIN IMMEDIATE), so two writers never chain
   onto the same row.
2. Give each row a fresh random salt and ``detail_digest`` = HMAC-SHA256(salt, personal
   details). The salt is what ``redact`` removes: once it is gone nobody can test a guessed
   name against the digest, yet the chain still holds.
3. ``hash`` = SHA-256 of the row's fields, its digest and the previous row's hash; insert the
   rows and move the head.

``verify_chain`` walks a practice's rows by ``seq`` and recomputes every hash: an edited,
removed or inserted row breaks it. Reads are recorded in bulk: one row per page, with the ids
of the clients on it.

The rows a client is named in are found through ``AuditEventClient``, a row per (event,
client), written *after* the event, many events at a time (``index_pending``): by the tick
every minute, and by whoever is about to ask (``about_client``'s callers: the trail filtered by
a client, a client's export, an erasure). A page of 50 clients indexed as it was read put 50
rows into 50 far-apart places of that index, the largest part of the page's database work and
most of what its commit wrote to disk (issue 16); a minute's events indexed together, sorted by
client, touch each place once. The chain head's ``indexed_seq`` says how far the index goes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction

from aftercare import clock, statements
from aftercare.practice.access import Actor
from aftercare.practice.models import AuditChainHead, AuditEvent, AuditEventClient, Practice


def record_audit(
    actor: Actor,
    action: str,
    obj: models.Model,
    *,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    client_ids: Iterable[int] = (),
) -> AuditEvent:
    """Write one audit event for ``obj`` (within the caller's transaction)."""
    return append_audit_events(
        [
            AuditEvent(
                practice=actor.practice,
                user=actor.user,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                clients=client_list([*client_ids, *_client_of(obj)]),
                summary=summary[:300] or str(obj)[:300],
                changes=changes or {},
                ip_address=actor.ip_address,
                user_agent=actor.user_agent,
                via=actor.via,
            )
        ]
    )[0]


def record_reads(
    actor: Actor, model: type[models.Model], client_ids: Sequence[int], summary: str
) -> AuditEvent | None:
    """One row for a page of client data read (a list, a search, the queue, the outbox)."""
    if not client_ids:
        return None
    ids = sorted(set(client_ids))
    return append_audit_events(
        [
            AuditEvent(
                practice=actor.practice,
                user=actor.user,
                action=AuditEvent.Action.VIEW,
                object_type=model._meta.label_lower,
                object_id="",
                clients=client_list(ids),
                summary=summary[:300],
                changes={"client_ids": ids},
                ip_address=actor.ip_address,
                user_agent=actor.user_agent,
                via=actor.via,
            )
        ]
    )[0]


def client_list(ids: Iterable[int]) -> str:
    """``,1,2,`` so ``clients__contains=',2,'`` finds a client on both databases."""
    unique = sorted({int(pk) for pk in ids if pk is not None})
    return "," + ",".join(str(pk) for pk in unique) + "," if unique else ""


def _client_of(obj: models.Model) -> list[int]:
    if obj._meta.label_lower == "clients.client":
        return [obj.pk]
    client_id = getattr(obj, "client_id", None)
    return [client_id] if isinstance(client_id, int) else []


def append_audit_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert ``events`` (all of one practice, or none). See the module's steps."""
    if not events:
        return []
    practice_ids = {event.practice_id for event in events}
    if len(practice_ids) != 1:
        raise ValueError("append_audit_events takes the events of one practice at a time")
    practice_id = practice_ids.pop()
    # No savepoint: a failed insert must fail the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        head = _locked_head(practice_id)
        now = clock.now()
        for event in events:
            if event.at is None:
                event.at = now
            event.detail_salt = secrets.token_hex(16)
            event.detail_digest = detail_digest(event)
            head.seq += 1
            event.seq = head.seq
            event.prev_hash = head.hash
            event.hash = row_hash(event)
            head.hash = event.hash
        if len(events) == 1:
            _insert_one(events[0])
        else:
            AuditEvent.objects.bulk_create(events)
        _move_head(head)
    return events


def about_client(
    events: models.QuerySet[AuditEvent], practice_id: int, client_id: int
) -> models.QuerySet[AuditEvent]:
    """Those of ``events`` (the practice's) that concern the client: found by
    ``AuditEventClient``'s index, not by reading every event's ``clients``. Call
    ``index_pending(practice_id)`` first: the index holds the rows up to the last time it was
    brought up to date."""
    concerning = AuditEventClient.objects.filter(practice_id=practice_id, client_id=client_id)
    return events.filter(pk__in=concerning.values("event_id"))


INDEX_BATCH = 1_000  # events a transaction (a page of 50 clients each: 50,000 rows)


def index_pending(practice_id: int | None = None) -> int:
    """Bring ``AuditEventClient`` up to every practice's chain head (or one practice's): a row
    per client of each event appended since, a batch of events a transaction, each batch's rows
    written in client order. Returns how many events were indexed. Safe to run anywhere at any
    time (the tick, two ticks at once, a page about to filter by a client): each batch holds
    its chain's head locked, as an append does, so no event is indexed twice. With nothing to
    index, one query (a page that filters by a client asks each time)."""
    heads = AuditChainHead.objects.filter(indexed_seq__lt=models.F("seq"))
    if practice_id is not None:
        heads = heads.filter(practice_id=practice_id)
    indexed = 0
    for practice in list(heads.values_list("practice_id", flat=True)):
        more = True
        while more:
            done, more = _index_batch(practice)
            indexed += done
    return indexed


def _index_batch(practice_id: int | None) -> tuple[int, bool]:
    """Index the next batch of the chain's events: how many, and whether more wait."""
    with transaction.atomic():
        heads = AuditChainHead.objects.filter(practice_id=practice_id)
        if connection.vendor == "postgresql":
            heads = heads.select_for_update()
        found = heads.values_list("pk", "seq", "indexed_seq").first()
        if found is None or found[2] >= found[1]:
            return 0, False  # (another process indexed them meanwhile)
        head, seq, since = found
        events = list(
            AuditEvent.objects.filter(practice_id=practice_id, seq__gt=since, seq__lte=seq)
            .order_by("seq")
            .values_list("pk", "seq", "clients")[:INDEX_BATCH]
        )
        pairs = sorted(
            (int(client), event)
            for event, _seq, clients in events
            for client in clients.strip(",").split(",")
            if client.isdigit()
        )
        if pairs:
            _index_clients(practice_id, pairs)
        more = len(events) == INDEX_BATCH
        # (Fewer events than the head counts: a chain whose rows went missing, which
        # ``verify_chain`` reports; the index has nothing more to read up to the head.)
        AuditChainHead.objects.filter(pk=head).update(indexed_seq=events[-1][1] if more else seq)
        return len(events), more


def _locked_head(practice_id: int | None) -> AuditChainHead:
    """The practice's chain head, locked (``SELECT … FOR UPDATE`` on PostgreSQL), created
    when it has none. Read through a statement: every page that reads client data appends a
    row, and building this query each time cost more than running it."""

    def build(practice: int) -> Any:
        heads = AuditChainHead.objects.filter(practice_id=practice).order_by("pk")
        if connection.vendor == "postgresql":
            heads = heads.select_for_update()
        return heads.values_list("pk", "seq", "hash")[:1]

    if practice_id is not None:
        found = statements.rows("audit: the chain's head", build, practice=practice_id)
        if found:
            pk, seq, hash_ = found[0]
            return AuditChainHead(pk=pk, practice_id=practice_id, seq=seq, hash=hash_)
    heads = AuditChainHead.objects.filter(practice_id=practice_id)
    if connection.vendor == "postgresql":
        heads = heads.select_for_update()
    head = heads.first()
    if head is None:
        head = AuditChainHead.objects.create(practice_id=practice_id)
        if connection.vendor == "postgresql":
            head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
    return head


def _insert_one(event: AuditEvent) -> None:
    """``bulk_create([event])`` without compiling the INSERT each time: every page that reads
    client data appends one row. Each value is prepared for the database as Django prepares
    it (``get_db_prep_save``: JSON, addresses, moments); the new id comes back (RETURNING)."""
    fields = _INSERTED
    with connection.cursor() as cursor:
        cursor.execute(
            _insert_sql(connection.vendor),
            [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields],
        )
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


_INSERTED = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]


@functools.lru_cache(maxsize=4)
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    meta = AuditEvent._meta
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in _INSERTED)}) "  # noqa: S608 - the model's own names
        f"VALUES ({', '.join(['%s'] * len(_INSERTED))}) RETURNING {quote(meta.pk.column)}"
    )


# One statement for a batch's rows in ``AuditEventClient``, whatever their number: the ids go
# as one value (a JSON array of [client, event] pairs SQLite's ``json_each`` reads in order, two
# arrays PostgreSQL unnests side by side), in the order given. Thousands of ``(%s, %s, %s)`` places cost more to prepare than the
# insert itself. The table's own name, not input.
_CLIENTS_TABLE = AuditEventClient._meta.db_table
INDEX_CLIENTS_SQL = {
    "sqlite": f"INSERT INTO {_CLIENTS_TABLE} (practice_id, client_id, event_id) "  # noqa: S608
    "SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(%s)",
    "postgresql": f"INSERT INTO {_CLIENTS_TABLE} (practice_id, client_id, event_id) "  # noqa: S608
    "SELECT %s, client, event FROM unnest(%s::bigint[], %s::bigint[]) AS given(client, event)",
}


def _index_clients(practice_id: int | None, pairs: list[tuple[int, int]]) -> None:
    """A row in ``AuditEventClient`` for each (client, event) of ``pairs``, in their order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            clients = [client for client, _event in pairs]
            events = [event for _client, event in pairs]
            cursor.execute(INDEX_CLIENTS_SQL["postgresql"], [practice_id, clients, events])
        else:
            cursor.execute(INDEX_CLIENTS_SQL["sqlite"], [practice_id, json.dumps(pairs)])


# The table's own name, not input (as the worker's raw statements).
MOVE_HEAD_SQL = f"UPDATE {AuditChainHead._meta.db_table} SET seq = %s, hash = %s WHERE id = %s"  # noqa: S608


def _move_head(head: AuditChainHead) -> None:
    """``head.save(update_fields=["seq", "hash"])`` without building the UPDATE each time."""
    with connection.cursor() as cursor:
        cursor.execute(MOVE_HEAD_SQL, [head.seq, head.hash, head.pk])


def _details(event: AuditEvent) -> bytes:
    return _canonical(
        [event.summary, event.changes, event.ip_address or "", event.user_agent]
    ).encode()


def detail_digest(event: AuditEvent) -> str:
    return hmac.new(bytes.fromhex(event.detail_salt), _details(event), hashlib.sha256).hexdigest()


def row_hash(event: AuditEvent) -> str:
    at = event.at.astimezone(dt.UTC)
    core = [
        event.seq,
        event.practice_id,
        event.user_id,
        event.action,
        event.object_type,
        event.object_id,
        event.clients,
        event.via,
        at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        event.detail_digest,
        event.prev_hash,
    ]
    return hashlib.sha256(_canonical(core).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


@dataclass
class ChainReport:
    practice_id: int | None
    rows: int = 0
    redacted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(practice_id: int | None) -> ChainReport:
    """Recompute a practice's chain; every broken link is a problem naming the row."""
    report = ChainReport(practice_id)
    previous = ""
    expected_seq = 1
    rows = AuditEvent.objects.filter(practice_id=practice_id).order_by("seq").iterator(2000)
    for event in rows:
        report.rows += 1
        if event.seq != expected_seq:
            report.problems.append(f"row {expected_seq} is missing (next is {event.seq})")
        expected_seq = event.seq + 1
        if event.prev_hash != previous:
            report.problems.append(f"row {event.seq} does not follow the row before it")
        if event.redacted:
            report.redacted += 1
        elif not hmac.compare_digest(detail_digest(event), event.detail_digest):
            report.problems.append(f"row {event.seq}: its details were changed")
        if not hmac.compare_digest(row_hash(event), event.hash):
            report.problems.append(f"row {event.seq}: its fields were changed")
        previous = event.hash
    head = AuditChainHead.objects.filter(practice_id=practice_id).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != previous):
        report.problems.append(f"the newest rows are missing (the chain had {head.seq})")
    return report


def chained_practice_ids() -> list[int | None]:
    """Every chain there is, including those of deleted practices and the one of no practice."""
    return list(
        AuditChainHead.objects.order_by("practice_id").values_list("practice_id", flat=True)
    )


def redact(events: models.QuerySet[AuditEvent]) -> int:
    """Blank the personal details of ``events``: the one change the database allows.

    The summary becomes "(redacted)"; the salt goes, so the kept digest can no longer be
    tested against a guessed name. Returns how many rows were redacted.
    """
    return events.exclude(detail_salt="").update(
        summary="(redacted)", changes={}, ip_address=None, user_agent="", detail_salt=""
    )


def redact_practice(practice: Practice) -> int:
    """Before a practice is deleted: its rows stay, pseudonymous."""
    return redact(AuditEvent.objects.filter(practice=practice))


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
