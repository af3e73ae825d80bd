from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.absences.forms import AbsenceForm
from aftercare.absences.tests.factories import plan_absence
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


def form_for(personas: Personas, **fields: str) -> AbsenceForm:
    data = {
        "practitioner": str(personas.owner.pk),
        "first_day": "2027-03-15",
        "last_day": "2027-04-04",
        "notify_days_before": "21",
        **fields,
    }
    return AbsenceForm(data, practice=personas.practice)


def test_a_complete_absence_is_valid(personas: Personas) -> None:
    form = form_for(personas, emergency_client_ids=str(personas.client.pk))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["emergency_client_ids"] == [personas.client.pk]


def test_an_absence_that_ends_before_it_starts_is_refused(personas: Personas) -> None:
    form = form_for(personas, last_day="2027-03-10")
    assert not form.is_valid()
    assert form.errors["last_day"] == [
        "The absence ends (10 Mar 2027) before it starts (15 Mar 2027)."
    ]


def test_an_absence_that_starts_in_the_past_is_refused(personas: Personas) -> None:
    form = form_for(personas, first_day="2027-01-20")
    assert not form.is_valid()
    assert "starts in the past" in form.errors["first_day"][0]


def test_an_absence_overlapping_another_of_the_same_practitioner_is_refused(
    personas: Personas,
) -> None:
    plan_absence(personas.actor())
    form = form_for(personas, first_day="2027-04-01", last_day="2027-04-10")
    assert not form.is_valid()
    assert "already away from 15 Mar 2027 to 4 Apr 2027" in form.errors["first_day"][0]


def test_a_colleague_may_be_away_at_the_same_time(personas: Personas) -> None:
    plan_absence(personas.actor())
    form = form_for(personas, practitioner=str(personas.colleague.pk))
    assert form.is_valid(), form.errors


def test_a_cancelled_absence_does_not_block_new_dates(personas: Personas) -> None:
    from aftercare.absences.services import absence_cancel

    absence_cancel(actor=personas.actor(), absence=plan_absence(personas.actor()))
    assert form_for(personas).is_valid()


def test_another_practices_client_cannot_be_on_the_emergency_list(personas: Personas) -> None:
    form = form_for(personas, emergency_client_ids=f"{personas.other_client.pk}")
    assert not form.is_valid()
    assert "in this practice" in form.errors["emergency_client_ids"][0]


def test_an_assistant_cannot_be_chosen_as_the_practitioner(personas: Personas) -> None:
    form = form_for(personas, practitioner=str(personas.assistant.pk))
    assert not form.is_valid()
    assert "practitioner" in form.errors
