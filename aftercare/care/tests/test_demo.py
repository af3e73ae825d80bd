"""The issue's "done when" on the demo practice: preview shows care, within the boundaries."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zoneinfo

import pytest
from django.core.management import call_command

from aftercare import clock
from aftercare.care import demo
from aftercare.care.models import CarePolicy, CareRule, Touchpoint
from aftercare.care.planner import in_quiet_hours
from aftercare.care.reconcile import reconcile_client
from aftercare.queue.tests.factories import NOW as TUESDAY
from aftercare.testing import Personas

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_demo_preview_shows_care_never_in_quiet_hours_nor_over_the_budget():
    with clock.at(NOW):
        call_command("demo", "--clients", "60", "--seed", "2", "-v", "0", stdout=io.StringIO())
        planned_before = Touchpoint.objects.count()
        out = io.StringIO()
        call_command("preview", "--from", "2026-11-20", "--to", "2026-12-31", "--json", stdout=out)
    assert planned_before > 0  # the demo plans its clients at once
    assert Touchpoint.objects.count() == planned_before  # preview changes nothing
    document = json.loads(out.getvalue())
    policy = CarePolicy.objects.get()
    kinds = set()
    for client in document["clients"]:
        tz = zoneinfo.ZoneInfo(client["time_zone"])
        live = []
        for touchpoint in client["touchpoints"]:
            kinds.add(touchpoint["kind"])
            if touchpoint["blocked"]:
                assert touchpoint["held_back_reason"]
            if touchpoint["status"] == "expired":
                assert touchpoint["status_reason"]
            if (
                touchpoint["action"] == "message"
                and touchpoint["status"] == "planned"
                and not touchpoint["blocked"]
            ):
                due = dt.datetime.fromisoformat(touchpoint["due_at"])
                assert not in_quiet_hours(
                    due.astimezone(tz).time(), policy.quiet_hours_start, policy.quiet_hours_end
                )
                if not touchpoint["bundle_with"]:  # a bundle is one message
                    live.append((due, touchpoint))
        # Within the budget, counting for each message those that matter more (essential care
        # is never held back; one that would come too late goes over the budget, saying so).
        window = dt.timedelta(days=policy.contact_budget_days)
        for due, touchpoint in live:
            if touchpoint["essential"] or "sent anyway" in touchpoint["held_back_reason"]:
                continue
            weightier = [
                other_due
                for other_due, other in live
                if other is touchpoint or other["essential"] or other["value"] > touchpoint["value"]
            ]
            for start in [t for t in weightier if due - window < t <= due]:
                count = sum(1 for t in weightier if start <= t < start + window)
                assert count <= policy.contact_budget_messages
    assert {"check_in", "recall", "birthday_card", "anniversary_note"} <= kinds


@pytest.mark.django_db
def test_the_demo_plans_sleep_hygiene_for_the_latest_first_visit_client(
    personas: Personas,
) -> None:

    personas.appointment.kind = "first_visit"
    personas.appointment.status = "attended"
    personas.appointment.starts_at = TUESDAY - dt.timedelta(days=1)
    personas.appointment.ends_at = TUESDAY - dt.timedelta(days=1) + dt.timedelta(minutes=50)
    personas.appointment.save()
    demo.add_demo_data(personas.practice, rng=random.Random(4), now=TUESDAY)

    rule = CareRule.objects.get(name="Sleep hygiene after a first visit")
    assert rule.resource is not None and rule.resource.title == "Sleep hygiene"
    reconcile_client(personas.client.pk, now=TUESDAY)
    planned = Touchpoint.objects.get(rule=rule)
    assert planned.client_id == personas.client.pk
    assert planned.context["resource_id"] == rule.resource_id
    assert not planned.blocked


def test_the_demo_has_a_task_rule_switched_off_whose_form_shows_a_tasks_fields(
    personas: Personas, client
) -> None:  # type: ignore[no-untyped-def]
    demo.add_demo_data(personas.practice, rng=random.Random(4), now=TUESDAY)
    rule = CareRule.objects.get(practice=personas.practice, name="Call after a missed appointment")
    assert (rule.action, rule.task_kind, rule.enabled, rule.template_key) == (
        "task",
        "call",
        False,
        "",
    )
    client.force_login(personas.owner)
    page = client.get(f"/care/rules/{rule.pk}/").content.decode()
    assert '<div class="field" data-actions="task">' in page.replace("\n", "")
    assert 'data-actions="message" hidden' in page
