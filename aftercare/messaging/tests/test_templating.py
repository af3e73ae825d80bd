from __future__ import annotations

import pytest

from aftercare.messaging import templating
from aftercare.messaging.models import MessageTemplate
from aftercare.messaging.services import message_queue
from aftercare.testing import Personas


@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
@pytest.mark.parametrize(
    "template", templating.default_templates(), ids=lambda t: f"{t.key}-{t.language}"
)
def test_every_default_template_renders_for_every_channel(
    personas: Personas, channel: str, template: templating.DefaultTemplate
) -> None:
    personas.client.language = template.language
    personas.client.save()
    message = message_queue(
        client=personas.client,
        template_key=template.key,
        channel=channel,
        details={
            "subject": "A note",
            "body": "Thinking of you.",
            "title": "Sleep",
            "url": "https://example.org/sleep",
        },
    )
    assert message.status == "queued"
    assert message.text_body.strip()
    assert "{{" not in message.text_body and "{%" not in message.text_body
    assert "Ruth" in message.text_body or template.key == "personal"
    assert "Grief" not in message.text_body + message.html_body + message.subject
    if channel == "email":
        assert message.subject and "<p>" in message.html_body
    else:
        assert message.html_body == ""
        if template.key != "personal":
            assert len(message.text_body) < 320, "SMS stays short: two segments at most"


def test_sms_in_link_only_mode_says_there_is_a_message_and_links_to_it(
    personas: Personas,
) -> None:
    message = message_queue(client=personas.client, template_key="check_in", channel="sms")
    assert message.text_body.startswith(
        "Hello Ruth, there is a new message for you from Riverside Practice. Read it here: "
    )
    assert "/p/m/" in message.text_body
    assert "side effects" not in message.text_body
    assert "If anything new has come up — side effects" in message.portal_text


def test_a_practice_template_wins_over_the_default_and_escapes_html(personas: Personas) -> None:
    MessageTemplate.objects.create(
        practice=personas.practice,
        key="recall",
        language="en",
        subject="We miss you, {{ name }}",
        text="Hi {{ name }} <3",
        html="<p>Hi {{ name }}</p>",
    )
    personas.client.preferred_name = "<b>Ruthie</b>"
    personas.client.save()
    message = message_queue(client=personas.client, template_key="recall")
    assert message.subject == "We miss you, <b>Ruthie</b>"
    assert message.text_body.startswith("Hi <b>Ruthie</b> <3")
    assert message.html_body == "<p>Hi &lt;b&gt;Ruthie&lt;/b&gt;</p>"


def test_a_broken_template_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="text:"):
        templating.check_syntax("{% if %}", field="text")


def test_the_editor_previews_with_a_real_client_and_saves(personas: Personas, owner_client) -> None:  # type: ignore[no-untyped-def]
    page = owner_client.get(f"/messages/templates/check_in/en/?client={personas.client.pk}")
    assert page.status_code == 200
    assert b"How are you doing, Ruth?" in page.content
    bad = owner_client.post(
        "/messages/templates/check_in/en/",
        {"action": "save", "subject": "x", "text": "{% if %}", "sms": ""},
    )
    assert bad.status_code == 400
    assert not MessageTemplate.objects.exists()
    owner_client.post(
        "/messages/templates/check_in/en/",
        {
            "action": "save",
            "subject": "Hello {{ name }}",
            "text": "How are you, {{ name }}? {{ checkin_url }}",
            "sms": "",
        },
    )
    assert (
        MessageTemplate.objects.get(practice=personas.practice, key="check_in").subject
        == "Hello {{ name }}"
    )


def test_the_owner_can_turn_link_only_sms_off_and_the_short_text_goes_by_sms(
    personas: Personas, owner_client
) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post("/messages/settings/", {})
    assert response.status_code == 302
    message = message_queue(client=personas.client, template_key="check_in", channel="sms")
    assert message.text_body.startswith(
        "Hello Ruth, Olivia Owner would like to know how you are doing: "
    )
    assert "/p/c/" in message.text_body
    assert message.portal_text == ""


def test_only_the_owner_sees_the_messaging_settings(personas: Personas, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.colleague)
    assert client.get("/messages/settings/").status_code == 404
