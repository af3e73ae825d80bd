"""The demo practice shows the fee policy at work: one waived and one charged no-show."""

from __future__ import annotations

import pytest

from aftercare.appointments.models import Appointment, FeePolicy
from aftercare.demo_load import load_demo_practice

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_waived_and_a_charged_no_show_with_their_reasons() -> None:
    practice = load_demo_practice(seed=7, clients=60, batch_clients=60).practice
    assert FeePolicy.objects.get(practice=practice).no_show_fee is not None
    decided = {
        appointment.fee_action: appointment.fee_reason
        for appointment in Appointment.objects.filter(practice=practice).exclude(fee_action="")
    }
    assert decided["waived"].startswith("First no-show in")
    assert "new client" in decided["charged"]
