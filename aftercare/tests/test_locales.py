"""Dates, times and numbers as the practice's country writes them; plurals right."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from aftercare import locales
from aftercare.care.services import care_setup_practice
from aftercare.links import portal_url
from aftercare.testing import Personas

MOMENT = dt.datetime(2026, 11, 30, 14, 30)


@pytest.mark.parametrize(
    ("language", "country", "day", "moment", "amount"),
    [
        ("en", "GB", "30 November 2026", "30 Nov 2026, 14:30", "1,234.50"),
        ("en", "US", "November 30, 2026", "Nov 30, 2026, 2:30\u202fPM", "1,234.50"),
        ("de", "DE", "30. November 2026", "30. Nov. 2026, 14:30", "1.234,50"),
        ("fr", "FR", "30 novembre 2026", "30 nov. 2026, 14:30", "1\u202f234,50"),
        ("nl", "NL", "30 november 2026", "30 nov 2026, 14:30", "1.234,50"),
    ],
)
def test_a_practice_reads_dates_and_numbers_as_its_country_writes_them(
    language, country, day, moment, amount
):
    locale = locales.locale_for(language, country)
    assert locales.format_when(MOMENT.date(), "j F Y", locale) == day
    assert locales.format_when(MOMENT, "j M Y, H:i", locale).replace(" ", " ") == moment.replace(
        " ", " "
    )
    assert locales.format_number(Decimal("1234.5"), locale, places=2) == amount


def test_a_language_not_spoken_in_the_country_falls_back_to_the_language():
    assert locales.locale_for("en", "ZZ").startswith("en")
    assert locales.locale_for("xx", "ZZ") == locales.DEFAULT_LOCALE


def test_counts_take_the_right_word():
    assert locales.counted(1, "year", "years", "en_GB") == "1 year"
    assert locales.counted(2, "year", "years", "en_GB") == "2 years"
    assert locales.counted(0, "year", "years", "en_GB") == "0 years"
    assert locales.counted(1200, "client", "clients", "de_DE") == "1.200 clients"


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)),
    st.sampled_from(sorted(locales.FORMATS)),
    st.sampled_from(["en_GB", "en_US", "de_DE", "fr_FR", "nl_NL", "es_ES"]),
)
def test_every_format_the_pages_use_writes_the_year_and_time_it_asks_for(moment, form, locale):
    skeleton, _, _ = locales.FORMATS[form]
    written = locales.format_when(moment, form, locale)
    assert written
    if "y" in skeleton:
        assert str(moment.year) in written
    assert locales.format_when(moment.date(), form, locale) is not None


def test_a_us_practices_pages_write_dates_the_american_way(client, personas: Personas):
    for someone in (personas.client, personas.other_client):
        someone.birth_date = dt.date(1950, 11, 30)
        someone.save()
    client.force_login(personas.owner)
    page = client.get(reverse("clients-detail", args=[personas.client.pk])).content.decode()
    assert "30 November 1950" in page
    client.force_login(personas.outsider)
    page = client.get(reverse("clients-detail", args=[personas.other_client.pk])).content.decode()
    assert "November 30, 1950" in page


def test_a_portal_page_is_written_in_its_practices_locale_and_leaves_none_behind(
    client, personas: Personas
):
    opted_out = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
    for someone in (personas.client, personas.other_client):
        someone.opted_out_at = opted_out
        someone.save()
    us = client.get(portal_url("preferences", personas.other_client.pk)).content.decode()
    assert "since November 3, 2026" in us
    assert locales.in_use() == locales.DEFAULT_LOCALE
    gb = client.get(portal_url("preferences", personas.client.pk)).content.decode()
    assert "since 3 November 2026" in gb


def test_counts_on_pages_take_the_right_word(client, personas: Personas):
    care_setup_practice(practice=personas.practice)
    policy = personas.practice.care_policy
    policy.contact_budget_messages, policy.contact_budget_days = 1, 1
    policy.save()
    client.force_login(personas.assistant)
    page = client.get(reverse("care-rules")).content.decode()
    assert "at most 1 automated message in 1 day." in page


@pytest.mark.parametrize(
    ("locale", "weekday_day_month_year", "weekday_day_month", "weekday"),
    [
        ("en_GB", "Monday, 1 March 2027", "Monday 1 March", "Monday"),
        ("en_US", "Monday, March 1, 2027", "Monday, March 1", "Monday"),
        ("de_DE", "Montag, 1. März 2027", "Montag, 1. März", "Montag"),
    ],
)
def test_a_format_that_asks_for_the_weekdays_name_gets_it_whole(
    locale, weekday_day_month_year, weekday_day_month, weekday
):
    day = dt.date(2027, 3, 1)
    # Babel's skeleton match alone gives "Mon, March 1" in en_US: the widths must be widened.
    assert locales.format_date(day, "l j F Y", locale) == weekday_day_month_year
    assert locales.format_date(day, "l j F", locale) == weekday_day_month
    assert locales.format_date(day, "l", locale) == weekday


def test_format_date_uses_the_locale_in_use_when_given_none_and_refuses_an_unknown_format():
    day = dt.date(2027, 3, 1)
    with locales.using("en_US"):
        assert locales.format_date(day, "j M Y") == "Mar 1, 2027"
    assert locales.format_date(day, "j M Y") == "1 Mar 2027"
    with pytest.raises(ValueError, match="No locale format for 'Y/m/d'"):
        locales.format_date(day, "Y/m/d")


def test_a_moment_in_a_sentence_keeps_the_day_and_time_of_the_moment():
    moment = dt.datetime(2027, 3, 1, 14, 30, tzinfo=dt.UTC)
    assert locales.format_day_at(moment, locale="en_GB") == "Monday 1 March at 14:30"
    assert locales.format_day_at(moment, "l j F Y", "en_US") == (
        "Monday, March 1, 2027 at 2:30\u202fPM"
    )
