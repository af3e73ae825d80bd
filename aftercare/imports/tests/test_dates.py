from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercare.imports.dates import DateError, decide_order, parse_date

TODAY = dt.date(2026, 11, 30)


def test_a_day_above_twelve_proves_day_first() -> None:
    assert decide_order(["03/04/1980", "29/02/1984"], country="US") == "dmy"


def test_a_second_number_above_twelve_proves_month_first() -> None:
    assert decide_order(["03/04/1980", "07/14/1990"], country="GB") == "mdy"


def test_proof_both_ways_asks_a_person() -> None:
    assert decide_order(["29/02/1984", "07/14/1990"], country="GB") is None


def test_without_proof_dots_mean_day_first_then_the_tool_then_the_country() -> None:
    assert decide_order(["01.02.1975"], country="US") == "dmy"
    assert decide_order(["03/04/1961"], country="GB", hint="mdy") == "mdy"
    assert decide_order(["03/04/1961"], country="US") == "mdy"
    assert decide_order(["03/04/1961"], country="GB") == "dmy"
    assert decide_order(["03/04/1961"], country="CA") is None


def test_iso_dates_need_no_decision() -> None:
    assert decide_order(["1984-02-29", ""], country="CA") == "dmy"
    assert parse_date("1984-02-29", "mdy", today=TODAY) == dt.date(1984, 2, 29)
    assert parse_date("1984-02-29T00:00:00Z", "dmy", today=TODAY) == dt.date(1984, 2, 29)


def test_the_three_ways_practices_write_dates() -> None:
    assert parse_date("29/02/1984", "dmy", today=TODAY) == dt.date(1984, 2, 29)
    assert parse_date("14.07.1982", "dmy", today=TODAY) == dt.date(1982, 7, 14)
    assert parse_date("07/14/1990", "mdy", today=TODAY) == dt.date(1990, 7, 14)


def test_two_digit_years_are_never_in_the_future() -> None:
    assert parse_date("01/02/75", "dmy", today=TODAY) == dt.date(1975, 2, 1)
    assert parse_date("01/02/09", "dmy", today=TODAY) == dt.date(2009, 2, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [("31/02/1980", "day is out of range"), ("29/02/1983", "day is out of range"),
     ("next tuesday", "is not a date"), ("14/07/1982", "month must be in 1..12")],
)  # fmt: skip
def test_an_impossible_date_says_why(text: str, message: str) -> None:
    order = "mdy" if text.startswith("14/") else "dmy"
    with pytest.raises(DateError, match=message):
        parse_date(text, order, today=TODAY)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_a_date_written_either_way_reads_back_in_its_order(day: dt.date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y"), "dmy", today=TODAY) == day
    assert parse_date(day.strftime("%m/%d/%Y"), "mdy", today=TODAY) == day
    assert parse_date(day.strftime("%d.%m.%Y"), "dmy", today=TODAY) == day
