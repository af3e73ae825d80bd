"""Reads for supplies: what runs out soon, a client's supplies, what happens about a re-order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.locales import plural
from aftercare.practice.access import Actor, scoped
from aftercare.supplies.models import CURRENT_STATUSES, Supply

PAGE_SIZE = 50

# "Still taken", as literal SQL: the condition of the ``supply_current_runs_out`` partial index,
# repeated so SQLite can use that index (it does not match a partial index's condition against
# bound parameters). The values are our own constants, never input.
CURRENT_STATUS_SQL = '"supplies_supply"."status" IN ({})'.format(
    ", ".join(f"'{status}'" for status in CURRENT_STATUSES)
)


def supplies_running_out(*, actor: Actor, today: dt.date, days: int) -> QuerySet[Supply]:
    """Supplies still taken that run out within ``days`` days of ``today`` (or already have).

    Soonest first, through the ``supply_current_runs_out`` index: a slice of it reads only the
    rows it shows, whatever the number of supplies of the practice.
    """
    still_taken = RawSQL(CURRENT_STATUS_SQL, [], output_field=BooleanField())  # noqa: S611 - constants
    return (
        scoped(Supply, actor)
        .filter(
            still_taken,
            runs_out_on__lte=today + dt.timedelta(days=days),
            client__archived=False,
        )
        .select_related("client", "client__primary_practitioner")
        .order_by("runs_out_on", "id")
    )


@dataclass(frozen=True)
class RunningOutPage:
    """One page of the running-out list, with how many supplies run out in all."""

    supplies: list[Supply]
    number: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.supplies else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.supplies)


class NoSuchPage(Exception):
    """A page number past the last page of the list."""


def running_out_page(
    *, actor: Actor, today: dt.date, days: int, number: int = 1, page_size: int | None = None
) -> RunningOutPage:
    """Page ``number`` (from 1) of what runs out soonest: two queries (the count, the rows).

    Raises ``NoSuchPage`` for a page past the last (page 1 always exists, even empty).
    """
    page_size = page_size or PAGE_SIZE
    queryset = supplies_running_out(actor=actor, today=today, days=days)
    total = queryset.count()
    number = max(1, number)
    if number > 1 and (number - 1) * page_size >= total:
        pages = -(-total // page_size)
        raise NoSuchPage(
            f"There is no page {number}: the list has {plural(pages, 'page', 'pages')}."
        )
    offset = (number - 1) * page_size
    return RunningOutPage(
        supplies=list(queryset[offset : offset + page_size]),
        number=number,
        page_size=page_size,
        total=total,
    )


def supplies_of_client(*, actor: Actor, client: Client) -> QuerySet[Supply]:
    return scoped(Supply, actor).filter(client=client).order_by("status", "runs_out_on", "id")


@dataclass(frozen=True)
class ReorderStep:
    """One thing that did or will happen about a supply's re-order, as the care engine has it."""

    label: str  # "Reminder", "Second reminder", "Call the client"
    state: str  # sent, planned, due, done, skipped, expired
    at: dt.datetime
    note: str = ""  # why it was held back, skipped or expired

    @property
    def words(self) -> str:
        return STEP_WORDS.get(self.state, self.state)


STEP_WORDS = {
    "sent": "sent",
    "planned": "planned for",
    "due": "going out now",
    "done": "done",
    "skipped": "not sent",
    "expired": "not sent",
}


def reorder_steps(supplies: list[Supply]) -> dict[int, list[ReorderStep]]:
    """What really happened or is planned about each supply's re-order, in one query.

    Read from the touchpoints the care engine planned (reminders, the second reminder, the last
    call), not from the projection: a reminder held back, skipped or never sent shows as such.
    Cancelled ones (the client re-ordered, the dose changed) are left out. Read through the
    page's clients (the ``client, status`` index), not every touchpoint of the practice;
    ``supplies`` must come from a query scoped to the practice.
    """
    ids = [supply.pk for supply in supplies]
    if not ids:
        return {}
    steps: dict[int, list[ReorderStep]] = {pk: [] for pk in ids}
    rows = list(
        Touchpoint.objects.filter(
            # The page's clients, all of the practice (the supplies were read scoped to it).
            # No ``practice_id`` term: SQLite would then walk every touchpoint of the practice
            # through its index on ``practice_id`` rather than the few of these clients.
            client_id__in={supply.client_id for supply in supplies},
            kind__in=["reorder_reminder", "call"],
            context__supply_id__in=ids,
        )
        .exclude(status=TouchpointStatus.CANCELLED)
        .values_list(
            "context",
            "key",
            "kind",
            "status",
            "due_at",
            "completed_at",
            "status_reason",
            "held_back_reason",
            "id",
        )
        .order_by()  # sorted here: the few rows of these clients, not by a walk of a date index
    )
    rows.sort(key=lambda row: (row[4], row[8]))
    for (
        context,
        key,
        kind,
        status,
        due_at,
        completed_at,
        status_reason,
        held_back_reason,
        _id,
    ) in rows:
        if kind == "call":
            label = "Call the client"
        elif key.endswith("again"):
            label = "Second reminder"
        else:
            label = "Reminder"
        steps[context["supply_id"]].append(
            ReorderStep(
                label=label,
                state=status,
                at=completed_at or due_at,
                note=status_reason or (held_back_reason if status == "planned" else ""),
            )
        )
    return steps
