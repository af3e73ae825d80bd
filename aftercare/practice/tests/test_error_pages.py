"""Our own error pages, in our design, saying what to do — never a bare 404 or 500."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.test import RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_what_to_do(owner_client) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert "aftercare.css" in page
    assert 'href="/"' in page


def test_a_server_error_page_needs_no_database_or_sign_in() -> None:
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "aftercare.css" in page


def test_a_forged_form_gets_our_page(personas) -> None:  # type: ignore[no-untyped-def]
    client = WebClient(enforce_csrf_checks=True)
    client.force_login(personas.owner)
    response = client.post("/settings/team/", {"email": "x@example.org", "role": "assistant"})
    assert response.status_code == 403
    assert "This needs a fresh start" in response.content.decode()
