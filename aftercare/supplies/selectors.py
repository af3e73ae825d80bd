"""Reads for supplies: what runs out soon, a client's supplies, what happens about a re-order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, CharField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from aftercare import statements
from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.clients.models import Client, full_name_of
from aftercare.locales import plural
from aftercare.practice.access import Actor, scoped
from aftercare.supplies.models import CURRENT_STATUSES, Supply, dose_summary_of

PAGE_SIZE = 50

# "Still taken", as literal SQL: the condition of the ``supply_current_runs_out`` partial index,
# repeated so SQLite can use that index (it does not match a partial index's condition against
# bound parameters). The values are our own constants, never input.
CURRENT_STATUS_SQL = '"supplies_supply"."status" IN ({})'.format(
    ", ".join(f"'{status}'" for status in CURRENT_STATUSES)
)


def running_out(*, practice: int, last_day: dt.date) -> QuerySet[Supply]:
    """Supplies of ``practice`` still taken that run out by ``last_day`` (or already have).

    Soonest first, through the ``supply_current_runs_out`` index: a slice of it reads only the
    rows it shows, whatever the number of supplies of the practice. Archived clients' supplies
    are still in it: the page and its count leave them out each in its cheapest way.
    """
    still_taken = RawSQL(CURRENT_STATUS_SQL, [], output_field=BooleanField())  # noqa: S611 - constants
    return Supply.objects.filter(
        still_taken, practice_id=practice, runs_out_on__lte=last_day
    ).order_by("runs_out_on", "id")


# What the running-out page shows of a supply, its client and (for the re-order plan) who the
# client's practitioner is: a few columns of each, not all of three tables.
RUNNING_OUT_COLUMNS = (
    "id",
    "practice_id",
    "client_id",
    "client__given_name",
    "client__family_name",
    "client__primary_practitioner_id",
    "name",
    "kind",
    "prepared_by",
    "daily_dose",
    "unit",
    "every_days",
    "taper_steps",
    "lead_time_days",
    "status",
    "runs_out_on",
    "reorder_requested_at",
)


@dataclass(frozen=True)
class ClientOfSupply:
    full_name: str
    primary_practitioner_id: int | None


@dataclass(frozen=True)
class RunningOutSupply:
    """A supply as the running-out list shows it, read as columns: no model instances (making
    a ``Supply`` and its ``Client`` for each row cost more than reading the rows)."""

    pk: int
    practice_id: int
    client_id: int
    client: ClientOfSupply
    name: str
    kind: str
    prepared_by: str
    dose_summary: str
    lead_time_days: int
    status: str
    runs_out_on: dt.date | None
    reorder_requested_at: dt.datetime | None


def _running_out_supply(row: tuple[Any, ...]) -> RunningOutSupply:
    (
        pk,
        practice_id,
        client_id,
        given_name,
        family_name,
        practitioner_id,
        name,
        kind,
        prepared_by,
        daily_dose,
        unit,
        every_days,
        taper_steps,
        lead_time_days,
        status,
        runs_out_on,
        reorder_requested_at,
    ) = row
    return RunningOutSupply(
        pk=pk,
        practice_id=practice_id,
        client_id=client_id,
        client=ClientOfSupply(full_name_of(given_name, family_name), practitioner_id),
        name=name,
        kind=kind,
        prepared_by=prepared_by,
        dose_summary=dose_summary_of(daily_dose, unit, every_days, taper_steps),
        lead_time_days=lead_time_days,
        status=status,
        runs_out_on=runs_out_on,
        reorder_requested_at=reorder_requested_at,
    )


@dataclass(frozen=True)
class RunningOutPage:
    """One page of the running-out list, with how many supplies run out in all."""

    supplies: list[RunningOutSupply]
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


def running_out_count(*, practice: int, last_day: dt.date) -> int:
    """How many supplies of clients not archived run out by ``last_day``.

    Not through a join to each supply's client: reading the client row of every supply counted
    was most of the page's time at thousands of supplies (a random read of a wide row each).
    The practice's archived clients are listed once from the ``client_list_order`` index
    (practice, archived, …; never their rows) and each supply's client looked up in that list;
    the supplies are counted from the ``supply_status_runs_out`` index alone (it holds the
    client). Two walks of indexes (what runs out, the archived clients), no row read.
    """
    return statements.count(
        "supplies: running out, count",
        lambda practice, last_day: running_out(practice=practice, last_day=last_day).exclude(
            # ``archived__in``: ``archived=True`` is written as a bare ``"archived"``, a
            # condition SQLite does not match against the index's column.
            client_id__in=Client.objects.filter(practice_id=practice, archived__in=[True]).values(
                "pk"
            )
        ),
        practice=practice,
        last_day=last_day,
    )


def running_out_page(
    *, actor: Actor, today: dt.date, days: int, number: int = 1, page_size: int | None = None
) -> RunningOutPage:
    """Page ``number`` (from 1) of what runs out soonest: two queries (the count, the rows),
    each built once per process (``statements``).

    Raises ``NoSuchPage`` for a page past the last (page 1 always exists, even empty).
    """
    page_size = page_size or PAGE_SIZE
    practice = actor.practice.pk
    last_day = today + dt.timedelta(days=days)
    total = running_out_count(practice=practice, last_day=last_day)
    number = max(1, number)
    if number > 1 and (number - 1) * page_size >= total:
        pages = -(-total // page_size)
        raise NoSuchPage(
            f"There is no page {number}: the list has {plural(pages, 'page', 'pages')}."
        )
    offset = (number - 1) * page_size
    found = statements.rows(
        ("supplies: running out, a page", offset, page_size),
        lambda practice, last_day: (
            running_out(practice=practice, last_day=last_day)
            .filter(client__archived=False)
            .values_list(*RUNNING_OUT_COLUMNS)[offset : offset + page_size]
        ),
        practice=practice,
        last_day=last_day,
    )
    return RunningOutPage(
        supplies=[_running_out_supply(row) for row in found],
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


# The supply a re-order touchpoint is about, as text ("12"): compared with plain text, so the
# ids are parameters of their own that a statement can fill in (``context__supply_id__in``
# writes each as JSON, and PostgreSQL's driver wraps integers compared with a cast, which
# tells them from the statement's markers no more).
SUPPLY_OF_TOUCHPOINT = Cast(KeyTextTransform("supply_id", "context"), CharField())


def reorder_steps(supplies: Sequence[RunningOutSupply]) -> dict[int, list[ReorderStep]]:
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
    # Built once per number of clients and of supplies (``statements``: a place per id).
    rows = statements.rows(
        "supplies: re-order steps",
        lambda clients, supplies: (
            Touchpoint.objects.alias(supply_id=SUPPLY_OF_TOUCHPOINT)
            .filter(
                # The page's clients, all of the practice (the supplies were read scoped to it).
                # No ``practice_id`` term: SQLite would then walk every touchpoint of the
                # practice through its index on ``practice_id`` rather than the few of these
                # clients.
                client_id__in=clients,
                kind__in=["reorder_reminder", "call"],
                supply_id__in=supplies,
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
        ),
        clients=tuple(sorted({supply.client_id for supply in supplies})),
        supplies=tuple(str(pk) for pk in ids),
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
