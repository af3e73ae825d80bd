"""Fee decisions end to end: marking a no-show through the API and the web, overriding, the
report and its export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from aftercare.appointments.models import Appointment, FeePolicy
from aftercare.care.models import Touchpoint
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.messaging.models import Message
from aftercare.messaging.templating import default_template
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


# --- web ---


def test_marking_a_no_show_on_the_schedule_shows_the_decision(
    personas: Personas,
    owner_client,
    policy: FeePolicy,  # type: ignore[no-untyped-def]
) -> None:
    longstanding(personas.client)
    appointment = booked(personas)
    response = owner_client.post(
        f"/appointments/{appointment.pk}/status/", {"status": "no_show"}, follow=True
    )
    page = response.content.decode()
    assert "Fee waived (40.00): First no-show in 3 years, 24 visits." in page
    day = owner_client.get("/appointments/day/?date=2026-11-30&practitioner=all").content.decode()
    assert "Fee waived (40.00)" in day
    client_page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "First no-show in 3 years, 24 visits." in client_page


def test_a_person_overrides_the_fee_on_the_appointment_page(
    personas: Personas,
    owner_client,
    policy: FeePolicy,  # type: ignore[no-untyped-def]
) -> None:
    appointment = booked(personas)
    owner_client.post(f"/appointments/{appointment.pk}/status/", {"status": "no_show"})
    edit = owner_client.get(f"/appointments/{appointment.pk}/edit/").content.decode()
    assert "Change the fee decision" in edit
    refused = owner_client.post(
        f"/appointments/{appointment.pk}/fee/", {"action": "waived", "reason": ""}, follow=True
    )
    assert "The fee was not changed" in refused.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).fee_action == "charged"
    owner_client.post(
        f"/appointments/{appointment.pk}/fee/", {"action": "waived", "reason": "Flat tyre"}
    )
    assert Appointment.objects.get(pk=appointment.pk).fee_action == "waived"


def test_the_report_totals_charged_waived_and_overridden_and_exports_csv(
    personas: Personas,
    owner_client,  # type: ignore[no-untyped-def]
    owner_api: ApiClient,
    policy: FeePolicy,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for days in range(1, 4):
        appointment = make_appointment(
            personas.client,
            starts_at=START - dt.timedelta(days=days * 7),
            created_at=START - dt.timedelta(days=60),
        )
        mark(owner_api, appointment)
    last = Appointment.objects.filter(fee_action="charged").order_by("starts_at").last()
    assert last is not None
    owner_api.post(
        f"/api/v1/appointments/{last.pk}/fee-override", {"action": "waived", "reason": "Ill"}
    )
    with django_assert_max_num_queries(12):
        page = owner_client.get("/appointments/fees/").content.decode()
    assert "Charged</dt><dd>80.00" in page
    assert "Waived</dt><dd>40.00" in page
    assert "Changed by a person</dt><dd>1" in page
    csv_text = b"".join(owner_client.get("/appointments/fees/export.csv").streaming_content)
    lines = csv_text.decode().strip().splitlines()
    assert lines[0].startswith("appointment_id,client_id,client,starts_at")
    assert len(lines) == 4
    api = owner_api.get("/api/v1/appointments/fee-decisions").json()
    assert api["count"] == 3
    assert {row["fee_decision"]["action"] for row in api["results"]} == {"charged", "waived"}
    assert (
        owner_api.get(
            "/api/v1/appointments/fee-decisions?from=2026-12-01&to=2026-01-01"
        ).status_code
        == 422
    )


def test_the_report_reads_bad_dates_kindly(owner_client) -> None:  # type: ignore[no-untyped-def]
    page = owner_client.get("/appointments/fees/?from=yesterday", follow=True).content.decode()
    assert "is not a date" in page


def test_only_an_owner_changes_the_fee_policy(
    personas: Personas,
    owner_client,
    client,  # type: ignore[no-untyped-def]
) -> None:
    response = owner_client.post(
        "/appointments/fees/policy/",
        {
            "no_show_fee": "35.00",
            "late_cancel_fee": "",
            "late_cancel_window_hours": "48",
            "waive_first_no_show": "on",
            "longstanding_visits": "5",
            "longstanding_months": "6",
        },
    )
    assert response.status_code == 302
    policy = FeePolicy.objects.get(practice=personas.practice)
    assert (policy.no_show_fee, policy.late_cancel_window_hours) == (Decimal("35.00"), 48)
    bad = owner_client.post(
        "/appointments/fees/policy/",
        {
            "no_show_fee": "-5",
            "late_cancel_window_hours": "0",
            "longstanding_visits": "5",
            "longstanding_months": "6",
        },
    )
    assert bad.status_code == 200
    assert "cannot be negative" in bad.content.decode()
    client.force_login(personas.colleague)
    assert client.post("/appointments/fees/policy/", {"no_show_fee": "1"}).status_code == 404


def test_a_no_show_plans_a_kind_question_that_never_carries_the_bill(
    personas: Personas,
    owner_api: ApiClient,
    policy: FeePolicy,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    care_setup_practice(practice=personas.practice)
    with django_capture_on_commit_callbacks(execute=True):
        mark(owner_api, booked(personas))
    follow_up = Touchpoint.objects.get(client=personas.client, kind="no_show_follow_up")
    assert follow_up.status == "planned"
    template = default_template("no_show_follow_up")
    assert template is not None
    words = f"{template.subject} {template.text} {template.sms}".lower()
    assert "all is well" in words
    assert not {"fee", "charge", "pay", "invoice", "bill"} & set(words.replace(",", " ").split())


def test_the_fee_decisions_api_refuses_what_is_not_a_day(owner_api: ApiClient) -> None:
    for query in ("to=0", "from=2026-13-01", "from=yesterday"):
        assert owner_api.get(f"/api/v1/appointments/fee-decisions?{query}").status_code == 422
    assert owner_api.get("/api/v1/appointments/fee-decisions?from=2026-11-01").status_code == 200
