"""The worker: the only code that sends messages.

A loop of small steps, each returning "did I find work?" (like healthchecks' sendalerts):

1. ``render_due_touchpoints``: claim due message touchpoints (a conditional UPDATE from
   ``due`` to ``sent``) and render each into a queued Message in the same transaction.
2. ``send_queued``: claim a batch of queued messages with a lease (PostgreSQL
   ``SELECT … FOR UPDATE SKIP LOCKED``; SQLite a conditional ``UPDATE … WHERE status='queued'``),
   re-check each just before sending, record the attempt *before* handing it to the
   transport, send, and record the outcome only while this worker still holds the lease.
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
from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from aftercare import clock
from aftercare.messaging.checks import recheck
from aftercare.messaging.models import (
    Direction,
    Message,
    MessageAttempt,
    MessageStatus,
    WorkerHeartbeat,
)
from aftercare.messaging.services import message_queue
from aftercare.messaging.transports import Transport, TransportError, transport_for

log = logging.getLogger("aftercare.worker")

RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=6)
MAX_ATTEMPTS = 8
HEARTBEAT_EVERY = dt.timedelta(seconds=10)

# Hooks run after a message failed permanently (the care queue lists these itself; other
# apps may want to know too).
permanent_failure_hooks: list[Callable[[Message], None]] = []


def retry_delay(attempts: int) -> dt.timedelta:
    """Capped exponential backoff with jitter: 1, 2, 4 … minutes, at most 6 hours."""
    delay = min(RETRY_CAP, RETRY_BASE * (2 ** max(0, attempts - 1)))
    return delay * (0.8 + 0.4 * random.random())  # noqa: S311 - jitter, not security


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
        self.transports: dict[str, Transport] = {}
        self._last_heartbeat: dt.datetime | None = None

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
            log.info("worker %s stopped after sending %d messages", self.name, self.sent)

    def run_once(self) -> bool:
        """One pass of every step; True when any step found work."""
        self.heartbeat()
        found = False
        for step in (self.reclaim_expired, self.render_due_touchpoints, self.send_queued):
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
            },
            create_defaults={
                "hostname": socket.gethostname()[:200],
                "pid": os.getpid(),
                "seen_at": now,
                "started_at": now,
                "messages_sent": self.sent,
            },
        )

    # -- step 1: touchpoints → messages ---------------------------------------------------

    def render_due_touchpoints(self) -> bool:
        from aftercare.care.models import Action, Touchpoint, TouchpointStatus

        now = clock.now()
        candidates = list(
            Touchpoint.objects.filter(
                action=Action.MESSAGE, status=TouchpointStatus.DUE, due_at__lte=now
            )
            .order_by("due_at", "id")
            .values_list("pk", flat=True)[: self.batch_size]
        )
        rendered = 0
        for pk in candidates:
            if self.stopping:
                break
            try:
                with transaction.atomic():
                    claimed = Touchpoint.objects.filter(pk=pk, status=TouchpointStatus.DUE).update(
                        status=TouchpointStatus.SENT, updated_at=now
                    )
                    if not claimed:
                        continue  # another worker took it
                    touchpoint = Touchpoint.objects.select_related(
                        "client__practice", "client__primary_practitioner"
                    ).get(pk=pk)
                    message_queue(
                        client=touchpoint.client,
                        template_key=touchpoint.template_key or touchpoint.kind,
                        purpose=touchpoint.purpose,
                        channel=touchpoint.channel,
                        touchpoint=touchpoint,
                        details=dict(touchpoint.context or {}),
                    )
                    rendered += 1
            except (ValueError, IntegrityError) as error:
                # A template that does not exist: say why on the touchpoint, never vanish.
                Touchpoint.objects.filter(pk=pk, status=TouchpointStatus.DUE).update(
                    status=TouchpointStatus.SKIPPED,
                    status_reason=f"Could not write the message: {error}"[:300],
                    updated_at=now,
                )
                log.warning("touchpoint %s not rendered: %s", pk, error)
        return rendered > 0

    # -- step 2: send --------------------------------------------------------------------

    def claim_batch(self) -> list[int]:
        now = clock.now()
        due = Message.objects.filter(
            direction=Direction.OUTBOUND, status=MessageStatus.QUEUED, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        lease = {
            "status": MessageStatus.SENDING,
            "lease_owner": self.name,
            "lease_expires_at": now + self.lease,
        }
        if connection.vendor == "postgresql":
            with transaction.atomic():
                ids = list(
                    due.select_for_update(skip_locked=True).values_list("pk", flat=True)[
                        : self.batch_size
                    ]
                )
                Message.objects.filter(pk__in=ids).update(**lease)
            return ids
        ids = list(due.values_list("pk", flat=True)[: self.batch_size])
        if not ids:
            return []
        # The WHERE status='queued' makes the claim atomic: of two workers that read the same
        # ids, only the first UPDATE changes a row; the second sees status='sending'.
        Message.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(**lease)
        held = set(
            Message.objects.filter(
                pk__in=ids, status=MessageStatus.SENDING, lease_owner=self.name
            ).values_list("pk", flat=True)
        )
        return [pk for pk in ids if pk in held]  # oldest first

    def send_queued(self) -> bool:
        ids = self.claim_batch()
        if not ids:
            return False
        messages = {
            m.pk: m
            for m in Message.objects.filter(pk__in=ids).select_related(
                "client__practice", "client__primary_practitioner"
            )
        }
        for index, pk in enumerate(ids):
            if self.stopping:
                self.release(ids[index:])
                break
            self.send_one(messages[pk])
        return True

    def release(self, ids: list[int]) -> None:
        Message.objects.filter(
            pk__in=ids, status=MessageStatus.SENDING, lease_owner=self.name
        ).update(status=MessageStatus.QUEUED, lease_owner="", lease_expires_at=None)

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

    def send_one(self, message: Message) -> None:
        now = clock.now()
        verdict = recheck(message, now)
        if verdict is not None:
            if verdict.action == "reschedule" and verdict.until is not None:
                self.holding(message).update(
                    status=MessageStatus.QUEUED,
                    next_attempt_at=verdict.until,
                    status_reason=verdict.reason[:300],
                    lease_owner="",
                    lease_expires_at=None,
                )
            else:
                self.holding(message).update(
                    status=MessageStatus.CANCELLED,
                    status_reason=verdict.reason[:300],
                    lease_owner="",
                    lease_expires_at=None,
                )
            return
        # The attempt is committed before the hand-over: after a crash, an open attempt says
        # "this may have reached the provider".
        with transaction.atomic():
            attempt = MessageAttempt.objects.create(
                message=message, worker=self.name, started_at=now
            )
            self.holding(message).update(attempt_count=F("attempt_count") + 1)
        attempts = message.attempt_count + 1
        try:
            provider_id = self.transport(message.channel).send(message)
        except TransportError as error:
            self.record_failure(message, attempt, error, attempts)
            return
        finished = clock.now()
        with transaction.atomic():
            recorded = self.holding(message).update(
                status=MessageStatus.SENT,
                provider_id=provider_id[:100],
                sent_at=finished,
                status_reason="",
                lease_owner="",
                lease_expires_at=None,
            )
            MessageAttempt.objects.filter(pk=attempt.pk).update(finished_at=finished)
        if recorded:
            self.sent += 1
        else:
            log.warning("message %s was sent but its lease had moved on", message.pk)

    def record_failure(
        self, message: Message, attempt: MessageAttempt, error: TransportError, attempts: int
    ) -> None:
        now = clock.now()
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
                if updated and error.permanent and message.client_id:
                    self.mark_address_unusable(message)
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

    def mark_address_unusable(self, message: Message) -> None:
        from aftercare.clients.models import Client

        field = "email_unusable" if message.channel == "email" else "phone_unusable"
        address_field = "email" if message.channel == "email" else "phone"
        Client.objects.filter(pk=message.client_id, **{address_field: message.to_address}).update(
            **{field: True}
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
