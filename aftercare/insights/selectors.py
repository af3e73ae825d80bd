"""Reads of insights shared by the pages and the API: the client's-eye view, the dashboard,
the lost clients. Each costs a fixed number of queries, whatever the practice's size."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.appointments.models import Status as AppointmentStatus
from aftercare.clients.models import Client
from aftercare.insights.lost import REASONS
from aftercare.insights.models import ClientInsight
from aftercare.insights.score import CHECKS, LABELS
from aftercare.locales import format_date
from aftercare.messaging.models import CheckIn, Direction, Message
from aftercare.practice.access import Actor, scoped
from aftercare.promises.models import Promise
from aftercare.supplies.models import Supply

EVENTS_PER_KIND = 100
GAP = dt.timedelta(weeks=8)
LOWEST = 15


@dataclass(frozen=True)
class LivedEvent:
    """One moment of the relationship as the client lived it."""

    at: dt.datetime
    kind: str  # visit, received, sent, promise, supply, check_in, gap
    title: str
    detail: str = ""
    tone: str = ""  # "good", "bad" or "" (also said in words: never colour alone)


def _wait_words(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(1, round(hours * 60))} minutes"
    if hours < 48:
        return f"{round(hours)} hours"
    return f"{round(hours / 24)} days"


def lived_events(client: Client, *, now: dt.datetime, with_scores: bool = True) -> list[LivedEvent]:
    """The relationship as the client lived it, newest first (five queries).

    ``with_scores=False`` (an assistant) leaves out the check-ins' scores and side effects.
    """
    events: list[LivedEvent] = []
    for appointment in (
        Appointment.objects.filter(client=client)
        .exclude(status=AppointmentStatus.CANCELLED)
        .filter(starts_at__lte=now)
        .order_by("-starts_at")[:EVENTS_PER_KIND]
    ):
        detail = ""
        if appointment.fee_action and appointment.fee_action != "none":
            detail = (
                f"Fee {appointment.fee_action} ({appointment.fee_amount}): {appointment.fee_reason}"
            )
        events.append(
            LivedEvent(
                appointment.starts_at,
                "visit",
                f"{appointment.kind_label}: {appointment.get_status_display().lower()}",
                detail,
            )
        )
    for message in (
        Message.objects.filter(client=client)
        .order_by("-created_at")
        .only(
            "direction",
            "created_at",
            "subject",
            "template_key",
            "acknowledged_at",
            "status",
            "automated",
        )[: EVENTS_PER_KIND * 2]
    ):
        if message.direction == Direction.INBOUND:
            if message.acknowledged_at:
                waited = _wait_words(message.acknowledged_at - message.created_at)
                detail, tone = f"A person read it after {waited}.", ""
            else:
                waited = _wait_words(now - message.created_at)
                detail, tone = f"Still waiting for a person after {waited}.", "bad"
            events.append(LivedEvent(message.created_at, "sent", "They wrote to us", detail, tone))
        elif message.status in ("sent", "delivered"):
            how = "An automated message" if message.automated else "A personal message"
            events.append(
                LivedEvent(
                    message.created_at,
                    "received",
                    f"{how}: {message.subject or message.template_key.replace('_', ' ')}",
                )
            )
    for promise in Promise.objects.filter(client=client).order_by("-created_at")[:EVENTS_PER_KIND]:
        tone = {"kept": "good", "broken": "bad"}.get(promise.status, "")
        events.append(
            LivedEvent(
                promise.created_at,
                "promise",
                f"We promised: {promise.what}",
                f"{promise.get_status_display()}.",
                tone,
            )
        )
    today = now.date()
    for supply in Supply.objects.filter(client=client).order_by("-started_on")[:EVENTS_PER_KIND]:
        ran_out = (
            supply.runs_out_on is not None
            and supply.runs_out_on < today
            and supply.status != "stopped"
            and (
                supply.reorder_requested_at is None
                or supply.reorder_requested_at.date() > supply.runs_out_on
            )
        )
        started = dt.datetime.combine(supply.started_on, dt.time(12), tzinfo=dt.UTC)
        events.append(
            LivedEvent(
                started,
                "supply",
                f"Started {supply.name}",
                f"Ran out on {format_date(supply.runs_out_on, 'j M Y')} before a re-order."
                if ran_out
                else "",
                "bad" if ran_out else "",
            )
        )
    for check_in in CheckIn.objects.filter(client=client, answered_at__isnull=False).order_by(
        "-answered_at"
    )[:EVENTS_PER_KIND]:
        score = (
            f"Wellbeing {check_in.score} of 10."
            if with_scores and check_in.score is not None
            else ""
        )
        side = " Side effects mentioned." if with_scores and check_in.side_effects else ""
        events.append(
            LivedEvent(check_in.answered_at, "check_in", "They answered a check-in", score + side)
        )  # type: ignore[arg-type]
    events.sort(key=lambda event: event.at, reverse=True)
    # Gaps: long stretches with no contact either way, the silence a client feels.
    with_gaps: list[LivedEvent] = []
    later = now
    for event in events:
        if later - event.at > GAP:
            with_gaps.append(
                LivedEvent(
                    later,
                    "gap",
                    f"{(later - event.at).days} days with no contact",
                    f"From {format_date(event.at, 'j M Y')} to {format_date(later, 'j M Y')}.",
                    "bad",
                )
            )
        with_gaps.append(event)
        later = event.at
    return with_gaps


@dataclass(frozen=True)
class CheckCoverage:
    key: str
    label: str
    met: int
    not_met: int

    @property
    def applicable(self) -> int:
        return self.met + self.not_met

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.applicable) if self.applicable else None


@dataclass(frozen=True)
class Dashboard:
    coverage: list[CheckCoverage]
    clients: int
    average: int | None
    buckets: list[tuple[str, int]]  # ("0–9", count), …, ("90–100", count)
    lowest: list[ClientInsight]
    lost: int
    refreshed_at: dt.datetime | None


def dashboard(actor: Actor) -> Dashboard:
    """The practice's score distribution, each check's coverage, the lost count (one grouped
    query over the kept rows) and the lowest scores (one more)."""
    insights = scoped(ClientInsight, actor)
    groups = (
        insights.values("score", "met_mask", "unmet_mask")
        .annotate(
            n=Count("id"),
            lost=Count("id", filter=Q(lost_since__isnull=False)),
            latest=Max("refreshed_at"),
        )
        .order_by()
    )
    buckets = [0] * 10
    met = [0] * len(CHECKS)
    not_met = [0] * len(CHECKS)
    total = points = lost = 0
    latest: dt.datetime | None = None
    for row in groups:
        number = row["n"]
        total += number
        points += row["score"] * number
        lost += row["lost"]
        buckets[min(9, row["score"] // 10)] += number
        for index in range(len(CHECKS)):
            if row["met_mask"] >> index & 1:
                met[index] += number
            if row["unmet_mask"] >> index & 1:
                not_met[index] += number
        if row["latest"] is not None and (latest is None or row["latest"] > latest):
            latest = row["latest"]
    labels = [f"{low}–{low + 9}" for low in range(0, 90, 10)] + ["90–100"]
    keys = list(LABELS)
    return Dashboard(
        coverage=[
            CheckCoverage(keys[index], LABELS[keys[index]], met[index], not_met[index])
            for index in range(len(CHECKS))
        ],
        clients=total,
        average=round(points / total) if total else None,
        buckets=list(zip(labels, buckets, strict=True)),
        lowest=list(insights.select_related("client").order_by("score", "id")[:LOWEST]),
        lost=lost,
        refreshed_at=latest,
    )


def lost_clients(actor: Actor) -> QuerySet[ClientInsight]:
    """The practice's lost clients, most recently lost first."""
    return (
        scoped(ClientInsight, actor)
        .filter(lost_since__isnull=False)
        .select_related("client")
        .order_by("-lost_since", "client_id")
    )


def reason_words(keys: list[str]) -> list[dict[str, str]]:
    return [{"key": key, "words": REASONS.get(key, key)} for key in keys]


@dataclass(frozen=True)
class ReasonMonth:
    month: dt.date
    counts: dict[str, int]


def reasons_per_month(actor: Actor, *, months: int = 12) -> list[ReasonMonth]:
    """How many clients were lost each month, per likely reason (one grouped query)."""
    first = clock.today(actor.practice.tz).replace(day=1)
    since = (first - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (
        scoped(ClientInsight, actor)
        .filter(lost_month__gte=since)
        .values("lost_month", "reason_keys")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_month: dict[dt.date, Counter[str]] = {}
    for row in rows:
        counter = per_month.setdefault(row["lost_month"], Counter())
        for key in (row["reason_keys"] or "unknown").split():
            counter[key] += row["n"]
    return [
        ReasonMonth(month, dict(counter))
        for month, counter in sorted(per_month.items(), reverse=True)
    ]
