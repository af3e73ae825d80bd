"""Reads for the care queue: the care engine's tasks as a source, and the assembled, ranked queue.

Each source costs one query whatever the number of items, so the queue page costs a fixed
number of queries (see tests/test_views.py). How other apps add sources: items.py.

A page reads only what it shows: each ranked source asks the database for its first rows in
queue order (``priority_in_sql``) and cut at the page's size, with its total counted in the
same query (``first_rows_of``), so a backlog of 5,000 tasks costs about what 100 do. The pages
count only up to ``items.COUNT_UP_TO`` (``count=COUNT_UP_TO``: "1,000+" past it), as counting a
backlog row by row grew with it; the API counts exactly (``count=True``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Least
from django.urls import reverse

from aftercare import statements
from aftercare.appointments.models import Appointment
from aftercare.appointments.models import Status as AppointmentStatus
from aftercare.care.models import OPEN_STATUSES as OPEN_TOUCHPOINT_STATUSES
from aftercare.care.models import Action, Touchpoint
from aftercare.clients.models import full_name_of
from aftercare.locales import format_date
from aftercare.practice.access import Actor
from aftercare.queue import hours, items, today
from aftercare.queue.models import CareHour, QueueAct
from aftercare.row_urls import path_maker

QUEUE_PAGE_SIZE = 100
# What ``care_queue`` reads of each source when the caller does not say (the API pages through
# at most this far; nobody works through more in one sitting).
SOURCE_LIMIT = 500


class _Count(Subquery):
    """``(SELECT COUNT(*) FROM (<rows>))``: the total, computed once, carried by every row."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def count_of(rows: QuerySet[Any], up_to: int | None = None) -> Subquery:
    """How many ``rows`` there are, as an expression to annotate another query's rows with.

    ``up_to``: stop counting past it (the count is then ``up_to + 1``), so the count reads at
    most that many rows, however many there are. It counts them in ``rows``' own order when
    it has one: give it an index's order, or PostgreSQL may guess that another index finds
    the first thousand sooner and walk far more rows of it.
    """
    if up_to is None:
        return _Count(rows.order_by().values("pk"))
    return _Count(rows.order_by(*rows.query.order_by).values("pk")[: up_to + 1])


def count_of_each(parts: list[QuerySet[Any]], up_to: int | None = None) -> Any:
    """The sum of each part's count (``count_of``, each up to ``up_to``): rows that come
    from several ranges of an index (a triage level each) counted range by range, each in
    the index's own order, rather than gathered and sorted together before the bound stops
    the count. Bounded, the sum stops at ``up_to + 1`` too, as ``count_of``'s would."""
    total = count_of(parts[0], up_to)
    for part in parts[1:]:
        total = total + count_of(part, up_to)
    if up_to is None or len(parts) == 1:
        return total
    return Least(total, Value(up_to + 1), output_field=IntegerField())


def _up_to(count: bool | int) -> int | None:
    """``count=True``: count them all; a number: count up to it (``first_rows_query``)."""
    return None if count is True else int(count)


def first_rows_query(
    rows: QuerySet[Any],
    order: list[Any],
    fields: list[str],
    limit: int,
    *,
    counted: QuerySet[Any] | list[QuerySet[Any]] | None = None,
    count: bool | int = True,
) -> QuerySet[Any]:
    """The first ``limit`` rows in ``order`` (as ``fields`` tuples), each carrying how many
    there are; read them with ``split_total`` (``first_rows_of`` does both, through a statement
    built once per shape).

    One query: the count (of ``counted``, by default of ``rows``; of a list, the sum of each
    one's, ``count_of_each``) is an uncorrelated subquery,
    which SQLite and PostgreSQL run once. As the total comes with the rows, at least one row
    is asked for (with none, there are none to count). ``count=False``: no count (it costs a
    second compiled query); the total is then the number of rows read. ``count=n``: count up to
    ``n`` (a total of ``n + 1`` means "more than ``n``").
    """
    if not count:
        return rows.order_by(*order).values_list(*fields)[: max(0, limit)]
    if isinstance(counted, list):
        total = count_of_each(counted, _up_to(count))
    else:
        total = count_of(rows if counted is None else counted, _up_to(count))
    return (
        rows.annotate(_total=total).order_by(*order).values_list(*fields, "_total")[: max(1, limit)]
    )


def split_total(
    found: list[tuple[Any, ...]], limit: int, count: bool | int
) -> tuple[list[tuple[Any, ...]], int]:
    """``first_rows_query``'s rows without their total, and the total."""
    if not count:
        return found, len(found)
    total = found[0][-1] if found else 0
    return [row[:-1] for row in found[: max(0, limit)]], total


def priority_in_sql(
    steps: list[tuple[dt.datetime, int]], *, table: str, value: str = "value", due: str = "due_at"
) -> Any:
    """``items.priority`` as SQL on ``table``'s columns: the value plus the capped overdue bonus.

    A ``CASE`` over ``steps`` (``items.overdue_steps(now)``, ten thresholds), written as SQL
    once rather than ten ``When`` expressions, which Django would resolve and compile each time.
    """
    quote = connection.ops.quote_name
    due_column = f"{quote(table)}.{quote(due)}"
    whens = " ".join(f"WHEN {due_column} <= %s THEN {points}" for _, points in steps)
    return RawSQL(  # noqa: S611 - quoted column names and integer points; moments are parameters
        f"{quote(table)}.{quote(value)} + CASE {whens} ELSE 0 END",
        [connection.ops.adapt_datetimefield_value(moment) for moment, _ in steps],
        output_field=IntegerField(),
    )


def mine(user: Any, client_field: str = "client") -> Q:
    """``scope=mine`` in SQL: the user's clients, and clients of nobody in particular."""
    return Q(**{f"{client_field}__primary_practitioner": user}) | Q(
        **{f"{client_field}__primary_practitioner__isnull": True}
    )


def scope_values(actor: Actor, scope: str) -> tuple[str, dict[str, int]]:
    """A source's shape for ``statements.rows`` and the values it needs: the practice, and the
    user's id for ``mine`` (without a user, ``mine`` is the clients of nobody in particular)."""
    values = {"practice": actor.practice.pk}
    if scope != "mine":
        return scope, values
    if actor.user is None:
        return "mine, no user", values
    return "mine", {**values, "user": actor.user.pk}


def first_rows_of(
    name: str,
    build: Callable[..., QuerySet[Any]],
    actor: Actor,
    scope: str,
    limit: int,
    *,
    count: bool | int = True,
    read: int | None = None,
    shape: tuple[Hashable, ...] = (),
    **values: Any,
) -> tuple[list[tuple[Any, ...]], int]:
    """A source's (or a card's) first rows and total (``split_total``) of ``build``'s
    ``first_rows_query``, through ``statements.rows``: built once per name, scope, limit, count
    and ``shape`` (whatever else its SQL depends on), with the practice, the user for ``mine``
    (``scope_values``) and ``values`` filled in. ``read``: how many rows the query asks for,
    when more than ``limit`` (a part per triage level, say)."""
    scope_shape, scoped = scope_values(actor, scope)
    found = statements.rows((name, scope_shape, limit, count, *shape), build, **scoped, **values)
    return split_total(found, limit if read is None else read, count)


def client_urls() -> Callable[[int | None], str]:
    """The client page of each of a source's rows, once the UI has it ("" without it, or for no
    client: a plain string so the pure queue needs no Django); the URL's parts looked up once."""
    page_of = path_maker("clients-detail")
    return lambda client_id: "" if client_id is None else page_of(client_id)


_TASK_FIELDS = [
    "id",
    "kind",
    "title",
    "due_at",
    "value",
    "estimated_minutes",
    "held_back_reason",
    "client_id",
    "client__given_name",
    "client__family_name",
    "client__primary_practitioner_id",
    "rule__name",
]


def task_touchpoint_items(
    actor: Actor,
    now: dt.datetime,
    *,
    scope: str = "practice",
    limit: int = SOURCE_LIMIT,
    count: bool | int = True,
) -> items.SourcePage:
    """Task touchpoints whose time has come (due, or planned and not yet ticked), not snoozed.

    1. Filter through the open-task index (planned or due, time come): the backlog, not every
       task the practice ever did.
    2. Order by the queue's own order (``items.sort_key``: priority with the overdue bonus,
       then due time, then id) in the database, and read only the first ``limit`` rows, with
       the total counted in the same query.
    3. Build items from plain rows, not model instances (a touchpoint, its client and its
       rule for each would cost more than the query).
    """
    steps = items.overdue_steps(now)
    points = tuple(bonus for _, bonus in steps)
    overdue = {f"overdue_{number}": moment for number, (moment, _) in enumerate(steps)}

    def build(
        practice: int, now: dt.datetime, user: int | None = None, **overdue: dt.datetime
    ) -> QuerySet[Any]:
        rows = Touchpoint.objects.filter(
            practice_id=practice,
            action=Action.TASK,
            status__in=OPEN_TOUCHPOINT_STATUSES,
            due_at__lte=now,
            client__archived=False,
        ).filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
        if scope == "mine":
            rows = rows.filter(mine(user))
        moments = [overdue[f"overdue_{number}"] for number in range(len(points))]
        return first_rows_query(
            rows,
            [
                priority_in_sql(
                    list(zip(moments, points, strict=True)), table=Touchpoint._meta.db_table
                ).desc(),
                "due_at",
                "id",
            ],
            _TASK_FIELDS,
            limit,
            counted=rows.order_by("due_at"),  # a bounded count: the open-task index's order
            count=count,
        )

    found, total = first_rows_of(
        "queue: tasks", build, actor, scope, limit, count=count, shape=points, now=now, **overdue
    )
    page = []
    page_of = client_urls()
    for (
        pk,
        kind,
        title,
        due_at,
        value,
        estimated_minutes,
        held_back_reason,
        client_id,
        given_name,
        family_name,
        practitioner_id,
        rule_name,
    ) in found:
        reason = rule_name or "Planned by the care engine"
        if held_back_reason:
            reason = f"{reason} (held back: {held_back_reason})"
        page.append(
            items.QueueItem(
                id=f"touchpoint:{pk}",
                kind="recall" if kind == "recall" else "task",
                client_id=client_id,
                client_name=full_name_of(given_name, family_name),
                title=title or kind.replace("_", " ").capitalize(),
                reason=reason,
                urgency="routine",
                due_at=due_at,
                estimated_minutes=estimated_minutes or items.DEFAULT_MINUTES,
                value=value,
                owner_id=practitioner_id,
                url=page_of(client_id),
            )
        )
    # Ties in the database's order are by numeric id, the queue's by the id's text: rank again.
    return items.SourcePage(items=items.rank(page, now), total=total)


def care_queue_page(
    actor: Actor,
    now: dt.datetime,
    *,
    scope: str = "mine",
    limit: int | None = None,
    kinds: set[str] | None = None,
    count: bool | int = True,
) -> items.SourcePage:
    """The first ``limit`` items of the actor's queue in scope, ranked, and how many in all
    (``count=False``: no total, for pages that show none; a number: each source counted up
    to it, for pages that say "1,000+")."""
    limit = SOURCE_LIMIT if limit is None else limit
    pages = [
        source.first_items(actor, now, scope, limit, count=count)
        for source in items.queue_sources()
        if kinds is None or source.kind in kinds
    ]
    return items.first_of(pages, limit, now)


def care_queue(
    actor: Actor,
    now: dt.datetime,
    *,
    scope: str = "mine",
    kinds: set[str] | None = None,
    limit: int | None = None,
) -> list[items.QueueItem]:
    """The registered sources' items for the actor's practice, in scope, ranked (the first
    ``limit``, by default ``SOURCE_LIMIT``)."""
    return care_queue_page(actor, now, scope=scope, limit=limit, kinds=kinds).items


def care_hour_items(
    actor: Actor, now: dt.datetime, *, scope: str, minutes: int
) -> list[items.QueueItem]:
    """What a care hour of ``minutes`` takes from the queue (``items.fit_care_hour``).

    It plans from the queue's first ``QUEUE_PAGE_SIZE`` items, the ones the queue page shows:
    more than an hour holds, and read without reading the backlog behind them.
    """
    first = care_queue_page(actor, now, scope=scope, limit=QUEUE_PAGE_SIZE, count=False).items
    return items.fit_care_hour(first, minutes, now)


def care_hours_of(actor: Actor) -> list[CareHour]:
    """The actor's weekly care hours (a statement: Today asks on every visit)."""
    if actor.user is None:
        return []
    return statements.objects(
        "queue: care hours of a user",
        lambda practice, user: CareHour.objects.filter(practice_id=practice, user_id=user),
        model=CareHour,
        practice=actor.practice.pk,
        user=actor.user.pk,
    )


def time_boxes(care_hours: list[CareHour]) -> list[hours.TimeBox]:
    return [hours.TimeBox(weekday=h.weekday, starts=h.starts, ends=h.ends) for h in care_hours]


# --- the Today page's own cards -------------------------------------------------------------


def _day_word(moment: dt.datetime, first_day: dt.date, tz: dt.tzinfo) -> str:
    return "Today" if moment.astimezone(tz).date() == first_day else "Tomorrow"


# What Today's appointments card shows of an appointment, its client and practitioner.
_CARD_FIELDS = [
    "id",
    "client_id",
    "practitioner_id",
    "starts_at",
    "status",
    "kind",
    "client__given_name",
    "client__family_name",
    "practitioner__full_name",
    "practitioner__email",
]


def appointments_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard:
    """Today's and tomorrow's appointments with their state, and how many (one query).

    A booked appointment whose time has come offers "Mark attended"; the others open the client.
    """
    tz = actor.practice.tz
    first_day = now.astimezone(tz).date()
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(first_day + dt.timedelta(days=2), dt.time(0), tzinfo=tz)

    def build(
        practice: int, start: dt.datetime, end: dt.datetime, user: int | None = None
    ) -> QuerySet[Appointment]:
        rows = Appointment.objects.filter(
            practice_id=practice, starts_at__gte=start, starts_at__lt=end
        ).exclude(status=AppointmentStatus.CANCELLED)
        if scope == "mine":
            rows = rows.filter(practitioner_id=user)
        return first_rows_query(rows, ["starts_at", "id"], _CARD_FIELDS, today.CARD_LIMIT)

    found, total = first_rows_of(
        "today: appointments", build, actor, scope, today.CARD_LIMIT, start=start, end=end
    )
    shown = statements.instances(Appointment, _CARD_FIELDS, found)
    entries = []
    page_of = client_urls()
    for appointment in shown:
        client_page = page_of(appointment.client_id)
        action = today.TodayAction("Open client", client_page)
        if appointment.status == AppointmentStatus.BOOKED and appointment.starts_at <= now:
            action = today.TodayAction(
                "Mark attended",
                reverse("appointments-status", args=[appointment.pk]),
                method="post",
                fields={"status": AppointmentStatus.ATTENDED},
            )
        with_whom = ""
        if scope == "practice" and appointment.practitioner is not None:
            with_whom = f" with {appointment.practitioner.display_name}"
        entries.append(
            today.TodayEntry(
                title=appointment.client.full_name,
                client_id=appointment.client_id,
                detail=f"{appointment.kind_label}{with_whom}",
                note=appointment.get_status_display(),
                when=appointment.starts_at,
                when_label=_day_word(appointment.starts_at, first_day, tz),
                action=action,
                secondary=today.TodayAction("Open client", client_page)
                if action.method == "post"
                else None,
            )
        )
    return today.TodayCard(
        key="appointments",
        title="Appointments today and tomorrow",
        entries=tuple(entries),
        order=20,
        empty_text="No appointments today or tomorrow.",
        more=max(0, total - len(shown)),
        link=today.TodayAction("Schedule", reverse("appointments-day")),
    )


def care_hour_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard | None:
    """The care hour at a glance: "4 of 9 done, 35 min left", or when the next one is."""
    if actor.user is None:
        return None
    tz = actor.practice.tz
    occurrence = hours.current_or_next_occurrence(time_boxes(care_hours_of(actor)), now, tz)
    if occurrence is None:
        return today.TodayCard(
            key="care-hour",
            title="Care hour",
            order=40,
            empty_text="No care hour set: a weekly time box keeps the care queue small.",
            link=today.TodayAction("Set a care hour", reverse("care-hours")),
        )
    minutes = occurrence.minutes_left(now)
    chosen = care_hour_items(actor, now, scope=scope, minutes=minutes)
    starts_local = occurrence.starts_at.astimezone(tz)
    ends_local = occurrence.ends_at.astimezone(tz)
    if occurrence.contains(now):
        done = statements.count(
            "today: queue items done in the care hour",
            lambda practice, user, starts, now: QueueAct.objects.filter(
                practice_id=practice, user_id=user, at__gte=starts, at__lte=now
            ),
            practice=actor.practice.pk,
            user=actor.user.pk,
            starts=occurrence.starts_at,
            now=now,
        )
        summary = today.progress_words(done, done + len(chosen), minutes)
        link = today.TodayAction("Carry on", f"{reverse('care-hour')}?scope={scope}")
    else:
        day = (
            "today"
            if starts_local.date() == now.astimezone(tz).date()
            else format_date(starts_local, "l")
        )
        summary = (
            f"Next: {day} {format_date(starts_local, 'H:i')}–{format_date(ends_local, 'H:i')}, "
            f"{today.plural(len(chosen), 'item')} planned"
        )
        link = today.TodayAction("Open the care queue", f"{reverse('care-queue')}?scope={scope}")
    entries = tuple(
        today.TodayEntry(
            title=item.title,
            client_id=item.client_id,
            detail=item.client_name,
            note=f"about {item.estimated_minutes} min",
            urgency=item.urgency,
            action=today.TodayAction("Open", item.url) if item.url else None,
        )
        for item in chosen[:5]
    )
    return today.TodayCard(
        key="care-hour",
        title="Care hour",
        entries=entries,
        order=40,
        summary=summary,
        empty_text="Nothing waits for the care hour.",
        more=max(0, len(chosen) - len(entries)),
        link=link,
    )


def entries_from_items(
    queue_items: list[items.QueueItem], *, next_url: str
) -> tuple[today.TodayEntry, ...]:
    """Queue items as Today entries whose action is the item's own one click (done)."""
    act_url = reverse("care-queue-act")
    entries = []
    for item in queue_items:
        action = None
        if "done" in item.actions:
            action = today.TodayAction(
                item.done_label,
                act_url,
                method="post",
                fields={"item": item.id, "action": "done", "next": next_url},
            )
        entries.append(
            today.TodayEntry(
                title=item.client_name or item.title,
                client_id=item.client_id,
                detail=item.title if item.client_name else "",
                note=item.reason,
                when=item.due_at,
                urgency=item.urgency if item.urgency != "routine" else "",
                action=action,
                secondary=today.TodayAction("Open client", item.url) if item.url else None,
            )
        )
    return tuple(entries)
