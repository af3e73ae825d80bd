from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.absences.preview import absence_preview
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2027, 3, 15), dt.date(2027, 4, 4)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


def preview(personas: Personas, **kwargs):  # type: ignore[no-untyped-def]
    return absence_preview(
        practice=personas.practice,
        practitioner=personas.owner,
        first_day=FIRST,
        last_day=LAST,
        **kwargs,
    )


def test_it_lists_appointments_inside_the_absence_to_rebook(personas: Personas) -> None:
    inside = make_appointment(
        personas.client, personas.owner, starts_at=dt.datetime(2027, 3, 20, 10, tzinfo=dt.UTC)
    )
    make_appointment(
        personas.client, personas.owner, starts_at=dt.datetime(2027, 4, 5, 10, tzinfo=dt.UTC)
    )
    make_appointment(
        personas.client, personas.colleague, starts_at=dt.datetime(2027, 3, 21, 10, tzinfo=dt.UTC)
    )
    result = preview(personas)
    assert [a.pk for a in result.appointments] == [inside.pk]
    assert result.notices[0].actions == ["rebook your appointment on Saturday 20 March at 10:00"]


def test_the_naturopaths_story_a_90_day_supplement_gets_an_order_by_day_before_the_absence(
    personas: Personas,
) -> None:
    # 90 capsules from 3 Jan run out on 3 Apr, inside the absence; 14 days to prepare.
    add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
    result = preview(personas)
    [row] = result.supplies
    assert row["order_by"] == dt.date(2027, 3, 1)
    assert row["reason"] == "runs out during the absence"
    [notice] = result.notices
    assert notice.client == personas.client
    assert notice.send_on == dt.date(2027, 2, 22)
    assert notice.actions == ["order Magnesium citrate by Monday 1 March"]


def test_a_supply_whose_preparation_window_overlaps_counts_too(personas: Personas) -> None:
    # Runs out 10 Apr, after the return, but 14 days' preparation start on 27 Mar.
    add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 10))
    [row] = preview(personas).supplies
    assert row["reason"] == "preparing it (14 days) overlaps the absence"


def test_a_supply_running_out_well_after_the_return_is_not_listed(personas: Personas) -> None:
    add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 2, 1))
    assert preview(personas).supplies == []


def test_clients_in_active_care_are_suggested_for_the_emergency_list(personas: Personas) -> None:
    newcomer = make_client(
        personas.practice, given_name="Nina", primary_practitioner=personas.owner
    )
    make_appointment(
        newcomer,
        personas.owner,
        kind="first_visit",
        status="attended",
        starts_at=dt.datetime(2027, 1, 25, 10, tzinfo=dt.UTC),
    )
    # "In the last 30 days": a first visit marked attended ahead of its time is not one yet
    # (and the read stops at now, not at the last appointment ever booked).
    early = make_client(personas.practice, given_name="Early", primary_practitioner=personas.owner)
    make_appointment(
        early,
        personas.owner,
        kind="first_visit",
        status="attended",
        starts_at=NOW + dt.timedelta(days=3),
    )
    result = preview(personas, emergency_ids=[newcomer.pk])
    assert [(row["client"].pk, row["reason"], row["chosen"]) for row in result.active_care] == [
        (newcomer.pk, "first visit on 25 Jan", True)
    ]
    assert [n.client.pk for n in result.notices] == [newcomer.pk]


def test_unaffected_clients_get_nothing_unless_the_practice_announces_it(
    personas: Personas,
) -> None:
    assert preview(personas).notices == []
    assert preview(personas, announce_to_all=True).announce_count == 1


def test_the_preview_costs_a_fixed_number_of_queries(
    personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for number in range(12):
        client = make_client(
            personas.practice, given_name=f"C{number}", primary_practitioner=personas.owner
        )
        add_supply(personas.actor(), client, started_on=dt.date(2027, 1, 3))
        make_appointment(
            client, personas.owner, starts_at=dt.datetime(2027, 3, 20, 10, tzinfo=dt.UTC)
        )
    with django_assert_max_num_queries(7):
        result = preview(personas, announce_to_all=True)
    assert len(result.notices) == 12


def test_a_client_whose_reply_was_flagged_lately_is_suggested(personas: Personas) -> None:
    from aftercare.messaging.models import Direction, Message

    Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction=Direction.INBOUND,
        channel="email",
        text_body="hot sweats since the new tablets",
        triage_level="attention",
        created_at=NOW - dt.timedelta(days=2),
    )
    [row] = preview(personas).active_care
    assert row["client"] == personas.client
    assert row["reason"] == "a reply flagged attention on 30 Jan"


def test_the_summary_today_shows_counts_what_the_preview_lists(
    personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Today's card reads counts (absence_summary), the planner lists rows (absence_preview):
    both say the same numbers, whatever mix of appointments, supplies and emergency clients."""
    from aftercare.absences.preview import absence_summary

    actor = personas.actor()
    clients = [
        make_client(personas.practice, given_name=f"C{n}", primary_practitioner=personas.owner)
        for n in range(6)
    ]
    make_appointment(
        clients[0], personas.owner, starts_at=dt.datetime(2027, 3, 20, 10, tzinfo=dt.UTC)
    )
    make_appointment(
        clients[0], personas.owner, starts_at=dt.datetime(2027, 3, 22, 10, tzinfo=dt.UTC)
    )
    add_supply(actor, clients[0], started_on=dt.date(2027, 1, 3))  # the same client again
    add_supply(actor, clients[1], started_on=dt.date(2027, 1, 10))  # preparation overlaps
    add_supply(actor, clients[2], started_on=dt.date(2027, 1, 3), status="reorder_requested")
    add_supply(actor, clients[3], started_on=dt.date(2027, 2, 1))  # well after the return
    emergency = [clients[1].pk, clients[4].pk]
    full = preview(personas, announce_to_all=True, emergency_ids=emergency)
    with django_assert_max_num_queries(4):
        summary = absence_summary(
            practice=personas.practice,
            practitioner=personas.owner,
            first_day=FIRST,
            last_day=LAST,
            announce_to_all=True,
            emergency_ids=emergency,
        )
    assert summary.notices == len(full.notices) == 3
    assert summary.appointments == len(full.appointments) == 2
    assert summary.emergency_clients == len(full.emergency_clients) == 2
    assert summary.announce_count == full.announce_count
    assert summary.notify_on == full.notify_on


def test_the_summary_chooses_in_sql_the_supplies_the_preview_chooses_in_python(
    personas: Personas,
) -> None:
    """``supplies_affected`` (SQL, for Today's counts) picks exactly the supplies for which
    ``affected_by_absence`` (Python, for the preview's rows) is true: every run-out day from
    before the absence to after its end, with no lead time, one day, a few and a long one; and
    only the practitioner's clients not archived."""
    from aftercare.absences.preview import supplies_affected
    from aftercare.supplies.models import Supply

    own = make_client(personas.practice, primary_practitioner=personas.owner)
    archived = make_client(personas.practice, primary_practitioner=personas.owner, archived=True)
    colleagues = make_client(personas.practice, primary_practitioner=personas.colleague)
    days = (LAST - FIRST).days
    Supply.objects.bulk_create(
        Supply(
            practice=personas.practice,
            client=client,
            name=f"Remedy {offset} {lead}",
            quantity=30,
            daily_dose=1,
            started_on=FIRST - dt.timedelta(days=60),
            lead_time_days=lead,
            runs_out_on=FIRST + dt.timedelta(days=offset),
        )
        for client in (own, archived, colleagues)
        for offset in range(-3, days + 40)
        for lead in (0, 1, 2, 5, days, 30)
    )
    in_python = {row["supply"].pk for row in preview(personas).supplies}
    in_sql = set(
        supplies_affected(personas.practice, personas.owner, FIRST, LAST).values_list(
            "pk", flat=True
        )
    )
    assert in_sql == in_python
    assert len(in_python) > days  # the long lead times reach past the return
    assert set(Supply.objects.filter(pk__in=in_sql).values_list("client", flat=True)) == {own.pk}
