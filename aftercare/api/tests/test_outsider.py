"""The outsider persona's token gets 404 on every parameterised route, for the owner's ids.

The routes are found by walking the API's registered routers, so a route added later is
checked without editing this test; a path parameter this test cannot fill fails it with a
message saying where to add it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from aftercare.absences.tests.factories import plan_absence
from aftercare.api.api import api
from aftercare.appointments.models import Appointment
from aftercare.care.models import CareRule, Touchpoint
from aftercare.clients.models import Client
from aftercare.messaging.attachments import IncomingFile
from aftercare.messaging.inbound import keep_attachments
from aftercare.messaging.models import Message
from aftercare.messaging.services import message_queue
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import ApiClient, Personas

# Path parameter name -> a record of the owner's practice (Riverside) it should name.
# Add a line here when your router has a new kind of path parameter.
OWNER_RECORDS: dict[str, Callable[[Personas], int]] = {
    "client_id": lambda p: p.client.pk,
    "appointment_id": lambda p: p.appointment.pk,
    "message_id": lambda p: _owner_message(p),
    "attachment_id": lambda p: _owner_attachment(p),
    "supply_id": lambda p: add_supply(p.actor(), p.client).pk,
    "rule_id": lambda p: owner_rule(p).pk,
    "touchpoint_id": lambda p: owner_touchpoint(p).pk,
    "absence_id": lambda p: (
        plan_absence(p.actor(), first_day=dt.date(2099, 3, 1), last_day=dt.date(2099, 3, 5)).pk
    ),
}


def _owner_message(personas: Personas) -> int:
    """One message of the owner's practice (the same one each time: an attachment's path
    names both it and its attachment)."""
    existing = Message.objects.filter(client=personas.client, template_key="recall").first()
    if existing is not None:
        return existing.pk
    return message_queue(client=personas.client, template_key="recall").pk


def _owner_attachment(personas: Personas) -> int:
    message = Message.objects.get(pk=_owner_message(personas))
    (kept,) = keep_attachments(
        message, [IncomingFile("rash.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 a photo")]
    )
    return kept.pk


def owner_rule(personas: Personas) -> CareRule:
    return CareRule.objects.create(
        practice=personas.practice,
        name="Birthday",
        trigger="birthday",
        template_key="birthday_card",
    )


def owner_touchpoint(personas: Personas) -> Touchpoint:
    return Touchpoint.objects.create(
        practice=personas.practice,
        client=personas.client,
        key=f"{personas.client.pk}:test:1",
        kind="check_in",
        action="message",
        due_at=personas.appointment.starts_at,
    )


PARAMETER = re.compile(r"{(?:(?P<converter>\w+):)?(?P<name>\w+)}")


def registered_operations() -> list[tuple[str, str]]:
    """(method, path template) of every operation of every router mounted on the API."""
    operations = []
    for bound_router in api._get_bound_routers():
        for path, path_view in bound_router.path_operations.items():
            template = "/".join(part.strip("/") for part in (bound_router.prefix, path))
            for operation in path_view.operations:
                for method in operation.methods:
                    operations.append((method, "/api/v1/" + template.strip("/")))
    return sorted(set(operations))


PARAMETERISED = [(m, p) for m, p in registered_operations() if PARAMETER.search(p)]


def test_the_walk_finds_the_client_and_appointment_routes() -> None:
    found = set(PARAMETERISED)
    assert ("GET", "/api/v1/clients/{int:client_id}") in found
    assert ("DELETE", "/api/v1/appointments/{int:appointment_id}") in found
    assert ("POST", "/api/v1/clients/{int:client_id}/archive") in found


@pytest.mark.parametrize(("method", "template"), PARAMETERISED)
def test_the_outsider_gets_404_for_the_owner_practices_records(
    method: str, template: str, personas: Personas, outsider_api: ApiClient
) -> None:
    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in OWNER_RECORDS:
            pytest.fail(
                f"{method} {template}: no owner record for path parameter {name!r}; add it to "
                "OWNER_RECORDS in aftercare/api/tests/test_outsider.py"
            )
        return str(OWNER_RECORDS[name](personas))

    path = PARAMETER.sub(fill, template)
    body = {} if method in {"POST", "PUT", "PATCH"} else None
    response = outsider_api.request(method, path, body)
    assert response.status_code == 404, (
        f"{method} {path} as the outsider: {response.status_code} {response.content[:200]!r}"
    )
    assert response.json() == {"detail": "Not found."}


def test_the_outsiders_walk_changes_nothing_of_the_owners(
    personas: Personas, outsider_api: ApiClient
) -> None:
    for method, template in PARAMETERISED:
        path = PARAMETER.sub(lambda m: str(OWNER_RECORDS[m["name"]](personas)), template)
        outsider_api.request(method, path, {} if method in {"POST", "PUT", "PATCH"} else None)
    client = Client.objects.get(pk=personas.client.pk)
    assert not client.archived
    assert client.given_name == "Ruth"
    assert Appointment.objects.filter(pk=personas.appointment.pk).exists()


def test_the_owner_reaches_the_same_records(personas: Personas, owner_api: ApiClient) -> None:
    """The ids the walk uses are real: only the practice makes the difference."""
    for method, template in PARAMETERISED:
        if method != "GET":
            continue
        path = PARAMETER.sub(lambda m: str(OWNER_RECORDS[m["name"]](personas)), template)
        assert owner_api.get(path).status_code == 200, path


def test_the_outsiders_lists_show_none_of_the_owners_records(
    personas: Personas, outsider_api: ApiClient
) -> None:
    clients = outsider_api.get("/api/v1/clients").json()
    assert [c["id"] for c in clients["results"]] == [personas.other_client.pk]
    appointments = outsider_api.get("/api/v1/appointments").json()
    assert [a["id"] for a in appointments["results"]] == [personas.other_appointment.pk]
    filtered = outsider_api.get("/api/v1/appointments", {"client_id": personas.client.pk})
    assert filtered.json()["count"] == 0


@pytest.mark.parametrize(("method", "template"), registered_operations())
def test_every_route_refuses_a_request_without_a_token(
    method: str, template: str, personas: Personas, anonymous_api: ApiClient
) -> None:
    path = PARAMETER.sub(lambda m: "1", template)
    response = anonymous_api.request(
        method, path, {} if method in {"POST", "PUT", "PATCH"} else None
    )
    assert response.status_code == 401, f"{method} {path}: {response.status_code}"
    assert "Authorization: Bearer" in response.json()["detail"]


WRITES = [(m, p) for m, p in registered_operations() if m in {"POST", "PUT", "PATCH"}]


@pytest.mark.parametrize(("method", "template"), WRITES)
def test_every_write_answers_a_malformed_body_in_the_error_format(
    method: str, template: str, personas: Personas, owner_api: ApiClient
) -> None:
    """A route that reads a body says 400 and why; one that reads none may ignore it; none
    crashes or answers outside the format."""
    path = PARAMETER.sub(lambda m: str(OWNER_RECORDS[m["name"]](personas)), template)
    response = owner_api.request(method, path, '{"given_name": "Nora",')
    assert response["Content-Type"].startswith("application/json"), (method, path)
    if response.status_code >= 400:
        assert response.status_code == 400, (method, path, response.json())
        assert response.json()["detail"].startswith("Malformed JSON body"), (method, path)
