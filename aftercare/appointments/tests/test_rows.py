"""The rows of the day and week pages (appointments/rows.py) say what the filters said."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from aftercare import locales
from aftercare.appointments.rows import ScheduleRows, week_items
from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.testing import Personas, make_appointment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("locale", "zone", "written"),
    [("en_GB", "Europe/London", "09:30"), ("en_US", "America/New_York", "4:30\u202fAM")],
)
def test_each_row_has_the_times_and_links_the_template_made_itself(
    personas: Personas, locale: str, zone: str, written: str
) -> None:
    starts = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    first = make_appointment(personas.client, personas.owner, starts_at=starts)
    second = make_appointment(personas.client, personas.owner, starts_at=starts, status="attended")
    here = "/appointments/week/?date=2026-11-20&practitioner=all"
    with timezone.override(zone), locales.using(locale):
        make_rows = ScheduleRows(here=here, overlapping={first.pk, second.pk}, with_actions=True)
        rows = make_rows([first, second])
        assert [row["starts"] for row in rows] == [written, written]
        assert rows[0]["starts"] == ldate(first.starts_at, "H:i")
        assert rows[0]["ends"] == ldate(first.ends_at, "H:i")
        assert rows[0]["starts_24"] == timezone.localtime(starts).strftime("%H:%M")
    back = "?next=" + quote(here, safe="/")
    assert rows[0]["edit_url"] == reverse("appointments-edit", args=[first.pk]) + back
    assert rows[0]["move_link"] == reverse("appointments-move", args=[first.pk]) + back
    assert rows[0]["client_url"] == reverse("clients-detail", args=[personas.client.pk])
    assert [row["booked"] for row in rows] == [True, False]
    assert all(row["overlaps"] for row in rows)
    assert rows[0]["actions"][0].url == reverse("appointments-status", args=[first.pk])
    assert rows[1]["actions"] == ()
    assert (rows[0]["client_name"], rows[0]["practitioner_name"]) == (
        "Ruth Miller",
        "Olivia Owner",
    )


# The week's items as its template wrote them row by row before ``week_items`` wrote them.
WEEK_ROWS_TEMPLATE = """{% for row in rows %}
      <li class="week-appointment status-{{ row.status }}{% if row.overlaps %} overlap{% endif %}"{% if row.booked %} draggable="true" data-move-url="{{ row.move_url }}" data-time="{{ row.starts_24 }}"{% endif %}>
        <a href="{{ row.edit_url }}"><strong>{{ row.starts }}–{{ row.ends }}</strong> {{ row.client_name }}</a>
        <span class="muted">{{ row.kind_label }}{% if everyone and row.practitioner_name %} · {{ row.practitioner_name }}{% endif %}{% if not row.booked %} · {{ row.status_label }}{% endif %}</span>
        {% if row.overlaps %}<span class="overlap-warning">Overlaps another booking</span>{% endif %}
        {% if row.booked %}<a class="week-move" href="{{ row.move_link }}" aria-label="Move {{ row.client_name }}’s appointment at {{ row.starts_24 }}">Move</a>{% endif %}
      </li>{% endfor %}"""


@pytest.mark.parametrize("everyone", [True, False])
def test_the_weeks_items_are_what_its_template_wrote_with_every_name_escaped(
    personas: Personas, everyone: bool
) -> None:
    personas.client.given_name = 'Ann "<b>'
    personas.client.family_name = "O'Neil & Co"
    personas.client.save()
    starts = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    first = make_appointment(personas.client, personas.owner, starts_at=starts)
    second = make_appointment(personas.client, personas.owner, starts_at=starts, status="no_show")
    third = make_appointment(personas.client, None, starts_at=starts + dt.timedelta(hours=3))
    here = "/appointments/week/?date=2026-11-20&practitioner=all&x=<a>"
    rows = ScheduleRows(here=here, overlapping={first.pk, second.pk})([first, second, third])
    ours = week_items(rows, everyone=everyone)
    theirs = Template(WEEK_ROWS_TEMPLATE).render(Context({"rows": rows, "everyone": everyone}))

    def words(html: str) -> list[str]:
        return [line.strip() for line in html.splitlines() if line.strip()]

    assert words(ours) == words(theirs)
    assert "&lt;b&gt;" in ours and "<b>" not in ours
