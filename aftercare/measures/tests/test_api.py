"""``GET /api/v1/clients/{id}/scores`` and ``POST /api/v1/clients/{id}/measures``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from aftercare.clock import now
from aftercare.measures.models import Measure
from aftercare.measures.services import measure_fill_in_session
from aftercare.messaging.models import CheckIn, Message
from aftercare.practice.models import AuditEvent
from aftercare.testing import ApiClient, Personas

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def daytime() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_posting_a_measure_sends_it_and_answers_id_url_and_status(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.post(f"/api/v1/clients/{personas.client.pk}/measures", {"measure": "who5"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "url", "status"}
    assert body["status"] == "waiting" and "/p/q/" in body["url"]
    measure = Measure.objects.get(pk=body["id"])
    assert measure.questionnaire == "who5" and measure.created_by == personas.owner
    assert Message.objects.get(pk=measure.message_id).template_key == "measure_who5"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"measure": "core10"}, {"measure": ["Choose one of gad7, phq9, who5."]}),
        ({}, {"measure": ["Choose one of gad7, phq9, who5."]}),
        ({"measure": "phq9", "when": "now"}, {"when": ["Unknown field."]}),
    ],
)
def test_a_wrong_measure_is_a_422_naming_the_field(
    personas: Personas, owner_api: ApiClient, body: dict, errors: dict
) -> None:
    response = owner_api.post(f"/api/v1/clients/{personas.client.pk}/measures", body)
    assert response.status_code == 422
    assert response.json()["errors"] == errors


def test_scores_list_measures_and_check_in_scores_and_the_read_is_audited(
    personas: Personas, owner_api: ApiClient, daytime: Any
) -> None:
    answers = {str(i): 2 for i in range(1, 10)} | {"9": 0, "10": 1}
    measure_fill_in_session(
        actor=personas.actor(), client=personas.client, questionnaire_key="phq9", answers=answers
    )
    daytime.shift(dt.timedelta(days=1))
    CheckIn.objects.create(
        practice=personas.practice, client=personas.client, score=6, answered_at=now()
    )
    response = owner_api.get(f"/api/v1/clients/{personas.client.pk}/scores")
    assert response.status_code == 200
    assert response.json() == [
        {
            "measure": "phq9",
            "completed_at": "2026-11-24T10:00:00Z",
            "score": 16,
            "band": "moderately_severe",
            "items": answers,
        },
        {
            "measure": "check_in",
            "completed_at": "2026-11-25T10:00:00Z",
            "score": 6,
            "band": "",
            "items": {},
        },
    ]
    assert AuditEvent.objects.filter(
        action="view", summary="Read the client's scores", via="api"
    ).exists()


def test_an_assistant_may_send_but_not_read_scores(
    personas: Personas, assistant_api: ApiClient
) -> None:
    path = f"/api/v1/clients/{personas.client.pk}"
    assert assistant_api.get(f"{path}/scores").status_code == 403
    assert assistant_api.post(f"{path}/measures", {"measure": "phq9"}).status_code == 201


def test_another_practices_client_is_a_404(personas: Personas, outsider_api: ApiClient) -> None:
    path = f"/api/v1/clients/{personas.client.pk}"
    assert outsider_api.get(f"{path}/scores").status_code == 404
    assert outsider_api.post(f"{path}/measures", {"measure": "phq9"}).status_code == 404
    assert not Measure.objects.exists()
