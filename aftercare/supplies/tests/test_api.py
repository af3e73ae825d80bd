from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.supplies.models import Supply
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import ApiClient, Personas

pytestmark = pytest.mark.django_db

NEW_SUPPLY = {
    "name": "Compounded magnesium",
    "kind": "supplement",
    "prepared_by": "practice",
    "quantity": 90,
    "unit": "capsules",
    "daily_dose": 1,
    "started_on": "2027-01-01",
    "lead_time_days": 14,
}


def test_adding_a_supply_returns_its_derived_run_out_day(
    owner_api: ApiClient, personas: Personas
) -> None:
    response = owner_api.post("/api/v1/supplies", {**NEW_SUPPLY, "client_id": personas.client.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["runs_out_on"] == "2027-04-01"
    assert body["status"] == "active"
    assert body["client_id"] == personas.client.pk
    assert Supply.objects.get(pk=body["id"]).runs_out_on == dt.date(2027, 4, 1)


def test_a_dose_of_zero_and_a_negative_quantity_are_refused_by_field(
    owner_api: ApiClient, personas: Personas
) -> None:
    response = owner_api.post(
        "/api/v1/supplies",
        {**NEW_SUPPLY, "client_id": personas.client.pk, "daily_dose": 0, "quantity": -3},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["daily_dose"] == ["The dose must be more than zero."]
    assert errors["quantity"] == ["The quantity cannot be negative."]
    assert not Supply.objects.exists()


def test_unknown_fields_and_another_practices_client_are_refused(
    owner_api: ApiClient, personas: Personas
) -> None:
    response = owner_api.post(
        "/api/v1/supplies",
        {**NEW_SUPPLY, "client_id": personas.other_client.pk, "runs_out_on": "2030-01-01"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"runs_out_on": ["Unknown field."]}
    response = owner_api.post(
        "/api/v1/supplies", {**NEW_SUPPLY, "client_id": personas.other_client.pk}
    )
    assert response.status_code == 422
    assert "client_id" in response.json()["errors"]


def test_changing_the_dose_re_derives_the_run_out_day(
    owner_api: ApiClient, personas: Personas
) -> None:
    supply = add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 1))
    response = owner_api.patch(f"/api/v1/supplies/{supply.pk}", {"daily_dose": 2})
    assert response.status_code == 200, response.json()
    assert response.json()["runs_out_on"] == "2027-02-15"
    assert response.json()["daily_dose"] == 2


def test_taper_steps_count_before_the_steady_dose(owner_api: ApiClient, personas: Personas) -> None:
    response = owner_api.post(
        "/api/v1/supplies",
        {
            **NEW_SUPPLY,
            "client_id": personas.client.pk,
            "quantity": 20,
            "taper_steps": [{"days": 7, "daily_dose": 2}],
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["runs_out_on"] == "2027-01-14"
    assert response.json()["taper_steps"] == [{"days": 7, "daily_dose": "2"}]


def test_the_list_filters_by_client_and_run_out_day(
    owner_api: ApiClient, personas: Personas
) -> None:
    add_supply(personas.actor(), personas.client, name="Soon", started_on=dt.date(2027, 1, 1))
    add_supply(personas.actor(), personas.client, name="Later", started_on=dt.date(2027, 6, 1))
    with clock.at(dt.datetime(2027, 1, 1, tzinfo=dt.UTC)):
        response = owner_api.get(
            "/api/v1/supplies",
            {"client_id": personas.client.pk, "runs_out_before": "2027-05-01"},
        )
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Soon"]
    assert response.json()["count"] == 1


def test_another_practices_supply_is_a_404_whatever_the_body(
    outsider_api: ApiClient, personas: Personas
) -> None:
    supply = add_supply(personas.actor(), personas.client)
    assert outsider_api.get(f"/api/v1/supplies/{supply.pk}").status_code == 404
    assert outsider_api.patch(f"/api/v1/supplies/{supply.pk}", {"daily_dose": 0}).status_code == 404
    assert outsider_api.patch(f"/api/v1/supplies/{supply.pk}", "not json").status_code == 404
    assert outsider_api.get("/api/v1/supplies").json()["count"] == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"started_on": "9999-01-01"},
            "started_on",
            "A supply's start can be at most 1 year ahead",
        ),
        ({"started_on": "1999-01-01"}, "started_on", "at most 10 years ago"),
        ({"lead_time_days": 400}, "lead_time_days", "A lead time is less than a year"),
        (
            {"quantity": "99999999.99", "daily_dose": "0.01"},
            "quantity",
            "This would last more than 10 years",
        ),
        ({"every_days": 30000}, "quantity", "This would last more than 10 years"),
    ],
)
def test_dates_and_lead_times_out_of_range_are_refused_by_field(
    owner_api: ApiClient, personas: Personas, fields: dict, field: str, message: str
) -> None:
    with clock.at(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)):
        response = owner_api.post(
            "/api/v1/supplies", {**NEW_SUPPLY, "client_id": personas.client.pk, **fields}
        )
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not Supply.objects.exists()
