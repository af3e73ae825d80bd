"""``/api/v1/clients/{client_id}/scores`` and ``…/measures``: a client's scores; send one now.

Mounted under ``/clients`` beside the clients router. Scores are health data: reading them is
audited, and an assistant's token gets 403 (it may still send a questionnaire).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from aftercare.api.auth import api_actor
from aftercare.api.errors import ErrorOut, invalid, parse_json_object
from aftercare.clients.models import Client
from aftercare.links import portal_url
from aftercare.measures.selectors import questionnaires_for, score_rows
from aftercare.measures.services import MeasureError, measure_send
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.audit import record_audit

router = Router(tags=["Measures"])


class ScoreOut(Schema):
    measure: str = Field(
        description="phq9, gad7, who5, a practice's own questionnaire, or check_in (the "
        "check-ins' 0–10 'How are you doing?')"
    )
    completed_at: dt.datetime
    score: int = Field(description="The total (the WHO-5's percentage score 0–100)")
    band: str = Field(description="The severity band's key, e.g. moderate; '' for check-ins")
    items: dict[str, int] = Field(
        description="The answer to each question by its number; {} for check-ins"
    )


class MeasureIn(Schema):
    measure: str = Field(description="phq9, gad7, who5 or a practice's own questionnaire key")


class MeasureOut(Schema):
    id: int
    url: str = Field(description="The signed portal link the client answers on")
    status: str = Field(description="waiting until the client has answered, then completed")


@router.get(
    "/{client_id}/scores",
    response={200: list[ScoreOut], 403: ErrorOut, 404: ErrorOut},
    summary="A client's scores",
)
def client_scores(request: HttpRequest, client_id: int) -> list[dict[str, Any]]:
    """Every completed questionnaire and check-in score of the client, oldest first."""
    actor = api_actor(request)
    client = get_scoped_or_404(Client.objects.select_related("practice"), actor, pk=client_id)
    if not actor.sees_private_notes:
        raise PermissionDenied("Scores are health data: an assistant's token cannot read them.")
    rows = score_rows(client)
    record_audit(actor, "view", client, summary="Read the client's scores")
    return [
        {
            "measure": row.measure,
            "completed_at": row.completed_at,
            "score": row.score,
            "band": row.band,
            "items": row.items,
        }
        for row in rows
    ]


@router.post(
    "/{client_id}/measures",
    response={201: MeasureOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Send a questionnaire now",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": MeasureIn.model_json_schema()}},
            "required": True,
        }
    },
)
def client_measure_send(request: HttpRequest, client_id: int) -> Status:
    """Send the questionnaire by the client's channel now; answers ``{id, url, status}``."""
    actor = api_actor(request)
    client = get_scoped_or_404(Client.objects.select_related("practice"), actor, pk=client_id)
    data = parse_json_object(request)
    unknown = sorted(set(data) - {"measure"})
    if unknown:
        raise invalid({name: ["Unknown field."] for name in unknown})
    key = data.get("measure")
    if not isinstance(key, str) or key not in questionnaires_for(actor.practice):
        known = ", ".join(sorted(questionnaires_for(actor.practice)))
        raise invalid({"measure": [f"Choose one of {known}."]})
    try:
        measure = measure_send(actor=actor, client=client, questionnaire_key=key)
    except MeasureError as error:
        raise invalid({error.field: [error.message]}) from error
    return Status(
        201,
        {"id": measure.pk, "url": portal_url("measure", measure.pk), "status": measure.status},
    )
