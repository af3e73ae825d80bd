"""What planning an absence will do, before it is saved: the preview the UI and API show.

``absence_preview(...)`` answers, for one practitioner and a range of days:

1. which clients have appointments with them inside it (to rebook);
2. which clients' supplies run out during it, or must be prepared during it (order earlier);
3. which clients are in active care (a first visit in the last 30 days, a reply flagged in the
   last 14 days): suggestions for the emergency list;
4. exactly which notices go out, when and to whom, each with the action that concerns the
   client (rebook …, order … by …).

A fixed number of queries whatever the number of clients.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import DateField, F, Func, IntegerField, OuterRef, QuerySet, Subquery, Value

from aftercare import clock, statements
from aftercare.absences.models import Absence
from aftercare.absences.planning import order_action, rebook_action
from aftercare.absences.selectors import absence_ranges_by_practitioner
from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.locales import counted, format_date, practice_locale
from aftercare.messaging.models import Message, MessageChannel
from aftercare.practice.models import Practice, User
from aftercare.supplies.models import CURRENT_STATUSES, Status, Supply
from aftercare.supplies.projection import affected_by_absence, plan_reorder

ACTIVE_CARE_DAYS = 30
FLAGGED_DAYS = 14
NOTICE_TIME = dt.time(9, 0)
ANNOUNCE_SHOWN = 50


@dataclass
class Notice:
    """One personal advance notice: to whom, when, by which channel, and what it asks."""

    client: Client
    send_on: dt.date
    channel: str
    actions: list[str] = field(default_factory=list)

    @property
    def channel_label(self) -> str:
        return dict(MessageChannel.choices).get(self.channel, self.channel.capitalize())

    @property
    def action_text(self) -> str:
        return "; ".join(self.actions) or "for information"


@dataclass
class AbsencePreview:
    practitioner: User
    first_day: dt.date
    last_day: dt.date
    notify_on: dt.date
    appointments: list[Appointment]
    supplies: list[dict[str, Any]]
    active_care: list[dict[str, Any]]
    emergency_clients: list[Client]
    notices: list[Notice]
    announce_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The same lists as the page, for the API."""
        return {
            "practitioner_id": self.practitioner.pk,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "notify_on": self.notify_on,
            "appointments_to_rebook": [
                {
                    "appointment_id": a.pk,
                    "client_id": a.client_id,
                    "client_name": a.client.full_name,
                    "starts_at": a.starts_at,
                }
                for a in self.appointments
            ],
            "supplies_running_out": [
                {
                    "supply_id": row["supply"].pk,
                    "client_id": row["supply"].client_id,
                    "client_name": row["supply"].client.full_name,
                    "name": row["supply"].name,
                    "runs_out_on": row["supply"].runs_out_on,
                    "order_by": row["order_by"],
                    "reason": row["reason"],
                }
                for row in self.supplies
            ],
            "suggested_for_emergency_list": [
                {
                    "client_id": row["client"].pk,
                    "client_name": row["client"].full_name,
                    "reason": row["reason"],
                }
                for row in self.active_care
            ],
            "emergency_client_ids": [c.pk for c in self.emergency_clients],
            "notices": [
                {
                    "client_id": n.client.pk,
                    "client_name": n.client.full_name,
                    "send_on": n.send_on,
                    "channel": n.channel,
                    "actions": n.actions,
                }
                for n in self.notices
            ],
            "announcement_to_others": self.announce_count,
        }


def appointments_during(
    practice: Practice, practitioner: User, first_day: dt.date, last_day: dt.date
) -> QuerySet[Appointment]:
    """The practitioner's booked appointments inside the absence: each is to be rebooked."""
    return _booked_between(
        practice.pk, practitioner.pk, *_moments_of(practice, first_day, last_day)
    )


def _moments_of(practice: Practice, first_day: dt.date, last_day: dt.date) -> tuple[Any, Any]:
    """From the absence's first moment to the one after its last day, in the practice's zone."""
    tz = practice.tz
    return (
        dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=tz),
        dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )


def _booked_between(
    practice: int, practitioner: int, starts: dt.datetime, ends: dt.datetime
) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        practice_id=practice,
        practitioner_id=practitioner,
        status="booked",
        starts_at__gte=starts,
        starts_at__lt=ends,
    )


def _still_taken_around(practice: int, first_day: dt.date, until: dt.date) -> QuerySet[Supply]:
    """The practice's supplies still taken that run out from the first day to ``until`` (400
    days after the last, ``_horizon``): the only ones an absence can affect (lead times longer
    than 400 days aside)."""
    return Supply.objects.filter(
        practice_id=practice,
        status__in=CURRENT_STATUSES,
        runs_out_on__gte=first_day,
        runs_out_on__lte=until,
    )


def _horizon(last_day: dt.date) -> dt.date:
    return last_day + dt.timedelta(days=400)


def supplies_around(
    practice: Practice, practitioner: User, first_day: dt.date, last_day: dt.date
) -> QuerySet[Supply]:
    """Supplies of the practitioner's clients that may be affected (``affected_by_absence``
    decides): still taken, running out from the first day to 400 days after the last."""
    return _still_taken_around(practice.pk, first_day, _horizon(last_day)).filter(
        client__primary_practitioner=practitioner, client__archived=False
    )


class DaysAfter(Func):
    """Whole days from ``day`` to a date column (negative before it), worked out in SQL."""

    output_field = IntegerField()

    def __init__(self, column: str, day: dt.date) -> None:
        super().__init__(F(column), Value(day, output_field=DateField()))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # PostgreSQL: date - date is a number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps dates as text: the difference of their Julian day numbers.
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


def supplies_affected(
    practice: Practice, practitioner: User, first_day: dt.date, last_day: dt.date
) -> QuerySet[Supply]:
    """The supplies the absence affects (``_affected``, whose values are ids and days so that
    Today's summary can run it as a statement)."""
    return _affected(practice.pk, practitioner.pk, first_day, last_day, _horizon(last_day))


def _affected(
    practice: int, practitioner: int, first_day: dt.date, last_day: dt.date, until: dt.date
) -> QuerySet[Supply]:
    """The supplies of ``supplies_around`` that the absence affects, chosen in SQL.

    ``affected_by_absence`` for a lead time of L days: the supply runs out during the absence
    (first_day ≤ runs out ≤ last_day), or its preparation days [runs out − L, runs out − 1]
    overlap it (first_day + 1 ≤ runs out ≤ last_day + L); together, first_day ≤ runs out ≤
    last_day + L. So only the affected rows are kept, not every supply of the next 400 days.

    Each is checked against its own client (the practitioner's, not archived) by primary key,
    a subquery per supply: as a join, PostgreSQL read all the practice's clients to match a
    few thousand supplies (a hash join over 100,000 clients).
    """
    clients_practitioner = (
        Client.objects.filter(pk=OuterRef("client_id"), archived=False)
        .order_by()
        .values("primary_practitioner_id")
    )
    return (
        _still_taken_around(practice, first_day, until)
        .filter(lead_time_days__gte=DaysAfter("runs_out_on", last_day))
        .alias(clients_practitioner=Subquery(clients_practitioner))
        .filter(clients_practitioner=practitioner)
    )


@dataclass(frozen=True)
class AbsenceSummary:
    """What the Today card says about an absence: the preview's counts, not its rows."""

    notify_on: dt.date
    notices: int
    appointments: int
    emergency_clients: int
    announce_count: int


def absence_summary(
    *,
    practice: Practice,
    practitioner: User,
    first_day: dt.date,
    last_day: dt.date,
    notify_days_before: int = 21,
    announce_to_all: bool = False,
    emergency_ids: list[int] | None = None,
) -> AbsenceSummary:
    """The counts of ``absence_preview`` for the same absence, from ids and dates only.

    The preview builds a row, an order-by day and a notice text per affected client, and reads
    the clients in active care; Today only says how many, so this reads client ids, not whole
    rows: of the supplies the absence affects only (``supplies_affected``), not of every
    supply running out in the next 400 days. Four queries, each built once (``statements``:
    Today shows this card on every visit).
    """
    today = clock.today(practice.tz)
    starts, ends = _moments_of(practice, first_day, last_day)
    appointment_clients = [
        client
        for (client,) in statements.rows(
            "absences: clients booked during one",
            lambda **given: _booked_between(**given).values_list("client_id"),
            practice=practice.pk,
            practitioner=practitioner.pk,
            starts=starts,
            ends=ends,
        )
    ]
    notified = set(appointment_clients)
    # As the preview: a supply already being re-ordered needs no notice.
    notified.update(
        client
        for (client,) in statements.rows(
            "absences: clients whose supplies one affects",
            lambda **given: (
                _affected(**given).filter(status=Status.ACTIVE).order_by().values_list("client_id")
            ),
            practice=practice.pk,
            practitioner=practitioner.pk,
            first_day=first_day,
            last_day=last_day,
            until=_horizon(last_day),
        )
    )
    emergency = {
        client
        for (client,) in statements.rows(
            "absences: its emergency clients",
            lambda practice, clients: Client.objects.filter(
                practice_id=practice, pk__in=clients
            ).values_list("pk"),
            practice=practice.pk,
            clients=tuple(sorted(set(emergency_ids or []))),
        )
    }
    notified |= emergency
    announce_count = (
        _others_announced_to(practice, practitioner, notified) if announce_to_all else 0
    )
    return AbsenceSummary(
        notify_on=max(first_day - dt.timedelta(days=notify_days_before), today),
        notices=len(notified),
        appointments=len(appointment_clients),
        emergency_clients=len(emergency),
        announce_count=announce_count,
    )


def absence_preview(
    *,
    practice: Practice,
    practitioner: User,
    first_day: dt.date,
    last_day: dt.date,
    notify_days_before: int = 21,
    announce_to_all: bool = False,
    emergency_ids: list[int] | None = None,
    exclude_absence_id: int | None = None,
) -> AbsencePreview:
    """The preview for a planned (or changed) absence; nothing is written."""
    tz, locale = practice.tz, practice_locale(practice)
    today = clock.today(tz)
    now = clock.now()
    notify_on = max(first_day - dt.timedelta(days=notify_days_before), today)

    # 1. appointments inside the absence
    appointments = list(
        appointments_during(practice, practitioner, first_day, last_day)
        .select_related("client")
        .order_by("starts_at", "id")
    )

    # 2. supplies running out or prepared during it; the order-by day with this absence
    other_absences = absence_ranges_by_practitioner(
        practice_id=practice.pk, practitioner_ids=[practitioner.pk], since=today
    ).get(practitioner.pk, [])
    if exclude_absence_id is not None:
        # The absence being edited is replaced by the new dates, not counted twice.

        old = (
            Absence.objects.filter(pk=exclude_absence_id)
            .values_list("first_day", "last_day")
            .first()
        )
        other_absences = [r for r in other_absences if r != old]
    ranges = [*other_absences, (first_day, last_day)]
    candidates = (
        supplies_around(practice, practitioner, first_day, last_day)
        .select_related("client")
        .order_by("runs_out_on", "id")
    )
    supplies = []
    for supply in candidates:
        if not affected_by_absence(
            runs_out_on=supply.runs_out_on,
            lead_time_days=supply.lead_time_days,
            absence=(first_day, last_day),
        ):
            continue
        assert supply.runs_out_on is not None  # noqa: S101 - filtered above
        plan = plan_reorder(
            runs_out_on=supply.runs_out_on,
            lead_time_days=supply.lead_time_days,
            absences=ranges,
            today=today,
        )
        inside = first_day <= supply.runs_out_on <= last_day
        supplies.append(
            {
                "supply": supply,
                "order_by": plan.order_by,
                "late": plan.order_by < today,
                "reason": "runs out during the absence"
                if inside
                else f"preparing it ({counted(supply.lead_time_days, 'day', 'days', locale)}) overlaps the absence",
                "handled": supply.status != Status.ACTIVE,
            }
        )

    # 3. clients in active care: suggestions for the emergency list
    active_care = active_care_suggestions(practice=practice, practitioner=practitioner, now=now)
    chosen = sorted(set(emergency_ids or []))
    emergency_clients = list(
        Client.objects.filter(practice=practice, pk__in=chosen).order_by(
            "family_name", "given_name", "id"
        )
    )
    for row in active_care:
        row["chosen"] = row["client"].pk in chosen

    # 4. notices: one per affected client, listing everything that concerns them
    actions: dict[int, list[str]] = defaultdict(list)
    clients: dict[int, Client] = {}
    for appointment in appointments:
        local = appointment.starts_at.astimezone(tz)
        clients[appointment.client_id] = appointment.client
        actions[appointment.client_id].append(rebook_action(local, locale))
    for row in supplies:
        if row["handled"]:
            continue
        supply = row["supply"]
        clients[supply.client_id] = supply.client
        actions[supply.client_id].append(order_action(supply.name, row["order_by"], locale))
    for client in emergency_clients:
        clients.setdefault(client.pk, client)
        actions[client.pk].append("you can still reach me: you are on my emergency list")
    notices = [
        Notice(
            client=client, send_on=notify_on, channel=client.preferred_channel, actions=actions[pk]
        )
        for pk, client in sorted(clients.items(), key=lambda item: item[1].full_name)
    ]
    announce_count = _others_announced_to(practice, practitioner, clients) if announce_to_all else 0
    return AbsencePreview(
        practitioner=practitioner,
        first_day=first_day,
        last_day=last_day,
        notify_on=notify_on,
        appointments=appointments,
        supplies=supplies,
        active_care=active_care,
        emergency_clients=emergency_clients,
        notices=notices,
        announce_count=announce_count,
    )


# What a suggestion shows of its client (the name, and the picker's email and phone).
_SUGGESTED_FIELDS = (
    "id",
    "practice_id",
    "given_name",
    "family_name",
    "preferred_name",
    "email",
    "phone_display",
    "primary_practitioner_id",
)


def active_care_suggestions(
    *, practice: Practice, practitioner: User, now: dt.datetime
) -> list[dict[str, Any]]:
    """Clients of ``practitioner`` in active care, suggested for the emergency list with why:
    a first visit with them in the last 30 days (up to now), a reply flagged in the last 14
    days. Sorted by name; two queries whatever the number, each built once (``statements``:
    the absence form asks on every visit, and building them took seven times as long as the
    database took to answer)."""
    tz, locale = practice.tz, practice_locale(practice)
    client_columns = [f"client__{field}" for field in _SUGGESTED_FIELDS]

    def client_of(row: tuple[Any, ...]) -> Client:
        return statements.instance(
            Client, dict(zip(_SUGGESTED_FIELDS, row[-len(client_columns) :], strict=True))
        )

    suggestions: dict[int, dict[str, Any]] = {}
    first_visits = statements.rows(
        "absences: first visits of the last 30 days",
        lambda practice, practitioner, since, until: (
            Appointment.objects.filter(
                practice_id=practice,
                practitioner_id=practitioner,
                kind="first_visit",
                status="attended",
                # Bounded on both sides: open-ended, the read walked every appointment booked
                # from 30 days ago on (80 ms at 100,000 clients) to find the few first visits.
                starts_at__gte=since,
                starts_at__lte=until,
                client__archived=False,
            )
            .order_by("-starts_at")
            .values_list("starts_at", *client_columns)
        ),
        practice=practice.pk,
        practitioner=practitioner.pk,
        since=now - dt.timedelta(days=ACTIVE_CARE_DAYS),
        until=now,
    )
    for row in first_visits:
        local = row[0].astimezone(tz)
        suggestions.setdefault(
            row[1],
            {
                "client": client_of(row),
                "reason": f"first visit on {format_date(local, 'j M', locale)}",
            },
        )
    flagged = statements.rows(
        "absences: flagged replies of the last 14 days",
        lambda practice, practitioner, since: (
            Message.objects.filter(
                practice_id=practice,
                direction="in",
                triage_level__in=["attention", "urgent", "crisis"],
                created_at__gte=since,
                client__primary_practitioner_id=practitioner,
                client__archived=False,
            )
            .order_by("-created_at")
            .values_list("created_at", "triage_level", *client_columns)
        ),
        practice=practice.pk,
        practitioner=practitioner.pk,
        since=now - dt.timedelta(days=FLAGGED_DAYS),
    )
    for row in flagged:
        created_at, level, client_id = row[0], row[1], row[2]
        local = created_at.astimezone(tz)
        reason = f"a reply flagged {level} on {format_date(local, 'j M', locale)}"
        if client_id in suggestions:
            if reason not in suggestions[client_id]["reason"]:
                suggestions[client_id]["reason"] += f"; {reason}"
        else:
            suggestions[client_id] = {"client": client_of(row), "reason": reason}
    return sorted(suggestions.values(), key=lambda row: row["client"].full_name)


def _others_announced_to(practice: Practice, practitioner: User, notified: Iterable[int]) -> int:
    """How many of the practitioner's active clients get only the announcement (no notice)."""
    return (
        Client.objects.filter(practice=practice, primary_practitioner=practitioner, archived=False)
        .exclude(pk__in=list(notified))
        .count()
    )
