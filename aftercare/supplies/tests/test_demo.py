"""The demo shows a supply about to run out and an upcoming absence with its emergency list."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.care.models import Touchpoint
from aftercare.supplies.models import Supply

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_demo_has_a_supply_running_out_and_an_absence_with_notices() -> None:
    with clock.at(NOW):
        call_command("demo", "--clients", "60", "--seed", "3", "-v", "0", stdout=io.StringIO())
    absence = Absence.objects.get()
    assert absence.first_day > NOW.date()
    assert absence.emergency_entries.count() == 1
    soon = Supply.objects.get(name="Vitamin D3 drops")
    assert soon.runs_out_on == dt.date(2026, 11, 30)
    compounded = Supply.objects.get(name="Compounded magnesium blend")
    assert absence.first_day <= compounded.runs_out_on <= absence.last_day
    kinds = set(Touchpoint.objects.values_list("kind", flat=True))
    assert {"reorder_reminder", "absence_notice", "check_in"} <= kinds
