"""``Client.phone_display``: the number as people read it, kept right by every write path and
filled for existing clients by clients' migration 0009 (issue 16: the list formats no number)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db.models import F
from django.test import Client as WebClient

from aftercare.clients import merge
from aftercare.clients.models import Client
from aftercare.imports.clients import import_clients
from aftercare.imports.reading import read_client_file
from aftercare.testing import ApiClient, Personas, make_client

pytestmark = pytest.mark.django_db

FORM = {
    "given_name": "Hannah",
    "family_name": "Becker",
    "email": "hannah@example.org",
    "phone": "07912 345678",
    "preferred_channel": "sms",
    "consent_care": "on",
}


def display_of(client: Client | int) -> tuple[str, str]:
    pk = client if isinstance(client, int) else client.pk
    return tuple(Client.objects.filter(pk=pk).values_list("phone", "phone_display").get())  # type: ignore[return-value]


def test_a_client_made_in_code_shows_the_number_as_people_read_it(personas: Personas) -> None:
    assert display_of(personas.client) == ("+447911123456", "+44 7911 123456")
    nobody = make_client(personas.practice, given_name="Nora", phone="")
    assert display_of(nobody) == ("", "")


def test_the_web_form_fills_it_on_create_and_edit(
    owner_client: WebClient, personas: Personas
) -> None:
    owner_client.post("/clients/new/", FORM)
    hannah = Client.objects.get(practice=personas.practice, given_name="Hannah")
    assert display_of(hannah) == ("+447912345678", "+44 7912 345678")
    owner_client.post(f"/clients/{hannah.pk}/edit/", {**FORM, "phone": "+1 202 555 0147"})
    assert display_of(hannah) == ("+12025550147", "+1 202-555-0147")
    owner_client.post(
        f"/clients/{hannah.pk}/edit/", {**FORM, "phone": "", "preferred_channel": "email"}
    )
    assert display_of(hannah) == ("", "")


def test_the_list_and_the_client_page_show_the_stored_display(
    owner_client: WebClient, personas: Personas
) -> None:
    # Written behind the model's back: the pages read the column, they do not format again.
    Client.objects.filter(pk=personas.client.pk).update(phone_display="+44 (stored) 7911")
    assert "+44 (stored) 7911" in owner_client.get("/clients/").content.decode()
    assert (
        "+44 (stored) 7911" in owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
    )


def test_an_import_fills_it_for_new_and_changed_clients(personas: Personas) -> None:
    def run(data: bytes) -> None:
        reading = read_client_file(data, practice=personas.practice)
        rows = reading.rows(personas.practice)
        import_clients(actor=personas.actor(), rows=rows.rows, refused=rows.refused)

    run(b"id,first name,last name,mobile\nA1,Ana,Lima,07911 000111\n")
    ana = Client.objects.get(practice=personas.practice, external_id="A1")
    assert display_of(ana) == ("+447911000111", "+44 7911 000111")
    run(b"id,first name,last name,mobile\nA1,Ana,Lima,07911 000222\n")  # bulk update
    assert display_of(ana) == ("+447911000222", "+44 7911 000222")


def test_the_api_fills_it_on_create_and_patch(personas: Personas, owner_api: ApiClient) -> None:
    created = owner_api.post(
        "/api/v1/clients",
        {"given_name": "Nora", "phone": "07911 123457", "preferred_channel": "sms"},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert display_of(pk) == ("+447911123457", "+44 7911 123457")
    patched = owner_api.patch(f"/api/v1/clients/{pk}", {"phone": "+49 151 23456789"})
    assert patched.status_code == 200, patched.content
    assert display_of(pk) == ("+4915123456789", "+49 1512 3456789")


def test_a_merge_that_takes_the_other_records_number_takes_its_display(
    personas: Personas,
) -> None:
    kept = make_client(personas.practice, given_name="Ruth", family_name="Millar", phone="")
    other = make_client(
        personas.practice,
        given_name="Ruth",
        family_name="Millar",
        email="ruth.m@example.org",
        phone="+447911654321",
    )
    merge.client_merge(actor=personas.actor(), kept=kept, other=other, choices={"phone": "other"})
    assert display_of(kept) == ("+447911654321", "+44 7911 654321")


def test_partial_saves_and_bulk_writes_keep_it_in_step(personas: Personas) -> None:
    client = personas.client
    client.phone = "+12025550147"
    client.save(update_fields=["phone"])
    assert display_of(client) == ("+12025550147", "+1 202-555-0147")
    client.phone = "+4930901820"
    client.save(update_fields=(name for name in ["phone", "updated_at"]))
    assert display_of(client) == ("+4930901820", "+49 30 901820")
    Client.objects.filter(pk=client.pk).update(phone="+447911123456")
    assert display_of(client) == ("+447911123456", "+44 7911 123456")
    made = Client.objects.bulk_create(
        [Client(practice=personas.practice, given_name="Bulk", phone="+4930901820")]
    )
    assert display_of(made[0]) == ("+4930901820", "+49 30 901820")
    made[0].phone = "+447911000333"
    Client.objects.bulk_update(made, ["phone"])
    assert display_of(made[0]) == ("+447911000333", "+44 7911 000333")


def test_an_update_to_an_expression_is_refused_rather_than_left_stale(personas: Personas) -> None:
    with pytest.raises(TypeError, match="phone"):
        Client.objects.filter(pk=personas.client.pk).update(phone=F("email"))


def _migration() -> Any:
    return importlib.import_module("aftercare.clients.migrations.0009_client_phone_display")


def test_the_migration_fills_existing_clients_in_batches(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = [f"+4479111{n:05d}" for n in range(5)]
    for n, number in enumerate(numbers):
        make_client(personas.practice, given_name=f"Old{n}", phone=number)
    make_client(personas.practice, given_name="Nophone", phone="")
    # As the rows stood before 0009: a number, no display.
    Client.objects.all().update(phone_display="")
    migration = _migration()
    monkeypatch.setattr(migration, "FILL_BATCH", 2)  # several batches, one partial
    migration.fill_phone_display(django_apps, SimpleNamespace())
    shown = dict(Client.objects.values_list("phone", "phone_display"))
    assert shown == {
        **{number: f"+44 7911 1{number[-5:]}" for number in numbers},
        "+447911123456": "+44 7911 123456",
        "+12025550143": "+1 202-555-0143",
        "": "",
    }
