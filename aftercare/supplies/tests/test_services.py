from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aftercare.clients import events
from aftercare.practice.models import AuditEvent
from aftercare.supplies.services import (
    supply_request_reorder,
    supply_set_status,
    supply_update,
)
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def test_adding_a_supply_stores_its_run_out_day(personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    assert supply.runs_out_on == dt.date(2027, 1, 30)
    supply.refresh_from_db()
    assert supply.runs_out_on == dt.date(2027, 1, 30)


def test_changing_the_dose_re_derives_the_run_out_day(personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    supply_update(actor=personas.actor(), supply=supply, data={"daily_dose": Decimal(3)})
    supply.refresh_from_db()
    assert supply.runs_out_on == dt.date(2026, 12, 1)


def test_changing_the_quantity_is_audited_with_the_old_and_new_values(personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    supply_update(actor=personas.actor(), supply=supply, data={"quantity": Decimal(30)})
    event = AuditEvent.objects.filter(object_type="supplies.supply", action="change").get()
    old, new = event.changes["quantity"]
    assert (Decimal(old), Decimal(new)) == (Decimal(90), Decimal(30))
    assert "runs_out_on" in event.changes


def test_a_stopped_supply_no_longer_runs_out(personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    supply_set_status(actor=personas.actor(), supply=supply, status="stopped")
    supply.refresh_from_db()
    assert supply.runs_out_on is None


def test_every_change_tells_the_care_engine_the_client_changed(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(events, "_hooks", [lambda client: seen.append(client.pk)])
    supply = add_supply(personas.actor(), personas.client)
    supply_update(actor=personas.actor(), supply=supply, data={"lead_time_days": 3})
    assert seen == [personas.client.pk, personas.client.pk]


def test_a_re_order_tapped_twice_is_requested_once(personas: Personas) -> None:
    supply = add_supply(personas.actor(), personas.client)
    assert supply_request_reorder(supply=supply) is True
    assert supply_request_reorder(supply=supply) is False
    supply.refresh_from_db()
    assert supply.status == "reorder_requested"
    assert supply.reorder_requested_at is not None
    assert AuditEvent.objects.filter(summary__startswith="Re-order of").count() == 1


def test_a_supply_cannot_be_added_for_another_practices_client(personas: Personas) -> None:
    with pytest.raises(ValueError, match="another practice"):
        add_supply(personas.actor(), personas.other_client)
