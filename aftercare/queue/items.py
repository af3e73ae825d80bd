"""The care queue: everything that needs a person, most valuable first (pure Python, no models).

The queue is assembled from *queue sources*. A source is a kind of work (task touchpoints,
promises, flagged replies, supplies to prepare…) that knows how to list its items and how to
carry out an action on one of them. Other apps add their work to the queue without editing
this module or the queue's views:

1. Write a function ``list_items(actor, now) -> list[QueueItem]`` returning the open items of
   the actor's practice. It must cost a fixed number of queries whatever the number of items
   (one ``select_related`` query is typical), because the queue page calls every source.
   Give each item ``id = f"{kind}:{object id}"``, an ``owner_id`` (the practitioner it belongs
   to, or ``None`` for "anyone") and the ``actions`` it supports.
2. Write a function ``perform(actor, object_id, action, *, until, reason) -> None`` that
   carries out ``done`` / ``snooze`` (``until`` is an aware datetime) / ``skip`` (``reason`` is
   required) on the object with that id, loading it through the access helpers (another
   practice's object must raise ``Http404``) and raising ``django.core.exceptions.ValidationError``
   with a message naming the field for bad input. It records who did it and when.
3. Register both, once, from your AppConfig.ready()::

       from aftercare.queue.items import register_queue_source
       register_queue_source("flagged_reply", list_flagged_replies, perform_on_flagged_reply)

A source whose backlog can grow (tasks, replies, promises) should instead read only what the
page shows: register it with ``ranked=True`` and write
``list_items(actor, now, *, scope, limit, count=True) -> SourcePage``, returning the first
``limit`` of its items *in queue order* (``sort_key``) within ``scope``, and how many it has in
all (with ``count=False`` it may skip the count: the care hour shows no total; with a number,
count up to it — ``selectors.first_rows_of`` does all three). The queue
merges the sources' first items (the first ``limit`` of the whole queue are among them), so a
page of 100 reads at most 100 rows per source, however long the backlog. ``rank_in_sql`` below
orders rows the way ``sort_key`` does, so one indexed query with a ``LIMIT`` can do it.

Within ``reads_shared()`` (the Today page, whose cards read the same sources: the care hour
plans from every source, the promises card shows the promises due tonight) a source's first
items are read once for a scope, limit and moment, and a card can ask what was read
(``first_items`` again, which is then free).

The queue page, the care hour, the API ``GET /api/v1/care-queue`` and the one-click actions
then work for your items. Ranking and the care-hour fitting below are pure functions of the
items and the clock, so they are tested without a database (see tests/test_queue.py).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the registry only stores callables; it never touches the database
    from aftercare.practice.access import Actor

URGENCIES: tuple[str, ...] = ("routine", "attention", "urgent", "crisis")
ACTIONS: tuple[str, ...] = ("done", "snooze", "skip", "open")
DEFAULT_MINUTES = 5
# An overdue item gains value each day it waits (capped), so old routine work is not buried
# for ever under fresh work of the same urgency.
OVERDUE_POINTS_PER_DAY = 2
OVERDUE_POINTS_CAP = 20
SCOPES: tuple[str, ...] = ("mine", "practice")
# The pages count a source's items up to this many and say "1,000+" past it: nobody needs more
# precision to know the queue is long, and counting a backlog of 10,000 replies row by row cost
# PostgreSQL more than the rest of the page (docs/scaling.md). The API counts exactly.
COUNT_UP_TO = 1000


@dataclass(frozen=True)
class QueueItem:
    """One piece of work that needs a person."""

    id: str  # "<kind>:<object id>", stable across page loads
    kind: str
    client_id: int | None
    client_name: str
    title: str
    reason: str = ""
    urgency: str = "routine"
    due_at: dt.datetime | None = None
    estimated_minutes: int = DEFAULT_MINUTES
    value: int = 50  # 0–100: how much this act of care matters
    actions: tuple[str, ...] = ACTIONS
    owner_id: int | None = None  # the practitioner it belongs to; None means anyone
    done_label: str = "Done"
    url: str = ""  # where "open" leads (usually the client page)

    def __post_init__(self) -> None:
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}, got {self.urgency!r}")
        if self.estimated_minutes < 0:
            raise ValueError("estimated_minutes cannot be negative")
        unknown = set(self.actions) - set(ACTIONS)
        if unknown:
            raise ValueError(f"unknown actions {sorted(unknown)}")
        if self.due_at is not None and self.due_at.tzinfo is None:
            raise ValueError("due_at must be an aware datetime")

    @property
    def object_id(self) -> str:
        return self.id.split(":", 1)[1]

    @property
    def urgency_rank(self) -> int:
        return URGENCIES.index(self.urgency)


class ListItems(Protocol):
    def __call__(self, actor: Actor, now: dt.datetime) -> list[QueueItem]: ...


@dataclass(frozen=True)
class SourcePage:
    """The first items of one source in queue order, and how many items it has in all."""

    items: list[QueueItem]
    total: int


class ListRankedItems(Protocol):
    def __call__(self, actor: Actor, now: dt.datetime, *, scope: str, limit: int) -> SourcePage: ...


class Perform(Protocol):
    def __call__(
        self,
        actor: Actor,
        object_id: str,
        action: str,
        *,
        until: dt.datetime | None = None,
        reason: str = "",
    ) -> None: ...


@dataclass(frozen=True)
class QueueSource:
    kind: str
    list_items: ListItems | ListRankedItems
    perform: Perform | None = None
    ranked: bool = False  # list_items(actor, now, *, scope, limit) -> SourcePage

    def first_items(
        self, actor: Actor, now: dt.datetime, scope: str, limit: int, *, count: bool | int = True
    ) -> SourcePage:
        """The source's first ``limit`` items in queue order, within ``scope``, and its total
        (``count=False``: the source may skip counting, and ``total`` is then a lower bound).
        Within ``reads_shared()`` the same read is made once."""
        shared = _shared_reads.get()
        user_id = actor.user.pk if actor.user else None
        key = (self.kind, actor.practice.pk, user_id, now, scope, limit, count)
        if shared is not None and key in shared:
            return shared[key]
        if self.ranked:
            page = self.list_items(actor, now, scope=scope, limit=limit, count=count)  # type: ignore[call-arg]
        else:
            found = rank(in_scope(self.list_items(actor, now), scope, user_id), now)  # type: ignore[call-arg]
            page = SourcePage(items=found[:limit], total=len(found))
        if shared is not None:
            shared[key] = page
        return page


# The sources' pages read so far in this ``reads_shared()`` block (None outside one).
_shared_reads: contextvars.ContextVar[dict[tuple[Any, ...], SourcePage] | None] = (
    contextvars.ContextVar("shared_queue_reads", default=None)
)


@contextlib.contextmanager
def reads_shared() -> Iterator[None]:
    """Within the block, a source's first items for one scope, limit and moment are read once.

    For a page whose parts read the same sources (Today's cards); a write in between would not
    be seen, so only pages that read are wrapped in it.
    """
    token = _shared_reads.set({})
    try:
        yield
    finally:
        _shared_reads.reset(token)


_sources: dict[str, QueueSource] = {}


def register_queue_source(
    kind: str,
    list_items: ListItems | ListRankedItems,
    perform: Perform | None = None,
    *,
    ranked: bool = False,
) -> None:
    """Add (or replace, so re-registering in tests is harmless) the source for ``kind``.

    ``ranked``: ``list_items`` takes ``scope`` and ``limit`` and returns a ``SourcePage``.
    """
    if ":" in kind:
        raise ValueError("a queue source kind cannot contain ':'")
    _sources[kind] = QueueSource(kind=kind, list_items=list_items, perform=perform, ranked=ranked)


def queue_sources() -> list[QueueSource]:
    return list(_sources.values())


def queue_source(kind: str) -> QueueSource | None:
    return _sources.get(kind)


def split_item_id(item_id: str) -> tuple[str, str]:
    """``"promise:12"`` → ``("promise", "12")``; ValueError for anything else."""
    kind, sep, object_id = item_id.partition(":")
    if not sep or not kind or not object_id:
        raise ValueError(f"not a queue item id: {item_id!r}")
    return kind, object_id


# --- ranking ------------------------------------------------------------------------------


def priority(item: QueueItem, now: dt.datetime) -> int:
    """The item's value plus a bonus for each day it is overdue (capped)."""
    bonus = 0
    if item.due_at is not None and item.due_at < now:
        days = (now - item.due_at).days
        bonus = min(OVERDUE_POINTS_CAP, days * OVERDUE_POINTS_PER_DAY)
    return item.value + bonus


_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


def sort_key(item: QueueItem, now: dt.datetime) -> tuple[Any, ...]:
    """Most urgent first, then most valuable, then earliest due, then the id (deterministic)."""
    return (-item.urgency_rank, -priority(item, now), item.due_at or _FAR_FUTURE, item.id)


def rank(items: Iterable[QueueItem], now: dt.datetime) -> list[QueueItem]:
    return sorted(items, key=lambda item: sort_key(item, now))


def first_of(pages: Iterable[SourcePage], limit: int, now: dt.datetime) -> SourcePage:
    """The first ``limit`` items of the whole queue, from each source's first ``limit`` items.

    Exact: an item among the queue's first ``limit`` has fewer than ``limit`` items of its own
    source before it, so it is among its source's first ``limit``.
    """
    pages = list(pages)
    found = rank((item for page in pages for item in page.items), now)
    return SourcePage(items=found[: max(0, limit)], total=sum(page.total for page in pages))


def count_words(total: int, *, less: int = 0) -> str:
    """A total counted up to ``COUNT_UP_TO`` as people read it: "1,234", or "1,000+" past it.

    ``less``: the number already shown, for "and 900+ more".
    """
    if total > COUNT_UP_TO:
        return f"{COUNT_UP_TO - less:,}+"
    return f"{total - less:,}"


def overdue_steps(now: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """``(due at or before, bonus)`` from the largest bonus down: ``priority`` as thresholds.

    An item due at or before ``now - n days`` has waited at least ``n`` whole days; the bonus
    stops growing at the cap. A database orders rows by ``value + bonus`` with these, as a
    ``CASE`` (see ``queue.selectors.priority_in_sql``), and agrees with ``priority`` exactly.
    """
    days_to_cap = -(-OVERDUE_POINTS_CAP // OVERDUE_POINTS_PER_DAY)
    return [
        (now - dt.timedelta(days=days), min(OVERDUE_POINTS_CAP, days * OVERDUE_POINTS_PER_DAY))
        for days in range(days_to_cap, 0, -1)
    ]


def in_scope(items: Iterable[QueueItem], scope: str, user_id: int | None) -> list[QueueItem]:
    """``mine``: items owned by the user or by nobody in particular; ``practice``: all."""
    if scope == "practice":
        return list(items)
    return [item for item in items if item.owner_id is None or item.owner_id == user_id]


def fit_care_hour(items: Sequence[QueueItem], minutes: int, now: dt.datetime) -> list[QueueItem]:
    """The most valuable items that together fit in ``minutes``, in queue order.

    1. Rank the items (urgency, value, due time, id).
    2. Walk them in that order, taking each one whose estimated minutes still fit in what is
       left of the box, and skipping (not stopping at) one that does not, so a short valuable
       item further down still gets its turn.
    The result never exceeds ``minutes``; no item left out would fit in the minutes left over;
    the same input always gives the same output.
    """
    left = max(0, minutes)
    chosen: list[QueueItem] = []
    for item in rank(items, now):
        if item.estimated_minutes <= left:
            chosen.append(item)
            left -= item.estimated_minutes
    return chosen
