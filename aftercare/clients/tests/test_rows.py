"""``list_rows`` writes what the clients list's row template wrote, every value escaped, from
the rows ``client_page`` reads (tuples, not model instances); ``timeline_items`` what the client
page's timeline template wrote."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import Prefetch
from django.template import engines
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from aftercare import clock, locales
from aftercare.clients.models import Client, Tag
from aftercare.clients.rows import list_rows, timeline_items
from aftercare.clients.selectors import ClientFilters, client_page
from aftercare.clients.timeline import TimelineAction, TimelineEntry
from aftercare.row_urls import id_url
from aftercare.testing import Personas, make_appointment, make_client, make_user

pytestmark = pytest.mark.django_db

# The list's rows as clients/list.html wrote them before ``list_rows`` (and the view's dicts).
OLD_TEMPLATE = """{% for row in rows %}
      <tr>
        <td><a href="{{ row.url }}">{{ row.name }}</a>{% if row.preferred_name %} <span class="muted">({{ row.preferred_name }})</span>{% endif %}{% if row.archived %} <span class="status">Archived</span>{% endif %}</td>
        <td>{% if row.email %}<span class="nowrap">{{ row.email }}</span><br>{% endif %}{% if row.phone %}<span class="nowrap">{{ row.phone }}</span>{% endif %}</td>
        <td>{{ row.practitioner|default:"—" }}</td>
        <td>{% for tag in row.tags %}<span class="tag">{{ tag }}</span>{% empty %}<span class="muted">—</span>{% endfor %}</td>
      </tr>
    {% endfor %}"""


def old_rows(clients: list[Client]) -> str:
    detail_url = id_url("clients-detail")
    rows = [
        {
            "url": detail_url(client.pk),
            "name": client.full_name,
            "preferred_name": client.preferred_name,
            "archived": client.archived,
            "email": client.email,
            "phone": client.phone_display,
            "practitioner": client.primary_practitioner.display_name
            if client.primary_practitioner
            else "",
            "tags": [tag.name for tag in client.tags.all()],
        }
        for client in clients
    ]
    return engines["django"].from_string(OLD_TEMPLATE).render({"rows": rows})


def test_the_rows_are_the_templates_markup_with_every_value_escaped(personas: Personas) -> None:
    practice = personas.practice
    tricky = make_client(
        practice,
        given_name='<script>alert("x")</script>',
        family_name="O'Brien & Co",
        preferred_name="<b>Bo</b>",
        email="a&b@example.org",
        phone="07911 123457",
        primary_practitioner=personas.colleague,
    )
    tricky.tags.add(
        Tag.objects.create(practice=practice, name="<i>sleep</i>"),
        Tag.objects.create(practice=practice, name="grief & loss"),
    )
    make_client(practice, given_name="Nobody", email="", phone="", archived=True)
    make_client(practice, given_name="Only", family_name="Phone", email="", phone="020 7946 0018")
    clients = list(
        Client.objects.filter(practice=practice)
        .select_related("primary_practitioner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by("family_name", "given_name", "id")
    )
    assert len(clients) >= 4
    page = client_page(personas.actor(), ClientFilters(archived=None))
    assert [row.pk for row in page.clients] == [client.pk for client in clients]
    ours = list_rows(page.clients, id_url("clients-detail"))
    assert str(ours) == old_rows(clients)
    assert "<script>" not in ours and "&lt;script&gt;" in ours
    assert "O&#x27;Brien &amp; Co" in ours
    assert '<span class="status">Archived</span>' in ours
    assert '<span class="muted">—</span>' in ours


def test_no_clients_no_rows() -> None:
    assert list_rows([], id_url("clients-detail")) == ""


# The timeline's entries as clients/detail.html wrote them before ``timeline_items``, verbatim.
OLD_TIMELINE = """{% for entry in timeline %}
    <li class="kind-{{ entry.kind }}">
      <div class="timeline-head">
        <time datetime="{{ entry.at|date:'c' }}">{{ entry.at|ldate:"D j M Y, H:i" }}</time>
        {% if entry.status %}<span class="status status-{{ entry.status }}">{{ entry.badge }}</span>{% endif %}
      </div>
      <div>{% if entry.url %}<a href="{{ entry.url }}">{{ entry.title }}</a>{% else %}{{ entry.title }}{% endif %}</div>
      {% if entry.detail %}<div class="muted">{{ entry.detail }}</div>{% endif %}
      {% if entry.actions %}
      <div class="actions">
        {% for action in entry.actions %}
        <form method="post" action="{{ action.url }}">
          {% csrf_token %}
          {% for name, value in action.fields.items %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
          <input type="hidden" name="next" value="{{ here }}">
          <button type="submit" class="{{ action.style }}">{{ action.label }}</button>
        </form>
        {% endfor %}
      </div>
      {% endif %}
    </li>
    {% endfor %}"""

VARIED_ENTRIES = [
    TimelineEntry(
        at=dt.datetime(2026, 11, 20, 9, 5, tzinfo=dt.UTC),
        kind="appointment",
        title='Follow-up with "Jo" & <b>co</b>',
        detail="50 min with O'Brien",
        status="no_show",
        url="/appointments/3/edit/?a=1&b=2",
        actions=(
            TimelineAction("Mark attended", "/appointments/3/status/", {"status": "attended"}),
            TimelineAction("Cancel <now>", "/x/?a=1&b=2", {"a": "1", "b<": '"2"'}, "danger"),
        ),
    ),
    TimelineEntry(
        at=dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC),  # the next day in London (summer)
        kind="check_in",
        title="<script>alert(1)</script>",
        status="attention",
        status_label="Needs <a> look",
    ),
    TimelineEntry(
        at=dt.datetime(2025, 1, 2, 0, 0, tzinfo=dt.UTC),
        kind="supply",
        title=mark_safe("<em>Already markup</em>"),  # kept as the template kept it
        actions=(TimelineAction("Re-ordered", "/supplies/1/status/"),),
    ),
    TimelineEntry(at=dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.UTC), kind="note", title="Plain"),
]


@pytest.mark.parametrize("locale", ["en_GB", "en_US", "de_DE"])
@pytest.mark.parametrize("csrf_token", ['to"ken<1>', "NOTPROVIDED", ""])
# Django's own {% csrf_token %} warns for "NOTPROVIDED" (format_html without arguments).
@pytest.mark.filterwarnings("ignore::django.utils.deprecation.RemovedInDjango60Warning")
def test_the_timeline_is_the_templates_markup(locale: str, csrf_token: str) -> None:
    here = "/clients/7/?q=a&b=<c>"
    with timezone.override("Europe/London"), locales.using(locale):
        expected = (
            engines["django"]
            .from_string(OLD_TIMELINE)
            .render({"timeline": VARIED_ENTRIES, "here": here, "csrf_token": csrf_token})
        )
        csrf_field = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token.replace(chr(34), "&quot;").replace("<", "&lt;").replace(">", "&gt;")}">'
            if csrf_token not in ("", "NOTPROVIDED")
            else ""
        )
        written = timeline_items(VARIED_ENTRIES, here=here, csrf_field=csrf_field)
    assert written == expected
    assert "<script>" not in written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in written


def test_the_client_page_escapes_a_script_in_what_its_timeline_shows(
    owner_client: WebClient, personas: Personas
) -> None:
    practitioner = make_user(
        "script@example.org", "<script>alert('p')</script>", personas.practice, "practitioner"
    )
    client = make_client(
        personas.practice,
        given_name="<script>alert('c')</script>",
        postal_address="<script>alert('a')</script>",
    )
    make_appointment(client, practitioner)
    with clock.at(dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)):
        page = owner_client.get(reverse("clients-detail", args=[client.pk])).content.decode()
    assert "<script>alert" not in page
    assert "with &lt;script&gt;alert(&#x27;p&#x27;)&lt;/script&gt;" in page  # the entry's detail
    assert 'class="kind-appointment"' in page
    # The page's forms, the timeline's and the sections', carry one CSRF token.
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1


def test_the_client_form_suggests_every_time_zone(
    owner_client: WebClient, personas: Personas
) -> None:
    client = make_client(personas.practice)
    page = owner_client.get(reverse("clients-edit", args=[client.pk])).content.decode()
    suggested = re.search(r'<datalist id="time-zones">(.*?)</datalist>', page)
    assert suggested is not None
    names = re.findall(r'<option value="([^"]+)">', suggested.group(1))
    assert "Europe/London" in names
    assert "America/Argentina/Buenos_Aires" in names
    assert names == sorted(names)
    assert len(names) > 400
