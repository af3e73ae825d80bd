"""Demo data: one client whose PHQ-9 improves over five months, one whose WHO-5 and PHQ-9
worsen, and a care rule (off) that would send a WHO-5 every four weeks."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from aftercare.care.models import CareRule
from aftercare.clients.models import Client
from aftercare.measures.models import CompletedVia, Measure, MeasureStatus
from aftercare.measures.questionnaires import Questionnaire, built_in_questionnaires
from aftercare.measures.scoring import band_of, change
from aftercare.practice.models import Membership, Practice, Role

IMPROVING_PHQ9 = (19, 16, 12, 9, 6)
WORSENING_WHO5 = (64, 56, 44, 36, 24)
WORSENING_PHQ9 = (5, 7, 9, 16)


def answers_for(questionnaire: Questionnaire, total: int, rng: random.Random) -> dict[str, int]:
    """Answers that add up to ``total`` (the raw sum: total / multiplier), spread at random."""
    raw = total // questionnaire.multiplier
    items = list(questionnaire.scored_items)
    answers = {item.key: min(item.values) for item in items}
    while sum(answers.values()) < raw:
        item = rng.choice([i for i in items if answers[i.key] < max(i.values)])
        answers[item.key] += 1
    # Demo clients never answer a safety item above 0: the demo raises no crisis.
    for safety in questionnaire.safety_items:
        if answers.get(safety.item, 0) > safety.above:
            moved = answers[safety.item] - safety.above
            answers[safety.item] = safety.above
            for item in items:
                room = max(item.values) - answers[item.key]
                if item.key != safety.item and room and moved:
                    step = min(room, moved)
                    answers[item.key] += step
                    moved -= step
    for item in questionnaire.items:
        if not item.scored and raw > 0 and item.asked_if_any_above is not None:
            answers[item.key] = min(max(item.values), raw // 6)
    return answers


def history(
    client: Client,
    questionnaire: Questionnaire,
    totals: Sequence[int],
    *,
    last: dt.datetime,
    every: dt.timedelta,
    rng: random.Random,
) -> list[Measure]:
    rows = []
    previous = None
    for index, total in enumerate(totals):
        at = last - every * (len(totals) - 1 - index)
        changed = None if previous is None else change(questionnaire, previous, total)
        band = band_of(questionnaire, total)
        rows.append(
            Measure(
                practice_id=client.practice_id,
                client=client,
                questionnaire=questionnaire.key,
                language="en",
                status=MeasureStatus.COMPLETED,
                answers=answers_for(questionnaire, total, rng),
                total=total,
                band=band.key,
                band_label=band.label,
                previous_total=previous,
                reliable_change=bool(changed and changed.reliable),
                completed_at=at,
                completed_via=CompletedVia.PORTAL,
                created_at=at - dt.timedelta(hours=20),
            )
        )
        previous = total
    return rows


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    owner = (
        Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user").first()
    )
    if owner is None:
        return
    clients = list(
        Client.objects.filter(
            practice=practice, primary_practitioner=owner.user, archived=False
        ).order_by("id")[5:7]
    )
    if len(clients) < 2:
        return
    found = built_in_questionnaires()
    phq9, who5 = found["phq9"], found["who5"]
    last = (now - dt.timedelta(days=3)).replace(hour=18, minute=30, second=0, microsecond=0)
    improving, worsening = clients
    rows = history(improving, phq9, IMPROVING_PHQ9, last=last, every=dt.timedelta(weeks=4), rng=rng)
    rows += history(
        worsening, who5, WORSENING_WHO5, last=last, every=dt.timedelta(weeks=4), rng=rng
    )
    rows += history(
        worsening,
        phq9,
        WORSENING_PHQ9,
        last=last - dt.timedelta(days=1),
        every=dt.timedelta(weeks=5),
        rng=rng,
    )
    Measure.objects.bulk_create(rows)
    CareRule.objects.create(
        practice=practice,
        name="WHO-5 every 4 weeks (example: switch on to use)",
        trigger="every_weeks",
        trigger_options={"weeks": 4},
        offset_days=0,
        local_time=dt.time(10, 0),
        template_key="measure_who5",
        purpose="care",
        value=55,
        enabled=False,
    )
