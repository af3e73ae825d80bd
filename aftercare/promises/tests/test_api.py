"""``GET /api/v1/promises`` and ``POST /api/v1/promises``."""

from __future__ import annotations

import pytest

from aftercare.promises.models import Promise
from aftercare.queue.tests.factories import make_promise
from aftercare.testing import ApiClient, Personas

pytestmark = pytest.mark.django_db


def test_a_promise_is_recorded_and_listed(owner_api: ApiClient, personas: Personas) -> None:
    response = owner_api.post(
        "/api/v1/promises",
        {
            "client_id": personas.client.pk,
            "what": "Reachable during the holiday",
            "due_from": "2026-12-20T09:00:00+00:00",
            "due_until": "2027-01-03T18:00:00Z",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["source"], body["practitioner_id"]) == (
        "open",
        "other",
        personas.owner.pk,
    )
    listed = owner_api.get("/api/v1/promises", {"client_id": personas.client.pk}).json()
    assert [row["what"] for row in listed["results"]] == ["Reachable during the holiday"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"what": "x", "due_at": "2026-12-01T09:00:00Z"}, "client_id"),
        ({"what": "", "due_at": "2026-12-01T09:00:00Z"}, "what"),
        ({"what": "x", "due_at": "2026-12-01T09:00:00"}, "due_at"),
        ({"what": "x", "due_at": "tomorrow"}, "due_at"),
        ({"what": "x"}, "due_at"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    owner_api: ApiClient, personas: Personas, body: dict[str, object], field: str
) -> None:
    if field != "client_id":
        body = {**body, "client_id": personas.client.pk}
    response = owner_api.post("/api/v1/promises", body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Promise.objects.exists()


def test_the_outsider_neither_sees_nor_creates_promises_for_another_practice(
    outsider_api: ApiClient, personas: Personas
) -> None:
    make_promise(personas.client)
    assert outsider_api.get("/api/v1/promises").json()["count"] == 0
    response = outsider_api.post(
        "/api/v1/promises",
        {"client_id": personas.client.pk, "what": "x", "due_at": "2026-12-01T09:00:00Z"},
    )
    assert response.status_code == 404
    assert Promise.objects.count() == 1
