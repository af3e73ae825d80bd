"""The templates pages: a practice writes its own templates, changes or copies the built-ins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftercare.care.models import CareRule
from aftercare.care.services import care_setup_practice
from aftercare.messaging.models import CheckIn, MessageTemplate
from aftercare.messaging.services import message_queue
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas

WINTER = {
    "name": "Winter check-in",
    "language": "en",
    "subject": "Keeping warm, {{ name }}?",
    "text": "Dear {{ name }},\n\nHow are you this winter? {{ checkin_url }}\n\n{{ practitioner }}",
    "html": "",
    "sms": "",
    "action": "save",
}


def test_a_practice_writes_its_own_template_and_a_care_rule_sends_it(
    owner_client, personas: Personas
):
    response = owner_client.post(reverse("messaging-template-create"), WINTER)
    row = MessageTemplate.objects.get(practice=personas.practice, name="Winter check-in")
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging-template-edit", args=[row.key, "en"])
    assert row.key == "winter_check_in"
    assert AuditEvent.objects.filter(action="create", summary__contains="Winter check-in").exists()

    listing = owner_client.get(reverse("messaging-templates")).content.decode()
    assert "Winter check-in" in listing and "winter_check_in</a>" not in listing

    # The rule form's picker shows it by name, with what a sample client would read.
    care_setup_practice(practice=personas.practice)
    page = owner_client.get(reverse("care-rules-create")).content.decode()
    assert "<strong>Winter check-in</strong>" in page
    assert "Keeping warm, Alex?" in page and "How are you this winter?" in page
    response = owner_client.post(
        reverse("care-rules-create"),
        {
            "name": "Winter",
            "trigger": "birthday",
            "offset_days": "0",
            "local_time": "09:00",
            "action": "message",
            "template_key": "winter_check_in",
            "purpose": "care",
            "estimated_minutes": "5",
            "value": "50",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    assert CareRule.objects.get(name="Winter").template_key == "winter_check_in"

    message = message_queue(client=personas.client, template_key="winter_check_in")
    assert message.subject == "Keeping warm, Ruth?"
    check_in = CheckIn.objects.get(message=message)  # it uses checkin_url: it asks for a check-in
    assert "/p/c/" in message.text_body or str(check_in.pk)


def test_a_built_in_template_is_copied_to_start_one_of_the_practices_own(
    owner_client, personas: Personas
):
    page = owner_client.get(
        reverse("messaging-template-create") + "?copy=check_in&language=en"
    ).content.decode()
    assert 'value="Copy of Check-in after a visit or a new medication"' in page
    assert "would like to know how you are doing" in page
    assert "Preview for Alex Sample, an example client" in page


def test_a_built_in_templates_wording_is_changed_for_the_practice(owner_client, personas):
    url = reverse("messaging-template-edit", args=["recall", "en"])
    response = owner_client.post(
        url,
        {"subject": "We miss you, {{ name }}", "text": "Come back soon.", "action": "save"},
    )
    assert response.status_code == 302
    row = MessageTemplate.objects.get(practice=personas.practice, key="recall")
    assert (row.subject, row.name) == ("We miss you, {{ name }}", "")
    listing = owner_client.get(reverse("messaging-templates")).content.decode()
    assert "Your own" in listing


def test_the_practices_own_template_is_renamed_and_edited(owner_client, personas):
    owner_client.post(reverse("messaging-template-create"), WINTER)
    url = reverse("messaging-template-edit", args=["winter_check_in", "en"])
    response = owner_client.post(
        url, {**WINTER, "name": "Cold days", "text": "Stay warm, {{ name }}."}
    )
    assert response.status_code == 302
    row = MessageTemplate.objects.get(practice=personas.practice, key="winter_check_in")
    assert (row.name, row.text) == ("Cold days", "Stay warm, {{ name }}.")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Dear {{ nmae }}", "“{{ nmae }}” is not a placeholder we fill in"),
        ("{% if practice_phone %}Call us", "“{% if %}” is never closed: add {% endif %}"),
        ("Dear {{ name", "a “{{” is not closed with “}}”"),
        ("{% url 'home' %}", "“{% url %}” is not something a message can do"),
    ],
)
def test_a_bad_template_is_refused_in_words_and_nothing_is_saved(
    owner_client, personas, text, words
):
    before = AuditEvent.objects.count()
    response = owner_client.post(reverse("messaging-template-create"), {**WINTER, "text": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and words in page
    assert "Django" not in page and "TemplateSyntaxError" not in page
    assert not MessageTemplate.objects.filter(practice=personas.practice).exists()
    assert AuditEvent.objects.count() == before
    # The typed text stays on the page to be corrected.
    assert "Winter check-in" in page


def test_a_template_without_a_name_is_refused(owner_client, personas):
    response = owner_client.post(reverse("messaging-template-create"), {**WINTER, "name": " "})
    assert response.status_code == 400
    assert "Name: give the template a name" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_another_practices_template_is_a_404(owner_client, personas):
    MessageTemplate.objects.create(
        practice=personas.other_practice, key="hillside_note", name="Theirs", subject="s", text="t"
    )
    assert (
        owner_client.get(
            reverse("messaging-template-edit", args=["hillside_note", "en"])
        ).status_code
        == 404
    )
    copy = reverse("messaging-template-create") + "?copy=hillside_note&language=en"
    assert owner_client.get(copy).status_code == 404
    preview = owner_client.post(
        reverse("messaging-template-preview"),
        {"subject": "Hi", "text": "Hello {{ name }}", "client": personas.other_client.pk},
    )
    assert preview.status_code == 404
    assert "Theirs" not in owner_client.get(reverse("messaging-templates")).content.decode()


def test_the_live_preview_shows_the_problems_or_what_the_client_reads(owner_client, personas):
    url = reverse("messaging-template-preview")
    shown = owner_client.post(url, {"subject": "Hi {{ name }}", "text": "Hello {{ full_name }}"})
    assert shown.status_code == 200
    assert "Email: Hi Alex" in shown.content.decode()
    assert "Hello Alex Sample" in shown.content.decode()
    chosen = owner_client.post(
        url, {"subject": "Hi {{ name }}", "text": "x", "client": personas.client.pk}
    ).content.decode()
    assert "Email: Hi Ruth" in chosen
    broken = owner_client.post(url, {"subject": "Hi", "text": "{{ nmae }}"}).content.decode()
    assert "“{{ nmae }}” is not a placeholder we fill in" in broken
    assert "Email:" not in broken
    edit = owner_client.get(reverse("messaging-template-create")).content.decode()
    assert 'hx-post="' + url in edit


def test_the_template_list_and_the_rule_form_take_a_fixed_number_of_queries(
    owner_client, personas, django_assert_max_num_queries
):
    care_setup_practice(practice=personas.practice)
    for number in range(12):
        MessageTemplate.objects.create(
            practice=personas.practice,
            key=f"own_{number}",
            name=f"Own {number}",
            subject="Hello {{ name }}",
            text="Text {{ name }}",
        )
    with django_assert_max_num_queries(8):
        page = owner_client.get(reverse("messaging-templates"))
    assert "Own 11" in page.content.decode()
    with django_assert_max_num_queries(12):
        form = owner_client.get(reverse("care-rules-create"))
    assert "Own 11" in form.content.decode()


def test_the_rule_pickers_previews_are_kept_until_the_words_or_the_practice_change(personas):
    """The rule form's previews are rendered once per wording and sample context (kept by
    ``_previewed``): the same on the next visit, new words or a renamed practice show at once,
    and the sample client's links hold no signed token that would change every second."""
    from aftercare.messaging import selectors

    selectors._previewed.cache_clear()
    first = {c.key: c for c in selectors.rule_message_choices(personas.practice)}
    again = {c.key: c for c in selectors.rule_message_choices(personas.practice)}
    assert first == again
    assert selectors._previewed.cache_info().hits >= len(first)
    assert "/p/prefs/…/" in first["check_in"].preview

    MessageTemplate.objects.create(
        practice=personas.practice,
        key="check_in",
        language="en",
        subject="How are you, {{ name }}?",
        text="Our own words for {{ name }} from {{ practice }}.",
    )
    personas.practice.name = "Hillside Renamed"
    personas.practice.save(update_fields=["name"])
    changed = {c.key: c for c in selectors.rule_message_choices(personas.practice)}
    assert changed["check_in"].subject == "How are you, Alex?"
    assert changed["check_in"].preview == "Our own words for Alex from Hillside Renamed."


def test_the_rule_picker_shows_the_practices_own_wording_in_its_language_before_english(
    personas,
):
    """A practice writing in German with its own wording of a template in German and in
    English: the rule picker shows the German (it showed whichever sorted last by language,
    so English over German)."""
    from aftercare.messaging import selectors

    personas.practice.language = "de"
    personas.practice.save(update_fields=["language"])
    for language, words in (("de", "Wie geht es Ihnen, {{ name }}?"), ("en", "How are you?")):
        MessageTemplate.objects.create(
            practice=personas.practice,
            key="check_in",
            language=language,
            subject=words,
            text=words,
        )
    chosen = {c.key: c for c in selectors.rule_message_choices(personas.practice)}
    assert chosen["check_in"].subject == "Wie geht es Ihnen, Alex?"
