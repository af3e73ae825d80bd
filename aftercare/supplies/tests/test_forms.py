from __future__ import annotations

import pytest

from aftercare.supplies.forms import SupplyForm

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Arnica 30C",
    "kind": "remedy",
    "prepared_by": "practice",
    "quantity": "60",
    "unit": "globules",
    "daily_dose": "3",
    "every_days": "1",
    "started_on": "2026-11-20",
    "lead_time_days": "7",
    "status": "active",
}


def test_a_complete_supply_is_valid_with_its_taper_parsed() -> None:
    form = SupplyForm({**VALID, "taper": "5 a day for 3 days\n4 for 2 days"})
    assert form.is_valid(), form.errors
    assert form.supply_data()["taper_steps"] == [
        {"days": 3, "daily_dose": "5"},
        {"days": 2, "daily_dose": "4"},
    ]


def test_a_dose_of_zero_is_refused_naming_the_dose() -> None:
    form = SupplyForm({**VALID, "daily_dose": "0"})
    assert not form.is_valid()
    assert form.errors["daily_dose"] == ["The dose must be more than zero."]


def test_a_negative_quantity_is_refused_naming_the_quantity() -> None:
    form = SupplyForm({**VALID, "quantity": "-5"})
    assert not form.is_valid()
    assert form.errors["quantity"] == ["The quantity cannot be negative."]


def test_a_taper_line_it_cannot_read_is_refused_with_an_example() -> None:
    form = SupplyForm({**VALID, "taper": "lots at first"})
    assert not form.is_valid()
    assert "3 a day for 7 days" in form.errors["taper"][0]


def test_a_taper_step_of_zero_dose_is_refused() -> None:
    form = SupplyForm({**VALID, "taper": "0 a day for 3 days"})
    assert not form.is_valid()
    assert "more than zero" in form.errors["taper"][0]


def test_taper_steps_from_the_api_are_checked_too() -> None:
    form = SupplyForm(VALID, taper_steps=[{"days": "x"}])
    assert not form.is_valid()
    assert "Step 1" in form.errors["taper"][0]
