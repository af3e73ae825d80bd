"""The worker: the only code that sends messages.

A loop of small steps, each returning "did I find work?" (like healthchecks' sendalerts):

0. ``route_arrived``: triage and route what clients wrote that a webhook stored (first, so a
   crisis reaches the practitioner as fast as the worker runs).
1. ``render_due_touchpoints``: claim due message touchpoints (a conditional UPDATE from
   ``due`` to ``sent``) and render each into a queued Message in the same transaction.
2. ``send_queued``: claim a batch of queued messages with a lease (PostgreSQL one ``UPDATE``
   of rows picked ``FOR UPDATE SKIP LOCKED``; SQLite a conditional ``UPDATE … WHERE
   status='queued'``) — of a rate-limited sender only what its rate lets out within the lease
   (``claim_size``) — re-check each just before sending, record the attempt *before* handing it
   to the transport, send, and record the outcome, message by message, only while this worker
   still holds the lease. The worker's commits do not wait for the disk (``worker_commits``):
   a kill loses none of them; an SMS attempt is committed durably before its hand-over.
3. ``reclaim_expired``: a message whose lease expired belongs to a worker that died mid-send.
   Email is queued again and resent with the same Message-ID (receivers drop duplicates);
   SMS/WhatsApp, whose provider offers no idempotency key, become ``uncertain`` for a person
   to check — unless no attempt was recorded, which proves nothing was handed over.

SIGTERM sets ``stopping``: the current message is finished, the rest of the batch released.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
import time
import weakref
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from psycopg import generators

from aftercare import clock, statements
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.care.preparers import SkipTouchpoint, prepare_touchpoint
from aftercare.messaging.checks import Verdict, batch_cache, recheck
from aftercare.messaging.inbound import route_arrived
from aftercare.messaging.models import (
    Direction,
    Message,
    MessageAttempt,
    MessageChannel,
    MessageStatus,
    WorkerHeartbeat,
)
from aftercare.messaging.rates import take_turn
from aftercare.messaging.services import client_opt_out, mark_address_unusable, message_queue
from aftercare.messaging.transports import Transport, TransportError, transport_for

log = logging.getLogger("aftercare.worker")

RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=6)
MAX_ATTEMPTS = 8
HEARTBEAT_EVERY = dt.timedelta(seconds=10)
# The longest a worker sleeps for a sender's turn (``wait_for_turn``) before it puts the
# message back in the queue until then.
MAX_TURN_WAIT = 5.0
# Providers without an idempotency key: a resend after a crash could reach the client twice.
UNIDEMPOTENT_CHANNELS = frozenset({"sms", "whatsapp"})


# Hooks run after a message failed permanently (the care queue lists these itself; other
# apps may want to know too).
permanent_failure_hooks: list[Callable[[Message], None]] = []


def retry_delay(attempts: int) -> dt.timedelta:
    """Capped exponential backoff with jitter: 1, 2, 4 … minutes, at most 6 hours."""
    delay = min(RETRY_CAP, RETRY_BASE * (2 ** max(0, attempts - 1)))
    return delay * (0.8 + 0.4 * random.random())  # noqa: S311 - jitter, not security


def worker_commits(*, durable: bool) -> None:
    """Set whether this connection's commits wait for the disk (``durable``) or not.

    Not waiting (SQLite ``synchronous=NORMAL`` in WAL mode, PostgreSQL
    ``synchronous_commit=off``), a commit still survives this process being killed — the outbox
    guarantee is about that: the database has it — but the last ones (SQLite: since the last
    checkpoint; PostgreSQL: at most ``3 × wal_writer_delay``, 0.6 s) may be lost with the
    database machine's power. The worker writes its claims and outcomes that way (an fsync per
    message was most of its time on either database); a hand-over to a provider without an
    idempotency key is recorded durably, which also makes every commit before it durable (the
    log is written in order). A no-op inside a transaction (SQLite refuses the change there;
    tests run inside one).
    """
    if connection.in_atomic_block:
        return
    if connection.vendor == "sqlite":
        statement = f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}"
    elif connection.vendor == "postgresql":
        statement = f"SET synchronous_commit TO {'on' if durable else 'off'}"
    else:
        return
    with connection.cursor() as cursor:
        cursor.execute(statement)


def claim_size(batch_size: int, per_second: float | None, lease_seconds: float) -> int:
    """How many messages of one sender a worker claims at once.

    At most ``batch_size``, and no more than the sender's rate lets out within the lease: a
    worker holding a hundred SMS for a number that sends one a second would hold most of them
    past their lease, for another worker to reclaim (and SMS to become "uncertain").
    """
    if not per_second or per_second <= 0:
        return batch_size
    return max(1, min(batch_size, int(per_second * lease_seconds)))


def _going_with_their_bundle(candidates: list[tuple[int, Any]]) -> set[int]:
    """Due touchpoints the planner bundled into another one that is still planned or due.

    They are claimed with that one (``_claim_bundle``), so one email carries them all. One whose
    first touchpoint went away (skipped, cancelled) goes on its own.
    """
    bundled = {
        pk: context["bundle_with"]
        for pk, context in candidates
        if isinstance(context, dict) and context.get("bundle_with")
    }
    if not bundled:
        return set()
    open_keys = set(
        Touchpoint.objects.filter(
            key__in=set(bundled.values()),
            status__in=(TouchpointStatus.PLANNED, TouchpointStatus.DUE),
        ).values_list("key", flat=True)
    )
    return {pk for pk, key in bundled.items() if key in open_keys}


def _claim_bundle(touchpoint: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Claim the touchpoints bundled into ``touchpoint``; their parts of its message.

    Runs inside the touchpoint's savepoint: if its message is not written, the claims roll back
    and the parts go on their own in a later pass. A part whose preparer skips it is skipped
    with the reason; the others still ride along.
    """
    parts = []
    bundled = Touchpoint.objects.filter(
        client_id=touchpoint.client_id,
        action=Action.MESSAGE,
        status__in=(TouchpointStatus.PLANNED, TouchpointStatus.DUE),
        context__bundle_with=touchpoint.key,
    ).order_by("-value", "id")
    for part in bundled.select_related("client__practice", "rule"):
        claimed = Touchpoint.objects.filter(pk=part.pk, status=part.status).update(
            status=TouchpointStatus.SENT, updated_at=now
        )
        if not claimed:
            continue
        details = dict(part.context or {})
        try:
            prepare_touchpoint(part, details)
        except SkipTouchpoint as skip:
            Touchpoint.objects.filter(pk=part.pk).update(
                status=TouchpointStatus.SKIPPED, status_reason=str(skip)[:300], updated_at=now
            )
            continue
        parts.append(
            {
                "touchpoint_id": part.pk,
                "template_key": part.template_key or part.kind,
                "details": details,
            }
        )
    return parts


def _record_bundle(message: Message, now: dt.datetime) -> None:
    """Each bundled touchpoint says which message carried it (its timeline shows it)."""
    for part in message.context.get("bundle", ()):
        Touchpoint.objects.filter(pk=part["touchpoint_id"]).update(
            status_reason=f"Sent together with another message (message #{message.pk})"[:300],
            updated_at=now,
        )


def numbered(sql: str) -> bytes:
    """``sql`` with libpq's ``$1, $2 …`` for the DB-API's ``%s`` placeholders."""
    parts = sql.split("%s")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)).encode() + (
        parts[-1].encode()
    )


# Table names from the models, values as parameters.
MESSAGES = Message._meta.db_table
ATTEMPTS = MessageAttempt._meta.db_table
RECORD_SENT_SQL = (
    f"UPDATE {MESSAGES} SET"  # noqa: S608
    " status = %s, provider_id = %s, sent_at = %s, from_address = %s, "
    "status_reason = '', lease_owner = '', lease_expires_at = NULL "
    "WHERE id = %s AND status = %s AND lease_owner = %s"
)
FINISH_ATTEMPT_SQL = f"UPDATE {ATTEMPTS} SET finished_at = %s WHERE id = %s"  # noqa: S608
# PostgreSQL: both in one statement, its own transaction (one round trip, not four).
RECORD_SENT_POSTGRESQL = (
    f"WITH sent AS ({RECORD_SENT_SQL} RETURNING id), "  # noqa: S608
    f"finished AS (UPDATE {ATTEMPTS} SET finished_at = %s "
    "WHERE id = %s AND EXISTS (SELECT 1 FROM sent)) "
    "SELECT count(*) FROM sent"
)
# PostgreSQL: pick and lease the oldest due messages in one statement. MATERIALIZED keeps the
# locking SELECT from being folded into the UPDATE; SKIP LOCKED lets each worker take rows no
# other worker is taking. {channels} narrows it to one sender's channel (``claim_size``).
CLAIM_POSTGRESQL = (
    f"WITH due AS MATERIALIZED (SELECT id FROM {MESSAGES} "  # noqa: S608
    "WHERE direction = %s AND status = %s AND next_attempt_at <= %s {channels} "
    "ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED) "
    f"UPDATE {MESSAGES} AS m SET status = %s, lease_owner = %s, lease_expires_at = %s "
    "FROM due WHERE m.id = due.id RETURNING m.id, m.next_attempt_at"
)
# The same, with libpq's numbered parameters: sent without waiting for its answer
# (``OutcomeInFlight``), as a statement prepared once per connection.
RECORD_SENT_POSTGRESQL_NUMBERED = numbered(RECORD_SENT_POSTGRESQL)
OUTCOME_STATEMENT = b"aftercare_worker_outcome"
RENEW_POSTGRESQL = (
    f"UPDATE {MESSAGES} SET lease_expires_at = %s "  # noqa: S608
    "WHERE id = ANY(%s) AND status = %s AND lease_owner = %s RETURNING id"
)


# SQLite, on the DB-API connection itself (``record_sent_sqlite``): its own placeholders.
RECORD_SENT_SQLITE = RECORD_SENT_SQL.replace("%s", "?")
FINISH_ATTEMPT_SQLITE = FINISH_ATTEMPT_SQL.replace("%s", "?")


def record_sent_sqlite(sent: list[Any], finished: list[Any]) -> int:
    """``record_sent`` on SQLite: both statements in a transaction of their own (a savepoint
    of their own inside one, as in the tests), run on the ``sqlite3`` connection directly.
    Through Django's transaction and cursor wrappers, which add nothing to two statements, this
    took 1.7 times as long (172 µs against 99 a message: the largest part of the worker's time
    beyond the hand-over). A transaction begins as Django's do (``transaction_mode``: IMMEDIATE
    takes the write lock at once); any error undoes both statements and leaves the connection
    as it was found."""
    raw = connection.connection
    if connection.in_atomic_block:
        begin, done, undo = (
            "SAVEPOINT aftercare_outcome",
            ("RELEASE aftercare_outcome",),
            ("ROLLBACK TO aftercare_outcome", "RELEASE aftercare_outcome"),
        )
    else:
        mode = getattr(connection, "transaction_mode", None)
        begin, done, undo = f"BEGIN {mode}" if mode else "BEGIN", ("COMMIT",), ("ROLLBACK",)
    with connection.wrap_database_errors:
        raw.execute(begin)
        try:
            recorded = raw.execute(RECORD_SENT_SQLITE, sent).rowcount
            if recorded:
                raw.execute(FINISH_ATTEMPT_SQLITE, finished)
        except BaseException:
            for statement in undo:
                raw.execute(statement)
            raise
        for statement in done:
            raw.execute(statement)
    return recorded


class OutcomeInFlight:
    """One outcome statement sent to PostgreSQL whose answer is read later (``answer``).

    The statement is on its way (flushed into the socket) before the next message's hand-over
    starts, and PostgreSQL runs and commits it whether or not the worker is still there to read
    the answer (libpq sends it with its Sync: its own transaction). So a kill still leaves at
    most the message in flight unrecorded; what is saved is the wait for a server process per
    message, which on a busy machine was as long as the hand-over itself. Nothing else may use
    the connection until the answer is read: the worker settles it before any other query
    (``Worker.settle``, and a Django execute wrapper as a net). The statement is prepared once
    per connection (no parsing and planning per message; pgbouncer, if any, in session mode,
    as docs/deployment.md asks).
    """

    # The connections the statement is prepared on (a connection reopened is a new one).
    prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()

    def __init__(self, message: Message, params: list[Any]) -> None:
        self.message = message
        self.raw = connection.connection
        pgconn = self.raw.pgconn
        with connection.wrap_database_errors:
            if self.raw not in self.prepared_on:
                result = pgconn.prepare(OUTCOME_STATEMENT, RECORD_SENT_POSTGRESQL_NUMBERED)
                self.check(result, psycopg.pq.ExecStatus.COMMAND_OK)
                self.prepared_on.add(self.raw)
            encoded = [None if value is None else str(value).encode() for value in params]
            pgconn.send_query_prepared(OUTCOME_STATEMENT, encoded)
            self.raw.wait(generators.send(pgconn))

    def check(self, result: Any, expected: Any) -> None:
        if result.status != expected:
            raise psycopg.errors.error_from_result(result, encoding=self.raw.info.encoding)

    def answer(self) -> int:
        """How many messages it recorded as sent (0: the lease had moved on)."""
        with connection.wrap_database_errors:
            (result,) = self.raw.wait(generators.fetch_many(self.raw.pgconn))
            self.check(result, psycopg.pq.ExecStatus.TUPLES_OK)
        return int(result.get_value(0, 0) or 0)


def claimed_messages(ids: list[int]) -> list[Message]:
    """The messages ``ids`` with their practice and client, whose practice is the message's
    own (one practice's message goes to one of its clients): what the re-checks and the
    transports read. A statement (``statements``), built once per batch size: compiling this
    query took longer than running it, once per batch."""
    found = statements.objects(
        "worker: claimed messages",
        lambda ids: Message.objects.filter(pk__in=ids),
        model=Message,
        related=("practice", "client"),
        ids=tuple(ids),
    )
    for message in found:
        if message.client is not None:
            message.client.practice = message.practice
    return found


class Worker:
    def __init__(
        self,
        *,
        name: str | None = None,
        lease_seconds: float = 60,
        batch_size: int = 20,
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.stopping = False
        self.sent = 0
        # Per channel since start (sent, failed attempts, messages given up on), for /metrics.
        self.counts: dict[str, dict[str, int]] = {"sent": {}, "failed": {}, "gave_up": {}}
        self.transports: dict[str, Transport] = {}
        self._last_heartbeat: dt.datetime | None = None
        # PostgreSQL: the last outcome, sent and not yet answered (``record_sent``).
        self.outcome: OutcomeInFlight | None = None
        # The database connection whose commits were last set not to wait for the disk.
        self._commits_set_on: Any = None
        # When the lease on the current batch runs out, by this process's monotonic clock
        # (which keeps counting while the process is frozen by SIGSTOP).
        self.lease_deadline = 0.0

    # -- the loop ---------------------------------------------------------------------------

    def run(self, *, interval: float = 2.0) -> None:
        log.info("worker %s started", self.name)
        try:
            while not self.stopping:
                found = self.run_once()
                if not found:
                    deadline = time.monotonic() + interval
                    while not self.stopping and time.monotonic() < deadline:
                        time.sleep(min(0.1, interval))
        finally:
            self.close_transports()
            self.heartbeat(force=True)
            log.info("worker %s stopped after sending %d messages", self.name, self.sent)

    def run_once(self) -> bool:
        """One pass of every step; True when any step found work."""
        if connection.connection is None or connection.connection is not self._commits_set_on:
            # Once per connection (a round trip), again when it was reopened.
            worker_commits(durable=False)
            self._commits_set_on = connection.connection
        self.heartbeat()
        found = False
        steps = (
            self.route_arrived,
            self.reclaim_expired,
            self.render_due_touchpoints,
            self.send_queued,
        )
        for step in steps:
            if self.stopping:
                break
            found = step() or found
        return found

    def run_until_idle(self, *, max_passes: int = 1000) -> int:
        """Passes until nothing is left to do now (tests, ``--once``)."""
        passes = 0
        while passes < max_passes and self.run_once():
            passes += 1
        self.close_transports()
        self.heartbeat(force=True)
        return passes

    def heartbeat(self, *, force: bool = False) -> None:
        now = clock.now()
        if not force and self._last_heartbeat and now - self._last_heartbeat < HEARTBEAT_EVERY:
            return
        self._last_heartbeat = now
        WorkerHeartbeat.objects.update_or_create(
            worker=self.name,
            defaults={
                "hostname": socket.gethostname()[:200],
                "pid": os.getpid(),
                "seen_at": now,
                "messages_sent": self.sent,
                "counts": self.counts,
            },
            create_defaults={
                "hostname": socket.gethostname()[:200],
                "pid": os.getpid(),
                "seen_at": now,
                "started_at": now,
                "messages_sent": self.sent,
                "counts": self.counts,
            },
        )

    # -- step 0: inbound messages stored by webhooks --------------------------------------

    def route_arrived(self) -> bool:
        """Triage and route what clients wrote, first (a crisis reaches a person at once)."""
        return route_arrived(self.batch_size) > 0

    # -- step 1: touchpoints → messages ---------------------------------------------------

    def render_due_touchpoints(self) -> bool:
        """Claim a batch of due message touchpoints and render them, in one transaction.

        One transaction per batch (not per touchpoint) because on SQLite every commit is an
        fsync; each touchpoint still gets a savepoint so one bad template cannot hold up the rest.
        """
        now = clock.now()
        due = Touchpoint.objects.filter(
            action=Action.MESSAGE, status=TouchpointStatus.DUE, due_at__lte=now
        ).order_by("due_at", "id")
        rendered = 0
        with transaction.atomic():
            if connection.vendor == "postgresql":
                due = due.select_for_update(skip_locked=True, of=("self",))
            # On SQLite the transaction took the write lock at BEGIN (IMMEDIATE), so no other
            # worker can claim these rows between this read and the conditional UPDATE below.
            candidates = list(due.values_list("pk", "context")[: self.batch_size])
            if not candidates:
                return False
            riding_along = _going_with_their_bundle(candidates)
            for pk, _context in candidates:
                if pk in riding_along:
                    continue  # it goes out inside its bundle's first message
                claimed = Touchpoint.objects.filter(pk=pk, status=TouchpointStatus.DUE).update(
                    status=TouchpointStatus.SENT, updated_at=now
                )
                if not claimed:
                    continue  # another worker took it
                touchpoint = Touchpoint.objects.select_related(
                    "client__practice", "client__primary_practitioner"
                ).get(pk=pk)
                details = dict(touchpoint.context or {})
                try:
                    with transaction.atomic():
                        prepare_touchpoint(touchpoint, details)
                        message = message_queue(
                            client=touchpoint.client,
                            template_key=touchpoint.template_key or touchpoint.kind,
                            purpose=touchpoint.purpose,
                            channel=touchpoint.channel,
                            touchpoint=touchpoint,
                            details=details,
                            also=_claim_bundle(touchpoint, now),
                        )
                        _record_bundle(message, now)
                except SkipTouchpoint as skip:
                    Touchpoint.objects.filter(pk=pk).update(
                        status=TouchpointStatus.SKIPPED,
                        status_reason=str(skip)[:300],
                        updated_at=now,
                    )
                    log.info("touchpoint %s skipped: %s", pk, skip)
                    continue
                except (ValueError, IntegrityError) as error:
                    # A template that does not exist: say why on the touchpoint, never vanish.
                    Touchpoint.objects.filter(pk=pk).update(
                        status=TouchpointStatus.SKIPPED,
                        status_reason=f"Could not write the message: {error}"[:300],
                        updated_at=now,
                    )
                    log.warning("touchpoint %s not rendered: %s", pk, error)
                    continue
                rendered += 1
        return True

    # -- step 2: send --------------------------------------------------------------------

    def claim_sizes(self) -> dict[str, int]:
        """Channels whose sender has a rate, and how many of their messages one claim takes."""
        sizes = {}
        for channel in MessageChannel.values:
            per_second = self.transport(channel).per_second()
            if per_second is not None and per_second > 0:
                # One sender's rate: a batch of several practices' numbers goes faster still.
                sizes[channel] = claim_size(self.batch_size, per_second, self.lease.total_seconds())
        return sizes

    def claim_batch(self) -> list[int]:
        """Lease the oldest due messages: a batch, and of a rate-limited sender what it can
        send within the lease (``claim_size``); their ids, oldest first."""
        self.lease_deadline = time.monotonic() + self.lease.total_seconds()
        now = clock.now()
        sizes = self.claim_sizes()
        # (channels, how many): the channels without a rate together, then each one with.
        claims: list[tuple[tuple[str, ...], bool, int]] = [(tuple(sizes), False, self.batch_size)]
        claims += [((channel,), True, size) for channel, size in sizes.items()]
        claimed: list[tuple[dt.datetime, int]] = []
        for channels, only, size in claims:
            claimed += self._claim(now, channels, only=only, size=size)
        claimed.sort()
        return [pk for _, pk in claimed]

    def _claim(
        self, now: dt.datetime, channels: tuple[str, ...], *, only: bool, size: int
    ) -> list[tuple[dt.datetime, int]]:
        """Lease up to ``size`` due messages of ``channels`` (``only``) or of any other."""
        expires = now + self.lease
        if connection.vendor == "postgresql":
            if only:
                where, params = "AND channel = ANY(%s)", [list(channels)]
            elif channels:
                where, params = "AND NOT (channel = ANY(%s))", [list(channels)]
            else:
                where, params = "", []
            with connection.cursor() as cursor:
                cursor.execute(
                    CLAIM_POSTGRESQL.format(channels=where),
                    [
                        *(Direction.OUTBOUND, MessageStatus.QUEUED, now, *params, size),
                        *(MessageStatus.SENDING, self.name, expires),
                    ],
                )
                return [(due, pk) for pk, due in cursor.fetchall()]
        due = Message.objects.filter(
            direction=Direction.OUTBOUND, status=MessageStatus.QUEUED, next_attempt_at__lte=now
        )
        if only:
            due = due.filter(channel__in=channels)
        elif channels:
            due = due.exclude(channel__in=channels)
        rows = list(
            due.order_by("next_attempt_at", "id").values_list("pk", "next_attempt_at")[:size]
        )
        if not rows:
            return []
        ids = [pk for pk, _ in rows]
        # The WHERE status='queued' makes the claim atomic: of two workers that read the same
        # ids, only the first UPDATE changes a row; the second sees status='sending'.
        Message.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, lease_owner=self.name, lease_expires_at=expires
        )
        held = set(
            Message.objects.filter(
                pk__in=ids, status=MessageStatus.SENDING, lease_owner=self.name
            ).values_list("pk", flat=True)
        )
        return [(due_at, pk) for pk, due_at in rows if pk in held]

    def send_queued(self) -> bool:
        """Send one claimed batch, recording each message's result the moment it is known.

        1. Re-check every message; cancel or hold back the ones that should not go now.
        2. Record the attempts *before* any hand-over: for email in one transaction for the
           whole batch (a resend after a crash carries the same Message-ID, so an attempt that
           never reached the server costs nothing); for SMS/WhatsApp one commit per message,
           right before its hand-over, so "uncertain" is only ever said of a real hand-over.
        3. Send over one connection per channel, and commit each outcome as soon as the
           provider answers (only where this worker still holds the lease): a kill can then
           leave at most the one message in flight unrecorded, never a whole batch. On
           PostgreSQL the outcome is sent at once and its answer read before the next query,
           so the next hand-over does not wait for it (``OutcomeInFlight``).
        """
        ids = self.claim_batch()
        if not ids:
            return False
        # No query may run while an outcome is in flight: each settles it first.
        with connection.execute_wrapper(self.settle_first):
            try:
                self.send_batch(ids)
            finally:
                self.settle()
        return True

    def send_batch(self, ids: list[int]) -> None:
        """``send_queued``'s steps for one claimed batch."""
        by_id = {m.pk: m for m in claimed_messages(ids)}
        messages = [by_id[pk] for pk in ids]
        now = clock.now()
        ready: list[Message] = []
        with transaction.atomic(), batch_cache(messages):
            # A worker frozen since its claim may have lost the batch already (by the same
            # clock as in the loop below: within the lease's first third it holds them all).
            held = set(ids) if self.lease_fresh() else self.renew_lease(ids)
            for message in messages:
                if message.pk not in held:
                    continue
                verdict = recheck(message, now)
                if verdict is None:
                    ready.append(message)
                else:
                    self.apply_verdict(message, verdict)
            attempts: dict[int, MessageAttempt] = {}
            batch_attempts = [m for m in ready if m.channel not in UNIDEMPOTENT_CHANNELS]
            for attempt in MessageAttempt.objects.bulk_create(
                MessageAttempt(message=m, worker=self.name, started_at=now) for m in batch_attempts
            ):
                attempts[attempt.message_id] = attempt
            Message.objects.filter(
                pk__in=[m.pk for m in batch_attempts], lease_owner=self.name
            ).update(attempt_count=F("attempt_count") + 1)
        for index, message in enumerate(ready):
            if not self.plain_hand_over(message, held, attempts):
                self.settle()  # (a transaction or a query comes first)
            if self.stopping:
                self.release([m.pk for m in ready[index:]], attempts)
                break
            if not self.lease_fresh():
                # A third of the lease is gone: renew it rather than let another worker
                # reclaim (and resend) what this one is about to send. After a freeze past
                # the lease the messages are no longer held, and are left alone.
                held = self.renew_lease([m.pk for m in ready[index:]])
            if message.pk not in held:
                if message.pk in attempts:
                    MessageAttempt.objects.filter(pk=attempts[message.pk].pk).update(
                        finished_at=clock.now(), error="lease lost before the hand-over"
                    )
                continue
            turn = self.wait_for_turn(message)
            if turn is not None:
                self.postpone(message, turn, attempts)
                continue
            attempt = attempts.get(message.pk)
            if attempt is None:
                # No idempotency key: this record must outlive even a power cut.
                worker_commits(durable=True)
                try:
                    with transaction.atomic():
                        if not self.holding(message).update(attempt_count=F("attempt_count") + 1):
                            continue  # lost the lease since the check above: never hand it over
                        attempt = MessageAttempt.objects.create(
                            message=message, worker=self.name, started_at=clock.now()
                        )
                finally:
                    worker_commits(durable=False)
            try:
                provider_id = self.transport(message.channel).send(message)
            except TransportError as error:
                self.record_failure(message, attempt, error, message.attempt_count + 1)
                continue
            self.record_sent(message, attempt, provider_id)

    def plain_hand_over(
        self, message: Message, held: set[int], attempts: dict[int, MessageAttempt]
    ) -> bool:
        """Does ``message`` go straight to its hand-over, without the database? (Its attempt
        is recorded, the lease fresh and held, its sender has no rate, no SIGTERM came.)"""
        return (
            message.pk in attempts
            and message.pk in held
            and not self.stopping
            and self.lease_fresh()
            and self.transport(message.channel).per_second() is None
        )

    def settle(self) -> None:
        """Read the answer to the outcome in flight, if any (``OutcomeInFlight``)."""
        outcome, self.outcome = self.outcome, None
        if outcome is not None:
            self.counted_sent(outcome.message, outcome.answer())

    def settle_first(self, execute: Callable[..., Any], *args: Any) -> Any:
        """A Django execute wrapper: any query first settles the outcome in flight."""
        self.settle()
        return execute(*args)

    def counted_sent(self, message: Message, recorded: int) -> None:
        self.sent += recorded
        self._count("sent", message.channel, recorded)
        if not recorded:
            log.warning("message %s was sent after its lease had moved on", message.pk)

    def _count(self, what: str, channel: str, number: int) -> None:
        if number:
            self.counts[what][channel] = self.counts[what].get(channel, 0) + number

    def lease_fresh(self) -> bool:
        """Is less than a third of the lease on the current batch gone (by the monotonic
        clock, which counts a freeze too)? Then no other worker can have reclaimed it."""
        return time.monotonic() <= self.lease_deadline - 2 * self.lease.total_seconds() / 3

    def renew_lease(self, ids: list[int]) -> set[int]:
        """Extend the lease on ``ids``; return those this worker still holds."""
        self.lease_deadline = time.monotonic() + self.lease.total_seconds()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    RENEW_POSTGRESQL,
                    [clock.now() + self.lease, ids, MessageStatus.SENDING, self.name],
                )
                return {pk for (pk,) in cursor.fetchall()}
        Message.objects.filter(
            pk__in=ids, status=MessageStatus.SENDING, lease_owner=self.name
        ).update(lease_expires_at=clock.now() + self.lease)
        return set(
            Message.objects.filter(
                pk__in=ids, status=MessageStatus.SENDING, lease_owner=self.name
            ).values_list("pk", flat=True)
        )

    def apply_verdict(self, message: Message, verdict: Verdict) -> None:
        if verdict.action == "reschedule" and verdict.until is not None:
            change = {"status": MessageStatus.QUEUED, "next_attempt_at": verdict.until}
        else:
            change = {"status": MessageStatus.CANCELLED}
        self.holding(message).update(
            status_reason=verdict.reason[:300], lease_owner="", lease_expires_at=None, **change
        )

    def record_sent(self, message: Message, attempt: MessageAttempt, provider_id: str) -> None:
        """Record one hand-over at once, only while this worker still holds the lease.

        A worker that was frozen past its lease (and whose message another worker reclaimed)
        changes nothing here: its late answer finds the lease gone. On PostgreSQL one
        statement, whose answer is read later (``OutcomeInFlight``); on SQLite two plain
        statements in one transaction (``record_sent_sqlite``: Django's wrappers took longer
        than the database to run them; this runs once per message sent).
        """
        finished = connection.ops.adapt_datetimefield_value(clock.now())
        sent = [
            MessageStatus.SENT,
            provider_id[:100],
            finished,
            message.from_address[:254],  # (the transport's: SMS from the practice's number)
            message.pk,
            MessageStatus.SENDING,
            self.name,
        ]
        if connection.vendor == "postgresql":
            # One statement (its own transaction outside the tests' one), sent on its way now
            # and its answer read before the next query (``OutcomeInFlight``): the next
            # hand-over need not wait for it.
            self.settle()
            self.outcome = OutcomeInFlight(message, [*sent, finished, attempt.pk])
            return
        self.counted_sent(message, record_sent_sqlite(sent, [finished, attempt.pk]))

    def wait_for_turn(self, message: Message) -> dt.datetime | None:
        """Wait for the sender's turn under its provider's rate (``messaging.rates``).

        None once the turn is this worker's. A turn at most ``MAX_TURN_WAIT`` (and a sixth of
        the lease) away is waited for once; a later one, or one another worker took meanwhile,
        is returned, for the message to wait in the queue until then.
        """
        rate = self.transport(message.channel).rate(message)
        if rate is None:
            return None
        turn = take_turn(*rate)
        if turn is None:
            return None
        wait = (turn - clock.now()).total_seconds()
        if wait > min(MAX_TURN_WAIT, self.lease.total_seconds() / 6) or self.stopping:
            return turn
        time.sleep(max(0.0, wait))
        return take_turn(*rate)  # (another worker waiting for the same turn may have won it)

    def postpone(
        self, message: Message, until: dt.datetime, attempts: dict[int, MessageAttempt]
    ) -> None:
        """Back to the queue until ``until`` (its sender's turn); nothing was handed over."""
        with transaction.atomic():
            self.holding(message).update(
                status=MessageStatus.QUEUED,
                next_attempt_at=until,
                lease_owner="",
                lease_expires_at=None,
                attempt_count=F("attempt_count") - (1 if message.pk in attempts else 0),
            )
            if message.pk in attempts:
                MessageAttempt.objects.filter(pk=attempts[message.pk].pk).delete()

    def release(self, ids: list[int], attempts: dict[int, MessageAttempt] | None = None) -> None:
        """Give claimed messages back (SIGTERM); their attempts never reached a provider."""
        with transaction.atomic():
            Message.objects.filter(
                pk__in=ids, status=MessageStatus.SENDING, lease_owner=self.name
            ).update(status=MessageStatus.QUEUED, lease_owner="", lease_expires_at=None)
            if attempts:
                MessageAttempt.objects.filter(
                    pk__in=[attempts[pk].pk for pk in ids if pk in attempts]
                ).delete()

    def holding(self, message: Message) -> object:
        """The rows of ``message`` this worker still holds the lease on."""
        return Message.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, lease_owner=self.name
        )

    def transport(self, channel: str) -> Transport:
        if channel not in self.transports:
            self.transports[channel] = transport_for(channel)
        return self.transports[channel]

    def close_transports(self) -> None:
        for transport in self.transports.values():
            transport.close()
        self.transports.clear()

    def record_failure(
        self, message: Message, attempt: MessageAttempt, error: TransportError, attempts: int
    ) -> None:
        self.settle()  # (before the transaction: nothing may be in flight when it begins)
        now = clock.now()
        self._count("failed", message.channel, 1)
        with transaction.atomic():
            MessageAttempt.objects.filter(pk=attempt.pk).update(
                finished_at=now, error=str(error)[:2000], permanent=error.permanent
            )
            if error.permanent or attempts >= MAX_ATTEMPTS:
                reason = (
                    f"Could not reach {message.to_address}: {error}"
                    if error.permanent
                    else f"Gave up after {attempts} attempts: {error}"
                )
                updated = self.holding(message).update(
                    status=MessageStatus.FAILED,
                    status_reason=reason[:300],
                    lease_owner="",
                    lease_expires_at=None,
                )
                self._count("gave_up", message.channel, updated)
                if updated and error.unsubscribed and message.client is not None:
                    client_opt_out(client=message.client, how=f"{message.channel.upper()} STOP")
                elif updated and error.permanent and message.client_id:
                    mark_address_unusable(message)
                if updated:
                    for hook in list(permanent_failure_hooks):
                        hook(message)
            else:
                self.holding(message).update(
                    status=MessageStatus.QUEUED,
                    next_attempt_at=now + retry_delay(attempts),
                    status_reason=f"Will retry: {error}"[:300],
                    lease_owner="",
                    lease_expires_at=None,
                )
        log.info(
            "message %s failed (%s): %s",
            message.pk,
            "permanent" if error.permanent else "transient",
            error,
        )

    # -- step 3: reclaim -------------------------------------------------------------------

    def reclaim_expired(self) -> bool:
        now = clock.now()
        expired = list(
            Message.objects.filter(status=MessageStatus.SENDING, lease_expires_at__lt=now)
            .order_by("lease_expires_at")
            .values_list("pk", "channel", "lease_owner", "lease_expires_at")[: self.batch_size]
        )
        for pk, channel, owner, expires in expired:
            with transaction.atomic():
                open_attempts = MessageAttempt.objects.filter(
                    message_id=pk, finished_at__isnull=True
                )
                handed_over = open_attempts.exists()
                # Only for email is a resend safe: the same Message-ID lets receivers drop it.
                if handed_over and channel in {"sms", "whatsapp"}:
                    change = {
                        "status": MessageStatus.UNCERTAIN,
                        "status_reason": "A worker stopped while handing this to the provider; "
                        "check with the client whether it arrived before sending it again.",
                    }
                else:
                    change = {"status": MessageStatus.QUEUED, "next_attempt_at": now}
                taken = Message.objects.filter(
                    pk=pk,
                    status=MessageStatus.SENDING,
                    lease_owner=owner,
                    lease_expires_at=expires,
                ).update(lease_owner="", lease_expires_at=None, **change)
                if taken:
                    open_attempts.update(
                        finished_at=now, error=f"worker {owner} stopped (lease expired)"
                    )
                    log.warning("reclaimed message %s from %s", pk, owner)
        return bool(expired)
