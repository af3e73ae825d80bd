"""Every API input bounded before any write, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json

import pytest
from django.test import Client as WebClient

from aftercare.api.bounds import MAX_DEPTH, MAX_ITEMS, MAX_TEXT
from aftercare.clients.models import Client
from aftercare.practice.services import token_create
from aftercare.testing import Personas


@pytest.fixture
def api(personas: Personas) -> WebClient:
    _, token = token_create(actor=personas.actor(), user=personas.owner)
    return WebClient(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(api: WebClient, path: str, body: str):  # type: ignore[no-untyped-def]
    return api.post(path, body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"given_name": "Ann\\u0000e", "family_name": "X"}', "given_name"),
        ('{"given_name": "Ann\\ud800", "family_name": "X"}', "given_name"),
        (json.dumps({"given_name": "A" * (MAX_TEXT + 1)}), "given_name"),
        (json.dumps({"given_name": "Ann", "tags": ["t"] * (MAX_ITEMS + 1)}), "tags"),
        (
            json.dumps({"given_name": "Ann", "primary_practitioner_id": 2**31}),
            "primary_practitioner_id",
        ),
    ],
)
def test_out_of_bounds_input_is_a_422_naming_the_field_and_writes_nothing(
    api: WebClient, personas: Personas, body: str, field: str
) -> None:
    before = Client.objects.count()
    response = post(api, "/api/v1/clients", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Client.objects.count() == before


def test_json_nested_5000_deep_is_refused_without_recursing(api: WebClient) -> None:
    response = post(api, "/api/v1/clients", '{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    assert response.status_code == 422
    assert f"more than {MAX_DEPTH} levels" in response.json()["detail"]


@pytest.mark.parametrize("query", ["client_id=99999999999999999999", "limit=2147483648", "q=a%00b"])
def test_query_values_out_of_bounds_are_refused(api: WebClient, query: str) -> None:
    path = "/api/v1/clients" if "q=" in query or "limit" in query else "/api/v1/appointments"
    response = api.get(f"{path}?{query}")
    assert response.status_code == 422, response.content


def test_a_write_answered_with_an_error_leaves_nothing_behind(personas: Personas) -> None:
    """Every API route is wrapped so: a view that wrote, then answered 4xx, left no row."""
    from django.test import RequestFactory

    from aftercare.api.errors import json_error
    from aftercare.api.urls import _guarded
    from aftercare.practice.models import Practice

    def half_done(request):  # type: ignore[no-untyped-def]
        Practice.objects.create(name="Half-written")
        return json_error(422, "Invalid input: the second half.")

    response = _guarded(half_done)(RequestFactory().post("/api/v1/anything"))
    assert response.status_code == 422
    assert not Practice.objects.filter(name="Half-written").exists()


def test_the_schema_states_the_bounds_and_every_error_status(client: WebClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/clients"]["post"]
    assert {"400", "401", "404", "413", "414", "422"} <= set(operation["responses"])
    parameters = schema["paths"]["/api/v1/clients"]["get"]["parameters"]
    limit = next(p for p in parameters if p["name"] == "limit")["schema"]
    assert limit["maximum"] <= 2**31 - 1
