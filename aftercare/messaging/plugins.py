"""What messaging adds to other parts: banners, care queue sources, the client thread.

Registered from ``MessagingConfig.ready()`` into the registries of the apps below messaging:
the page banners (practice), the care queue's sources (queue), the client page's sections
(clients), and sending a resource shared by hand (resources; ``messaging/shares.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from aftercare import clock, statements
from aftercare.appointments.models import Appointment
from aftercare.appointments.services import register_notice_finder
from aftercare.care.reconcile import register_fact_loader
from aftercare.care.ticks import register_tick_step
from aftercare.care.triggers import register_adjuster
from aftercare.clients.erasure import register_erasure_step
from aftercare.clients.export import register_export_section, row_of
from aftercare.clients.models import Client, full_name_of
from aftercare.clients.timeline import ClientSection, register_client_section
from aftercare.messaging import providers, waiting
from aftercare.messaging.checks import register_send_check
from aftercare.messaging.consent import consent_request_section, send_due_consent_requests
from aftercare.messaging.inbox import oldest_ids_of_each
from aftercare.messaging.models import (
    FLAGGED_LEVELS,
    AwayRouting,
    Direction,
    Message,
    MessageAttachment,
    MessageChannel,
    MessageStatus,
    UnroutedInbound,
    WorkerHeartbeat,
)
from aftercare.messaging.services import message_acknowledge
from aftercare.messaging.shares import send_shared_resource
from aftercare.messaging.transports import preview_mode
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.navigation import Banner, banner_providers
from aftercare.queue.items import QueueItem, SourcePage, rank, register_queue_source
from aftercare.queue.selectors import (
    client_urls,
    first_rows_of,
    first_rows_query,
    mine,
)
from aftercare.resources.services import on_shared_by_hand

WORKER_STALE_AFTER = dt.timedelta(minutes=5)
THREAD_LIMIT = 100


# -- banners ------------------------------------------------------------------------------


def worker_banner(request: HttpRequest) -> list[Banner]:
    """ "No worker has been seen for N minutes" — the most common silent failure (one query)."""
    # On every page: built once (``statements``).
    found = statements.rows(
        "messaging: the last heartbeat",
        lambda: WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at")[:1],
    )
    last = found[0][0] if found else None
    now = clock.now()
    if last is None:
        return [
            Banner(
                "No worker has been seen yet — messages are not going out. "
                "Start `aftercare worker` (or `aftercare up`, which starts one).",
                "danger",
            )
        ]
    if now - last < WORKER_STALE_AFTER:
        return []
    minutes = int((now - last).total_seconds() // 60)
    return [
        Banner(
            f"No worker has been seen for {minutes} minutes — messages are not going out.",
            "danger",
        )
    ]


def preview_banner(request: HttpRequest) -> list[Banner]:
    if preview_mode():
        return [
            Banner(
                "Preview mode: nothing leaves this machine. Messages wait in the outbox.", "info"
            )
        ]
    return []


# -- care queue ---------------------------------------------------------------------------

URGENCY_VALUE = {"attention": 80, "urgent": 95, "crisis": 100}


def _client_urls() -> Callable[[int | None], str]:
    """Where an item opens: the client page, or the unmatched replies for a reply from nobody
    known (the URLs' parts looked up once for a source's many rows)."""
    page_of = client_urls()

    def url(client_id: int | None) -> str:
        if client_id is None:
            return reverse("messaging-unmatched")
        return page_of(client_id) or "/"

    return url


# Read as plain rows, not model instances: building a message and its client for each row cost
# more than the query.
_REPLY_FIELDS = [
    "pk",
    "client_id",
    "client__given_name",
    "client__family_name",
    "client__primary_practitioner_id",
    "from_address",
    "text_body",
    "triage_level",
    "triage_reasons",
    "created_at",
]
# Where a row of ``_REPLY_FIELDS`` holds what the flagged replies are ranked by.
_PK_AT, _LEVEL_AT, _CREATED_AT = (
    _REPLY_FIELDS.index(name) for name in ("pk", "triage_level", "created_at")
)
# The queue's order of the flagged levels (most urgent first); within a level the value is the
# same, so the oldest reply ranks first.
_FLAGGED_FIRST = ("crisis", "urgent", "attention")


def flagged_reply_items(
    actor: Any,
    now: dt.datetime,
    *,
    scope: str = "practice",
    limit: int = 200,
    count: bool | int = True,
) -> SourcePage:
    """Inbound messages triaged attention or above, until a person acknowledges them.

    Read in queue order without sorting them all: the oldest ``limit`` of each level through
    ``message_unread_level_order`` (``oldest_ids_of_each``), their total counted in the same
    query.
    """

    def build(practice: int, user: int | None = None) -> QuerySet[Message]:
        unread = Message.objects.filter(
            practice_id=practice, direction=Direction.INBOUND, acknowledged_at__isnull=True
        )
        if scope == "mine":
            unread = unread.filter(mine(user))
        # Each level on its own (``triage_level = %s``, without ``IN`` the levels): SQLite then
        # seeks it in ``message_unread_level_order`` instead of walking every unread reply.
        parts = [unread.filter(triage_level=level) for level in _FLAGGED_FIRST]
        return first_rows_query(
            Message.objects.filter(pk__in=oldest_ids_of_each(parts, limit)),
            [],  # ranked here: an order would walk a whole index of messages
            _REPLY_FIELDS,
            len(parts) * limit,
            # Counted a level at a time, each in its own index range's order and bounded
            # there: all levels together, in one order, SQLite gathered and sorted every
            # flagged reply (5,000 at 100,000 clients) before the bound could stop it.
            counted=[part.order_by("created_at") for part in parts],
            count=count,
        )

    rows, total = first_rows_of(
        "queue: flagged replies",
        build,
        actor,
        scope,
        limit,
        count=count,
        read=len(_FLAGGED_FIRST) * limit,
    )
    # Up to ``limit`` rows of each level came back; only the first ``limit`` in queue order are
    # made into items. Within a level every reply has the same value, so queue order is the
    # level, then the oldest first, then the id as text (``items.sort_key``'s tie-break).
    level_order = {level: position for position, level in enumerate(_FLAGGED_FIRST)}
    rows.sort(
        key=lambda row: (
            level_order.get(row[_LEVEL_AT], len(level_order)),
            row[_CREATED_AT],
            f"{row[_PK_AT]}",
        )
    )
    items = []
    _client_url = _client_urls()
    for (
        pk,
        client_id,
        given_name,
        family_name,
        practitioner_id,
        from_address,
        text_body,
        triage_level,
        triage_reasons,
        created_at,
    ) in rows[: max(0, limit)]:
        reasons = list(triage_reasons or [])
        headline = reasons[0].split(":", 1)[0] if reasons else "needs a look"
        items.append(
            QueueItem(
                id=f"flagged_reply:{pk}",
                kind="flagged_reply",
                client_id=client_id,
                client_name=full_name_of(given_name, family_name) if client_id else from_address,
                title=f"{triage_level}: {headline}",
                reason="; ".join(reasons)[:300] or text_body[:200],
                urgency=triage_level,
                due_at=created_at,
                estimated_minutes=10,
                value=URGENCY_VALUE.get(triage_level, 80),
                actions=("done", "open"),
                owner_id=practitioner_id if client_id else None,
                done_label="Read",
                url=_client_url(client_id),
            )
        )
    return SourcePage(items=rank(items, now)[:limit], total=total)


def unread_reply_items(
    actor: Any,
    now: dt.datetime,
    *,
    scope: str = "practice",
    limit: int = 200,
    count: bool | int = True,
) -> SourcePage:
    """Every other reply from a client until a person reads it: routine ones need a reader too.

    Flagged ones are ``flagged_reply`` items; those passed on or held for an absence have theirs
    (the emergency message, the return summary). All have the same value, so the oldest ranks
    first: read in the order of ``message_unread_away`` (unread, not routed by an absence: no
    reply's context read to leave those out), the first ``limit`` and a count.
    """

    def build(practice: int, user: int | None = None) -> QuerySet[Message]:
        unread = (
            waiting.unread_from_clients()
            .filter(practice_id=practice)
            .exclude(triage_level__in=FLAGGED_LEVELS)
            .filter(away_routing=AwayRouting.NONE)
        )
        if scope == "mine":
            unread = unread.filter(mine(user))
        return first_rows_query(
            unread,
            ["created_at", "pk"],
            _REPLY_FIELDS,
            limit,
            counted=unread.order_by("created_at"),  # a bounded count, in the index's order
            count=count,
        )

    rows, total = first_rows_of("queue: unread replies", build, actor, scope, limit, count=count)
    items = []
    _client_url = _client_urls()
    for (
        pk,
        client_id,
        given_name,
        family_name,
        practitioner_id,
        _from_address,
        text_body,
        _triage_level,
        _triage_reasons,
        created_at,
    ) in rows:
        name = full_name_of(given_name, family_name)
        words = " ".join(text_body.split())
        items.append(
            QueueItem(
                id=f"reply:{pk}",
                kind="reply",
                client_id=client_id,
                client_name=name,
                title=f"Read {name}'s reply",
                reason=(words[:200] + "…") if len(words) > 200 else words,
                urgency="routine",
                due_at=created_at,
                estimated_minutes=5,
                value=55,
                actions=("done", "open"),
                owner_id=practitioner_id,
                done_label="Read",
                url=_client_url(client_id),
            )
        )
    return SourcePage(items=rank(items, now), total=total)


# What an unreachable item shows (pk and created_at first: they order the items).
_UNREACHABLE_FIELDS = [
    "pk",
    "created_at",
    "status",
    "channel",
    "status_reason",
    "client_id",
    "client__given_name",
    "client__family_name",
    "client__primary_practitioner_id",
]
# What a person should follow up by phone: failed for good, or perhaps never arrived.
UNREACHABLE_STATUSES = (MessageStatus.FAILED, MessageStatus.UNCERTAIN)


def unreachable_items(
    actor: Any,
    now: dt.datetime,
    *,
    scope: str = "practice",
    limit: int = 200,
    count: bool | int = True,
) -> SourcePage:
    """Messages that failed for good, or may not have arrived: a person should call.

    All have the same value: the oldest ranks first. One part per status, each read in the
    order of the ``message_unreachable`` index (practice, direction, status, …, created_at)
    and cut at ``limit`` (``oldest_ids_of_each``), then ranked here; a bounded count reads its
    parts the same way. With ``status IN (…)`` SQLite walked every outbound message of the
    practice through the unread index instead, as every message sent is "unacknowledged".
    The first ``limit`` and the count in one query.
    """

    def build(practice: int, user: int | None = None) -> QuerySet[Message]:
        unreachable = Message.objects.filter(
            practice_id=practice,
            direction=Direction.OUTBOUND,
            client__isnull=False,
            acknowledged_at__isnull=True,
            status__in=UNREACHABLE_STATUSES,
        )
        if scope == "mine":
            unreachable = unreachable.filter(mine(user))
        parts = [unreachable.filter(status=status) for status in UNREACHABLE_STATUSES]
        if count is True or not count:
            counted = unreachable  # exact (the API), or none at all
        else:
            # Up to ``count`` + 1 of each part: more than ``count`` in all is all the page says.
            counted = Message.objects.filter(pk__in=oldest_ids_of_each(parts, int(count) + 1))
        return first_rows_query(
            Message.objects.filter(pk__in=oldest_ids_of_each(parts, limit)),
            [],  # ranked here: an order would walk a whole index of messages
            _UNREACHABLE_FIELDS,
            len(parts) * limit,
            counted=counted,
            count=count,
        )

    found, total = first_rows_of(
        "queue: could not reach",
        build,
        actor,
        scope,
        limit,
        count=count,
        read=len(UNREACHABLE_STATUSES) * limit,
    )
    rows = sorted(found, key=lambda row: (row[1], row[0]))[: max(0, limit)]
    if not count:
        total = len(rows)
    channels = dict(MessageChannel.choices)
    items = []
    _client_url = _client_urls()
    for (
        pk,
        created_at,
        status,
        channel,
        status_reason,
        client_id,
        given_name,
        family_name,
        practitioner_id,
    ) in rows:
        name = full_name_of(given_name, family_name)
        said = "SMS" if channel == "sms" else str(channels.get(channel, channel)).lower()
        if status == MessageStatus.UNCERTAIN:
            title = f"Did our {said} reach {name}? Check before resending"
        else:
            title = f"Could not reach {name} by {said} — call?"
        items.append(
            QueueItem(
                id=f"unreachable:{pk}",
                kind="unreachable",
                client_id=client_id,
                client_name=name,
                title=title,
                reason=status_reason[:300],
                urgency="routine",
                due_at=created_at,
                estimated_minutes=5,
                value=60,
                actions=("done", "skip", "open"),
                owner_id=practitioner_id,
                url=_client_url(client_id),
            )
        )
    return SourcePage(items=rank(items, now), total=total)


def acknowledge_item(
    actor: Any, object_id: str, action: str, *, until: dt.datetime | None = None, reason: str = ""
) -> None:
    from django.core.exceptions import ValidationError

    if action == "snooze":
        raise ValidationError({"action": "Replies cannot be snoozed: read it, or open the client."})
    if action == "skip" and not reason.strip():
        raise ValidationError({"reason": "Say why you skip it."})
    try:
        pk = int(object_id)
    except ValueError as error:
        raise Http404("Not found") from error
    message = get_scoped_or_404(Message.objects.all(), actor, pk=pk)
    message_acknowledge(actor=actor, message=message)


# -- client page ---------------------------------------------------------------------------


def _thread(client: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(client_id=client)
        .exclude(template_key="staff_alert")
        .order_by("-created_at", "-id")[:THREAD_LIMIT]
    )


def thread_of(client: Any) -> list[Message]:
    """The client's latest messages with their attachments: two statements (the attachments
    of the same messages by a subquery, one shape whatever their number)."""
    messages = statements.objects(
        ("messaging: a client's thread", THREAD_LIMIT), _thread, model=Message, client=client.pk
    )
    attached: dict[int, list[MessageAttachment]] = {}
    if messages:
        for attachment in statements.objects(
            ("messaging: a client's thread's attachments", THREAD_LIMIT),
            lambda client: MessageAttachment.objects.filter(
                message__in=_thread(client).values("pk")
            ).order_by("pk"),
            model=MessageAttachment,
            client=client.pk,
        ):
            attached.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        statements.prefetched(message, "attachments", attached.get(message.pk, []))
    return messages


def thread_section(client: Any, actor: Any) -> Any:

    return ClientSection(
        title="Messages",
        template_name="messaging/client_section.html",
        context={
            "thread": thread_of(client),
            "request_path": reverse("clients-detail", args=[client.pk]),
        },
        order=20,
    )


# -- one client's export and erasure: unclaimed inbound messages from their addresses --------


def _unrouted_from(client: Client) -> Any:
    addresses = [address for address in (client.email, client.phone) if address]
    return UnroutedInbound.objects.filter(from_address__in=addresses) if addresses else None


def unrouted_export(client: Client) -> list[dict[str, Any]]:
    rows = _unrouted_from(client)
    return [row_of(row) for row in rows.order_by("pk")] if rows is not None else []


def unrouted_erase(client: Client) -> None:
    rows = _unrouted_from(client)
    if rows is not None:
        rows.delete()


def attachments_export(client: Client) -> list[dict[str, Any]]:
    rows = MessageAttachment.objects.filter(message__client=client).order_by("pk")
    return [row_of(row) for row in rows]


def attachments_erase(client: Client) -> None:
    """The files themselves: their rows go with the client's messages, the bytes would not."""
    for attachment in MessageAttachment.objects.filter(message__client=client).exclude(file=""):
        attachment.file.delete(save=False)


def told_before_the_appointment(appointment: Appointment) -> dt.datetime | None:
    """When the client's first message between the booking and the start arrived (fee policy).

    Any channel counts: email, SMS, WhatsApp, the portal.
    """
    return (
        Message.objects.filter(
            practice_id=appointment.practice_id,
            client_id=appointment.client_id,
            direction=Direction.INBOUND,
            created_at__gte=appointment.created_at,
            created_at__lt=appointment.starts_at,
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def register_all() -> None:
    providers.connect()
    register_export_section("messaging.unroutedinbound", unrouted_export)
    register_erasure_step(unrouted_erase)
    register_export_section("messaging.messageattachment", attachments_export)
    register_erasure_step(attachments_erase)

    for provider in (worker_banner, preview_banner):
        if provider not in banner_providers:
            banner_providers.append(provider)
    on_shared_by_hand(send_shared_resource)
    register_queue_source("flagged_reply", flagged_reply_items, acknowledge_item, ranked=True)
    register_queue_source("reply", unread_reply_items, acknowledge_item, ranked=True)
    register_queue_source("unreachable", unreachable_items, acknowledge_item, ranked=True)
    register_client_section(thread_section)
    register_client_section(consent_request_section)
    register_tick_step("messaging: send consent requests", send_due_consent_requests)
    register_fact_loader("waiting_since", waiting.load_waiting_since)
    register_adjuster(waiting.answer_first)
    register_send_check(waiting.no_question_while_unread)
    register_notice_finder(told_before_the_appointment)
