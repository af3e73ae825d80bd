"""Demo data for insights: check-in scores that dip after a new medication, a lost client whose
message went unanswered, and every client's care score computed (the dashboard's spread)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.insights.models import ClientInsight
from aftercare.insights.services import insights_refresh
from aftercare.messaging.models import CheckIn, Direction, Message, MessageStatus
from aftercare.practice.models import Practice
from aftercare.supplies.models import Kind, Supply

# Check-in scores (0–10) by days before today; the medication starts 35 days ago.
DIP = ((70, 7), (56, 7), (42, 8), (28, 4), (21, 3), (10, 5))
MEDICATION_DAYS_AGO = 35
MEDICATION = "Amitriptyline 10 mg"


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    client = (
        Client.objects.filter(practice=practice, archived=False, consent_care=True)
        .order_by("id")
        .first()
    )
    if client is None:
        return
    today = now.date()
    with clock.at(now):
        Supply.objects.create(
            practice=practice,
            client=client,
            name=MEDICATION,
            kind=Kind.MEDICATION,
            quantity=Decimal(56),
            unit="tablets",
            daily_dose=Decimal(1),
            started_on=today - dt.timedelta(days=MEDICATION_DAYS_AGO),
            runs_out_on=today + dt.timedelta(days=56 - MEDICATION_DAYS_AGO),
        )
        previous = None
        for days_ago, score in DIP:
            at = now - dt.timedelta(days=days_ago)
            CheckIn.objects.create(
                practice=practice,
                client=client,
                score=score,
                previous_score=previous,
                side_effects="Dry mouth and sleepy in the mornings" if score <= 4 else "",
                answered_at=at,
                created_at=at - dt.timedelta(hours=6),
            )
            previous = score


def finish_demo_data(practice: Practice, *, now: dt.datetime) -> None:
    """Score every client; give the first lost client with no known reason an unanswered message."""
    insights_refresh(practice=practice, now=now)
    lost = (
        ClientInsight.objects.filter(
            practice=practice, lost_since__isnull=False, likely_reasons=["unknown"]
        )
        .select_related("client")
        .order_by("client_id")
        .first()
    )
    if lost is None or lost.last_visit_at is None:
        return
    Message.objects.create(
        practice=practice,
        client=lost.client,
        direction=Direction.INBOUND,
        channel="email",
        from_address=lost.client.email,
        subject="Question about my exercises",
        text_body="Hello, the exercises hurt my knee more than before. Should I carry on?",
        status=MessageStatus.RECEIVED,
        created_at=lost.last_visit_at + dt.timedelta(days=4),
    )
    insights_refresh(practice=practice, client_ids=[lost.client_id], now=now)
