"""``list_rows`` writes what the clients list's row template wrote, every value escaped, from
the rows ``client_page`` reads (tuples, not model instances)."""

from __future__ import annotations

import pytest
from django.db.models import Prefetch
from django.template import engines

from aftercare.clients.models import Client, Tag
from aftercare.clients.rows import list_rows
from aftercare.clients.selectors import ClientFilters, client_page
from aftercare.row_urls import id_url
from aftercare.testing import Personas, make_client

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
