"""Default message templates for absences and re-orders, and the details they are given.

Templates only receive plain strings (``details.*``), so every date is formatted here.
"""

from __future__ import annotations

from typing import Any

from aftercare.absences.models import Absence
from aftercare.messaging.templating import DefaultTemplate, register_default_template
from aftercare.supplies.planning import day_text


def absence_details(absence: Absence, locale: str) -> dict[str, Any]:
    """What a client may know about an absence (no private reason), its days as ``locale``
    writes them (the client's practice's: ``locales.practice_locale``)."""
    return {
        "absence_id": absence.pk,
        "away_practitioner": absence.practitioner.display_name,
        "first_day": day_text(absence.first_day, locale),
        "last_day": day_text(absence.last_day, locale),
        "back_on": day_text(absence.back_on, locale),
        "cover_contact": absence.cover_contact,
        "public_note": absence.public_note,
        "cancelled": absence.cancelled,
    }


COVER = "{% if details.cover_contact %}While I am away, {{ details.cover_contact }} covers for me.\n\n{% endif %}"
SIGNATURE = "\n\n{{ details.away_practitioner }}, {{ practice }}{% if practice_phone %} · {{ practice_phone }}{% endif %}\nYour message preferences: {{ preferences_url }}"


def register_templates() -> None:

    for template in [
        DefaultTemplate(
            key="absence_notice",
            label="Advance notice of an absence",
            subject="I will be away from {{ details.first_day }} to {{ details.last_day }}",
            text=(
                "Dear {{ name }},\n\n"
                "I will be away from {{ details.first_day }} to {{ details.last_day }} and back on "
                "{{ details.back_on }}.{% if details.public_note %} {{ details.public_note }}{% endif %}\n\n"
                + COVER
                + "{% if details.actions %}What this means for you: {{ details.actions }}.\n\n{% endif %}"
                "In an emergency: {{ emergency_numbers }}." + SIGNATURE
            ),
            sms=(
                "Hello {{ name }}, {{ details.away_practitioner }} is away {{ details.first_day }}–"
                "{{ details.last_day }}.{% if details.actions %} Please: {{ details.actions }}.{% endif %}"
                "{% if details.cover_contact %} Cover: {{ details.cover_contact }}.{% endif %}"
            ),
        ),
        DefaultTemplate(
            key="absence_correction",
            label="Correction of an absence notice",
            subject="{% if details.cancelled %}Change of plan: I am not away after all{% else %}New dates: I will be away from {{ details.first_day }} to {{ details.last_day }}{% endif %}",
            text=(
                "Dear {{ name }},\n\n"
                "{% if details.cancelled %}I wrote that I would be away; my plans have changed and "
                "I will be here as usual. Please ignore my earlier message.{% else %}"
                "I wrote to you about my absence; the dates have changed. I will now be away from "
                "{{ details.first_day }} to {{ details.last_day }} and back on {{ details.back_on }}."
                "{% if details.actions %}\n\nWhat this means for you now: {{ details.actions }}.{% endif %}"
                "{% endif %}\n\n" + COVER + "In an emergency: {{ emergency_numbers }}." + SIGNATURE
            ),
            sms=(
                "Hello {{ name }}, {% if details.cancelled %}{{ details.away_practitioner }} is not "
                "away after all — please ignore the earlier notice.{% else %}new dates: "
                "{{ details.away_practitioner }} is away {{ details.first_day }}–{{ details.last_day }}."
                "{% endif %}"
            ),
        ),
        DefaultTemplate(
            key="emergency_access",
            private=False,  # the promise itself, readable where they will text back
            label="You can reach me during my absence (emergency list)",
            subject="You can reach me while I am away",
            text=(
                "Dear {{ name }},\n\n"
                "I will be away from {{ details.first_day }} to {{ details.last_day }}. As promised, "
                "you can still reach me: simply reply to this message or write to the practice as "
                "usual — your message is passed on to me at once, wherever I am, and I will answer "
                "you myself.\n\n" + COVER + "In an emergency: {{ emergency_numbers }}." + SIGNATURE
            ),
            sms=(
                "Hello {{ name }}, I am away {{ details.first_day }}–{{ details.last_day }}, but you "
                "can still text me here: your message reaches me at once. {{ details.away_practitioner }}"
            ),
        ),
        DefaultTemplate(
            key="absence_auto_reply",
            private=False,  # answers what the client wrote; nothing about their health
            label="Auto-reply while away",
            subject="I am away until {{ details.last_day }}",
            text=(
                "Dear {{ name }},\n\n"
                "{% if details.custom_text %}{{ details.custom_text }}\n\n{% endif %}"
                "Thank you for your message. I am away until {{ details.last_day }} and will read it "
                "when I am back on {{ details.back_on }}.\n\n"
                + COVER
                + "If you need urgent help: {{ emergency_numbers }}."
                + SIGNATURE
            ),
            sms=(
                "Hello {{ name }}, {{ details.away_practitioner }} is away until {{ details.last_day }} and will read your "
                "message on {{ details.back_on }}.{% if details.cover_contact %} Cover: "
                "{{ details.cover_contact }}.{% endif %} Urgent: {{ emergency_numbers }}"
            ),
        ),
        DefaultTemplate(
            key="emergency_passed_on",
            private=False,  # answers what the client wrote; nothing about their health
            label="Your message was passed on (emergency list)",
            subject="Your message has been passed on to {{ details.away_practitioner }}",
            text=(
                "Dear {{ name }},\n\n"
                "{{ details.away_practitioner }} is away, but you are on the emergency list: your "
                "message has been passed on at once and {{ details.away_practitioner }} will answer "
                "you personally.\n\nIf it cannot wait: {{ emergency_numbers }}." + SIGNATURE
            ),
            sms=(
                "Thank you, {{ name }}: your message has been passed on to {{ details.away_practitioner }} at once; they will "
                "answer you personally. If it cannot wait: {{ emergency_numbers }}"
            ),
        ),
        DefaultTemplate(
            key="reorder_reminder",
            label="Re-order reminder",
            subject=(
                "{% if details.second %}A reminder: t{% else %}T{% endif %}ime to re-order "
                "{{ details.supply_name }}"
            ),
            text=(
                "Dear {{ name }},\n\n"
                "Your {{ details.supply_name }} will run out around {{ details.runs_out_on }}. "
                "{% if details.lead_time_days %}It takes {{ details.lead_time_days }} "
                "day{% if details.lead_time_days != 1 %}s{% endif %} to prepare, so "
                "please{% else %}Please{% endif %} "
                "{% if details.order_today %}order today{% else %}order by {{ details.order_by }}{% endif %}"
                "{% if details.absence_note %} ({{ details.absence_note }}){% endif %}.\n\n"
                "{% if details.reorder_url %}Re-order with one tap: {{ details.reorder_url }}\n\n{% endif %}"
                "Warm regards,\n{{ practitioner }}"
                + "\n\n--\n{{ practice }}\nYour message preferences: {{ preferences_url }}"
            ),
            sms=(
                "Hello {{ name }}, your {{ details.supply_name }} runs out around "
                "{{ details.runs_out_on }}. "
                "{% if details.order_today %}Please order today{% else %}Order by {{ details.order_by }}{% endif %}"
                "{% if details.reorder_url %}: {{ details.reorder_url }}{% endif %}"
            ),
        ),
    ]:
        register_default_template(template)
