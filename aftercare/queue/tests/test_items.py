"""The pure queue logic: ranking, scope, care-hour fitting and time boxes (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercare.queue import items as queue
from aftercare.queue.items import QueueItem

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)  # a Tuesday


def item(number: int, **fields: object) -> QueueItem:
    defaults: dict[str, object] = {
        "id": f"test:{number}",
        "kind": "task",
        "client_id": number,
        "client_name": f"Client {number}",
        "title": f"Item {number}",
        "due_at": NOW,
    }
    defaults.update(fields)
    return QueueItem(**defaults)  # type: ignore[arg-type]


items_strategy = st.lists(
    st.builds(
        item,
        number=st.integers(min_value=1, max_value=10_000),
        value=st.integers(min_value=0, max_value=100),
        estimated_minutes=st.integers(min_value=0, max_value=90),
        urgency=st.sampled_from(queue.URGENCIES),
        due_at=st.one_of(
            st.none(),
            st.integers(min_value=-30 * 24, max_value=5 * 24).map(
                lambda hours: NOW + dt.timedelta(hours=hours)
            ),
        ),
    ),
    max_size=40,
    unique_by=lambda queued: queued.id,
)


def test_it_puts_crisis_before_anything_more_valuable() -> None:
    routine = item(1, value=100)
    crisis = item(2, value=1, urgency="crisis")
    assert queue.rank([routine, crisis], NOW) == [crisis, routine]


def test_it_ranks_more_valuable_first_within_one_urgency() -> None:
    low, high = item(1, value=10), item(2, value=90)
    assert queue.rank([low, high], NOW) == [high, low]


def test_an_overdue_item_gains_value_but_only_up_to_a_cap() -> None:
    fresh = item(1, value=60)
    old = item(2, value=50, due_at=NOW - dt.timedelta(days=6))
    ancient = item(3, value=30, due_at=NOW - dt.timedelta(days=400))
    assert queue.priority(old, NOW) == 62
    assert queue.priority(ancient, NOW) == 30 + queue.OVERDUE_POINTS_CAP
    assert queue.rank([fresh, old, ancient], NOW) == [old, fresh, ancient]


def test_mine_shows_my_items_and_unassigned_ones_but_not_a_colleagues() -> None:
    mine, theirs, anyone = item(1, owner_id=7), item(2, owner_id=8), item(3, owner_id=None)
    assert queue.in_scope([mine, theirs, anyone], "mine", 7) == [mine, anyone]
    assert queue.in_scope([mine, theirs, anyone], "practice", 7) == [mine, theirs, anyone]


def test_it_refuses_an_unknown_urgency_or_a_naive_due_time() -> None:
    with pytest.raises(ValueError, match="urgency"):
        item(1, urgency="whenever")
    with pytest.raises(ValueError, match="aware"):
        item(1, due_at=dt.datetime(2026, 1, 1, 9, 0))


def test_the_care_hour_skips_a_long_item_to_fit_a_shorter_one_further_down() -> None:
    long_valuable = item(1, value=90, estimated_minutes=50)
    medium = item(2, value=80, estimated_minutes=20)
    short = item(3, value=10, estimated_minutes=10)
    assert queue.fit_care_hour([short, medium, long_valuable], 60, NOW) == [long_valuable, short]


@given(items_strategy, st.integers(min_value=-10, max_value=240))
def test_the_care_hour_never_plans_more_minutes_than_the_box(
    items: list[QueueItem], minutes: int
) -> None:
    fitted = queue.fit_care_hour(items, minutes, NOW)
    assert sum(chosen.estimated_minutes for chosen in fitted) <= max(0, minutes)


@given(items_strategy, st.integers(min_value=0, max_value=240))
def test_the_care_hour_keeps_queue_order_and_is_deterministic(
    items: list[QueueItem], minutes: int
) -> None:
    fitted = queue.fit_care_hour(items, minutes, NOW)
    assert fitted == queue.fit_care_hour(list(reversed(items)), minutes, NOW)
    ranked = queue.rank(items, NOW)
    positions = [ranked.index(chosen) for chosen in fitted]
    assert positions == sorted(positions)


@given(items_strategy, st.integers(min_value=0, max_value=240))
def test_an_item_left_out_did_not_fit_beside_the_higher_ranked_ones(
    items: list[QueueItem], minutes: int
) -> None:
    fitted = queue.fit_care_hour(items, minutes, NOW)
    ranked = queue.rank(items, NOW)
    used_before = 0
    for candidate in ranked:
        if candidate in fitted:
            used_before += candidate.estimated_minutes
        else:
            # Higher value first: it was left out only because it no longer fitted.
            assert candidate.estimated_minutes > minutes - used_before
    left_over = minutes - sum(chosen.estimated_minutes for chosen in fitted)
    assert all(left.estimated_minutes > left_over for left in ranked if left not in fitted)


def test_a_bounded_count_reads_as_the_number_or_as_more_than_the_bound() -> None:
    assert queue.COUNT_UP_TO == 1000
    assert queue.count_words(1000) == "1,000"
    assert queue.count_words(1001) == "1,000+"
    assert queue.count_words(1001, less=100) == "900+"
    assert queue.count_words(250, less=100) == "150"


def test_an_item_id_splits_into_kind_and_object_id() -> None:
    assert queue.split_item_id("promise:12") == ("promise", "12")
    with pytest.raises(ValueError):
        queue.split_item_id("promise")


@given(
    due_minutes_ago=st.integers(min_value=-3000, max_value=60 * 24 * 15),
)
def test_the_overdue_steps_give_the_same_bonus_as_priority(due_minutes_ago: int) -> None:
    now = dt.datetime(2026, 11, 24, 8, 15, tzinfo=dt.UTC)
    due = now - dt.timedelta(minutes=due_minutes_ago)
    item = QueueItem(id="task:1", kind="task", client_id=1, client_name="R", title="T", due_at=due)
    steps = queue.overdue_steps(now)
    bonus = next((points for moment, points in steps if due <= moment), 0)
    assert item.value + bonus == queue.priority(item, now)


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(queue.URGENCIES), st.integers(0, 100)), max_size=12),
        max_size=4,
    ),
    st.integers(min_value=0, max_value=15),
)
def test_the_first_items_of_each_source_give_the_first_items_of_the_queue(
    sources: list[list[tuple[str, int]]], limit: int
) -> None:
    now = dt.datetime(2026, 11, 24, 8, 15, tzinfo=dt.UTC)
    pages, everything = [], []
    for number, rows in enumerate(sources):
        found = [
            QueueItem(
                id=f"s{number}:{index}",
                kind=f"s{number}",
                client_id=None,
                client_name="",
                title="T",
                urgency=urgency,
                value=value,
            )
            for index, (urgency, value) in enumerate(rows)
        ]
        everything += found
        pages.append(queue.SourcePage(items=queue.rank(found, now)[:limit], total=len(found)))
    first = queue.first_of(pages, limit, now)
    assert first.items == queue.rank(everything, now)[:limit]
    assert first.total == len(everything)
