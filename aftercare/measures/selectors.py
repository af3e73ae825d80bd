"""Reads shared by the pages and the API: which questionnaires a practice has, a client's scores."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from aftercare import statements
from aftercare.absences.models import Absence
from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.measures.chart import BandLine, Chart, Marker, Point, Span, render_svg
from aftercare.measures.models import Measure, MeasureStatus, PracticeQuestionnaire
from aftercare.measures.questionnaires import (
    Questionnaire,
    QuestionnaireError,
    built_in_questionnaires,
    parse_questionnaire,
)
from aftercare.measures.scoring import Change, change
from aftercare.messaging.models import CheckIn
from aftercare.practice.models import Practice
from aftercare.supplies.models import Supply

log = logging.getLogger("aftercare.measures")

SCORES_LIMIT = 500  # the newest scores a client page or the API lists


def questionnaires_for(practice: Practice | int) -> dict[str, Questionnaire]:
    """The bundled questionnaires and the practice's own, by key (one query)."""
    found = dict(built_in_questionnaires())
    practice_id = practice if isinstance(practice, int) else practice.pk
    for own in statements.objects(
        "measures: the practice's questionnaires",
        lambda practice: PracticeQuestionnaire.objects.filter(practice_id=practice).order_by("pk"),
        model=PracticeQuestionnaire,
        practice=practice_id,
    ):
        try:
            questionnaire = parse_questionnaire(own.document)
        except QuestionnaireError as error:  # checked when added; never fail a page for it
            log.error("practice %s questionnaire %s: %s", practice_id, own.key, error)
            continue
        found.setdefault(questionnaire.key, questionnaire)
    return found


@dataclass(frozen=True)
class ScoreRow:
    """One completed measure or check-in score, as the API and the chart list them."""

    measure: str  # questionnaire key, or "check_in"
    name: str  # PHQ-9, …, "Check-in"
    completed_at: dt.datetime
    score: int
    band: str
    band_label: str
    items: dict[str, int]
    change: Change | None = None
    measure_id: int | None = None


def completed_measures(client: Client, *, limit: int = SCORES_LIMIT) -> list[Measure]:
    """The client's completed measures, oldest first (one query)."""
    newest = statements.instances(
        Measure,
        _SCORE_FIELDS,
        statements.rows(
            ("measures: a client's completed", limit),
            lambda client: (
                Measure.objects.filter(client_id=client, status=MeasureStatus.COMPLETED)
                .order_by("-completed_at", "-id")
                .values_list(*_SCORE_FIELDS)[:limit]
            ),
            client=client.pk,
        ),
    )
    return list(reversed(newest))


# What a score row reads of a measure (the rest deferred, as ``only`` would).
_SCORE_FIELDS = (
    "id",
    "questionnaire",
    "completed_at",
    "total",
    "band",
    "band_label",
    "answers",
    "previous_total",
    "reliable_change",
)


def questionnaires_of(client: Client) -> dict[str, Questionnaire]:
    """``questionnaires_for`` the client's practice, read once per client object (one page)."""
    cached = client.__dict__.get("_page_questionnaires")
    if cached is None:
        cached = client.__dict__["_page_questionnaires"] = questionnaires_for(client.practice_id)
    return cached


def score_rows(client: Client, *, with_check_ins: bool = True) -> list[ScoreRow]:
    """Every score of the client, oldest first: measures and the check-ins' 0–10 scores.

    Two queries (measures, check-ins) plus one for the practice's own questionnaires.
    """
    questionnaires = questionnaires_of(client)
    rows = []
    for measure in completed_measures(client):
        questionnaire = questionnaires.get(measure.questionnaire)
        if measure.completed_at is None or measure.total is None:  # completed ones have both
            continue
        changed = None
        if questionnaire is not None and measure.previous_total is not None:
            changed = change(questionnaire, measure.previous_total, measure.total)
        rows.append(
            ScoreRow(
                measure=measure.questionnaire,
                name=questionnaire.name if questionnaire else measure.questionnaire,
                completed_at=measure.completed_at,
                score=measure.total,
                band=measure.band,
                band_label=measure.band_label,
                items={key: int(value) for key, value in (measure.answers or {}).items()},
                change=changed,
                measure_id=measure.pk,
            )
        )
    if with_check_ins:
        check_ins = statements.rows(
            ("measures: a client's check-in scores", SCORES_LIMIT),
            lambda client: (
                CheckIn.objects.filter(
                    client_id=client, answered_at__isnull=False, score__isnull=False
                )
                .order_by("-answered_at")
                .values_list("answered_at", "score")[:SCORES_LIMIT]
            ),
            client=client.pk,
        )
        rows.extend(
            ScoreRow(
                measure="check_in",
                name="Check-in",
                completed_at=answered_at,
                score=score,
                band="",
                band_label="",
                items={},
            )
            for answered_at, score in check_ins
        )
    rows.sort(key=lambda row: (row.completed_at, row.measure))
    return rows


def latest_per_questionnaire(rows: list[ScoreRow]) -> list[ScoreRow]:
    """The newest score of each measure, in the order measures first appear."""
    latest: dict[str, ScoreRow] = {}
    for row in rows:
        latest[row.measure] = row
    return list(latest.values())


@dataclass(frozen=True)
class ScoreChart:
    """A chart of one measure for a page: the SVG and the rows of its table."""

    measure: str
    name: str
    svg: str
    rows: list[ScoreRow]
    higher_is_better: bool


def chart_markers(client: Client, start: dt.date, end: dt.date) -> tuple[list[Marker], list[Span]]:
    """Visits, new medications and the practitioner's absences between two days (3 queries)."""
    tz = client.tz
    since = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    visits = Appointment.objects.filter(
        client=client, status="attended", starts_at__gte=since
    ).values_list("starts_at", flat=True)
    markers = [
        Marker(starts_at.astimezone(tz).date(), "visit", "Visit")
        for starts_at in visits
        if start <= starts_at.astimezone(tz).date() <= end
    ]
    medications = Supply.objects.filter(
        client=client, kind="medication", started_on__gte=start, started_on__lte=end
    ).values_list("started_on", "name")
    markers.extend(Marker(day, "medication", f"Started {name}") for day, name in medications)
    spans = []
    if client.primary_practitioner_id is not None:
        absences = Absence.objects.filter(
            practice_id=client.practice_id,
            practitioner_id=client.primary_practitioner_id,
            cancelled=False,
            last_day__gte=start,
            first_day__lte=end,
        ).values_list("first_day", "last_day")
        spans = [Span(first, last, "away") for first, last in absences]
    markers.sort(key=lambda marker: marker.on)
    return markers, spans


def score_charts(client: Client, rows: list[ScoreRow], *, today: dt.date) -> list[ScoreChart]:
    """One chart per measure the client has, on one shared time axis, with the markers."""
    if not rows:
        return []
    tz = client.tz
    start = min(row.completed_at.astimezone(tz).date() for row in rows) - dt.timedelta(days=7)
    end = max(today, max(row.completed_at.astimezone(tz).date() for row in rows))
    markers, spans = chart_markers(client, start, end)
    questionnaires = questionnaires_of(client)
    charts = []
    by_measure: dict[str, list[ScoreRow]] = {}
    for row in rows:
        by_measure.setdefault(row.measure, []).append(row)
    for key, measure_rows in by_measure.items():
        questionnaire = questionnaires.get(key)
        if questionnaire is not None:
            low, high = questionnaire.lowest, questionnaire.highest
            bands = [BandLine(b.low, min(b.high, high), b.label) for b in questionnaire.bands]
            higher_is_better, name = questionnaire.higher_is_better, questionnaire.name
        else:  # the check-ins' "How are you doing?" 0–10
            low, high, bands, higher_is_better, name = 0, 10, [], True, "Check-in score (0–10)"
        chart = Chart(
            title=name,
            points=[
                Point(row.completed_at.astimezone(tz).date(), row.score) for row in measure_rows
            ],
            low=low,
            high=high,
            start=start,
            end=end,
            higher_is_better=higher_is_better,
            bands=bands,
            markers=markers,
            spans=spans,
        )
        charts.append(
            ScoreChart(
                measure=key,
                name=name,
                svg=render_svg(chart, chart_id=f"chart-{client.pk}-{key}"),
                rows=measure_rows,
                higher_is_better=higher_is_better,
            )
        )
    return charts


@dataclass(frozen=True)
class Worsened:
    client_id: int
    client_name: str
    measure_id: int
    name: str
    completed_at: dt.datetime
    previous: int
    latest: int
    change: Change
    band_label: str


def worsened_clients(practice: Practice, *, limit: int = 200) -> list[Worsened]:
    """Clients whose latest score of a questionnaire is reliably worse than the one before.

    One query for the latest completed measure of each client and questionnaire (a window over
    the practice's completed measures would need PostgreSQL-only SQL; the newest rows per
    client and questionnaire are picked in Python from rows ordered newest first), plus one for
    the practice's own questionnaires.
    """
    questionnaires = questionnaires_for(practice)
    rows = (
        Measure.objects.filter(
            practice=practice,
            status=MeasureStatus.COMPLETED,
            client__archived=False,
            previous_total__isnull=False,
        )
        .select_related("client")
        .order_by("-completed_at", "-id")
        .only(
            "id",
            "questionnaire",
            "completed_at",
            "total",
            "previous_total",
            "band_label",
            "client__given_name",
            "client__family_name",
            "client__preferred_name",
        )[:5000]
    )
    seen: set[tuple[int, str]] = set()
    found = []
    for measure in rows:
        key = (measure.client_id, measure.questionnaire)
        if key in seen:
            continue
        seen.add(key)
        questionnaire = questionnaires.get(measure.questionnaire)
        if (
            questionnaire is None
            or measure.total is None
            or measure.previous_total is None
            or measure.completed_at is None
        ):
            continue
        changed = change(questionnaire, measure.previous_total, measure.total)
        if not changed.reliably_worse:
            continue
        found.append(
            Worsened(
                client_id=measure.client_id,
                client_name=measure.client.full_name,
                measure_id=measure.pk,
                name=questionnaire.name,
                completed_at=measure.completed_at,
                previous=measure.previous_total,
                latest=measure.total,
                change=changed,
                band_label=measure.band_label,
            )
        )
    return found[:limit]
