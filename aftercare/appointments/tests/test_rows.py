"""The day and week pages' rows, written in Python (appointments/rows.py), are what their
templates wrote, every value escaped, for a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftercare import clock, locales
from aftercare.appointments.models import Appointment
from aftercare.appointments.rows import ScheduleText, practitioner_name, week_items
from aftercare.appointments.selectors import day_schedule, status_actions, week_schedule
from aftercare.practice.models import Role
from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.testing import Personas, make_appointment, make_client, make_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)  # a Friday; London is on UTC in November
NINE = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)):
        yield


def template_row(appointment: Appointment, *, here: str, overlapping: set[int]) -> dict[str, Any]:
    """A row as the templates read it before ``rows.py`` wrote them, made with Django's own
    ``reverse``, ``|ldate`` and the model's labels: what the pages showed."""
    back = "?next=" + quote(here, safe="/")
    pk = appointment.pk
    return {
        "appointment": appointment,
        "starts": ldate(appointment.starts_at, "H:i"),
        "ends": ldate(appointment.ends_at, "H:i"),
        "starts_24": timezone.localtime(appointment.starts_at).strftime("%H:%M"),
        "status": appointment.status,
        "status_label": appointment.get_status_display(),
        "booked": appointment.status == "booked",
        "client_name": appointment.client.full_name,
        "kind_label": appointment.kind_label,
        "practitioner_name": (
            appointment.practitioner.display_name if appointment.practitioner else ""
        ),
        "edit_url": reverse("appointments-edit", args=[pk]) + back,
        "move_url": reverse("appointments-move", args=[pk]),
        "move_link": reverse("appointments-move", args=[pk]) + back,
        "client_url": reverse("clients-detail", args=[appointment.client_id]),
        "overlaps": pk in overlapping,
        "actions": status_actions(appointment),
    }


# The week's items as its template wrote them row by row (before ``week_items``).
WEEK_ROWS_TEMPLATE = """{% for row in rows %}
      <li class="week-appointment status-{{ row.status }}{% if row.overlaps %} overlap{% endif %}"{% if row.booked %} draggable="true" data-move-url="{{ row.move_url }}" data-time="{{ row.starts_24 }}"{% endif %}>
        <a href="{{ row.edit_url }}"><strong>{{ row.starts }}–{{ row.ends }}</strong> {{ row.client_name }}</a>
        <span class="muted">{{ row.kind_label }}{% if everyone and row.practitioner_name %} · {{ row.practitioner_name }}{% endif %}{% if not row.booked %} · {{ row.status_label }}{% endif %}</span>
        {% if row.overlaps %}<span class="overlap-warning">Overlaps another booking</span>{% endif %}
        {% if row.booked %}<a class="week-move" href="{{ row.move_link }}" aria-label="Move {{ row.client_name }}’s appointment at {{ row.starts_24 }}">Move</a>{% endif %}
      </li>{% endfor %}"""

# The day's rows as its template wrote them (before ``{% day_rows %}``), verbatim.
DAY_ROWS_TEMPLATE = """{% for row in rows %}
    <tr>
      <td><a href="{{ row.edit_url }}" aria-label="Edit the appointment at {{ row.starts }}">{{ row.starts }}–{{ row.ends }}</a></td>
      <td><a href="{{ row.client_url }}">{{ row.client_name }}</a></td>
      <td>{{ row.kind_label }}</td>
      {% if everyone %}<td>{{ row.practitioner_name|default:"—" }}</td>{% endif %}
      <td><span class="status status-{{ row.status }}">{{ row.status_label }}</span>{% if row.booked %}{% with appointment=row.appointment %}{% if appointment.rebook_requested_at and not appointment.rebook_handled_at %} <span class="status urgency-attention">asks to rebook</span>{% elif appointment.confirmed_at %} <span class="status status-attended">confirmed {{ appointment.confirmed_at|ldate:"j M" }}</span>{% endif %}{% endwith %}{% endif %}{% if row.appointment.fee_action %}{% with appointment=row.appointment %}<br><a href="{{ row.edit_url }}">{% if appointment.fee_action == "none" %}No fee{% else %}Fee {{ appointment.get_fee_action_display|lower }} ({{ appointment.fee_amount }}){% endif %}</a><span class="muted">: {{ appointment.fee_reason }}</span>{% endwith %}{% endif %}</td>
      <td><div class="actions">{% for action in row.actions %}
        <form method="post" action="{{ action.url }}">{% csrf_token %}{% for name, value in action.fields.items %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}<input type="hidden" name="next" value="{{ here }}"><button type="submit" class="{{ action.style }}">{{ action.label }}</button></form>
      {% endfor %}</div></td>
    </tr>
  {% endfor %}"""


def a_varied_day(personas: Personas) -> None:
    """Every kind of row the pages show, with markup in whatever people type."""
    personas.client.given_name = 'Ann "<b>'
    personas.client.family_name = "O'Neil & <script>Co</script>"
    personas.client.save()
    nameless = make_user("<x>@riverside.example", "", personas.practice, Role.PRACTITIONER)
    plain = make_client(personas.practice, given_name="Bea", family_name="Stone")
    hour = dt.timedelta(hours=1)
    make_appointment(personas.client, personas.owner, starts_at=NINE, confirmed_at=NINE - 48 * hour)
    make_appointment(  # overlaps the first
        plain,
        personas.owner,
        starts_at=NINE + dt.timedelta(minutes=30),
        rebook_requested_at=NINE - 24 * hour,
    )
    make_appointment(  # asked to rebook, handled: says nothing
        plain,
        personas.colleague,
        starts_at=NINE + hour,
        rebook_requested_at=NINE - 24 * hour,
        rebook_handled_at=NINE - 20 * hour,
        confirmed_at=NINE - 30 * hour,
    )
    make_appointment(
        personas.client,
        None,
        starts_at=NINE + 2 * hour,
        status="no_show",
        fee_action="charged",
        fee_amount=Decimal("40.00"),
        fee_reason="<i>Second</i> no-show & more",
    )
    make_appointment(
        plain,
        nameless,
        starts_at=NINE + 3 * hour,
        status="late_cancelled",
        fee_action="none",
        fee_reason="Kind",
    )
    make_appointment(
        plain, personas.owner, starts_at=NINE + 4 * hour, status="attended", kind="home_visit"
    )
    make_appointment(  # cancelled: overlaps nothing
        plain, personas.owner, starts_at=NINE + 4 * hour, status="cancelled", kind="<b>odd</b>"
    )
    make_appointment(  # just after midnight: the next day
        plain, personas.owner, starts_at=NINE + 15 * hour + dt.timedelta(minutes=5)
    )


def appointments_of(personas: Personas, start: dt.datetime, end: dt.datetime) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            practice=personas.practice, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("client", "practitioner")
        .order_by("starts_at", "id")
    )


@pytest.mark.parametrize("everyone", [True, False])
def test_the_days_rows_are_what_its_template_wrote_with_every_value_escaped(
    personas: Personas, everyone: bool
) -> None:
    a_varied_day(personas)
    here = '/appointments/day/?date=2026-11-20&x=<a href="x">'
    practitioner = None if everyone else personas.owner
    with timezone.override("Europe/London"), locales.using("en_GB"):
        entries = day_schedule(personas.actor(), day=DAY, practitioner=practitioner).entries
        theirs = appointments_of(
            personas, NINE - dt.timedelta(hours=9), NINE + dt.timedelta(hours=15)
        )
        if not everyone:
            theirs = [one for one in theirs if one.practitioner == personas.owner]
        context = {"here": here, "everyone": everyone, "csrf_token": 'to"ken'}
        ours = Template("{% load schedule_rows %}{% day_rows rows %}").render(
            Context({**context, "rows": entries})
        )
        rows = [template_row(one, here=here, overlapping=set()) for one in theirs]
        written = Template(DAY_ROWS_TEMPLATE).render(Context({**context, "rows": rows}))
    assert [entry.pk for entry in entries] == [one.pk for one in theirs]
    assert ours == written
    assert "&lt;script&gt;" in ours and "<script>" not in ours
    assert "x=<a" not in ours and 'to"ken' not in ours
    assert "asks to rebook" in ours and "confirmed 18 Nov" in ours
    if everyone:
        assert "Fee charged (40.00)" in ours and "No fee" in ours and ">&lt;x&gt;</td>" in ours
        assert "&lt;i&gt;Second&lt;/i&gt; no-show &amp; more" in ours


@pytest.mark.parametrize("everyone", [True, False])
def test_the_weeks_items_are_what_its_template_wrote_with_every_value_escaped(
    personas: Personas, everyone: bool
) -> None:
    a_varied_day(personas)
    here = "/appointments/week/?date=2026-11-20&practitioner=all&x=<a>"
    practitioner = None if everyone else personas.owner
    with timezone.override("Europe/London"), locales.using("en_GB"):
        week = week_schedule(personas.actor(), day=DAY, practitioner=practitioner)
        text = ScheduleText(here=here)
        ours = [
            week_items(one.entries, text, everyone=everyone, overlapping=week.overlapping)
            for one in week.days
        ]
        written = []
        for one in week.days:
            start = dt.datetime.combine(one.day, dt.time.min, tzinfo=dt.UTC)
            theirs = appointments_of(personas, start, start + dt.timedelta(days=1))
            if not everyone:
                theirs = [row for row in theirs if row.practitioner == personas.owner]
            rows = [template_row(row, here=here, overlapping=week.overlapping) for row in theirs]
            written.append(
                Template(WEEK_ROWS_TEMPLATE).render(Context({"rows": rows, "everyone": everyone}))
            )

    def words(html: str) -> list[str]:
        return [line.strip() for line in html.splitlines() if line.strip()]

    assert [words(one) for one in ours] == [words(one) for one in written]
    # With the personas' own booking at 10:00, which overlaps the one at 9:30.
    assert sum(len(one.entries) for one in week.days) == (9 if everyone else 6)
    assert len(week.days[4].entries) == (8 if everyone else 5)  # Friday; one on Saturday
    friday = ours[4]
    assert friday.count("Overlaps another booking") == 3
    assert "&lt;script&gt;" in friday and "<script>" not in friday and "x=<a" not in friday
    assert "&lt;b&gt;odd&lt;/b&gt;" in friday and "Home visit" in friday


@pytest.mark.parametrize(
    ("locale", "zone", "written"),
    [("en_GB", "Europe/London", "09:30"), ("en_US", "America/New_York", "4:30\u202fAM")],
)
def test_times_are_written_in_the_practices_locale_and_zone(
    personas: Personas, locale: str, zone: str, written: str
) -> None:
    starts = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    make_appointment(personas.client, personas.owner, starts_at=starts)
    with timezone.override(zone), locales.using(locale):
        text = ScheduleText(here="/appointments/week/")
        assert text.clock(starts) == (written, timezone.localtime(starts).strftime("%H:%M"))
        assert text.clock(starts)[0] == ldate(starts, "H:i")


def test_a_practitioner_is_named_as_on_every_other_page(personas: Personas) -> None:
    nameless = make_user("sam.lee@riverside.example", "", personas.practice, Role.PRACTITIONER)
    for user in (personas.owner, nameless):
        assert practitioner_name(user.full_name, user.email) == user.display_name


def test_a_clients_name_is_escaped_on_the_day_and_the_week(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    evil = make_client(personas.practice, given_name="<script>alert(1)</script>", family_name="&Co")
    make_appointment(evil, personas.owner, starts_at=NINE)
    for name in ("appointments-day", "appointments-week"):
        page = owner_client.get(reverse(name), {"date": "2026-11-20"}).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;Co" in page
        assert "<script>alert" not in page


@pytest.mark.parametrize("name", ["appointments-day", "appointments-week"])
@pytest.mark.parametrize("everyone", [True, False])
def test_the_schedule_costs_the_same_queries_whatever_it_shows(  # type: ignore[no-untyped-def]
    owner_client, personas: Personas, name: str, everyone: bool
) -> None:
    query = {"date": "2026-11-20", **({"practitioner": "all"} if everyone else {})}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(reverse(name), query)
        assert response.status_code == 200
        return len(captured)

    owner_client.get(reverse(name), query)  # the session's first visit is saved
    empty = queries()
    a_varied_day(personas)
    for number in range(30):
        make_appointment(
            make_client(personas.practice, given_name=f"Many{number}"),
            personas.colleague if number % 2 else personas.owner,
            starts_at=NINE + dt.timedelta(minutes=20 * number, days=number % 3 - 1),
        )
    assert queries() == empty
