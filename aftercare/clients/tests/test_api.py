from __future__ import annotations

import pytest

from aftercare.clients.models import Client, ConsentEvent, Tag
from aftercare.practice.models import AuditEvent
from aftercare.testing import ApiClient, Personas, make_client

VALID_MOBILE = "+447911123456"


@pytest.fixture
def ruth(personas: Personas) -> Client:
    """The owner practice's client, with a number phonenumbers accepts (the persona's is
    from the range reserved for drama, which it rejects)."""
    Client.objects.filter(pk=personas.client.pk).update(phone=VALID_MOBILE)
    return Client.objects.get(pk=personas.client.pk)


def url(client: Client | int) -> str:
    return f"/api/v1/clients/{getattr(client, 'pk', client)}"


# --- list ---


def test_the_list_shows_every_field_with_private_notes_for_the_owner(
    personas: Personas, ruth: Client, owner_api: ApiClient
) -> None:
    body = owner_api.get("/api/v1/clients").json()
    assert body["count"] == 1
    assert body["next"] is None
    (row,) = body["results"]
    assert row["id"] == ruth.pk
    assert row["given_name"] == "Ruth"
    assert row["phone"] == VALID_MOBILE
    assert row["primary_practitioner_id"] == personas.owner.pk
    assert row["private_notes"] == "Grief after her husband's death."
    assert set(row) == {
        "id", "external_id", "given_name", "family_name", "preferred_name", "pronouns", "email",
        "phone", "phone_extension", "phone_is_mobile",
        "birth_date", "time_zone", "language", "preferred_channel", "postal_address", "tags",
        "primary_practitioner_id", "consent_care", "consent_information",
        "consent_celebrations", "archived", "opted_out_at", "private_notes", "created_at", "updated_at",
    }  # fmt: skip


def test_an_assistant_never_sees_private_notes(ruth: Client, assistant_api: ApiClient) -> None:
    (row,) = assistant_api.get("/api/v1/clients").json()["results"]
    assert "private_notes" not in row
    assert "private_notes" not in assistant_api.get(url(ruth)).json()


def test_the_list_filters_by_words_tag_practitioner_and_archived(
    personas: Personas, owner_api: ApiClient
) -> None:
    practice = personas.practice
    anna = make_client(practice, given_name="Anna", family_name="Berg", email="anna@x.org")
    anna.tags.set([Tag.objects.create(practice=practice, name="sleep")])
    make_client(
        practice, given_name="Ben", family_name="Berg", primary_practitioner=personas.colleague
    )
    make_client(practice, given_name="Cleo", family_name="Old", archived=True)

    def names(**params: object) -> list[str]:
        return [c["given_name"] for c in owner_api.get("/api/v1/clients", params).json()["results"]]

    assert names() == ["Anna", "Ben", "Ruth"]
    assert names(q="berg") == ["Anna", "Ben"]
    assert names(q="anna berg") == ["Anna"]
    assert names(q="anna@x") == ["Anna"]
    assert names(tag="Sleep") == ["Anna"]
    assert names(practitioner_id=personas.colleague.pk) == ["Ben"]
    assert names(archived="true") == ["Cleo"]
    assert names(archived="all") == ["Anna", "Ben", "Ruth", "Cleo"]  # by family name


def test_every_page_read_is_audited_with_the_ids_it_showed(
    personas: Personas, ruth: Client, assistant_api: ApiClient
) -> None:
    other = make_client(personas.practice, given_name="Zed", family_name="Zulu")
    assistant_api.get("/api/v1/clients", {"limit": 1, "offset": 1})
    event = AuditEvent.objects.get(action="view", object_type="clients.client", object_id="")
    assert (event.user, event.via) == (personas.assistant, "api")
    assert event.changes == {"client_ids": [other.pk]}
    assert event.summary == "Listed 1 clients through the API (from row 2)"


def test_the_list_pages_with_count_and_next(personas: Personas, owner_api: ApiClient) -> None:
    for number in range(4):
        make_client(personas.practice, given_name=f"P{number}", family_name="Page")
    first = owner_api.get("/api/v1/clients", {"limit": 2}).json()
    assert first["count"] == 5
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/clients?limit=2&offset=2"
    second = owner_api.get(first["next"]).json()
    third = owner_api.get(second["next"]).json()
    assert third["next"] is None
    ids = [c["id"] for page in (first, second, third) for c in page["results"]]
    assert len(ids) == len(set(ids)) == 5


@pytest.mark.parametrize("rows", [1, 30])
def test_a_list_page_costs_a_fixed_number_of_queries(
    rows: int, personas: Personas, owner_api: ApiClient, django_assert_max_num_queries
) -> None:
    tag = Tag.objects.create(practice=personas.practice, name="sleep")
    for number in range(rows):
        make_client(personas.practice, given_name=f"C{number}").tags.add(tag)
    # token + membership + last-used update, count, page, tags, audit (chain head, row, its
    # clients, head)
    with django_assert_max_num_queries(10):
        body = owner_api.get("/api/v1/clients", {"limit": 100}).json()
    assert body["count"] == rows + 1


# --- create ---


def test_creating_a_client_normalises_the_phone_and_records_consent(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.post(
        "/api/v1/clients",
        {
            "given_name": "Nora",
            "family_name": "Quinn",
            "phone": "07911 123456",
            "preferred_channel": "sms",
            "birth_date": "1984-02-29",
            "time_zone": "Europe/Berlin",
            "tags": ["Sleep", "new medication"],
            "primary_practitioner_id": personas.colleague.pk,
            "consent_information": True,
            "private_notes": "Prefers afternoons.",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/clients/{body['id']}"
    assert body["phone"] == VALID_MOBILE
    assert body["birth_date"] == "1984-02-29"
    assert body["tags"] == ["new medication", "sleep"]
    assert body["consent_care"] is False  # consent is never assumed
    client = Client.objects.get(pk=body["id"])
    assert client.practice == personas.practice
    assert client.private_notes == "Prefers afternoons."
    assert {(e.purpose, e.granted, e.how) for e in ConsentEvent.objects.filter(client=client)} == {
        ("care", False, "api"),
        ("information", True, "api"),
        ("celebrations", False, "api"),
    }
    assert AuditEvent.objects.filter(action="create", object_id=str(client.pk), via="api").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "not a valid phone number"),
        ("time_zone", "Mars/Olympus", "Unknown time zone"),
        ("birth_date", "2025-02-29", "not a date"),
        ("birth_date", "3000-01-01", "in the future"),
        ("birth_date", "29/02/1984", "YYYY-MM-DD"),
        ("email", "not-an-email", "valid email"),
        ("preferred_channel", "pigeon", "valid choice"),
        ("consent_care", "yes", "true or false"),
        ("tags", "sleep", "list of strings"),
        ("given_name", "", "required"),
        ("given_name", 42, "Expected a string"),
        ("language", "xx", "valid choice"),
        ("colour", "blue", "Unknown field"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    field: str, value: object, message: str, personas: Personas, owner_api: ApiClient
) -> None:
    body = {"given_name": "Nora", "email": "nora@example.org", field: value}
    response = owner_api.post("/api/v1/clients", body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert field in response.json()["detail"]
    assert not Client.objects.filter(given_name="Nora").exists()
    assert not Tag.objects.exists()


def test_a_channel_the_client_cannot_be_reached_on_is_refused(owner_api: ApiClient) -> None:
    response = owner_api.post("/api/v1/clients", {"given_name": "Nora", "preferred_channel": "sms"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "preferred_channel": ["SMS is preferred but the client has no mobile number."]
    }


def test_a_practitioner_of_another_practice_is_a_field_error(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.post(
        "/api/v1/clients",
        {"given_name": "Nora", "email": "n@x.org", "primary_practitioner_id": personas.outsider.pk},
    )
    assert response.status_code == 422
    assert "No practitioner with this id" in response.json()["errors"]["primary_practitioner_id"][0]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ('{"given_name": "Nora",', "Malformed JSON body: Expecting property name"),
        ("[1, 2]", "must be a JSON object, not an array"),
        ("", "The request body is empty"),
        (b"\xff\xfe", "Malformed JSON body"),
    ],
)
def test_a_malformed_body_is_a_400_saying_what_is_wrong(
    raw: str | bytes, detail: str, owner_api: ApiClient
) -> None:
    response = owner_api.post("/api/v1/clients", raw)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail) or detail in response.json()["detail"]
    assert not Client.objects.filter(given_name="Nora").exists()


def test_an_assistant_may_not_write_private_notes(assistant_api: ApiClient) -> None:
    response = assistant_api.post(
        "/api/v1/clients", {"given_name": "Nora", "email": "n@x.org", "private_notes": "x"}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["private_notes"]


# --- read and update ---


def test_reading_a_client_is_audited(
    personas: Personas, ruth: Client, owner_api: ApiClient
) -> None:
    response = owner_api.get(url(ruth))
    assert response.status_code == 200
    assert response.json()["family_name"] == "Miller"
    assert AuditEvent.objects.filter(action="view", object_id=str(ruth.pk), via="api").count() == 1


def test_an_unknown_id_is_a_404(owner_api: ApiClient) -> None:
    assert owner_api.get(url(987654)).status_code == 404
    assert owner_api.get("/api/v1/clients/not-a-number").status_code == 404


def test_patch_changes_only_the_fields_sent_and_audits_the_change(
    ruth: Client, owner_api: ApiClient
) -> None:
    response = owner_api.patch(url(ruth), {"pronouns": "she/her", "tags": ["grief"]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["pronouns"] == "she/her"
    assert body["tags"] == ["grief"]
    assert body["email"] == "ruth@example.org"
    assert body["private_notes"] == "Grief after her husband's death."
    event = AuditEvent.objects.get(action="change", object_id=str(ruth.pk))
    assert event.via == "api"
    assert event.changes == {"pronouns": ["", "she/her"], "tags": [[], ["grief"]]}


def test_patch_by_an_assistant_keeps_the_private_notes(
    ruth: Client, assistant_api: ApiClient
) -> None:
    response = assistant_api.patch(url(ruth), {"family_name": "Miller-Jones"})
    assert response.status_code == 200, response.json()
    ruth.refresh_from_db()
    assert ruth.family_name == "Miller-Jones"
    assert ruth.private_notes == "Grief after her husband's death."


def test_withdrawing_consent_by_patch_is_recorded_with_how(
    ruth: Client, owner_api: ApiClient
) -> None:
    owner_api.patch(url(ruth), {"consent_care": False})
    event = ConsentEvent.objects.get(client=ruth, purpose="care")
    assert (event.granted, event.how) == (False, "api")


def test_an_invalid_patch_changes_nothing(ruth: Client, owner_api: ApiClient) -> None:
    response = owner_api.patch(url(ruth), {"pronouns": "they/them", "time_zone": "Nowhere/City"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["time_zone"]
    ruth.refresh_from_db()
    assert ruth.pronouns == ""


def test_put_replaces_the_client_and_fields_left_out_take_their_defaults(
    ruth: Client, owner_api: ApiClient
) -> None:
    response = owner_api.put(
        url(ruth), {"given_name": "Ruthie", "phone": VALID_MOBILE, "preferred_channel": "sms"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["given_name"], body["family_name"], body["email"]) == ("Ruthie", "", "")
    assert body["primary_practitioner_id"] is None
    assert body["private_notes"] == ""


def test_put_of_what_get_returned_changes_nothing(ruth: Client, owner_api: ApiClient) -> None:
    before = owner_api.get(url(ruth)).json()
    response = owner_api.put(url(ruth), before)
    assert response.status_code == 200, response.json()
    assert response.json() | {"updated_at": None} == before | {"updated_at": None}
    assert not AuditEvent.objects.filter(action="change", object_id=str(ruth.pk)).exists()


# --- archive and erase ---


def test_archive_and_restore(ruth: Client, owner_api: ApiClient) -> None:
    assert owner_api.post(f"{url(ruth)}/archive").json()["archived"] is True
    assert owner_api.get("/api/v1/clients").json()["count"] == 0
    assert owner_api.post(f"{url(ruth)}/restore").json()["archived"] is False


def test_delete_archives_unless_erase_is_asked(ruth: Client, owner_api: ApiClient) -> None:
    response = owner_api.delete(url(ruth))
    assert response.status_code == 200
    assert response.json()["archived"] is True
    assert Client.objects.filter(pk=ruth.pk, archived=True).exists()


def test_the_owner_may_erase_a_client_for_good(ruth: Client, owner_api: ApiClient) -> None:
    response = owner_api.delete(f"{url(ruth)}?erase=true")
    assert response.status_code == 204
    assert not Client.objects.filter(pk=ruth.pk).exists()
    assert AuditEvent.objects.filter(action="erase", object_id=str(ruth.pk), via="api").exists()


def test_a_colleague_may_not_erase_a_client(ruth: Client, colleague_api: ApiClient) -> None:
    response = colleague_api.delete(f"{url(ruth)}?erase=true")
    assert response.status_code == 403
    assert "Only the practice owner" in response.json()["detail"]
    assert Client.objects.filter(pk=ruth.pk, archived=False).exists()


def test_a_client_created_without_a_practitioner_in_a_one_practitioner_practice_is_theirs(
    personas: Personas, outsider_api: ApiClient, owner_api: ApiClient
) -> None:
    # Hillside has one practitioner, its owner: a new client without one is hers.
    response = outsider_api.post(
        "/api/v1/clients", {"given_name": "Nora", "email": "n@example.org"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["primary_practitioner_id"] == personas.outsider.pk
    # Riverside has two: nobody is guessed.
    response = owner_api.post("/api/v1/clients", {"given_name": "Ida", "email": "i@example.org"})
    assert response.status_code == 201, response.json()
    assert response.json()["primary_practitioner_id"] is None


def test_a_long_number_with_an_extension_is_saved_as_typed_and_a_landline_is_not_for_sms(
    owner_api: ApiClient,
) -> None:
    response = owner_api.post(
        "/api/v1/clients",
        {"given_name": "Nora", "email": "nora@example.org", "phone": "+44 7911 123456 ext. 12"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["phone"], body["phone_extension"], body["phone_is_mobile"]) == (
        "+447911123456",
        "12",
        True,
    )
    landline = {"given_name": "Ida", "phone": "+49 (0) 30 / 901 820 12"}
    refused = owner_api.post("/api/v1/clients", {**landline, "preferred_channel": "sms"})
    assert refused.status_code == 422
    assert (
        "is a landline: SMS needs a mobile number"
        in refused.json()["errors"]["preferred_channel"][0]
    )
    saved = owner_api.post("/api/v1/clients", {**landline, "preferred_channel": "phone"})
    assert saved.status_code == 201, saved.json()
    assert (saved.json()["phone"], saved.json()["phone_is_mobile"]) == ("+493090182012", False)


def test_a_post_with_a_known_external_id_updates_that_client(
    personas: Personas, owner_api: ApiClient
) -> None:
    first = owner_api.post(
        "/api/v1/clients", {"given_name": "Ana", "email": "ana@example.org", "external_id": "PB-7"}
    )
    assert first.status_code == 201
    again = owner_api.post(
        "/api/v1/clients",
        {
            "given_name": "Ana",
            "family_name": "Lima",
            "email": "ana@example.org",
            "external_id": "PB-7",
        },
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["family_name"] == "Lima"
    assert Client.objects.filter(practice=personas.practice, external_id="PB-7").count() == 1
    # Another practice's client with the same id is another client.
    assert Client.objects.filter(external_id="PB-7").count() == 1


def test_an_external_id_another_client_has_is_refused(
    personas: Personas, owner_api: ApiClient, ruth: Client
) -> None:
    make_client(personas.practice, given_name="Bo", email="bo@example.org", external_id="X1")
    response = owner_api.patch(url(ruth), {"external_id": "X1"})
    assert response.status_code == 422
    assert response.json()["errors"]["external_id"] == [
        "Another client of the practice has this external id."
    ]


def test_a_new_number_patched_in_brings_its_own_extension_never_the_old_ones(
    personas: Personas, owner_api: ApiClient
) -> None:
    url = f"/api/v1/clients/{personas.client.pk}"
    response = owner_api.patch(url, {"phone": "+44 7911 123456 #12"})
    assert response.status_code == 200, response.json()
    assert (response.json()["phone"], response.json()["phone_extension"]) == ("+447911123456", "12")
    response = owner_api.patch(url, {"phone": "07711 123456"})
    assert response.status_code == 200, response.json()
    assert (response.json()["phone"], response.json()["phone_extension"]) == ("+447711123456", "")
    response = owner_api.patch(url, {"phone_extension": "7"})
    assert (response.json()["phone"], response.json()["phone_extension"]) == ("+447711123456", "7")
