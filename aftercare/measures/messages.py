"""The message that carries a questionnaire's link, and the preparer that makes the measure.

One template per questionnaire (``measure_phq9``, ``measure_gad7``, ``measure_who5``), so a care
rule names the questionnaire by its template. The words never name the questionnaire or what it
is about in the subject or an SMS: an SMS is read over shoulders and on lock screens, and the
practice's SMS are link-only (messaging's ``sms_link_only``).
"""

from __future__ import annotations

from typing import Any

from aftercare.care.models import Touchpoint
from aftercare.care.preparers import SkipTouchpoint
from aftercare.measures.questionnaires import built_in_questionnaires
from aftercare.measures.selectors import questionnaires_for
from aftercare.measures.services import (
    TEMPLATE_PREFIX,
    link_details,
    measure_create,
    template_key_for,
)
from aftercare.messaging.templating import DefaultTemplate, register_default_template

SUBJECT = "A few questions from {{ practitioner }}"
TEXT = (
    "Dear {{ name }},\n\n"
    "{{ practitioner }} would like you to answer {{ details.questions }} short questions about how "
    "you have been over the last two weeks. It takes a few minutes, one question at a time:\n\n"
    "{{ details.measure_url }}\n\n"
    "Your answers help us see how things change between visits. If you need help sooner, please "
    "don't wait for us: {{ emergency_numbers }}"
    "\n\n--\n{{ practice }}{% if practice_phone %} · {{ practice_phone }}{% endif %}\n"
    "Your message preferences: {{ preferences_url }}"
)
SMS = (
    "Hello {{ name }}, {{ practitioner }} has a few short questions for you: "
    "{{ details.measure_url }}"
)


def register_templates() -> None:
    for questionnaire in built_in_questionnaires().values():
        register_default_template(
            DefaultTemplate(
                key=template_key_for(questionnaire.key),
                label=f"Questionnaire: {questionnaire.name} ({questionnaire.about})",
                subject=SUBJECT,
                text=TEXT,
                sms=SMS,
            )
        )


def prepare_measure(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """As a due ``measure_…`` touchpoint becomes a message: create the measure, add its link."""
    template_key = touchpoint.template_key or touchpoint.kind
    if not template_key.startswith(TEMPLATE_PREFIX):
        return
    key = template_key.removeprefix(TEMPLATE_PREFIX)
    questionnaire = questionnaires_for(touchpoint.practice_id).get(key)
    if questionnaire is None:
        raise SkipTouchpoint(
            f"There is no questionnaire called {key!r} any more; nothing was sent."
        )
    measure = measure_create(client=touchpoint.client, questionnaire_key=key, touchpoint=touchpoint)
    details.update(link_details(measure, questionnaire))
