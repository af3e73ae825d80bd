"""Reads for the inbox: replies waiting for a person, the inbox list and one client's conversation.

The inbox holds what clients wrote (inbound messages); the outbox what we send. Both are
``Message`` rows told apart by ``direction``. "Unread" means no person has read the message yet
(``acknowledged_at`` is empty): reading it in the inbox, the care queue or Today, or answering
the client, marks it read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from aftercare import statements
from aftercare.messaging.models import Direction, Message, MessageStatus, TriageLevel
from aftercare.practice.members import practitioners_listed
from aftercare.practice.models import Practice
from aftercare.practice.pages import UncountedPage
from aftercare.queue import items
from aftercare.queue.selectors import count_of, scope_values
from aftercare.row_urls import path_to

# Most serious first: crisis, urgent, attention, then routine (and untriaged) replies.
SERIOUS_FIRST = (TriageLevel.CRISIS, TriageLevel.URGENT, TriageLevel.ATTENTION)
SERIOUSNESS_OF = {level: 3 - rank for rank, level in enumerate(SERIOUS_FIRST)}
CALL_LEVELS = {TriageLevel.URGENT, TriageLevel.CRISIS}
WORDS_SHOWN = 280
STATUS_LABELS = dict(MessageStatus.choices)


def client_words(message: Message, limit: int = WORDS_SHOWN) -> str:
    """The client's own words, on one line, cut at ``limit`` characters."""
    words = " ".join((message.text_body or message.subject).split())
    return (words[:limit].rstrip() + "…") if len(words) > limit else words


def triage_words(message: Message) -> str:
    """Why the reply was flagged, in words: "Flagged for: crisis language: 'end it all'"."""
    reasons = [str(reason) for reason in (message.triage_reasons or []) if reason]
    if not reasons:
        return ""
    return "Flagged for: " + "; ".join(reasons)[:300]


def conversation_url(client_id: int) -> str:
    return path_to("messaging-conversation", client_id)


def waiting_replies(actor: Any, scope: str) -> QuerySet[Message]:
    """Unread inbound messages of the actor's practice from known clients (unordered)."""
    return _waiting(actor.practice.pk, actor.user.pk if actor.user else None, scope)


def _waiting(practice: int, user: int | None, scope: str) -> QuerySet[Message]:
    rows = Message.objects.filter(
        practice_id=practice,
        direction=Direction.INBOUND,
        client__isnull=False,
        acknowledged_at__isnull=True,
    )
    if scope == "mine":
        rows = rows.filter(
            Q(client__primary_practitioner_id=user) | Q(client__primary_practitioner=None)
        )
    return rows


def oldest_ids_of_each(parts: list[QuerySet[Message]], limit: int) -> QuerySet[Message]:
    """The ids of the oldest ``limit`` messages of each part, as one subquery.

    Each part is read in the order of an index (created_at) and cut at ``limit`` in SQL
    (``id IN (… LIMIT n) UNION ALL …``: SQLite refuses a ``LIMIT`` directly inside ``UNION``;
    ``OR`` of the parts would scan every message on PostgreSQL). Ordering the parts together
    by a computed seriousness would read and sort every one of them for each page.
    """
    ids = [
        Message.objects.filter(pk__in=part.order_by("created_at", "id").values("pk")[:limit])
        .order_by()
        .values("pk")
        for part in parts
    ]
    return ids[0].union(*ids[1:], all=True)


def most_serious_waiting(actor: Any, scope: str, limit: int) -> tuple[list[Message], int]:
    """The ``limit`` most serious unread replies, the oldest first within a level, and how many
    replies are waiting, counted up to ``COUNT_UP_TO`` (one query: the count rides on the rows,
    ``count_of``, in the unread index's order: counting every unread reply read them all).

    One part per level (``oldest_ids_of_each``), then ranked here. Only what Today shows of a
    message and its client is read (not the stored MIME or HTML of every reply).
    """

    def build(practice: int, user: int | None = None) -> QuerySet[Message]:
        rows = _waiting(practice, user, scope)
        parts = [rows.filter(triage_level=level) for level in SERIOUS_FIRST]
        parts.append(rows.exclude(triage_level__in=SERIOUS_FIRST))
        return (
            Message.objects.filter(pk__in=oldest_ids_of_each(parts, limit))
            .annotate(_total=count_of(rows.order_by("created_at"), items.COUNT_UP_TO))
            .order_by()  # ranked here: an order would walk a whole index of messages
            .values_list(*_WAITING_FIELDS, "_total")
        )

    shape, values = scope_values(actor, scope)
    found = statements.rows(
        ("today: replies waiting", shape, limit, items.COUNT_UP_TO), build, **values
    )
    total = found[0][-1] if found else 0
    # Ranked as rows, and only the ``limit`` shown made into messages (up to four times as
    # many came back, ``limit`` of each level).
    found.sort(key=lambda row: (-SERIOUSNESS_OF.get(row[_LEVEL], 0), row[_CREATED], row[_ID]))
    return statements.instances(Message, _WAITING_FIELDS, found[:limit]), total


# What Today's replies card shows of a waiting reply and its client.
_WAITING_FIELDS = (
    "id",
    "client_id",
    "subject",
    "text_body",
    "triage_level",
    "triage_reasons",
    "created_at",
    "client__given_name",
    "client__family_name",
    "client__phone",
    "client__phone_display",
)
_ID, _LEVEL, _CREATED = (
    _WAITING_FIELDS.index(name) for name in ("id", "triage_level", "created_at")
)


def status_words(message: Message) -> str:
    """What became of a message, in words: never "Sent" for one the preview outbox kept."""
    if message.direction == Direction.INBOUND:
        return "Read" if message.acknowledged_at else "Unread"
    return sent_status_words(
        message.status, message.provider_id, message.template_key, message.to_address
    )


def sent_status_words(status: str, provider_id: str, template_key: str, to_address: str) -> str:
    """``status_words`` of a message we sent, from its columns (the outbox reads no models)."""
    if provider_id == "preview" and status in {"sent", "delivered"}:
        return "Held in preview"
    words = str(STATUS_LABELS.get(status, status))
    if template_key == "staff_alert":
        return f"Staff alert to {to_address}: {words.lower()}"
    return words


INBOX_FILTERS = ("level", "practitioner", "channel", "state")
UNREAD_COUNTED_UP_TO = 1000


def practitioner_choices(practice: Practice) -> dict[str, str]:
    """The practitioner filter's choices: each member who sees clients, by user id, in the
    order of their names."""
    return {str(user.pk): user.display_name for user in practitioners_listed(practice)}


@dataclass(frozen=True)
class InboxPage(UncountedPage):
    """One page of the inbox: unread messages first (newest first), then read ones.

    No total of pages: counting every message a practice ever received costs as much as reading
    them all, and grows with the practice; the unread ones are counted through their own index,
    up to ``UNREAD_COUNTED_UP_TO`` (at 100,000 clients a practice had 10,000 unread replies,
    and counting them was a third of the page).
    """

    number: int
    messages: list[Message]
    unread: int  # counted up to ``unread_up_to`` (one more past it)
    has_next: bool
    unread_up_to: int = UNREAD_COUNTED_UP_TO

    @property
    def unread_words(self) -> str:
        """ "12 unread", or "More than 1,000 unread" past what is counted."""
        if self.unread > self.unread_up_to:
            return f"More than {self.unread_up_to:,} unread"
        return f"{self.unread:,} unread"

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)


# What a row of the inbox shows of a reply, its client and their practitioner (``inbox_rows``),
# read as tuples: the whole reply (its raw MIME, its HTML), client and practitioner as model
# instances were a third of the page at 100,000 clients (issue 16).
_ROW_FIELDS = [
    "id",
    "client_id",
    "channel",
    "subject",
    "text_body",
    "triage_level",
    "triage_reasons",
    "acknowledged_at",
    "created_at",
    "client__given_name",
    "client__family_name",
    "client__primary_practitioner_id",
    "client__primary_practitioner__full_name",
    "client__primary_practitioner__email",
]


def inbox_page(
    actor: Any, number: int, size: int, *, level: str, practitioner: str, channel: str, state: str
) -> InboxPage:
    """Page ``number`` of the practice's inbound messages from clients: unread first, then read.

    ``level``: a triage level; ``practitioner``: a member's id or ``none``; ``channel``: email,
    sms, whatsapp, portal; ``state``: unread or read. An unknown value is ignored (the view
    checks them first and says so).

    1. Count the unread messages (through the unread-inbound index: as many as are unread).
    2. Read the page's unread rows, newest first, then as many read rows as the page still
       needs, newest first; each part in the order of an index, so the database reads the rows
       shown and stops (one more, to know whether there is a next page). Sorting both parts
       together by "unread" would read every message the practice ever received, per page.

    The rows are read through statements (``statements``: built once per filters and page),
    each reply with what its row shows (``_ROW_FIELDS``).
    """
    values: dict[str, Any] = {"practice": actor.practice.pk}
    if level:
        values["level"] = level
    if practitioner and practitioner != "none":
        values["practitioner"] = int(practitioner)
    if channel:
        values["channel"] = channel
    unassigned = practitioner == "none"

    def matching(acknowledged: bool, **given: Any) -> QuerySet[Message]:
        rows = Message.objects.filter(
            practice_id=given["practice"],
            direction=Direction.INBOUND,
            client__isnull=False,
            acknowledged_at__isnull=not acknowledged,
        )
        if "level" in given:
            rows = rows.filter(triage_level=given["level"])
        if unassigned:
            rows = rows.filter(client__primary_practitioner__isnull=True)
        elif "practitioner" in given:
            rows = rows.filter(client__primary_practitioner_id=given["practitioner"])
        if "channel" in given:
            rows = rows.filter(channel=given["channel"])
        return rows.order_by("-created_at", "-id")

    shape = (tuple(sorted(values)), unassigned)
    start = (number - 1) * size
    stop = start + size + 1
    # Counted far enough to say where this page's read rows begin, and at least up to
    # the number shown.
    up_to = max(UNREAD_COUNTED_UP_TO, stop)
    unread = 0
    if state != "read":
        # The bounded count is a subquery (``count_of``: it stops at ``up_to + 1``); a statement
        # reads rows, so it rides on the practice's one row.
        counted = statements.rows(
            ("inbox: unread replies, counted", *shape, up_to),
            lambda **given: (
                Practice.objects.filter(pk=given["practice"])
                .annotate(unread=count_of(matching(False, **given).order_by(), up_to))
                .values_list("unread")
            ),
            **values,
        )
        unread = counted[0][0] if counted else 0

    def part(acknowledged: bool, first: int, wanted: int) -> list[Message]:
        """``wanted`` rows from the ``first`` on. A page's worth is read whatever is wanted
        (the shape then holds for every unread count, not one per count) and cut here."""
        found = statements.rows(
            ("inbox: a page of replies", acknowledged, *shape, first, size + 1),
            lambda **given: matching(acknowledged, **given).values_list(*_ROW_FIELDS)[
                first : first + size + 1
            ],
            **values,
        )[:wanted]
        return statements.instances(Message, _ROW_FIELDS, found)

    found: list[Message] = []
    if start < unread:
        found += part(False, start, min(stop, unread) - start)
    if stop > unread and state != "unread":
        first_read = max(0, start - unread)
        found += part(True, first_read, stop - unread - first_read)
    return InboxPage(
        number=number,
        messages=found[:size],
        unread=unread,
        has_next=len(found) > size,
        unread_up_to=up_to,
    )


def conversation_of(client: Any, limit: int = 200) -> list[Message]:
    """Both directions of one client's messages, oldest first (the newest ``limit``); read
    through a statement (the conversation page asks on every visit)."""
    newest = statements.objects(
        ("messaging: a conversation", limit),
        lambda client: Message.objects.filter(client_id=client).order_by("-created_at", "-id")[
            :limit
        ],
        model=Message,
        related=("sent_by",),
        client=client.pk,
    )
    return newest[::-1]
