"""Promises: created by hand or by other features, kept, released, broken by tick, acknowledged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from aftercare import clock
from aftercare.care.ticks import run_tick_steps
from aftercare.promises.models import PromiseStatus
from aftercare.promises.services import (
    promise_acknowledge,
    promise_create,
    promise_keep,
    promise_release,
    promise_snooze,
    promises_mark_broken,
)
from aftercare.queue import selectors
from aftercare.queue.tests.factories import NOW, make_promise
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def queue_titles(personas: Personas, now: dt.datetime) -> list[str]:
    return [item.title for item in selectors.care_queue(personas.actor(), now, scope="practice")]


def test_another_feature_creates_a_promise_with_a_window(personas: Personas) -> None:
    promise = promise_create(
        actor=personas.actor(),
        client=personas.client,
        what="Reachable during the absence",
        due_from=NOW + dt.timedelta(days=5),
        due_until=NOW + dt.timedelta(days=12),
        source="absence",
        source_ref="absence:3",
    )
    assert (promise.status, promise.source, promise.practitioner) == (
        "open",
        "absence",
        personas.owner,
    )
    assert promise.deadline == NOW + dt.timedelta(days=12)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"what": "", "due_at": NOW}, "what"),
        ({"what": "Call back"}, "due_at"),
        ({"what": "Call back", "due_at": NOW, "due_until": NOW}, "due_at"),
        ({"what": "Call back", "due_from": NOW, "due_until": NOW}, "due_until"),
        ({"what": "Call back", "due_at": dt.datetime(2026, 1, 1)}, "due_at"),
    ],
)
def test_bad_promises_are_refused_naming_the_field(
    personas: Personas, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        promise_create(actor=personas.actor(), client=personas.client, **fields)  # type: ignore[arg-type]
    assert field in caught.value.message_dict


def test_a_promise_for_another_practices_client_is_refused(personas: Personas) -> None:
    with pytest.raises(ValidationError, match="not in your practice"):
        promise_create(actor=personas.actor(), client=personas.other_client, what="x", due_at=NOW)


def test_an_open_promise_enters_the_queue_two_days_before_it_is_due(personas: Personas) -> None:
    make_promise(personas.client, what="Phone after the scan", due_at=NOW + dt.timedelta(days=3))
    assert queue_titles(personas, NOW) == []
    assert queue_titles(personas, NOW + dt.timedelta(days=1, hours=1)) == [
        "Promise: Phone after the scan"
    ]


def test_a_window_without_a_start_is_in_the_queue_at_once(personas: Personas) -> None:
    make_promise(
        personas.client, what="Reply by Friday", due_at=None, due_until=NOW + dt.timedelta(days=9)
    )
    assert queue_titles(personas, NOW) == ["Promise: Reply by Friday"]


def test_each_source_reads_at_most_its_limit_most_valuable_first(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aftercare.queue.tests.factories import make_task

    monkeypatch.setattr(selectors, "SOURCE_LIMIT", 3)
    for value in (10, 90, 50, 70, 30):
        make_task(personas.client, title=f"Task {value}", value=value, due_at=NOW)
    assert queue_titles(personas, NOW + dt.timedelta(minutes=1)) == [
        "Task 90",
        "Task 70",
        "Task 50",
    ]


def test_a_promise_not_kept_by_its_due_time_is_broken_by_tick_and_shown_until_acknowledged(
    personas: Personas,
) -> None:
    promise = make_promise(personas.client, due_at=NOW + dt.timedelta(hours=2))
    kept = make_promise(personas.client, due_at=NOW + dt.timedelta(hours=1))
    promise_keep(actor=personas.actor(), promise_id=kept.pk)
    later = NOW + dt.timedelta(hours=3)

    assert run_tick_steps(later)["promises: mark broken"] == 1
    assert promises_mark_broken(later) == 0  # idempotent

    promise.refresh_from_db()
    kept.refresh_from_db()
    assert (promise.status, promise.status_reason) == ("broken", "Not kept by its due time")
    assert kept.status == "kept"
    items = selectors.care_queue(personas.actor(), later, scope="practice")
    assert [(item.kind, item.urgency, item.done_label) for item in items] == [
        ("broken_promise", "urgent", "Acknowledge")
    ]
    with clock.at(later):
        promise_acknowledge(actor=personas.actor(), promise_id=promise.pk)
    promise.refresh_from_db()
    assert promise.acknowledged_at == later
    assert promise.acknowledged_by == personas.owner
    assert queue_titles(personas, later) == []


def test_releasing_needs_a_reason(personas: Personas) -> None:
    promise = make_promise(personas.client)
    with pytest.raises(ValidationError) as caught:
        promise_release(actor=personas.actor(), promise_id=promise.pk, reason=" ")
    assert "reason" in caught.value.message_dict
    promise_release(actor=personas.actor(), promise_id=promise.pk, reason="Client moved away")
    promise.refresh_from_db()
    assert (promise.status, promise.status_reason) == (PromiseStatus.RELEASED, "Client moved away")


def test_snoozing_past_the_due_time_is_refused(personas: Personas) -> None:
    promise = make_promise(personas.client, due_at=NOW + dt.timedelta(days=1))
    with clock.at(NOW), pytest.raises(ValidationError, match="break the promise"):
        promise_snooze(
            actor=personas.actor(), promise_id=promise.pk, until=NOW + dt.timedelta(days=2)
        )


def test_a_kept_promise_cannot_be_kept_again(personas: Personas) -> None:
    promise = make_promise(personas.client)
    promise_keep(actor=personas.actor(), promise_id=promise.pk)
    with pytest.raises(ValidationError, match="already kept"):
        promise_keep(actor=personas.actor(), promise_id=promise.pk)


def test_the_outsider_cannot_touch_a_promise(personas: Personas) -> None:
    promise = make_promise(personas.client)
    with pytest.raises(Http404):
        promise_keep(actor=personas.actor(personas.outsider), promise_id=promise.pk)


def test_the_tick_command_marks_late_promises_broken(personas: Personas) -> None:
    import io

    from django.core.management import call_command

    promise = make_promise(personas.client, due_at=NOW)
    out = io.StringIO()
    call_command("tick", at=(NOW + dt.timedelta(minutes=5)).isoformat(), stdout=out)
    promise.refresh_from_db()
    assert promise.status == "broken"
    assert "promises: mark broken: 1" in out.getvalue()
