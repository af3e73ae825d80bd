from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftercare import clock
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.services import care_setup_practice
from aftercare.testing import Personas, make_appointment, make_client

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    personas.appointment.status = "attended"
    personas.appointment.save()
    return personas


def test_plan_all_twice_changes_nothing_the_second_time(care):
    with clock.at(NOW):
        first = run("plan", "--all")
        second = run("plan", "--all")
    assert "0 new" not in first
    assert second.endswith("0 new, 0 changed, 0 cancelled.\n")


def test_plan_needs_to_know_which_clients(care):
    with pytest.raises(CommandError, match="--all, --client ID or --practice ID"):
        run("plan")
    with pytest.raises(CommandError, match="--client: no client with id 999999"):
        run("plan", "--client", "999999")


def test_tick_makes_due_what_has_come_skips_the_blocked_and_expires_the_late(care):
    care.client.birth_date = dt.date(1970, 11, 22)  # no consent for celebrations
    care.client.save()
    with clock.at(NOW):
        run("plan", "--client", str(care.client.pk))
    check_in = Touchpoint.objects.get(kind="check_in")
    card = Touchpoint.objects.get(kind="birthday_card", due_at__year=2026)
    assert card.blocked
    out = run("tick", "--at", "2026-11-23T09:00:00+00:00")
    assert "1 due, 1 skipped, 0 expired" in out
    check_in.refresh_from_db()
    card.refresh_from_db()
    assert check_in.status == "due"
    assert (card.status, card.status_reason) == (
        "skipped",
        "Skipped when due: No consent for celebrations.",
    )
    assert "0 due, 0 skipped, 0 expired" in run("tick", "--at", "2026-11-23T09:00:00+00:00")


def test_tick_expires_a_touchpoint_past_its_lateness_limit_with_the_reason(care):
    with clock.at(NOW):
        run("plan", "--all")
    run("tick", "--at", "2026-11-27T10:00:00Z")  # the check-in was due on the 23rd at 09:00
    check_in = Touchpoint.objects.get(kind="check_in")
    assert check_in.status == "expired"
    assert check_in.status_reason.startswith("Too late: more than 3 days after it was due")


def test_tick_rejects_an_unreadable_instant(db):
    with pytest.raises(CommandError, match="--at: expected an ISO date-time"):
        run("tick", "--at", "next tuesday")


def test_preview_shows_what_will_happen_without_changing_anything(care):
    late = make_client(
        care.practice, given_name="Nina", family_name="Night", time_zone="Australia/Sydney"
    )
    make_appointment(late, starts_at=NOW - dt.timedelta(days=1), status="attended")
    CareRule.objects.filter(name="Check in after a visit").update(local_time=dt.time(22, 0))
    with clock.at(NOW):
        document = json.loads(
            run("preview", "--from", "2026-11-20", "--to", "2026-12-20", "--json")
        )
        text = run("preview", "--from", "2026-11-20", "--to", "2026-12-20")
    assert Touchpoint.objects.count() == 0
    by_name = {c["client_name"]: c for c in document["clients"]}
    ruth = by_name["Ruth Miller"]["touchpoints"]
    assert [t["kind"] for t in ruth] == ["check_in"]
    assert ruth[0]["due_local"] == "2026-11-23 09:00"
    nina = by_name["Nina Night"]["touchpoints"]
    # Seen on the 19th at 23:00 in Sydney, so checked in on the 22nd at 09:00 Sydney time.
    assert nina[0]["due_local"] == "2026-11-22 09:00"
    assert "Ruth Miller" in text and "touchpoints for 2 clients" in text


def test_preview_says_why_a_message_is_held_back(care):
    make_appointment(care.client, starts_at=NOW - dt.timedelta(days=60), status="attended")
    CareRule.objects.filter(name="Check in after a visit").update(local_time=dt.time(22, 0))
    make_appointment(care.client, starts_at=NOW - dt.timedelta(days=5), status="attended")
    with clock.at(NOW):
        text = run(
            "preview", "--from", "2026-11-20", "--to", "2026-12-31", "--client", str(care.client.pk)
        )
    assert (
        "why: Moved from 2026-11-22 22:00 to 2026-11-23 08:00: quiet hours (20:00–08:00)." in text
    )


def test_a_large_practices_rule_change_is_replanned_by_the_next_tick(
    care, monkeypatch, django_capture_on_commit_callbacks
):
    from aftercare.care import services
    from aftercare.care.models import CarePolicy

    monkeypatch.setattr(services, "INLINE_REPLAN_LIMIT", 0)
    rule = CareRule.objects.get(practice=care.practice, name="Check in after a first visit")
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        services.care_rule_update(actor=care.actor(), rule=rule, data={"offset_days": 2})
    assert not Touchpoint.objects.exists()  # nothing re-planned inside the request
    assert CarePolicy.objects.get(practice=care.practice).replan_requested_at is not None
    out = run("tick", "--at", "2026-11-20T12:00:00Z")
    assert "re-planned" in out
    assert Touchpoint.objects.get(rule=rule).due_at == dt.datetime(
        2026, 11, 22, 9, 0, tzinfo=dt.UTC
    )
    assert CarePolicy.objects.get(practice=care.practice).replan_requested_at is None


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [
        ("tick", {"at": "9999-12-31T10:00:00Z"}, "--at: The date can be at most 10 years ahead"),
        ("worker", {"once": True, "at": "9999-12-31T23:59:59-05:00"}, "--at: '9999-12-31T23:"),
        ("tick", {"at": "1900-01-01T00:00:00Z"}, "--at: The date can be at most 30 years ago"),
        (
            "preview",
            {"start": "2026-12-01", "end": "9999-12-31"},
            "--to: The date can be at most 10 years ahead (until 30 Nov 2036)",
        ),
    ],
)
def test_commands_refuse_a_date_far_from_today_with_the_range(
    db: None, command: str, options: dict, message: str
) -> None:
    with (
        clock.at(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)),
        pytest.raises(CommandError, match=re.escape(message)),
    ):
        call_command(command, **options)
