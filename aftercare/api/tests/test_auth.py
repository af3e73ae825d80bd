from __future__ import annotations

from aftercare.practice.models import ApiToken, AuditEvent
from aftercare.practice.services import token_create, token_revoke
from aftercare.testing import ApiClient, Personas


def test_a_request_without_a_token_gets_401_naming_the_header(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/api/v1/me")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_header_that_is_not_bearer_gets_401(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401
    assert "Bearer <token>" in response.json()["detail"]


def test_an_unknown_token_gets_401(personas: Personas) -> None:
    response = ApiClient("act_not-a-real-token").get("/api/v1/me")
    assert response.status_code == 401
    assert "unknown or has been revoked" in response.json()["detail"]


def test_a_revoked_token_gets_401(personas: Personas) -> None:
    actor = personas.actor()
    token, raw = token_create(actor=actor, user=personas.owner)
    api = ApiClient(raw)
    assert api.get("/api/v1/me").status_code == 200
    token_revoke(actor=actor, token=token)
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "The API token is unknown or has been revoked."}


def test_a_token_of_a_deactivated_user_gets_401(personas: Personas) -> None:
    _token, raw = token_create(actor=personas.actor(), user=personas.colleague)
    personas.colleague.is_active = False
    personas.colleague.save(update_fields=["is_active"])
    assert ApiClient(raw).get("/api/v1/me").status_code == 401


def test_me_says_who_the_token_acts_as(personas: Personas, assistant_api: ApiClient) -> None:
    response = assistant_api.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "user_id": personas.assistant.pk,
        "email": "ada@riverside.example",
        "full_name": "Ada Assistant",
        "practice_id": personas.practice.pk,
        "practice_name": "Riverside Practice",
        "practice_time_zone": "Europe/London",
        "role": "assistant",
    }


def test_using_a_token_records_when_it_was_last_used(
    personas: Personas, owner_api: ApiClient
) -> None:
    assert ApiToken.objects.get(user=personas.owner).last_used_at is None
    owner_api.get("/api/v1/me")
    assert ApiToken.objects.get(user=personas.owner).last_used_at is not None


def test_api_writes_are_audited_as_coming_from_the_api(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.post("/api/v1/clients", {"given_name": "Nora", "email": "n@example.org"})
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="create", object_id=str(response.json()["id"]))
    assert event.via == "api"
    assert event.user == personas.owner
