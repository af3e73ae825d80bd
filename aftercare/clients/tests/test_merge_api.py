"""``POST /api/v1/clients/{id}/merge``: the web page's merge through the API."""

from __future__ import annotations

import pytest

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.practice.models import AuditEvent
from aftercare.testing import ApiClient, Personas, make_appointment, make_client


@pytest.fixture
def pair(personas: Personas) -> tuple[Client, Client]:
    """Ruth's record and a second one of hers: another email, a family name typed wrong, a
    birth date only the second has, and a visit of its own."""
    kept = personas.client
    other = make_client(
        personas.practice,
        given_name="Ruth",
        family_name="Millar",
        email="ruth.m@example.org",
        phone="+447911123457",
        birth_date="1950-02-03",
        private_notes="Prefers mornings.",
    )
    make_appointment(other, personas.owner)
    return kept, other


def url(client: Client) -> str:
    return f"/api/v1/clients/{client.pk}/merge"


def test_the_merge_keeps_this_record_takes_the_fields_chosen_and_moves_the_rest(
    personas: Personas, pair: tuple[Client, Client], owner_api: ApiClient
) -> None:
    kept, other = pair
    kept_email, kept_phone = kept.email, kept.phone
    response = owner_api.post(
        url(kept), {"other_id": other.pk, "keep": {"family_name": "other", "email": "this"}}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == kept.pk
    assert body["family_name"] == "Millar"  # chosen from the other
    assert body["email"] == kept_email  # chosen from this one
    assert body["phone"] == kept_phone  # not given: this record's
    # Not given and empty here: the other record's, as the web page proposes (nothing lost).
    assert body["birth_date"] == "1950-02-03"
    assert "Prefers mornings." in body["private_notes"]
    assert not Client.objects.filter(pk=other.pk).exists()
    assert Appointment.objects.filter(client=kept).count() == 2
    event = AuditEvent.objects.get(object_id=str(kept.pk), summary__startswith="Merged")
    assert event.via == "api"
    assert event.changes["merged_client"] == [other.pk, None]
    assert set(event.changes) == {"merged_client", "family_name", "birth_date"}
    assert owner_api.get(f"/api/v1/clients/{other.pk}").status_code == 404


def test_a_practitioner_may_merge_and_an_assistant_may_not(
    pair: tuple[Client, Client], colleague_api: ApiClient, assistant_api: ApiClient
) -> None:
    kept, other = pair
    refused = assistant_api.post(url(kept), {"other_id": other.pk})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only owners and practitioners merge clients."
    assert Client.objects.filter(pk=other.pk).exists()
    assert colleague_api.post(url(kept), {"other_id": other.pk}).status_code == 200
    assert not Client.objects.filter(pk=other.pk).exists()


def test_another_practices_client_is_not_found_on_either_side(
    personas: Personas, pair: tuple[Client, Client], owner_api: ApiClient, outsider_api: ApiClient
) -> None:
    kept, other = pair
    theirs = personas.other_client
    assert owner_api.post(url(kept), {"other_id": theirs.pk}).status_code == 404
    assert owner_api.post(url(theirs), {"other_id": kept.pk}).status_code == 404
    assert outsider_api.post(url(kept), {"other_id": other.pk}).status_code == 404
    assert Client.objects.filter(pk__in=[kept.pk, other.pk, theirs.pk]).count() == 3


def test_a_client_merged_with_itself_is_refused_with_a_clear_message(
    pair: tuple[Client, Client], owner_api: ApiClient
) -> None:
    kept, _ = pair
    response = owner_api.post(url(kept), {"other_id": kept.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "other_id": ["A client cannot be merged with itself: give the other record's id."]
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"other_id": ["Required: the id of the client to merge into this one."]}),
        ({"other_id": "7"}, {"other_id": ["Expected an integer id, got a string."]}),
        ({"other_id": True}, {"other_id": ["Expected an integer id, got a boolean."]}),
        ({"other_id": 0, "keep": ["email"]}, {"keep": ['Expected an object such as {"email": "other"}, got an array.']}),
        ({"other_id": 0, "keep": {"email": "theirs"}}, {"keep.email": ['Expected "this" or "other".']}),
        ({"other_id": 0, "keep": {"private_notes": "other"}}, {"keep.private_notes": ["Unknown field; a merge chooses among given_name, family_name, preferred_name, pronouns, birth_date, email, phone, postal_address, preferred_channel, time_zone, language, primary_practitioner."]}),
        ({"other_id": 0, "kept": {}}, {"kept": ["Unknown field."]}),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_and_nothing_is_merged(
    pair: tuple[Client, Client], owner_api: ApiClient, body: dict[str, object], errors: dict
) -> None:
    kept, other = pair
    if body.get("other_id") == 0:
        body = {**body, "other_id": other.pk}
    response = owner_api.post(url(kept), body)
    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert Client.objects.filter(pk=other.pk).exists()
    assert not AuditEvent.objects.filter(summary__startswith="Merged").exists()
