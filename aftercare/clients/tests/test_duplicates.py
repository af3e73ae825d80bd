"""Adding a client who may already be one: a warning naming them, nothing saved until confirmed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftercare.clients.models import Client
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


def new_client(**changes: str) -> dict[str, str]:
    data = {
        "given_name": "Ruthie",
        "family_name": "Millar",
        "email": "other@example.org",
        "phone": "",
        "preferred_channel": "email",
        "language": "en",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"email": "RUTH@example.org"}, "the same email"),
        ({"phone": "07911 123456"}, "the same mobile number"),
    ],
)
def test_the_same_email_or_phone_is_named_and_nothing_is_saved(
    owner_client, personas: Personas, changes: dict[str, str], why: str
) -> None:  # type: ignore[no-untyped-def]
    before = Client.objects.count()
    response = owner_client.post(reverse("clients-create"), new_client(**changes))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This may be someone you already care for" in page
    assert f"Ruth Miller</a> — ruth@example.org · +44 7911 123456: {why}." in page
    assert "Add as a new client anyway" in page
    assert Client.objects.count() == before


def test_the_same_name_and_birth_date_is_a_possible_duplicate(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    make_client(
        personas.practice,
        given_name="Ann",
        family_name="Lee",
        email="a@x.org",
        birth_date="1950-02-03",
    )
    page = owner_client.post(
        reverse("clients-create"),
        new_client(given_name="ann", family_name="LEE", birth_date="1950-02-03"),
    ).content.decode()
    assert "the same name and birth date" in page


def test_confirming_adds_the_client_anyway(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(
        reverse("clients-create"), new_client(email="ruth@example.org", confirm_new="1")
    )
    assert response.status_code == 302
    assert Client.objects.filter(practice=personas.practice, email="ruth@example.org").count() == 2


def test_another_practices_client_is_never_a_duplicate(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(reverse("clients-create"), new_client(email="walter@example.com"))
    assert response.status_code == 302
