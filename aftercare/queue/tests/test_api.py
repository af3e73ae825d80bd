"""``GET /api/v1/care-queue`` and ``POST /api/v1/care-queue/actions``."""

from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.queue.tests.factories import NOW, make_promise, make_task
from aftercare.testing import ApiClient, Personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def test_it_lists_the_queue_with_the_contract_fields(
    owner_api: ApiClient, personas: Personas
) -> None:
    task = make_task(personas.client, title="Call Ruth", value=70, estimated_minutes=12)
    make_promise(personas.client, personas.owner, what="Send the leaflet")
    body = owner_api.get("/api/v1/care-queue").json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["kind"] == "promise"
    assert second == {
        "id": f"touchpoint:{task.pk}",
        "kind": "task",
        "client_id": personas.client.pk,
        "client_name": "Ruth Miller",
        "title": "Call Ruth",
        "reason": "Planned by the care engine",
        "urgency": "routine",
        "due_at": "2026-11-24T07:15:00Z",
        "estimated_minutes": 12,
        "value": 70,
        "actions": ["done", "snooze", "skip", "open"],
    }


def test_it_paginates_and_filters_by_kind(owner_api: ApiClient, personas: Personas) -> None:
    for _ in range(3):
        make_task(personas.client)
    make_promise(personas.client)
    page = owner_api.get("/api/v1/care-queue", {"limit": 2, "kind": "task"}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert "offset=2" in page["next"]


def test_the_outsider_sees_nothing_of_another_practice(
    outsider_api: ApiClient, personas: Personas
) -> None:
    task = make_task(personas.client)
    assert outsider_api.get("/api/v1/care-queue", {"scope": "practice"}).json()["count"] == 0
    response = outsider_api.post(
        "/api/v1/care-queue/actions", {"item": f"touchpoint:{task.pk}", "action": "done"}
    )
    assert response.status_code == 404


def test_actions_record_who_and_refuse_bad_input_naming_the_field(
    owner_api: ApiClient, personas: Personas
) -> None:
    task = make_task(personas.client)
    response = owner_api.post(
        "/api/v1/care-queue/actions", {"item": f"touchpoint:{task.pk}", "action": "skip"}
    )
    assert response.status_code == 422
    assert "reason" in response.json()["errors"]
    response = owner_api.post(
        "/api/v1/care-queue/actions",
        {
            "item": f"touchpoint:{task.pk}",
            "action": "snooze",
            "until": (NOW + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 204
    task.refresh_from_db()
    assert task.snoozed_until == NOW + dt.timedelta(days=2)
    assert owner_api.get("/api/v1/care-queue").json()["count"] == 0
