from __future__ import annotations

from aftercare.testing import ApiClient


def test_an_unknown_api_path_is_a_json_404(owner_api: ApiClient) -> None:
    response = owner_api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found: no such API path."}


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(owner_api: ApiClient) -> None:
    response = owner_api.delete("/api/v1/me")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": "Method DELETE is not allowed here; use GET."}


def test_the_openapi_schema_is_served_without_a_token(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"] == {
        "title": "Aftercare API",
        "version": "1",
        "description": schema["info"]["description"],
    }
    assert "/api/v1/me" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_a_bad_query_parameter_names_the_parameter(owner_api: ApiClient) -> None:
    response = owner_api.get("/api/v1/clients", {"limit": "many"})
    assert response.status_code == 422
    body = response.json()
    assert list(body["errors"]) == ["limit"]
    assert "limit" in body["detail"]


def test_a_limit_above_the_maximum_is_refused(owner_api: ApiClient) -> None:
    response = owner_api.get("/api/v1/clients", {"limit": 501})
    assert response.status_code == 422
    assert "500" in response.json()["errors"]["limit"][0]


def test_a_body_larger_than_the_limit_is_a_413(owner_api: ApiClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = owner_api.post("/api/v1/clients", {"given_name": "N" * 200})
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 100 bytes."}


def test_an_unexpected_error_is_logged_and_answered_in_json(
    owner_api: ApiClient, monkeypatch, caplog
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("aftercare.clients.api.client_create", broken)
    response = owner_api.post("/api/v1/clients", {"given_name": "Nora", "email": "n@x.org"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error; it has been logged."}
    assert "disk on fire" in caplog.text


def test_a_trailing_slash_is_a_404_that_suggests_the_path(owner_api: ApiClient) -> None:
    response = owner_api.get("/api/v1/clients/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found: no such API path; did you mean /api/v1/clients?"
    }


def test_the_api_root_says_where_the_schema_is(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/api/v1/")
    assert response.status_code == 200
    assert response.json() == {
        "title": "Aftercare API",
        "version": "1",
        "openapi": "http://testserver/api/v1/openapi.json",
        "docs": "http://testserver/api/v1/docs",
        "authentication": "Authorization: Bearer <token>",
    }
