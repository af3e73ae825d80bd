"""One client's export: everything held, as JSON and CSV, from the web, the API and the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as WebClient

from aftercare.clients.models import ConsentEvent
from aftercare.messaging.services import message_queue
from aftercare.practice.models import AuditEvent
from aftercare.practice.services import token_create
from aftercare.testing import Personas


@pytest.fixture(autouse=True)
def pinned_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel("2026-11-18 12:00Z", tick=False):
        yield


@pytest.fixture
def held(personas: Personas) -> Personas:
    ConsentEvent.objects.create(client=personas.client, purpose="care", granted=True, how="intake")
    ConsentEvent.objects.create(
        client=personas.client, purpose="celebrations", granted=False, how="SMS STOP"
    )
    message_queue(client=personas.client, template_key="check_in", channel="email")
    return personas


def test_the_json_holds_the_record_consent_history_and_every_related_row(
    owner_client: WebClient, held: Personas
) -> None:
    response = owner_client.get(f"/clients/{held.client.pk}/export.json")
    assert response["Content-Disposition"].startswith('attachment; filename="client-')
    data = json.loads(response.content)
    assert data["client"]["email"] == "ruth@example.org"
    assert [(c["purpose"], c["granted"], c["how"]) for c in data["consent_history"]] == [
        ("care", True, "intake"),
        ("celebrations", False, "SMS STOP"),
    ]
    assert data["appointments.appointment"][0]["id"] == held.appointment.pk
    assert data["messaging.message"][0]["to_address"] == "ruth@example.org"
    assert "Walter" not in response.content.decode()  # another practice's client
    assert AuditEvent.objects.filter(action="export", object_id=str(held.client.pk)).exists()


def test_the_csv_is_the_same_data_one_value_a_line(owner_client: WebClient, held: Personas) -> None:
    response = owner_client.get(f"/clients/{held.client.pk}/export.csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["section", "record", "field", "value"]
    assert ["client", "1", "family_name", "Miller"] in lines
    assert ["consent_history", "2", "how", "SMS STOP"] in lines


def test_only_the_owner_exports_and_another_practice_gets_404(
    client: WebClient, held: Personas
) -> None:
    for user in (held.colleague, held.outsider):
        client.force_login(user)
        assert client.get(f"/clients/{held.client.pk}/export.json").status_code == 404


def test_the_api_and_the_command_give_the_same_export(held: Personas, capsys) -> None:  # type: ignore[no-untyped-def]
    _, token = token_create(actor=held.actor(), user=held.owner)
    api = WebClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    from_api = api.get(f"/api/v1/clients/{held.client.pk}/export").json()
    call_command("export", "client", str(held.client.pk))
    from_cli = json.loads(capsys.readouterr().out)
    for data in (from_api, from_cli):
        data.pop("exported_at")
        data.pop("access_log")
    assert from_api == from_cli
    csv_text = api.get(f"/api/v1/clients/{held.client.pk}/export", {"format": "csv"})
    assert csv_text["Content-Type"].startswith("text/csv")
    _, colleague_token = token_create(actor=held.actor(held.colleague), user=held.colleague)
    colleague = WebClient(HTTP_AUTHORIZATION=f"Bearer {colleague_token}")
    assert colleague.get(f"/api/v1/clients/{held.client.pk}/export").status_code == 403
