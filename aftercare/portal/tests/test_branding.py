"""Client pages and emails carry the practice's name and colour, never ours."""

from __future__ import annotations

from django.urls import reverse

from aftercare.links import portal_url
from aftercare.messaging.services import message_queue
from aftercare.testing import Personas


def test_a_portal_page_carries_the_practices_name_and_colour_and_nothing_of_ours(
    client, personas: Personas
):
    personas.practice.colour = "#2e6b4f"
    personas.practice.save()
    page = client.get(portal_url("preferences", personas.client.pk)).content.decode()
    assert '<p class="practice">Riverside Practice</p>' in page
    assert f'href="{reverse("portal-colour", args=["2e6b4f"])}"' in page
    assert "Aftercare" not in page
    assert "Skip to content" not in page
    sheet = client.get(reverse("portal-colour", args=["2e6b4f"]))
    assert sheet["Content-Type"] == "text/css"
    assert sheet.content.decode() == ":root { --practice: #2e6b4f; }\n"


def test_the_colour_sheet_takes_only_a_colour(client):
    assert client.get("/p/colour/zzzzzz.css").status_code == 404
    assert client.get("/p/colour/2e6b4f;}body{display:none.css").status_code == 404


def test_an_unusable_stored_colour_falls_back_to_the_default(client, personas: Personas):
    personas.practice.colour = "navy"
    personas.practice.save()
    page = client.get(portal_url("preferences", personas.client.pk)).content.decode()
    assert reverse("portal-colour", args=["0b5394"]) in page


def test_an_email_opens_with_the_practices_name_on_its_colour(personas: Personas):
    personas.practice.colour = "#2e6b4f"
    personas.practice.save()
    message = message_queue(client=personas.client, template_key="birthday_card")
    assert '<div style="background: #2e6b4f; color: #ffffff;' in message.html_body
    assert ">Riverside Practice</div>" in message.html_body
    assert "Aftercare" not in message.html_body
