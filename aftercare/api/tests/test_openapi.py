from __future__ import annotations

import pytest

from aftercare.testing import ApiClient

CLIENT_FIELDS = {
    "id", "external_id", "given_name", "family_name", "preferred_name", "pronouns", "email", "phone",
    "birth_date", "time_zone", "language", "preferred_channel", "postal_address", "tags",
    "primary_practitioner_id", "consent_care", "consent_information", "consent_celebrations",
    "archived", "private_notes",
}  # fmt: skip
APPOINTMENT_FIELDS = {
    "id", "client_id", "practitioner_id", "starts_at", "ends_at", "kind", "status", "fee",
    "source", "external_id", "confirmed_at", "rebook_requested_at",
}  # fmt: skip


@pytest.fixture
def schema(anonymous_api: ApiClient, db: None) -> dict:
    response = anonymous_api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_lists_every_path_and_method(schema: dict) -> None:
    methods = {path: set(item) for path, item in schema["paths"].items()}
    assert methods["/api/v1/clients"] == {"get", "post"}
    assert methods["/api/v1/clients/{client_id}"] == {"get", "patch", "put", "delete"}
    assert methods["/api/v1/clients/{client_id}/archive"] == {"post"}
    assert methods["/api/v1/appointments"] == {"get", "post"}
    assert methods["/api/v1/appointments/{appointment_id}"] == {"get", "patch", "put", "delete"}


def test_the_schema_names_the_resource_fields(schema: dict) -> None:
    components = schema["components"]["schemas"]
    assert set(components["ClientOut"]["properties"]) >= CLIENT_FIELDS
    assert set(components["AppointmentOut"]["properties"]) >= APPOINTMENT_FIELDS
    create_client = schema["paths"]["/api/v1/clients"]["post"]["requestBody"]
    client_in = create_client["content"]["application/json"]["schema"]["properties"]
    assert set(client_in) == CLIENT_FIELDS - {"id"}
    create_appointment = schema["paths"]["/api/v1/appointments"]["post"]["requestBody"]
    appointment_in = create_appointment["content"]["application/json"]["schema"]
    assert set(appointment_in["properties"]) == APPOINTMENT_FIELDS - {
        "id", "confirmed_at", "rebook_requested_at",
    }  # fmt: skip
    assert set(appointment_in["required"]) == {"client_id", "starts_at", "ends_at"}


def test_the_schema_documents_filters_pagination_and_errors(schema: dict) -> None:
    listing = schema["paths"]["/api/v1/appointments"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert names == {"client_id", "practitioner_id", "status", "from", "to", "limit", "offset"}
    client_names = {p["name"] for p in schema["paths"]["/api/v1/clients"]["get"]["parameters"]}
    assert client_names == {"q", "tag", "practitioner_id", "archived", "limit", "offset"}
    assert set(listing["responses"]) >= {"200", "401", "422"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"detail", "errors"}


def test_every_operation_requires_the_bearer_token(schema: dict) -> None:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("security") == [{"TokenAuth": []}], (method, path)
