"""The client page's "Questionnaires" panel and timeline rows (registered in MeasuresConfig.ready).

Scores are health data: an assistant (who does not see private notes) sees that a questionnaire
was sent and whether it was answered, never the answers, scores or chart.
"""

from __future__ import annotations

from django.urls import reverse

from aftercare import clock, statements
from aftercare.clients.models import Client
from aftercare.clients.timeline import ClientSection, TimelineEntry
from aftercare.measures.chart import LEGEND
from aftercare.measures.models import Measure, MeasureStatus
from aftercare.measures.selectors import (
    latest_per_questionnaire,
    questionnaires_of,
    score_charts,
    score_rows,
)
from aftercare.practice.access import Actor

RECENT_LIMIT = 10
TIMELINE_LIMIT = 100


def _measures_of(client: Client) -> list[Measure]:
    """The client's newest measures, loaded once per page: the panel and the timeline share them."""
    cached = client.__dict__.get("_page_measures")
    if cached is None:
        cached = statements.objects(
            ("measures: a client's", TIMELINE_LIMIT),
            lambda client: Measure.objects.filter(client_id=client).order_by("-created_at", "-id")[
                :TIMELINE_LIMIT
            ],
            model=Measure,
            related=("entered_by",),
            client=client.pk,
        )
        client.__dict__["_page_measures"] = cached
    return cached


def measures_section(client: Client, actor: Actor) -> ClientSection:
    """Send a questionnaire, fill one in together, the latest scores and their charts."""
    questionnaires = questionnaires_of(client)
    measures = _measures_of(client)
    names = {key: q.name for key, q in questionnaires.items()}
    context: dict[str, object] = {
        "questionnaires": [(key, f"{q.name} ({q.about})") for key, q in questionnaires.items()],
        "waiting": [
            {"measure": m, "name": names.get(m.questionnaire, m.questionnaire)}
            for m in measures
            if m.status == MeasureStatus.WAITING
        ][:RECENT_LIMIT],
        "sees_scores": actor.sees_private_notes,
        "legend": LEGEND,
    }
    if actor.sees_private_notes:
        rows = score_rows(client)
        context["latest"] = latest_per_questionnaire(
            [row for row in rows if row.measure != "check_in"]
        )
        context["charts"] = score_charts(client, rows, today=clock.today(client.tz))
    return ClientSection(
        title="Questionnaires and scores",
        template_name="measures/client_section.html",
        context=context,
        order=25,
    )


def measure_entries(client: Client, actor: Actor) -> list[TimelineEntry]:
    names = {key: q.name for key, q in questionnaires_of(client).items()}
    entries = []
    for measure in _measures_of(client):
        name = names.get(measure.questionnaire, measure.questionnaire)
        if measure.is_completed and measure.completed_at is not None:
            detail = ""
            if actor.sees_private_notes and measure.total is not None:
                detail = f"{measure.total} — {measure.band_label}"
            entries.append(
                TimelineEntry(
                    at=measure.completed_at,
                    kind="measure",
                    title=f"{name} answered"
                    + (" together in a session" if measure.completed_via == "session" else ""),
                    detail=detail,
                    url=reverse("measures-detail", args=[measure.pk])
                    if actor.sees_private_notes
                    else "",
                )
            )
        else:
            entries.append(
                TimelineEntry(
                    at=measure.created_at,
                    kind="measure",
                    title=f"{name} sent",
                    status="waiting",
                    status_label="Waiting for answers",
                )
            )
    return entries
