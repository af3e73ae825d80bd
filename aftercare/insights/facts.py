"""Loading what the care score and the lost-clients reasons need, for many clients at once.

Seven queries for a batch of clients, whatever its size (the caller chooses batches of a few
hundred): clients, appointments, messages out, messages in, promises, supplies, absence notices.
The judging is pure (``insights/score.py``, ``insights/lost.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, Min, OuterRef, Q

from aftercare.absences.models import Absence
from aftercare.appointments.models import Appointment, FeeAction
from aftercare.appointments.models import Status as AppointmentStatus
from aftercare.care.models import Touchpoint, TouchpointStatus
from aftercare.clients.models import Client
from aftercare.insights import lost, score
from aftercare.messaging.models import Direction, Message, MessageStatus
from aftercare.practice.models import Membership
from aftercare.promises.models import Promise, PromiseStatus
from aftercare.supplies.models import Status as SupplyStatus
from aftercare.supplies.models import Supply

CHECK_IN_TEMPLATES = ("check_in", "no_show_follow_up")
GONE_OUT = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.SENDING)


@dataclass(frozen=True)
class ClientFacts:
    care: score.CareFacts
    history: lost.VisitHistory
    signals: lost.Signals


def _anniversaries(since: dt.date | None, start: dt.date, end: dt.date) -> int:
    """How many yearly returns of ``since`` fall in (start, end] (29 Feb counts on 28 Feb)."""
    if since is None:
        return 0
    count = 0
    for year in (start.year, end.year):
        try:
            day = since.replace(year=year)
        except ValueError:
            day = dt.date(year, 2, 28)
        if start < day <= end and day > since:
            count += 1
    return count


def load_facts(
    practice_id: int,
    client_ids: Sequence[int],
    *,
    now: dt.datetime,
    reply_target: dt.timedelta,
) -> dict[int, ClientFacts]:
    """``{client_id: ClientFacts}`` for the clients of one practice (seven queries)."""
    year_ago = now - score.LOOK_BACK
    clients = list(
        Client.objects.filter(practice_id=practice_id, pk__in=client_ids).annotate(
            practitioner_stayed=Exists(
                Membership.objects.filter(
                    practice_id=practice_id,
                    user_id=OuterRef("primary_practitioner_id"),
                    user__is_active=True,
                )
            ),
        )
    )
    ids = [client.pk for client in clients]
    visits = {
        row["client_id"]: row
        for row in Appointment.objects.filter(practice_id=practice_id, client_id__in=ids)
        .values("client_id")
        .annotate(
            visits=Count("id", filter=Q(status=AppointmentStatus.ATTENDED)),
            first_visit_at=Min("starts_at", filter=Q(status=AppointmentStatus.ATTENDED)),
            last_visit_at=Max("starts_at", filter=Q(status=AppointmentStatus.ATTENDED)),
            upcoming=Count("id", filter=Q(status=AppointmentStatus.BOOKED, starts_at__gt=now)),
            fees_charged=Count(
                "id", filter=Q(fee_action=FeeAction.CHARGED, starts_at__gte=year_ago)
            ),
        )
    }
    sent: dict[int, list[tuple[dt.datetime, str, str, bool]]] = defaultdict(list)
    for client_id, created_at, template_key, purpose, automated in (
        Message.objects.filter(
            practice_id=practice_id,
            client_id__in=ids,
            direction=Direction.OUTBOUND,
            status__in=GONE_OUT,
            created_at__gte=year_ago,
        )
        .order_by("created_at")
        .values_list("client_id", "created_at", "template_key", "purpose", "automated")
    ):
        sent[client_id].append((created_at, template_key, purpose, automated))
    received: dict[int, list[score.Reply]] = defaultdict(list)
    for client_id, created_at, acknowledged_at in (
        Message.objects.filter(
            practice_id=practice_id,
            client_id__in=ids,
            direction=Direction.INBOUND,
            created_at__gte=year_ago,
        )
        .order_by("created_at")
        .values_list("client_id", "created_at", "acknowledged_at")
    ):
        received[client_id].append(score.Reply(created_at, acknowledged_at))
    promises = {
        row["client_id"]: row
        for row in Promise.objects.filter(
            practice_id=practice_id, client_id__in=ids, created_at__gte=year_ago
        )
        .values("client_id")
        .annotate(
            kept=Count("id", filter=Q(status=PromiseStatus.KEPT)),
            broken=Count("id", filter=Q(status=PromiseStatus.BROKEN)),
        )
    }
    today = now.date()
    supplies: dict[int, list[str]] = defaultdict(list)
    supply_counts: dict[int, int] = defaultdict(int)
    for client_id, name, runs_out_on, status, reordered_at in Supply.objects.filter(
        practice_id=practice_id, client_id__in=ids
    ).values_list("client_id", "name", "runs_out_on", "status", "reorder_requested_at"):
        supply_counts[client_id] += 1
        ran_out = (
            status != SupplyStatus.STOPPED
            and runs_out_on is not None
            and year_ago.date() <= runs_out_on < today
            and (reordered_at is None or reordered_at.date() > runs_out_on)
        )
        if ran_out:
            supplies[client_id].append(name)
    notices: dict[int, dict[int, dt.datetime | None]] = defaultdict(dict)
    for client_id, context, status, updated_at in Touchpoint.objects.filter(
        practice_id=practice_id,
        client_id__in=ids,
        kind="absence_notice",
        due_at__gte=year_ago,
    ).values_list("client_id", "context", "status", "updated_at"):
        absence_id = (context or {}).get("absence_id")
        if isinstance(absence_id, int) and status != TouchpointStatus.CANCELLED:
            told = updated_at if status == TouchpointStatus.SENT else None
            notices[client_id][absence_id] = notices[client_id].get(absence_id) or told
    absence_ids = {absence_id for per_client in notices.values() for absence_id in per_client}
    first_days = dict(
        Absence.objects.filter(
            practice_id=practice_id, pk__in=absence_ids, cancelled=False, first_day__lte=today
        ).values_list("id", "first_day")
    )

    result: dict[int, ClientFacts] = {}
    for client in clients:
        visit = visits.get(client.pk, {})
        last_visit_at = visit.get("last_visit_at")
        first_visit_at = visit.get("first_visit_at")
        outbound = sent.get(client.pk, [])
        inbound = received.get(client.pk, [])
        check_in_at = next(
            (
                at
                for at, key, _purpose, _auto in outbound
                if key in CHECK_IN_TEMPLATES and last_visit_at is not None and at > last_visit_at
            ),
            None,
        )
        first_check_in = next(
            (
                at
                for at, key, _purpose, _auto in outbound
                if key in CHECK_IN_TEMPLATES and first_visit_at is not None and at > first_visit_at
            ),
            None,
        )
        automated_while_waiting = sum(
            1
            for at, _key, _purpose, automated in outbound
            if automated
            and any(
                reply.received_at < at and (reply.answered_at is None or at < reply.answered_at)
                for reply in inbound
            )
        )
        celebrations_due = 0
        if client.consent_celebrations:
            start = max(year_ago.date(), client.created_at.date())
            celebrations_due = _anniversaries(client.birth_date, start, today) + _anniversaries(
                first_visit_at.date() if first_visit_at else None, start, today
            )
        absences = [
            score.AbsenceNotice(first_days[absence_id], told_at)
            for absence_id, told_at in notices.get(client.pk, {}).items()
            if absence_id in first_days
        ]
        promise = promises.get(client.pk, {})
        care = score.CareFacts(
            now=now,
            reply_target=reply_target,
            last_visit_at=last_visit_at,
            check_in_after_last_visit_at=check_in_at,
            replies=inbound,
            promises_kept=promise.get("kept", 0),
            promises_broken=promise.get("broken", 0),
            supplies=supply_counts.get(client.pk, 0),
            supplies_ran_out=supplies.get(client.pk, []),
            absences=absences,
            automated_while_waiting=automated_while_waiting,
            celebrations_consented=client.consent_celebrations,
            celebrations_due=celebrations_due,
            celebrations_sent=sum(
                1 for _at, _k, purpose, _a in outbound if purpose == "celebrations"
            ),
        )
        history = lost.VisitHistory(
            visits=visit.get("visits", 0),
            first_visit_at=first_visit_at,
            last_visit_at=last_visit_at,
            has_upcoming=bool(visit.get("upcoming")),
        )
        signals = lost.Signals(
            unanswered_message=any(
                reply.answered_at is None and now - reply.received_at > reply_target
                for reply in inbound
            ),
            supply_ran_out=bool(supplies.get(client.pk)),
            broken_promise=bool(promise.get("broken")),
            fee_charged=bool(visit.get("fees_charged")),
            checked_in_after_first_visit=first_check_in is not None,
            practitioner_left=client.primary_practitioner_id is not None
            and not client.practitioner_stayed,
        )
        result[client.pk] = ClientFacts(care=care, history=history, signals=signals)
    return result
