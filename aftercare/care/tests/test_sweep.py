from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from aftercare import clock
from aftercare.care import reconcile as reconcile_module
from aftercare.care import sweep
from aftercare.care.models import CarePolicy, TickLease, Touchpoint
from aftercare.care.reconcile import reconcile_batch, reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.practice.models import Practice
from aftercare.testing import Personas, make_client

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def birthday_client(personas: Personas) -> Client:
    care_setup_practice(practice=personas.practice)
    client = make_client(
        personas.practice,
        given_name="Mae",
        birth_date=dt.date(1970, 3, 14),
        consent_celebrations=True,
    )
    with clock.at(NOW):
        reconcile_client(client)
    return client


def birthday_years(client: Client) -> set[str]:
    return {
        key.rsplit(":", 1)[1]
        for key in Touchpoint.objects.filter(client=client, key__contains=":birthday").values_list(
            "key", flat=True
        )
    }


def test_ticking_across_a_year_boundary_plans_next_years_birthday(birthday_client):
    assert "birthday2028" not in birthday_years(birthday_client)
    # Just after midnight on New Year's Day in London (the practice's time zone).
    out = run("tick", "--at", "2027-01-01T00:05:00+00:00")
    assert "birthday2028" in birthday_years(birthday_client)
    assert "care: daily re-plan:" in out
    policy = CarePolicy.objects.get(practice=birthday_client.practice)
    assert policy.swept_on == dt.date(2027, 1, 1)


def test_ticking_twice_the_same_day_sweeps_once(birthday_client, monkeypatch):
    sweeps: list[int | None] = []
    real = sweep.reconcile_all

    def counting(**kwargs):
        sweeps.append(kwargs["practice_id"])
        return real(**kwargs)

    monkeypatch.setattr(sweep, "reconcile_all", counting)
    run("tick", "--at", "2026-12-01T06:00:00Z")  # 01:00 in New York
    run("tick", "--at", "2026-12-01T18:00:00Z")
    practices = CarePolicy.objects.count()  # the outsider's practice is swept too
    assert len(sweeps) == practices
    run("tick", "--at", "2026-12-02T06:00:00Z")  # a new day sweeps again
    assert len(sweeps) == 2 * practices


def test_the_day_is_the_practices_local_day(birthday_client, monkeypatch):
    swept: list[int] = []
    monkeypatch.setattr(
        sweep, "reconcile_all", lambda **kw: swept.append(kw["practice_id"]) or _empty()
    )
    for practice in Practice.objects.all():
        CarePolicy.objects.update_or_create(
            practice=practice, defaults={"swept_on": dt.date(2026, 12, 1)}
        )
    # The outsider's practice is in New York, five hours behind London in winter.
    # 02:00 UTC on 2 December: a new day in London, still 1 December in New York.
    sweep.daily_replan(dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC))
    assert swept == [birthday_client.practice_id]
    # 05:30 UTC is 00:30 in New York: its turn; London is not swept twice.
    sweep.daily_replan(dt.datetime(2026, 12, 2, 5, 30, tzinfo=dt.UTC))
    assert len(swept) == 2 and swept[0] == birthday_client.practice_id


def _empty() -> reconcile_module.ReconcileResult:
    return reconcile_module.ReconcileResult()


def test_a_failed_sweep_gives_the_day_back_for_the_next_tick(birthday_client, monkeypatch):
    def failing(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sweep, "reconcile_all", failing)
    with pytest.raises(RuntimeError):
        sweep.daily_replan(dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC))
    assert not CarePolicy.objects.filter(swept_on=dt.date(2026, 12, 5)).exists()


def test_a_second_tick_finds_the_lease_held_and_exits_quietly(birthday_client):
    held = sweep.claim_tick_lease()
    assert held is not None
    assert sweep.claim_tick_lease() is None  # the atomic claim lets only one through
    out = run("tick", "--at", "2027-01-01T00:05:00Z")
    assert out.startswith("Another tick is running")
    assert "birthday2028" not in birthday_years(birthday_client)  # it did nothing
    assert not CarePolicy.objects.filter(swept_on__isnull=False).exists()
    sweep.release_tick_lease(held)
    assert "Tick at 2027-01-01" in run("tick", "--at", "2027-01-01T00:05:00Z")
    assert TickLease.objects.get().expires_at is None  # released after the tick


def test_an_expired_lease_is_taken_over(db):
    with clock.at(NOW):
        first = sweep.claim_tick_lease()
    assert first is not None
    with clock.at(NOW + sweep.TICK_LEASE + dt.timedelta(seconds=1)):
        second = sweep.claim_tick_lease()
    assert second is not None and second != first
    sweep.release_tick_lease(first)  # the dead tick's late release frees nothing
    assert TickLease.objects.get().owner == second


def test_a_concurrent_insert_of_the_same_key_leaves_one_row_and_no_error(
    birthday_client, monkeypatch
):
    Touchpoint.objects.filter(client=birthday_client).delete()
    real_plan_batch = reconcile_module.plan_batch
    inserted: list[str] = []

    def plan_then_race(batch, now, practices=None):
        planned, rules = real_plan_batch(batch, now, practices)
        if inserted:  # the other process's own planning
            return planned, rules
        inserted.append("racing")
        # Another process plans the same client between our read and our insert.
        reconcile_batch([birthday_client.pk], now=now)
        inserted.clear()
        inserted.extend(
            Touchpoint.objects.filter(client=birthday_client).values_list("key", flat=True)
        )
        return planned, rules

    monkeypatch.setattr(reconcile_module, "plan_batch", plan_then_race)
    with clock.at(NOW):
        reconcile_batch([birthday_client.pk], now=NOW)
    monkeypatch.setattr(reconcile_module, "plan_batch", real_plan_batch)
    keys = list(Touchpoint.objects.filter(client=birthday_client).values_list("key", flat=True))
    assert inserted and sorted(keys) == sorted(inserted)
    assert len(keys) == len(set(keys))
