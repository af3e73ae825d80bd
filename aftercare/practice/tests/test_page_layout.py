"""The shared layout drawn in Python (practice/templatetags/page_layout.py) says what the
template tags said: the header, banners and asset links of ``base.html`` as it was, drawn
with ``{% url %}``, ``{% static %}`` and ``{% csrf_token %}``, compared on real pages."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from aftercare.practice.models import Membership, Practice, Role
from aftercare.practice.navigation import Banner
from aftercare.practice.templatetags import page_layout
from aftercare.testing import make_user

# base.html's header, banners and head links as template tags drew them (before issue 16).
TAGS = """{% load static %}
<link rel="stylesheet" href="{% static 'aftercare/aftercare.css' %}">
<link rel="icon" href="{% static 'aftercare/favicon.svg' %}" type="image/svg+xml">
<script src="{% static 'aftercare/htmx.min.js' %}" defer></script>
<header class="top">
    <a class="brand" href="{% url 'home' %}">Aftercare</a>
    {% if membership %}
    <nav aria-label="Main">
      <ul>
        {% for item in nav_items %}<li><a href="{{ item.url }}"{% if item.active %} aria-current="page"{% endif %}>{{ item.label }}</a></li>{% endfor %}
      </ul>
    </nav>
    <div class="who">
      {% if other_memberships %}
      <form method="post" action="{% url 'practice-switch' %}" class="switcher">
        {% csrf_token %}
        <label for="practice-switch">Practice</label>
        <select id="practice-switch" name="practice_id">
          <option value="{{ current_practice.pk }}" selected>{{ current_practice.name }}</option>
          {% for other in other_memberships %}<option value="{{ other.practice_id }}">{{ other.practice.name }}</option>{% endfor %}
        </select>
        <button type="submit">Switch</button>
      </form>
      {% else %}<span class="practice-name">{{ current_practice.name }}</span>{% endif %}
      <a class="user" href="{% url 'account' %}">{{ membership.user.display_name }} · {{ membership.get_role_display }}</a>
      <form method="post" action="{% url 'logout' %}">{% csrf_token %}<button type="submit" class="link">Sign out</button></form>
    </div>
    {% endif %}
</header>
{% for banner in banners %}<div class="banner banner-{{ banner.level }}" role="status">{{ banner.text }}</div>{% endfor %}"""

PYTHON = """{% load page_layout %}
<link rel="stylesheet" href="{% asset 'aftercare/aftercare.css' %}">
<link rel="icon" href="{% asset 'aftercare/favicon.svg' %}" type="image/svg+xml">
<script src="{% asset 'aftercare/htmx.min.js' %}" defer></script>
{% page_header %}
{% page_banners %}"""


def drawn(source: str, context: dict[str, object], request: object) -> str:
    text = engines["django"].from_string(source).render(context, request)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", text)).strip()


def both(context: dict[str, object], path: str = "/clients/") -> tuple[str, str]:
    request = RequestFactory().get(path)
    return drawn(TAGS, context, request), drawn(PYTHON, context, request)


@pytest.mark.django_db
def test_a_practitioners_header_is_the_templates_own() -> None:
    practice = Practice.objects.create(name='Rose & "Thorn" <Clinic>')
    user = make_user("ana@example.com", "Ana <b>Ruiz</b>", practice, Role.PRACTITIONER)
    membership = Membership.objects.select_related("practice", "user").get(user=user)
    from aftercare.practice.navigation import nav_items

    request = RequestFactory().get("/clients/")
    context = {
        "membership": membership,
        "current_practice": practice,
        "other_memberships": [],
        "nav_items": nav_items(request),
        "banners": [Banner("No worker <yet>", "danger"), Banner("Preview mode", "info")],
        "csrf_token": "tok&en",
    }
    old, new = both(context)
    assert new == old
    assert 'aria-current="page">Clients<' in new
    assert "Ana &lt;b&gt;Ruiz&lt;/b&gt; · Practitioner" in new
    assert "Rose &amp; &quot;Thorn&quot; &lt;Clinic&gt;" in new
    assert 'value="tok&amp;en"' in new
    assert "No worker &lt;yet&gt;" in new


@pytest.mark.django_db
def test_the_practice_switcher_and_lazy_values_are_drawn_as_the_template_did() -> None:
    first = Practice.objects.create(name="First")
    second = Practice.objects.create(name="Second & Co")
    user = make_user("ana@example.com", "Ana", first, Role.OWNER)
    Membership.objects.create(user=user, practice=second, role=Role.ASSISTANT)
    mine = list(Membership.objects.select_related("practice", "user").filter(user=user))
    current, other = (m for m in sorted(mine, key=lambda m: m.practice_id))
    context = {
        "membership": current,
        "current_practice": first,
        # The context processor hands these over as callables; both kinds are drawn alike.
        "other_memberships": lambda: [other],
        "nav_items": lambda: [{"label": "Today", "url": "/today/", "active": False}],
        "banners": lambda: [],
        "csrf_token": "t",
    }
    old, new = both(context)
    assert new == old
    assert f'<option value="{second.pk}">Second &amp; Co</option>' in new


def test_signed_out_pages_show_only_the_brand() -> None:
    old, new = both({"membership": None, "banners": []})
    assert new == old
    assert "<nav" not in new


@pytest.mark.django_db
def test_a_real_page_keeps_its_header_and_a_script_prefix_is_honoured() -> None:
    practice = Practice.objects.create(name="Harbour Physio")
    user = make_user("ana@example.com", "Ana Ruiz", practice, Role.OWNER)
    http = HttpClient()
    http.force_login(user)
    page = http.get(reverse("clients-list")).content.decode()
    assert '<a class="brand" href="/">Aftercare</a>' in page
    assert 'aria-current="page">Clients</a>' in page
    assert f'<form method="post" action="{reverse("logout")}"><input type="hidden"' in page
    set_script_prefix("/aftercare/")
    try:
        urls = page_layout._layout_urls("x", None, "/aftercare/")
        assert urls["logout"].startswith("/aftercare/")
    finally:
        set_script_prefix("/")
