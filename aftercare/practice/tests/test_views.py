from __future__ import annotations

import pytest
from django.test import Client as WebClient

from aftercare.practice.models import ApiToken, AuditEvent
from aftercare.practice.services import token_authenticate
from aftercare.testing import Personas

SETTINGS = {
    "name": "Riverside Wellbeing",
    "time_zone": "Europe/Berlin",
    "country": "de",
    "language": "de",
    "email": "hello@riverside.example",
    "phone": "030 901820",
    "address": "Uferstraße 1",
    "website": "https://riverside.example",
    "emergency_numbers": "Notruf: 112",
}


class TestSettings:
    def test_the_owner_changes_the_practice_and_it_is_audited(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        response = owner_client.post("/settings/", SETTINGS)
        assert response.status_code == 302
        personas.practice.refresh_from_db()
        assert personas.practice.name == "Riverside Wellbeing"
        assert personas.practice.time_zone == "Europe/Berlin"
        assert personas.practice.country == "DE"
        assert personas.practice.phone == "+4930901820"
        change = AuditEvent.objects.get(action="change", object_type="practice.practice")
        assert change.changes["time_zone"] == ["Europe/London", "Europe/Berlin"]

    def test_a_contact_phone_longer_than_twenty_characters_is_saved_as_typed(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        response = owner_client.post("/settings/", {**SETTINGS, "phone": "+49 (0) 30 / 901 820 12"})
        assert response.status_code == 302
        personas.practice.refresh_from_db()
        assert personas.practice.phone == "+493090182012"  # not +4930901820

    @pytest.mark.parametrize(
        ("field", "value", "label"),
        [
            ("time_zone", "Mars/Olympus", "Time zone"),
            ("phone", "+49 30 901820 ext. 5", "Contact phone"),
            ("country", "XX", "Country"),
            ("phone", "12", "Contact phone"),
            ("name", "", "Practice name"),
            ("colour", "#ffcc00", "Colour"),
            ("colour", "yellow", "Colour"),
        ],
    )
    def test_bad_input_names_the_field_and_saves_nothing(
        self, owner_client: WebClient, personas: Personas, field: str, value: str, label: str
    ) -> None:
        response = owner_client.post("/settings/", {**SETTINGS, field: value})
        assert response.status_code == 200
        assert f'<a href="#id_{field}">{label}:' in response.content.decode()
        personas.practice.refresh_from_db()
        assert personas.practice.name == "Riverside Practice"
        assert personas.practice.time_zone == "Europe/London"

    def test_the_number_clients_text_is_read_as_typed_and_stored_in_international_form(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        page = owner_client.get("/settings/").content.decode()
        assert "Number clients text (SMS and WhatsApp)" in page
        typed = {
            **SETTINGS,
            "country": "gb",
            "phone": "0117 496 0000",
            "sms_number": "07700 100123",
        }
        assert owner_client.post("/settings/", typed).status_code == 302
        personas.practice.refresh_from_db()
        assert personas.practice.sms_number == "+447700100123"
        change = AuditEvent.objects.get(action="change", object_type="practice.practice")
        assert change.changes["sms_number"] == ["", "+447700100123"]

    @pytest.mark.parametrize(
        ("typed", "words"),
        [
            ("call me", "is not a phone number"),
            ("12", "not a valid"),
            ("07700 100123 ext. 5", "A number that receives texts has no extension."),
            ("+1 202-555-0190", "Another practice already uses this number for text messages."),
        ],
    )
    def test_a_number_clients_text_that_cannot_be_used_is_refused_and_nothing_saved(
        self, owner_client: WebClient, personas: Personas, typed: str, words: str
    ) -> None:
        personas.other_practice.sms_number = "+12025550190"
        personas.other_practice.save()
        typed_in = {**SETTINGS, "country": "gb", "phone": "", "sms_number": typed}
        response = owner_client.post("/settings/", typed_in)
        assert response.status_code == 200
        page = response.content.decode()
        assert '<a href="#id_sms_number">Number clients text (SMS and WhatsApp):' in page
        assert words in page.replace("&#x27;", "'")
        personas.practice.refresh_from_db()
        assert personas.practice.sms_number == "" and personas.practice.name == "Riverside Practice"

    def test_the_database_keeps_one_practice_per_number(self, personas: Personas) -> None:
        from django.db import IntegrityError, transaction

        personas.practice.sms_number = "+447700900123"
        personas.practice.save()
        personas.other_practice.sms_number = "+447700900123"
        with pytest.raises(IntegrityError), transaction.atomic():
            personas.other_practice.save()
        # Practices without a number are many.
        personas.other_practice.sms_number = ""
        personas.other_practice.save()

    def test_the_practice_chooses_a_colour_clients_can_read(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        page = owner_client.get("/settings/").content.decode()
        assert 'type="color"' in page and 'value="#0b5394"' in page
        refused = owner_client.post("/settings/", {**SETTINGS, "colour": "#3A7BD5"})
        words = refused.content.decode()
        assert "Too light to read" in words and "contrast of 4.0 to 1" in words
        assert "A darker shade of it that can be read: #3672c6." in words
        personas.practice.refresh_from_db()
        assert personas.practice.colour == "#0b5394"
        assert owner_client.post("/settings/", {**SETTINGS, "colour": "#3672C6"}).status_code == 302
        personas.practice.refresh_from_db()
        assert personas.practice.colour == "#3672c6"

    def test_members_see_the_settings_and_members_but_cannot_change_them(
        self, client: WebClient, personas: Personas
    ) -> None:
        client.force_login(personas.colleague)
        page = client.get("/settings/").content.decode()
        assert "Only the practice's owner can change these." in page
        assert "ada@riverside.example" in page and "Assistant" in page
        assert client.post("/settings/", SETTINGS).status_code == 404
        personas.practice.refresh_from_db()
        assert personas.practice.name == "Riverside Practice"

    def test_it_costs_a_fixed_number_of_queries(
        self, owner_client: WebClient, django_assert_max_num_queries
    ) -> None:
        with django_assert_max_num_queries(6):
            assert owner_client.get("/settings/").status_code == 200


class TestTokens:
    def test_a_new_token_is_shown_once_and_works(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        page = owner_client.post("/settings/tokens/", {"name": "booking tool"}).content.decode()
        token = ApiToken.objects.get(name="booking tool")
        raw = page.split('id="new-token">')[1].split("<")[0]
        assert raw.startswith("act_")
        assert token_authenticate(raw) == token
        assert token.user == personas.owner and token.practice == personas.practice
        assert raw not in owner_client.get("/settings/tokens/").content.decode()

    def test_a_token_needs_a_name(self, owner_client: WebClient) -> None:
        page = owner_client.post("/settings/tokens/", {"name": ""}).content.decode()
        assert '<a href="#id_name">Token name:' in page
        assert not ApiToken.objects.exists()

    def test_revoking_stops_the_token(self, owner_client: WebClient, personas: Personas) -> None:
        owner_client.post("/settings/tokens/", {"name": "old"})
        token = ApiToken.objects.get(name="old")
        response = owner_client.post(f"/settings/tokens/{token.pk}/revoke/")
        assert response.status_code == 302
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert AuditEvent.objects.filter(
            action="change", object_type="practice.apitoken", object_id=str(token.pk)
        ).exists()

    def test_a_practitioner_sees_and_revokes_only_their_own_tokens(
        self, client: WebClient, personas: Personas
    ) -> None:
        client.force_login(personas.owner)
        client.post("/settings/tokens/", {"name": "owners token"})
        owners = ApiToken.objects.get(name="owners token")
        client.force_login(personas.colleague)
        assert "owners token" not in client.get("/settings/tokens/").content.decode()
        assert client.post(f"/settings/tokens/{owners.pk}/revoke/").status_code == 404
        owners.refresh_from_db()
        assert owners.revoked_at is None


def test_settings_choose_the_time_zone_and_country_from_lists(owner_client) -> None:  # type: ignore[no-untyped-def]
    page = owner_client.get("/settings/").content.decode()
    assert '<select name="time_zone"' in page
    assert '<option value="Europe/London" selected>Europe/London</option>' in page
    assert '<option value="America/New_York">America/New York</option>' in page
    assert '<select name="country"' in page
    assert '<option value="GB" selected>United Kingdom</option>' in page
