"""Fee decisions end to end: marking a no-show through the API and the web, overriding, the
report and its export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from aftercare.appointments.models import Appointment, FeePolicy
from aftercare.clients.models import Client
from aftercare.messaging.models import Message
from aftercare.practice.models import AuditEvent
from aftercare.testing import ApiClient, Personas, make_appointment

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policy(personas: Personas) -> FeePolicy:
    return FeePolicy.objects.create(
        practice=personas.practice, no_show_fee=Decimal("40.00"), late_cancel_fee=Decimal("20.00")
    )


def longstanding(client: Client, visits: int = 24, years: int = 3) -> None:
    Client.objects.filter(pk=client.pk).update(created_at=START - dt.timedelta(days=365 * years))
    client.refresh_from_db()
    for number in range(visits):
        make_appointment(
            client, starts_at=START - dt.timedelta(days=40 * (number + 1)), status="attended"
        )


def booked(personas: Personas) -> Appointment:
    return make_appointment(
        personas.client,
        personas.owner,
        starts_at=START,
        created_at=START - dt.timedelta(days=7),
    )


def mark(api: ApiClient, appointment: Appointment, status: str = "no_show") -> dict:
    response = api.patch(f"/api/v1/appointments/{appointment.pk}", {"status": status})
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_first_no_show_of_a_longstanding_client_is_waived_and_the_second_charged(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    longstanding(personas.client)
    first = mark(owner_api, booked(personas))
    assert first["fee_decision"] | {"decided_at": None} == {
        "action": "waived",
        "amount": "40.00",
        "reason": "First no-show in 3 years, 24 visits.",
        "overridden": False,
        "policy_action": "waived",
        "decided_at": None,
    }
    second = make_appointment(
        personas.client, starts_at=START + dt.timedelta(days=7), created_at=START
    )
    with time_machine.travel(START + dt.timedelta(days=7, hours=1), tick=False):
        decision = mark(owner_api, second)["fee_decision"]
    assert decision["action"] == "charged"
    assert decision["reason"].startswith("Second no-show")
    # Stored, and audited with its reason.
    assert Appointment.objects.get(pk=second.pk).fee_action == "charged"
    assert AuditEvent.objects.filter(
        summary__contains="no-show fee waived (40.00): First no-show"
    ).exists()


def test_a_new_clients_first_no_show_is_charged(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    decision = mark(owner_api, booked(personas))["fee_decision"]
    assert (decision["action"], decision["amount"]) == ("charged", "40.00")


def test_a_message_before_the_start_waives_it(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    appointment = booked(personas)
    Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction="in",
        channel="sms",
        text_body="Sorry, my car broke down, I can't come",
        status="received",
        created_at=START - dt.timedelta(minutes=30),
    )
    decision = mark(owner_api, appointment)["fee_decision"]
    assert decision["action"] == "waived"
    assert "let us know" in decision["reason"]


def test_an_appointment_the_practice_moved_late_is_never_charged(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    appointment = booked(personas)
    with time_machine.travel(START - dt.timedelta(hours=4), tick=False):
        response = owner_api.patch(
            f"/api/v1/appointments/{appointment.pk}",
            {"starts_at": "2026-11-30T10:30:00Z", "ends_at": "2026-11-30T11:20:00Z"},
        )
        assert response.status_code == 200
    decision = mark(owner_api, appointment)["fee_decision"]
    assert decision["action"] == "waived"
    assert "moved" in decision["reason"]


def test_an_override_is_kept_with_its_reason_and_marking_again_withdraws_it(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    appointment = booked(personas)
    mark(owner_api, appointment)
    response = owner_api.post(
        f"/api/v1/appointments/{appointment.pk}/fee-override",
        {"action": "waived", "reason": "Her mother was taken to hospital"},
    )
    assert response.status_code == 200
    decision = response.json()["fee_decision"]
    assert decision["action"] == "waived"
    assert decision["overridden"] is True
    assert decision["policy_action"] == "charged"
    assert "Her mother was taken to hospital" in decision["reason"]
    # A later unrelated change keeps the override.
    owner_api.patch(f"/api/v1/appointments/{appointment.pk}", {"kind": "first_visit"})
    assert owner_api.get(f"/api/v1/appointments/{appointment.pk}").json()["fee_decision"] == (
        decision
    )
    # Attended after all: no fee decision any more.
    assert mark(owner_api, appointment, "attended")["fee_decision"] is None


def test_an_override_needs_a_reason_and_a_decision(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    appointment = booked(personas)
    url = f"/api/v1/appointments/{appointment.pk}/fee-override"
    no_decision = owner_api.post(url, {"action": "waived", "reason": "kind"})
    assert no_decision.status_code == 422
    mark(owner_api, appointment)
    response = owner_api.post(url, {"action": "forgiven", "reason": " "})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"action", "reason"}
    assert Appointment.objects.get(pk=appointment.pk).fee_overridden_by is None


def test_another_practices_appointment_cannot_be_overridden(
    personas: Personas, outsider_api: ApiClient
) -> None:
    response = outsider_api.post(
        f"/api/v1/appointments/{personas.appointment.pk}/fee-override",
        {"action": "waived", "reason": "x"},
    )
    assert response.status_code == 404


def test_a_late_cancel_within_the_window_is_charged_its_fee(
    personas: Personas, owner_api: ApiClient, policy: FeePolicy
) -> None:
    appointment = make_appointment(
        personas.client,
        starts_at=NOW + dt.timedelta(hours=3),
        created_at=NOW - dt.timedelta(days=3),
    )
    decision = mark(owner_api, appointment, "late_cancelled")["fee_decision"]
    assert (decision["action"], decision["amount"]) == ("charged", "20.00")
