from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.absences.tests.factories import plan_absence
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import ApiClient, Personas

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


def body(personas: Personas, **fields: object) -> dict[str, object]:
    return {
        "practitioner_id": personas.owner.pk,
        "first_day": "2027-03-15",
        "last_day": "2027-04-04",
        "public_note": "On holiday",
        "cover_contact": "Dr Colin",
        "emergency_client_ids": [personas.client.pk],
        **fields,
    }


def test_planning_an_absence_through_the_api(owner_api: ApiClient, personas: Personas) -> None:
    response = owner_api.post("/api/v1/absences", body(personas))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["emergency_client_ids"] == [personas.client.pk]
    assert data["notify_days_before"] == 21
    assert Absence.objects.get().emergency_entries.count() == 1


def test_the_preview_returns_the_same_lists_as_the_page(
    owner_api: ApiClient, personas: Personas
) -> None:
    add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
    response = owner_api.post("/api/v1/absences/preview", body(personas))
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["supplies_running_out"][0]["order_by"] == "2027-03-01"
    assert data["notices"][0]["send_on"] == "2027-02-22"
    assert data["notices"][0]["actions"][0] == "order Magnesium citrate by Monday 1 March"
    assert data["emergency_client_ids"] == [personas.client.pk]
    assert not Absence.objects.exists()


def test_bad_dates_are_refused_by_field(owner_api: ApiClient, personas: Personas) -> None:
    response = owner_api.post("/api/v1/absences", body(personas, last_day="2027-03-01"))
    assert response.status_code == 422
    assert "before it starts" in response.json()["errors"]["last_day"][0]
    response = owner_api.post("/api/v1/absences", body(personas, first_day="2027-01-01"))
    assert "starts in the past" in response.json()["errors"]["first_day"][0]
    plan_absence(personas.actor())
    response = owner_api.post(
        "/api/v1/absences", body(personas, first_day="2027-04-01", last_day="2027-04-09")
    )
    assert "already away" in response.json()["errors"]["first_day"][0]
    response = owner_api.post(
        "/api/v1/absences", body(personas, practitioner_id=personas.outsider.pk)
    )
    assert "practitioner_id" in response.json()["errors"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"first_day": "9999-12-01", "last_day": "9999-12-24"},
            "first_day",
            "An absence can be at most 3 years ahead (until 1 Feb 2030)",
        ),
        ({"last_day": "2029-03-15"}, "last_day", "An absence lasts at most a year"),
    ],
)
def test_an_absence_out_of_range_is_refused_by_field_and_nothing_is_saved(
    owner_api: ApiClient, personas: Personas, fields: dict, field: str, message: str
) -> None:
    for path in ("/api/v1/absences", "/api/v1/absences/preview"):
        response = owner_api.post(path, body(personas, **fields))
        assert response.status_code == 422, response.json()
        assert message in response.json()["errors"][field][0]
    assert not Absence.objects.exists()


def test_moving_and_cancelling_through_the_api(owner_api: ApiClient, personas: Personas) -> None:
    absence = plan_absence(personas.actor())
    response = owner_api.patch(f"/api/v1/absences/{absence.pk}", {"last_day": "2027-04-11"})
    assert response.status_code == 200, response.json()
    assert response.json()["last_day"] == "2027-04-11"
    response = owner_api.delete(f"/api/v1/absences/{absence.pk}")
    assert response.json()["cancelled"] is True
    assert owner_api.get("/api/v1/absences").json()["count"] == 0
    assert owner_api.get("/api/v1/absences", {"include_cancelled": True}).json()["count"] == 1


@pytest.mark.parametrize(
    ("ids", "said"),
    [
        ([99999999999999999999], "Out of range"),
        (["7; x"], "valid integer"),
        ([10**9], "No client 1000000000 in this practice"),
    ],
)
def test_emergency_client_ids_that_are_no_clients_are_a_422_saying_why(
    owner_api: ApiClient, personas: Personas, ids: list[object], said: str
) -> None:
    response = owner_api.post("/api/v1/absences", body(personas, emergency_client_ids=ids))
    assert response.status_code == 422, response.json()
    assert said in str(response.json())
    assert not Absence.objects.exists()
